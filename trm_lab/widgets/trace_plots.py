"""TracePlots: four small linked plots along a recursion, x = the state index, with a vertical cursor
line that follows the timeline:

    halting      sigmoid(q_halt) after each supervision step, and the 0.5 threshold
    changed      cells whose decoded token changed (y dark, z light)
    distance     |dy| and |dz| (RMS distance to the previous state of the same kind; y dark, z light)
    accuracy     share of cells right in y

Several traces (slots: 0 = the trace shown, 1 = the branch beside it) share the plots, each in its
own colour. Data arrive as numpy arrays. Clicking a plot reports the state index under the mouse.

Painted with QPainter rather than pyqtgraph: the plots are redrawn while the recursion streams in, and
a scene graph's bookkeeping (bounds, auto-range, axis layout) cost the GUI thread, and through the GIL
the worker, more than the drawing itself. Axes and curves are drawn once into a pixmap per change of
data, size or colours; a cursor move repaints two thin strips from it. Engine-agnostic.
"""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap, QPolygonF
from PySide6.QtWidgets import QWidget

from .plot_axis import format_tick, nice_step

PLOTS = {  # key: (title, ((series, label, light colour), ...))
    "halting": ("sigmoid(q_halt)", (("p_halt", "p(halt)", False),)),
    "changed": ("cells changed", (("changed_y", "y", False), ("changed_z", "z", True))),
    "distance": ("|dy|, |dz|", (("dy", "|dy|", False), ("dz", "|dz|", True))),
    "accuracy": ("cells right (y)", (("accuracy", "accuracy", False),)),
}
FIXED_Y = {"halting": (0.0, 1.02), "accuracy": (0.0, 1.02)}  # probabilities and shares
SYMBOLS = ("p_halt",)  # one point per supervision step: drawn as dots over the line
SLOT_COLORS = ("#1E88E5", "#E65100")  # the trace shown, the branch beside it (y, and the one-series plots)
LIGHT_COLORS = ("#90CAF9", "#FFB74D")  # the same, lighter: z
HALT_THRESHOLD = 0.5
_TITLE_H, _AXIS_W, _AXIS_H, _GAP = 18, 34, 16, 8  # px: title row, left axis labels, bottom axis labels


def _crisp(v: float) -> float:
    """A pixel's centre: a 1-px horizontal or vertical line there is not smeared over two rows."""
    return math.floor(v) + 0.5


class Cursor:
    """Where one slot's cursor stands (a state index) and whether it is shown."""

    def __init__(self) -> None:
        self._value, self._visible = 0.0, False

    def value(self) -> float:
        return self._value

    def isVisible(self) -> bool:  # noqa: N802 - reads like the Qt items it stands beside
        return self._visible


