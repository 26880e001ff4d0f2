"""Cell colours as one image: on a raster device a grid's cells (fills, translucent layers, outlines)
are blended in numpy and blitted as one unscaled image of device pixels, exactly the rectangles
grid_paint draws for vector output, at a fraction of the cost (a 30x30 grid: one blit instead of
~900 rectangles per layer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtGui import QColor, QImage, QPainter

if TYPE_CHECKING:  # grid_paint imports this module
    from .grid_geometry import GridColors, GridGeometry, GridState


def _rgb(color: QColor) -> tuple[int, int, int]:
    return color.red(), color.green(), color.blue()


def shade_levels(shading: np.ndarray) -> np.ndarray:
    """Shading strength quantised to 24 alpha levels (0..24), as both painting paths draw it."""
    return np.rint(np.clip(0.85 * np.asarray(shading, dtype=np.float64), 0, 1) * 24).astype(int)


def blended_cells(state: GridState, colors: GridColors) -> np.ndarray:
    """(H, W, 3) uint8: each cell's fill with the tint, shading and conflict tint blended over it."""
    grid = np.asarray(state.grid)
    values, index = np.unique(grid, return_inverse=True)
    fills = [state.palette.fill(int(v)) for v in values]
    lut = np.array([_rgb(QColor(f) if f else colors.cell) for f in fills], dtype=np.float32)
    rgb = lut[index.reshape(grid.shape)]
    layers = ((0.45, state.tint, colors.tint),
              (None if state.shading is None else shade_levels(state.shading) / 24, True, colors.shade),
              (0.25, state.highlight, colors.conflict))
    for alpha, mask, color in layers:
        if alpha is None or mask is None:
            continue
        a = (np.asarray(mask, dtype=np.float32) * alpha)[..., None]
        rgb = rgb * (1 - a) + np.asarray(_rgb(color), dtype=np.float32) * a
    return np.rint(rgb).clip(0, 255).astype(np.uint8)


def _packed(rgb: np.ndarray) -> np.ndarray:
    rgb = np.asarray(rgb, dtype=np.uint32)
    return 0xFF000000 | rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]


def draw_cell_colors(painter: QPainter, rgb: np.ndarray, geo: GridGeometry,
                     outline: tuple[np.ndarray, QColor, int] | None = None) -> None:
    """Fill every cell of `geo` with its colour from `rgb` ((H, W, 3) uint8) in one unscaled image of
    device pixels (each cell a block of its colour; the gaps, painted over by the lines, repeat a
    neighbour). One blit instead of a rectangle per cell, and no scaling, so nothing blurs.
    `outline` = (mask, colour, width): a frame just inside each masked cell, as grid_marks' frame bars draw it."""
    rect = geo.rect
    packed = _packed(rgb)
    cols = np.zeros(rect.width(), dtype=np.int64)
    rows = np.zeros(rect.height(), dtype=np.int64)
    for c, x in enumerate(geo.xs):
        cols[x - rect.x():] = c
    for r, y in enumerate(geo.ys):
        rows[y - rect.y():] = r
    pixels = packed[rows][:, cols]
    if outline is not None:
        mask, color, width = outline
        w = min(width, max(1, geo.cell // 3))

        def edges(local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:  # (in the frame band, in the cell)
            inside = (local >= 0) & (local < geo.cell)
            return inside & ((local < w) | (local >= geo.cell - w)), inside

        band_x, in_x = edges(np.arange(rect.x(), rect.x() + rect.width()) - np.asarray(geo.xs)[cols])
        band_y, in_y = edges(np.arange(rect.y(), rect.y() + rect.height()) - np.asarray(geo.ys)[rows])
        frame = (band_x[None, :] & in_y[:, None]) | (band_y[:, None] & in_x[None, :])
        frame &= np.asarray(mask, dtype=bool)[rows][:, cols]
        pixels = np.where(frame, _packed(np.array(_rgb(color))), pixels)
    pixels = np.ascontiguousarray(pixels, dtype=np.uint32)
    image = QImage(pixels.data, rect.width(), rect.height(), rect.width() * 4, QImage.Format.Format_RGB32)
    painter.drawImage(rect.topLeft(), image)  # drawn before `pixels` can go: QImage does not own it
