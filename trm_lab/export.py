"""Export a grid or a whole task as PNG or SVG, drawn by the same painter as the screen (crisp
rectangles, so the SVG is real vector art: one <rect> per cell run, text as text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from .widgets.grid_paint import GridColors, GridState, layout, paint_grid
from .widgets.palette import CellPalette
from .widgets.task_view import layout_task, paint_task

FORMATS = "PNG image (*.png);;SVG vector image (*.svg)"
MARGIN = 8


def write_svg(path: Path, size: QSize, paint: Callable[[QPainter], None], background: QColor | None = None,
              description: str = "Exported from TRM Lab") -> None:
    """An SVG of `size` drawn by `paint` (vector cells and text), on `background` when one is given."""
    path = Path(path)
    gen = QSvgGenerator()
    gen.setFileName(str(path))
    gen.setSize(size)
    gen.setViewBox(QRect(0, 0, size.width(), size.height()))
    gen.setTitle(path.stem)
    gen.setDescription(description)
    painter = QPainter(gen)
    try:
        if background is not None:
            painter.fillRect(QRect(0, 0, size.width(), size.height()), background)
        paint(painter)
    finally:
        painter.end()


def _write(path: Path, size: QSize, paint: Callable[[QPainter], None], background: QColor) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        write_svg(path, size, paint, background)
    elif suffix == ".png":
        image = QImage(size, QImage.Format.Format_RGB32)
        image.fill(background)
        painter = QPainter(image)
        paint(painter)
        painter.end()
        if not image.save(str(path), "PNG"):
            raise OSError(f"could not write {path}")
    else:
        raise ValueError(f"{path.name}: export as .png or .svg, not {suffix or 'no extension'}")


def export_grid(path: Path, state: GridState, colors: GridColors, cell_px: int = 32) -> QSize:
    """Write one grid (with its layers, without cursor and selection); returns the image size."""
    state = replace(state, cursor=None, selection=None)
    geo = layout(state.shape, QRect(MARGIN, MARGIN, 10**6, 10**6), state.box, 1.0, cell_px)
    size = QSize(geo.rect.width() + 2 * MARGIN, geo.rect.height() + 2 * MARGIN)
    geo = layout(state.shape, QRect(MARGIN, MARGIN, geo.rect.width(), geo.rect.height()), state.box, 1.0, cell_px)
    _write(path, size, lambda p: paint_grid(p, state, colors, geo.rect, 1.0, geo), colors.background)
    return size


def export_task(path: Path, grids: dict[str, np.ndarray], palette: CellPalette, colors: GridColors,
                cell_px: int = 16, show_numbers: bool = False) -> QSize:
    """Write a task as the task view draws it: one row per pair, input left, output right."""
    lay = layout_task({k: g.shape for k, g in grids.items()}, cell_px)
    _write(path, lay.size, lambda p: paint_task(p, grids, lay, palette, colors, 1.0, show_numbers),
           colors.background)
    return lay.size
