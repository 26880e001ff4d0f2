"""TimelineBar: a strip with one tick per recorded state, grouped into supervision steps and cycles.

Engine-agnostic: it is given, per state, the group (supervision step), the sub-group (cycle) and
whether the state is the "major" kind (y, drawn tall) or not (z, drawn short). Thick separators and
numbers mark the groups, thin ones the sub-groups. The user scrubs with the mouse (press or drag),
the wheel, and the keys Left/Right (one state), Up/Down and PageUp/PageDown (one group), Home/End.
A `capacity` keeps the ticks where they are while states stream in.

    bar.set_states(groups, subgroups, major)     # (S,) arrays
    bar.current_changed.connect(...)              # the user (or set_current) moved the cursor
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QWheelEvent,
)
from PySide6.QtWidgets import QSizePolicy, QWidget

_MARGIN = 8
_LABEL_H = 14


class TimelineBar(QWidget):
    """One tick per state; a cursor on the current one. See the module docstring."""

    current_changed = Signal(int)  # the index now under the cursor

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumHeight(44)
        self._groups = np.zeros(0, dtype=np.int64)
        self._subgroups = np.zeros(0, dtype=np.int64)
        self._major = np.zeros(0, dtype=bool)
        self._capacity = 0
        self._current = -1
        self._shared = 0  # leading states shared with another timeline (a branch's common prefix)
        self._flag_group: int | None = None  # a group to mark (where the model would halt)
        self._strip: QPixmap | None = None  # the ticks, drawn once per change of the states or the size
        self._strip_key: tuple | None = None

    # ---- data -------------------------------------------------------------------------------------
    def set_states(self, groups, subgroups, major) -> None:
        """Replace the states; the cursor stays where it was (clamped), or goes to 0 if there was none."""
        self._groups = np.asarray(groups, dtype=np.int64)
        self._subgroups = np.asarray(subgroups, dtype=np.int64)
        self._major = np.asarray(major, dtype=bool)
        if not len(self._groups) == len(self._subgroups) == len(self._major):
            raise ValueError("groups, subgroups and major must have one entry per state")
        self._clamp_and_notify()
        self.update()

    def set_capacity(self, count: int) -> None:
        """Lay out room for `count` states (those expected), so streaming does not rescale the strip."""
        self._capacity = max(0, int(count))
        self.update()

    def set_shared(self, count: int) -> None:
        """Shade the first `count` states: the part a branch shares with the trace it came from."""
        self._shared = max(0, int(count))
        self.update()

    def set_flag_group(self, group: int | None) -> None:
        self._flag_group = group
        self.update()

    def count(self) -> int:
        return len(self._groups)

    @property
    def current(self) -> int:
        return self._current

    def set_current(self, index: int) -> None:
        """Move the cursor (clamped); emits current_changed when it moves."""
        if self.count() == 0:
            return
        index = int(min(max(index, 0), self.count() - 1))
        if index != self._current:
            self._current = index
            self.update()
            self.current_changed.emit(index)

    def _clamp_and_notify(self) -> None:
        if self.count() == 0:
            self._current = -1
        elif self._current < 0:
            self.set_current(0)
        elif self._current >= self.count():
            self.set_current(self.count() - 1)

    # ---- navigation -------------------------------------------------------------------------------
    def step_group(self, delta: int) -> None:
        """To the last state of the previous (-1) or next (+1) group; from inside a group, -1 goes to
        the end of the group before and +1 to the end of this one."""
        if self.count() == 0:
            return
        g = self._groups
        here = int(g[self._current])
        ends = np.flatnonzero(np.append(g[1:] != g[:-1], True))  # last index of each group
        if delta > 0:
            later = ends[ends > self._current]
            self.set_current(int(later[0]) if len(later) else self.count() - 1)
        else:
            earlier = ends[g[ends] < here]
            self.set_current(int(earlier[-1]) if len(earlier) else 0)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        moves = {Qt.Key.Key_Left: -1, Qt.Key.Key_Right: 1}
        if key in moves:
            self.set_current(self._current + moves[key])
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_PageUp):
            self.step_group(-1)
        elif key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown):
            self.step_group(1)
        elif key == Qt.Key.Key_Home:
            self.set_current(0)
        elif key == Qt.Key.Key_End:
            self.set_current(self.count() - 1)
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    # ---- geometry ---------------------------------------------------------------------------------
    def _slots(self) -> int:
        return max(self._capacity, self.count(), 1)

    def x_of(self, index: int) -> float:
        """The centre of state `index`'s tick in widget coordinates."""
        width = self.width() - 2 * _MARGIN
        return _MARGIN + (index + 0.5) * width / self._slots()

    def index_at(self, x: float) -> int:
        width = max(1, self.width() - 2 * _MARGIN)
        return int((x - _MARGIN) * self._slots() // width)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.set_current(self.index_at(event.position().x()))
            event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() & Qt.MouseButton.LeftButton:
            self.set_current(self.index_at(event.position().x()))
            event.accept()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta().y() or event.angleDelta().x()
        if delta:
            self.set_current(self._current + (-1 if delta > 0 else 1))
        event.accept()

    def sizeHint(self) -> QSize:
        return QSize(600, 44)

    def _paint_ticks(self, p: QPainter) -> None:
        """Everything but the cursor: background, shared prefix, group numbers, separators and ticks."""
        pal = self.palette()
        p.fillRect(self.rect(), pal.base().color())
        n, slots = self.count(), self._slots()
        w = (self.width() - 2 * _MARGIN) / slots
        top, bottom = _LABEL_H, self.height() - 4
        if self._shared:
            shade = QColor(pal.mid().color())
            shade.setAlpha(70)
            p.fillRect(QRectF(_MARGIN, top, self._shared * w, bottom - top), shade)
        text, mid = pal.text().color(), pal.mid().color()
        accent = QColor("#1E88E5")
        font = QFont(self.font())
        font.setPixelSize(10)
        p.setFont(font)
        g, sub = self._groups, self._subgroups
        groups = 1 + int(np.count_nonzero(g[1:] != g[:-1])) if n else 1  # runs of equal numbers (no np.unique:
        group_px = w * n / groups if n else w  # it sorts, and its first call imports numpy.ma, 36 ms)
        label_every = max(1, int(np.ceil(18 / max(group_px, 1.0))))  # numbers must not overlap
        separators, cycles, major, minor = [], [], [], []  # rectangles, drawn in four calls
        tw = max(1.0, min(w * 0.6, 6.0))
        for i in range(n):
            x = _MARGIN + i * w
            if i == 0 or g[i] != g[i - 1]:
                separators.append(QRectF(x - 1, top - 2, 2, bottom - top + 2))
                if (int(g[i]) - 1) % label_every == 0:
                    flag = self._flag_group is not None and int(g[i]) == self._flag_group
                    p.setPen(QColor("#C62828") if flag else text)
                    p.drawText(QPointF(x + 2, top - 3), f"{int(g[i])}" + ("\u2691" if flag else ""))
            elif sub[i] != sub[i - 1]:
                cycles.append(QRectF(x - 0.5, top + 6, 1, bottom - top - 6))
            tick_h = (bottom - top) * (0.8 if self._major[i] else 0.45)
            (major if self._major[i] else minor).append(QRectF(x + (w - tw) / 2, bottom - tick_h, tw, tick_h))
        p.setPen(Qt.PenStyle.NoPen)
        for rects, color in ((separators, text), (cycles, mid), (minor, mid), (major, accent)):
            if rects:
                p.setBrush(color)
                p.drawRects(rects)

    # ---- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - Qt signature
        p = QPainter(self)
        pal = self.palette()
        key = (self.size(), self.devicePixelRatioF(), self.count(), self._slots(), self._shared, self._flag_group,
               pal.cacheKey(), self._groups.tobytes(), self._subgroups.tobytes(), self._major.tobytes())
        if key != self._strip_key:  # the ticks change with the states, not with the cursor: drawn once
            self._strip = QPixmap(self.size() * self.devicePixelRatioF())
            self._strip.setDevicePixelRatio(self.devicePixelRatioF())
            strip = QPainter(self._strip)
            self._paint_ticks(strip)
            strip.end()
            self._strip_key = key
        p.drawPixmap(0, 0, self._strip)
        n, w = self.count(), (self.width() - 2 * _MARGIN) / self._slots()
        top, bottom = _LABEL_H, self.height() - 4
        if 0 <= self._current < n:
            x = _MARGIN + self._current * w
            pen = QPen(pal.highlight().color())
            pen.setWidth(2)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(QRectF(x, top - 1, max(w, 3), bottom - top + 2))
        if self.hasFocus():
            p.setPen(pal.highlight().color())
            p.drawRect(self.rect().adjusted(0, 0, -1, -1))
        p.end()
