"""Export a grid or a whole task as PNG or SVG, drawn by the same painter as the screen (crisp
rectangles, so the SVG is real vector art: one <rect> per cell run, text as text)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter
from PySide6.QtSvg import QSvgGenerator

from .widgets.grid_paint import GridColors, GridState, layout, paint_grid
from .widgets.palette import CellPalette
from .widgets.task_view import parse_key

FORMATS = "PNG image (*.png);;SVG vector image (*.svg)"
MARGIN = 8


def _write(path: Path, size: QSize, paint: Callable[[QPainter], None], background: QColor) -> None:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".svg":
        gen = QSvgGenerator()
        gen.setFileName(str(path))
        gen.setSize(size)
        gen.setViewBox(QRect(0, 0, size.width(), size.height()))
        gen.setTitle(path.stem)
        gen.setDescription("Exported from TRM Lab")
        painter = QPainter(gen)
        painter.fillRect(QRect(0, 0, size.width(), size.height()), background)
        paint(painter)
        painter.end()
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
    """Write a task: one row per pair ("Demo 1", ..., "Test 1"), input left, output right."""
    pairs = sorted({parse_key(k)[:2] for k in grids}, key=lambda p: (p[0] != "train", p[1]))
    label_w, gap, title_h = 70, 40, 18

    def extent(key: str) -> tuple[int, int]:
        if key not in grids:
            return 0, 0
        h, w = grids[key].shape
        return h * (cell_px + 1) + 1, w * (cell_px + 1) + 1

    rows, y = [], MARGIN
    col_w = max([extent(k)[1] for k in grids] + [cell_px])
    for section, index in pairs:
        ih, _ = extent(f"{section}/{index}/input")
        oh, _ = extent(f"{section}/{index}/output")
        rows.append((section, index, y))
        y += max(ih, oh, title_h) + gap // 2
    size = QSize(MARGIN * 2 + label_w + 2 * col_w + gap, y + MARGIN)

    def paint(p: QPainter) -> None:
        font = QFont()
        font.setPixelSize(13)
        p.setFont(font)
        for section, index, top in rows:
            p.setPen(colors.text)
            name = f"{'Demo' if section == 'train' else 'Test'} {index + 1}"
            p.drawText(QRect(MARGIN, top, label_w, title_h), Qt.AlignmentFlag.AlignLeft, name)
            for col, side in ((0, "input"), (1, "output")):
                key = f"{section}/{index}/{side}"
                if key not in grids:
                    continue
                state = GridState(grid=grids[key], palette=palette, show_numbers=show_numbers)
                x = MARGIN + label_w + col * (col_w + gap)
                h, w = extent(key)
                geo = layout(state.shape, QRect(x, top, w, h), None, 1.0, cell_px)
                paint_grid(p, state, colors, geo.rect, 1.0, geo)
            p.setPen(colors.text)
            p.drawText(QRect(MARGIN + label_w + col_w, top, gap, title_h), Qt.AlignmentFlag.AlignCenter, "\u2192")

    _write(path, size, paint, colors.background)
    return size