class TracePlots(QWidget):
    """See the module docstring."""

    position_clicked = Signal(int)  # a state index picked by clicking a plot

    def __init__(self, slots: int = 2, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumHeight(120)
        self.slots = slots
        empty = (np.zeros(0), np.zeros(0))
        self.data: dict[tuple[int, str], tuple[np.ndarray, np.ndarray]] = {
            (slot, name): empty for slot in range(slots) for _key, (_title, series) in PLOTS.items()
            for name, _label, _light in series}
        self._cursors = {slot: Cursor() for slot in range(slots)}
        self.cursors = {(slot, key): self._cursors[slot] for slot in range(slots) for key in PLOTS}
        self._x_range = (-0.5, 0.5)
        self._colors = ("#FFFFFF", "#202020")
        self._cache: QPixmap | None = None
        self._cache_key: tuple | None = None

    # ---- data -------------------------------------------------------------------------------------
    def set_series(self, slot: int, series: dict[str, tuple[np.ndarray, np.ndarray]]) -> None:
        """Update the named series of one slot: name -> (x, y); names not given are left as they are."""
        for name, (x, y) in series.items():
            if (slot, name) not in self.data:
                raise KeyError(f"no series {name!r} in slot {slot}")
            self.data[(slot, name)] = (np.asarray(x, dtype=float), np.asarray(y, dtype=float))
        self._invalidate()

    def clear_slot(self, slot: int) -> None:
        empty = (np.zeros(0), np.zeros(0))
        for key in self.data:
            if key[0] == slot:
                self.data[key] = empty
        self._cursors[slot]._visible = False
        self._invalidate()

    def set_x_range(self, count: int) -> None:
        """Show states 0..count-1 (the expected length, so streaming does not rescale the x-axis)."""
        span = max(1, count)
        pad = 0.02 * span
        x_range = (-0.5 - pad, span - 0.5 + pad)
        if x_range != self._x_range:
            self._x_range = x_range
            self._invalidate()

    def set_cursor(self, slot: int, index: int | None) -> None:
        cursor = self._cursors[slot]
        before = self._cursor_strips(slot)
        cursor._visible = index is not None
        if index is not None:
            cursor._value = float(index)
        for rect in before + self._cursor_strips(slot):  # where the line was, and where it is now
            self.update(rect)

    def point_count(self, slot: int, name: str) -> int:
        return len(self.data[(slot, name)][0])

    # ---- looks ------------------------------------------------------------------------------------
    def set_scheme(self, colors: tuple[str, str]) -> None:
        """(background, foreground) from theme.PLOT_COLORS."""
        self._colors = colors
        self._invalidate()

    def sizeHint(self) -> QSize:
        return QSize(800, 160)

    # ---- geometry ---------------------------------------------------------------------------------
    def plot_rects(self) -> dict[str, QRectF]:
        """Each plot's data area (inside its axes), left to right."""
        width = (self.width() - _GAP * (len(PLOTS) - 1)) / len(PLOTS)
        rects = {}
        for col, key in enumerate(PLOTS):
            left = col * (width + _GAP)
            rects[key] = QRectF(left + _AXIS_W, _TITLE_H, max(1.0, width - _AXIS_W - 4),
                                max(1.0, self.height() - _TITLE_H - _AXIS_H))
        return rects

    def y_range(self, key: str) -> tuple[float, float]:
        """The plot's y-axis: fixed for shares, else from 0 (or the least value) to the largest value shown."""
        if key in FIXED_Y:
            return FIXED_Y[key]
        names = {name for name, _label, _light in PLOTS[key][1]}
        values = [y[np.isfinite(y)] for (_slot, name), (_x, y) in self.data.items() if name in names]
        values = np.concatenate(values) if values else np.zeros(0)
        if not values.size:
            return 0.0, 1.0
        lo, hi = min(0.0, float(values.min())), float(values.max())
        return (lo, hi * 1.05 if hi > lo else lo + 1.0)

    def _to_x(self, rect: QRectF, x: np.ndarray | float):
        lo, hi = self._x_range
        return rect.left() + (np.asarray(x) - lo) / (hi - lo) * rect.width()

    def _cursor_strips(self, slot: int) -> list[QRect]:
        cursor = self._cursors[slot]
        if not cursor._visible:
            return []
        strips = []
        for rect in self.plot_rects().values():
            x = float(self._to_x(rect, cursor._value))
            strips.append(QRect(int(math.floor(x)) - 2, int(rect.top()) - 1, 5, int(rect.height()) + 2))
        return strips

    # ---- painting ---------------------------------------------------------------------------------
    def _invalidate(self) -> None:
        self._cache_key = None
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - Qt signature
        ratio = self.devicePixelRatioF()
        key = (self.size(), ratio)
        if self._cache is None or self._cache_key != key:
            self._cache = QPixmap(self.size() * ratio)
            self._cache.setDevicePixelRatio(ratio)
            painter = QPainter(self._cache)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_plots(painter)
            painter.end()
            self._cache_key = key
        p = QPainter(self)
        p.drawPixmap(event.rect(), self._cache, QRectF(QRectF(event.rect()).topLeft() * ratio,
                                                      QRectF(event.rect()).size() * ratio).toRect())
        rects = self.plot_rects()
        for slot in reversed(range(self.slots)):
            cursor = self._cursors[slot]
            if not cursor._visible:
                continue
            pen = QPen(QColor(SLOT_COLORS[slot % len(SLOT_COLORS)]), 1,
                       Qt.PenStyle.SolidLine if slot == 0 else Qt.PenStyle.DotLine)
            p.setPen(pen)
            for rect in rects.values():
                x = _crisp(float(self._to_x(rect, cursor._value)))
                if rect.left() <= x <= rect.right():
                    p.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
        p.end()

    def _paint_plots(self, p: QPainter) -> None:
        background, foreground = (QColor(c) for c in self._colors)
        p.fillRect(QRectF(0, 0, self.width(), self.height()), background)
        font = QFont(self.font())
        font.setPixelSize(10)
        p.setFont(font)
        for key, rect in self.plot_rects().items():
            title, series = PLOTS[key]
            y_lo, y_hi = self.y_range(key)
            self._paint_axes(p, rect, title, (y_lo, y_hi), foreground)
            p.save()
            p.setClipRect(rect.adjusted(-3, -3, 3, 3))
            if key == "halting":
                y = _crisp(rect.bottom() - (HALT_THRESHOLD - y_lo) / (y_hi - y_lo) * rect.height())
                p.setPen(QPen(QColor("#C62828"), 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            for slot in reversed(range(self.slots)):  # the trace shown over its branch
                for name, _label, light in series:
                    x, y = self.data[(slot, name)]
                    color = QColor((LIGHT_COLORS if light else SLOT_COLORS)[slot % len(SLOT_COLORS)])
                    self._paint_series(p, rect, x, y, (y_lo, y_hi), color, name in SYMBOLS)
            p.restore()

    def _paint_axes(self, p: QPainter, rect: QRectF, title: str, y_range: tuple[float, float],
                    foreground: QColor) -> None:
        p.setPen(foreground)
        p.drawText(QRectF(rect.left(), 0, rect.width(), _TITLE_H), Qt.AlignmentFlag.AlignCenter, title)
        left, bottom = _crisp(rect.left()), _crisp(rect.bottom())
        p.drawLine(QPointF(left, rect.top()), QPointF(left, bottom))
        p.drawLine(QPointF(left, bottom), QPointF(rect.right(), bottom))
        y_lo, y_hi = y_range
        step = nice_step(y_hi - y_lo, max(1, int(rect.height() // 28)))
        value = math.ceil(y_lo / step) * step
        while value <= y_hi + step * 1e-9:
            y = _crisp(rect.bottom() - (value - y_lo) / (y_hi - y_lo) * rect.height())
            p.drawLine(QPointF(left - 3, y), QPointF(left, y))
            p.drawText(QRectF(rect.left() - _AXIS_W, y - 7, _AXIS_W - 5, 14),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, format_tick(value))
            value += step
        x_lo, x_hi = self._x_range
        step = max(1.0, nice_step(x_hi - x_lo, max(1, int(rect.width() // 60))))
        value = math.ceil(x_lo / step) * step
        while value <= x_hi:
            x = _crisp(float(self._to_x(rect, value)))
            p.drawLine(QPointF(x, bottom), QPointF(x, bottom + 3))
            p.drawText(QRectF(x - 30, rect.bottom() + 2, 60, _AXIS_H - 2), Qt.AlignmentFlag.AlignHCenter,
                       format_tick(value))
            value += step

    def _paint_series(self, p: QPainter, rect: QRectF, x: np.ndarray, y: np.ndarray, y_range: tuple[float, float],
                      color: QColor, dots: bool) -> None:
        if not len(x):
            return
        y_lo, y_hi = y_range
        px = self._to_x(rect, x)
        py = rect.bottom() - (y - y_lo) / (y_hi - y_lo) * rect.height()
        finite = np.isfinite(px) & np.isfinite(py)
        p.setPen(QPen(color, 1))
        # A line through each run of finite points: a missing value (NaN) breaks it.
        breaks = np.flatnonzero(np.diff(finite.astype(np.int8)) != 0) + 1
        for part in np.split(np.arange(len(x)), breaks):
            if len(part) > 1 and finite[part[0]]:
                p.drawPolyline(QPolygonF([QPointF(a, b) for a, b in zip(px[part], py[part])]))
        if dots:
            p.setBrush(color)
            p.setPen(Qt.PenStyle.NoPen)
            for a, b in zip(px[finite], py[finite]):
                p.drawEllipse(QPointF(a, b), 2.5, 2.5)
            p.setBrush(Qt.BrushStyle.NoBrush)

    # ---- mouse ------------------------------------------------------------------------------------
    def index_at(self, pos: QPointF) -> int | None:
        """The state index under a point of the widget, or None outside the plots."""
        for rect in self.plot_rects().values():
            if rect.adjusted(-2, 0, 2, 0).contains(pos):
                lo, hi = self._x_range
                return int(round(lo + (pos.x() - rect.left()) / rect.width() * (hi - lo)))
        return None

    def mousePressEvent(self, event: QMouseEvent) -> None:
        index = self.index_at(event.position())
        if event.button() == Qt.MouseButton.LeftButton and index is not None:
            self.position_clicked.emit(index)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        """Dragging along a plot scrubs through the states."""
        index = self.index_at(event.position())
        if event.buttons() & Qt.MouseButton.LeftButton and index is not None:
            self.position_clicked.emit(index)
            event.accept()
            return
        super().mouseMoveEvent(event)
