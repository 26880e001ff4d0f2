"""What grid_paint draws over the cells: the outline of changed cells, right/wrong marks, the selection
frame and the cursor (crisp filled bars, antialiased only for the tick and cross)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QLine, QRect, Qt
from PySide6.QtGui import QColor, QPainter, QPen

if TYPE_CHECKING:  # grid_paint imports this module
    from .grid_geometry import GridColors, GridGeometry, GridState


def fill_rects(painter: QPainter, rects: list[QRect], color: QColor) -> None:
    """Fill many rectangles with one call (per-cell fillRect calls dominate the paint time of big grids)."""
    if rects:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(color)
        painter.drawRects(rects)
        painter.setBrush(Qt.BrushStyle.NoBrush)


def outline_width(scale: float) -> int:
    return max(2, round(2 * scale))


def paint_decorations(painter: QPainter, state: GridState, colors: GridColors, geo: GridGeometry,
                       scale: float) -> None:
    width = outline_width(scale)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    if state.outline is not None:
        bars = geo.per_cell(("bars", width), lambda rect: _frame_bars(rect, width))
        fill_rects(painter, [bar for i in np.flatnonzero(np.asarray(state.outline).ravel()) for bar in bars[i]],
                   colors.outline)
    if state.verdict is not None:
        verdict = np.asarray(state.verdict).ravel()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for right, color in ((True, colors.right), (False, colors.wrong)):
            marks = geo.per_cell(("verdict", right), lambda rect, right=right: _verdict_lines(rect, right))
            lines = [line for i in np.flatnonzero(verdict > 0 if right else verdict < 0) for line in marks[i]]
            if lines:
                pen = QPen(color)
                pen.setWidth(max(1, width))
                painter.setPen(pen)
                painter.drawLines(lines)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
    if state.selection is not None:
        r0, c0, r1, c1 = state.selection
        _frame(painter, geo.cell_rect(r0, c0).united(geo.cell_rect(r1, c1)), colors.selection, width)
    if state.cursor is not None:
        r, c = state.cursor
        if 0 <= r < geo.rows and 0 <= c < geo.cols:
            _frame(painter, geo.cell_rect(r, c), colors.cursor, max(3, round(3 * scale)))


def _frame_bars(rect: QRect, width: int) -> tuple[QRect, QRect, QRect, QRect]:
    """The four bars of a border `width` pixels thick just inside `rect`."""
    w = min(width, max(1, rect.width() // 3))
    return (QRect(rect.x(), rect.y(), rect.width(), w), QRect(rect.x(), rect.bottom() - w + 1, rect.width(), w),
            QRect(rect.x(), rect.y(), w, rect.height()), QRect(rect.right() - w + 1, rect.y(), w, rect.height()))


def _frame(painter: QPainter, rect: QRect, color: QColor, width: int) -> None:
    """A rectangle border `width` pixels thick drawn just inside `rect` (four filled bars: crisp)."""
    for bar in _frame_bars(rect, width):
        painter.fillRect(bar, color)


def _verdict_lines(rect: QRect, right: bool) -> tuple[QLine, QLine]:
    """A small tick (right) or cross (wrong) in the cell's top-right corner."""
    s = max(4, rect.width() // 4)
    x, y = rect.right() - s - 1, rect.y() + 2
    if right:
        return QLine(x, y + s // 2, x + s // 3, y + s), QLine(x + s // 3, y + s, x + s, y)
    return QLine(x, y, x + s, y + s), QLine(x, y + s, x + s, y)
