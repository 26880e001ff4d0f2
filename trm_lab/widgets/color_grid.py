"""ColorGridView: a grid whose cells are given colours (an (H, W, 3) array), e.g. a latent state
projected to RGB or a heat map; laid out like GridView (same cell geometry and Sudoku box lines), so
it sits beside the palette grids without looking different. `heat_colors` turns numbers into colours.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from .grid_paint import GridColors, GridGeometry, device_scale, draw_cell_colors, layout, paint_lines

# Anchors of a perceptually even dark-blue -> green -> yellow ramp (viridis' look, by eye).
_RAMP = np.array([(68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37)], dtype=np.float32)


def heat_colors(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """(..., 3) uint8 colours for `values` on the ramp, `lo` dark and `hi` bright; NaN grey."""
    v = np.asarray(values, dtype=np.float32)
    t = np.clip((v - lo) / (hi - lo if hi > lo else 1.0), 0.0, 1.0) * (len(_RAMP) - 1)
    t = np.nan_to_num(t, nan=0.0)
    i = np.minimum(t.astype(np.int64), len(_RAMP) - 2)
    f = (t - i)[..., None]
    out = _RAMP[i] * (1 - f) + _RAMP[i + 1] * f
    out[np.isnan(v)] = 128
    return out.astype(np.uint8)


class ColorGridView(QWidget):
    """Cells filled with given RGB colours; `set_colors(None, shape)` shows an empty (blank) grid."""

    def __init__(self, shape: tuple[int, int] = (3, 3), parent: QWidget | None = None):
        super().__init__(parent)
        self._rgb: np.ndarray | None = None
        self._shape = shape
        self._box: tuple[int, int] | None = None
        self._geometry_key: tuple | None = None
        self._geometry: GridGeometry | None = None
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(40, 40)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)

    @property
    def shape(self) -> tuple[int, int]:
        return self._shape

    def colors(self) -> np.ndarray | None:
        """The (H, W, 3) uint8 colours shown, or None when blank."""
        return self._rgb

    def set_colors(self, rgb: np.ndarray | None, shape: tuple[int, int] | None = None) -> None:
        """Show `rgb` ((H, W, 3), uint8 or floats in 0..1); None: a blank grid of `shape`."""
        if rgb is not None:
            rgb = np.asarray(rgb)
            if rgb.ndim != 3 or rgb.shape[2] != 3:
                raise ValueError(f"colours must be (H, W, 3), got {rgb.shape}")
            if rgb.dtype != np.uint8:
                rgb = (np.clip(rgb.astype(np.float32), 0, 1) * 255 + 0.5).astype(np.uint8)
            shape = rgb.shape[:2]
        self._rgb = rgb
        self._shape = tuple(int(v) for v in (shape or self._shape))
        self.update()

    def set_box(self, box: tuple[int, int] | None) -> None:
        self._box = box
        self.update()

    def sizeHint(self) -> QSize:
        rows, cols = self._shape
        cell = max(12, min(36, 480 // max(rows, cols)))
        return QSize(cols * (cell + 1) + 8, rows * (cell + 1) + 8)

    def geometry_for(self, scale: float) -> GridGeometry:
        key = (self.width(), self.height(), scale, self._shape, self._box)
        if key != self._geometry_key:
            area = QRect(0, 0, int(self.width() * scale), int(self.height() * scale)).adjusted(
                int(2 * scale), int(2 * scale), -int(2 * scale), -int(2 * scale))
            self._geometry = layout(self._shape, area, self._box, scale)
            self._geometry_key = key
        return self._geometry

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - Qt signature
        painter = QPainter(self)
        scale = device_scale(painter)
        colors = GridColors.from_palette(self.palette())
        painter.fillRect(QRect(0, 0, int(self.width() * scale) + 1, int(self.height() * scale) + 1),
                         colors.background)
        paint_colors(painter, self._rgb, colors, self.geometry_for(scale))
        painter.end()


def paint_colors(painter: QPainter, rgb: np.ndarray | None, colors: GridColors, geo: GridGeometry) -> None:
    """Fill each cell of `geo` with its colour (blank cells when `rgb` is None), then the lines."""
    if rgb is None:
        painter.fillRect(geo.rect, colors.cell)
    else:
        draw_cell_colors(painter, rgb, geo)
    paint_lines(painter, geo, colors)
