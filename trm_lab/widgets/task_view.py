"""TaskView: an ARC-style task at a glance - demonstration pairs, then test pairs, every grid at the same
scale - painted by one widget (no child widget per grid, so a whole task repaints in a few ms); clicking
a grid picks it for the editor beside it. The same layout and painting export tasks as PNG / SVG.
Numpy in, signals out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QFont, QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QFrame, QScrollArea, QSizePolicy, QWidget

from .grid_paint import GridColors, GridGeometry, GridState, device_scale, layout, paint_grid
from .palette import ARC_PALETTE, CellPalette

THUMB_PX = 120  # the longest grid side of a task in the view, in logical pixels


def pair_key(section: str, index: int, side: str) -> str:
    """The key of one grid of a task: e.g. pair_key("train", 0, "input") == "train/0/input"."""
    return f"{section}/{index}/{side}"


def parse_key(key: str) -> tuple[str, int, str]:
    section, index, side = key.split("/")
    return section, int(index), side


def key_title(key: str) -> str:
    """A human title: "train/0/input" -> "Demo 1 input"."""
    section, index, side = parse_key(key)
    return f"{'Demo' if section == 'train' else 'Test'} {index + 1} {side}"


def pairs_of(keys) -> list[tuple[str, int]]:
    """(section, index) of every pair, demonstrations first."""
    return sorted({parse_key(k)[:2] for k in keys}, key=lambda p: (p[0] != "train", p[1]))


@dataclass(frozen=True)
class TaskLayout:
    """Where everything of a task goes, in logical pixels."""

    cell: int
    grids: dict[str, QRect]  # key -> the grid's rectangle (border included)
    titles: list[tuple[QRect, str]]  # "Demo 1", ..., "Test 1"
    arrows: list[QRect]
    missing: list[QRect]  # outputs not given (a test whose answer is unknown)
    size: QSize


def grid_extent(shape: tuple[int, int], cell: int) -> QSize:
    """The size of a grid drawn with `cell`-pixel cells and 1-pixel lines (as layout() draws it)."""
    geo = layout(shape, QRect(0, 0, 10**6, 10**6), None, 1.0, cell)
    return geo.rect.size()


def layout_task(shapes: dict[str, tuple[int, int]], cell: int, margin: int = 8, title_h: int = 18,
                gap: int = 28, row_gap: int = 10) -> TaskLayout:
    """One row per pair: its title above, input on the left, an arrow, output on the right."""
    extents = {k: grid_extent(s, cell) for k, s in shapes.items()}

    def column_width(side: str) -> int:
        return max([e.width() for k, e in extents.items() if k.endswith(side)] + [cell, 70 if side == "output" else 0])

    in_w, out_w = column_width("input"), column_width("output")
    grids, titles, arrows, missing = {}, [], [], []
    y = margin
    for section, index in pairs_of(shapes):
        titles.append((QRect(margin, y, in_w + gap + out_w, title_h),
                       f"{'Demo' if section == 'train' else 'Test'} {index + 1}"))
        y += title_h
        height = 0
        for x, side in ((margin, "input"), (margin + in_w + gap, "output")):
            key = pair_key(section, index, side)
            if key in extents:
                grids[key] = QRect(QPoint(x, y), extents[key])
                height = max(height, extents[key].height())
            else:
                missing.append(QRect(x, y, out_w, title_h))
        arrows.append(QRect(margin + in_w, y, gap, max(height, title_h)))
        y += max(height, title_h) + row_gap
    return TaskLayout(cell, grids, titles, arrows, missing, QSize(2 * margin + in_w + gap + out_w, y + margin))


def paint_task(painter: QPainter, grids: dict[str, np.ndarray], lay: TaskLayout, palette: CellPalette,
               colors: GridColors, scale: float = 1.0, show_numbers: bool = False, selected: str | None = None,
               geometries: dict[str, GridGeometry] | None = None) -> None:
    """Paint a task laid out by layout_task; `painter` is in device pixels (see device_scale)."""
    def dev(r: QRect) -> QRect:
        return QRect(round(r.x() * scale), round(r.y() * scale), round(r.width() * scale),
                     round(r.height() * scale))

    font = QFont()
    font.setPixelSize(max(1, round(12 * scale)))
    painter.setFont(font)
    painter.setPen(colors.text)
    for rect, text in lay.titles:
        painter.drawText(dev(rect), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, text)
    for rect in lay.arrows:
        painter.drawText(dev(rect), Qt.AlignmentFlag.AlignCenter, "\u2192")
    painter.setPen(colors.mark)
    for rect in lay.missing:
        painter.drawText(dev(rect), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, "(no output)")
    for key, rect in lay.grids.items():
        area = dev(rect)
        geo = None if geometries is None else geometries.get(key)
        if geo is None:
            geo = layout(grids[key].shape, area, None, scale, round(lay.cell * scale))
            if geometries is not None:
                geometries[key] = geo
        paint_grid(painter, GridState(grid=grids[key], palette=palette, show_numbers=show_numbers), colors,
                   area, scale, geo)
        if key == selected:
            w = max(2, round(2 * scale))
            ring = geo.rect.adjusted(-w - 1, -w - 1, w + 1, w + 1)
            for r in (QRect(ring.x(), ring.y(), ring.width(), w), QRect(ring.x(), ring.bottom() - w + 1, ring.width(), w),
                      QRect(ring.x(), ring.y(), w, ring.height()), QRect(ring.right() - w + 1, ring.y(), w, ring.height())):
                painter.fillRect(r, colors.cursor)


class _TaskCanvas(QWidget):
    picked = Signal(str)

    def __init__(self, view: TaskView):
        super().__init__()
        self._view = view
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - Qt signature
        view = self._view
        painter = QPainter(self)
        scale = device_scale(painter)
        colors = GridColors.from_palette(self.palette())
        painter.fillRect(QRect(0, 0, round(self.width() * scale) + 1, round(self.height() * scale) + 1),
                         colors.background)
        if view._layout is not None:
            if view._geometry_scale != scale:
                view._geometries, view._geometry_scale = {}, scale
            paint_task(painter, view._grids, view._layout, view._palette, colors, scale, view._show_numbers,
                       view._current, view._geometries)
        painter.end()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        key = self._view.key_at(event.position().toPoint())
        if key is not None:
            self.picked.emit(key)


class TaskView(QScrollArea):
    """Pairs of grids in rows: "Demo i: input -> output", then "Test i: input -> output"."""

    grid_picked = Signal(str)  # the key of the grid the user clicked

    def __init__(self, palette: CellPalette = ARC_PALETTE, parent: QWidget | None = None):
        super().__init__(parent)
        self._palette = palette
        self._grids: dict[str, np.ndarray] = {}
        self._layout: TaskLayout | None = None
        self._geometries: dict[str, GridGeometry] = {}
        self._geometry_scale = 0.0
        self._current: str | None = None
        self._show_numbers = False
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(False)
        self.canvas = _TaskCanvas(self)
        self.canvas.picked.connect(self._on_canvas_picked)
        self.setWidget(self.canvas)
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def keys(self) -> list[str]:
        return list(self._grids)

    def grid(self, key: str) -> np.ndarray:
        return self._grids[key]

    @property
    def current(self) -> str | None:
        return self._current

    @property
    def show_numbers(self) -> bool:
        return self._show_numbers

    def set_task(self, grids: dict[str, np.ndarray]) -> None:
        """Show every grid of a task; keys as pair_key(...), a missing output shown as such."""
        self._grids = {k: np.asarray(g) for k, g in grids.items()}
        self._relayout()
        if self._current not in self._grids:
            self._current = next(iter(self._grids), None)

    def _relayout(self) -> None:
        longest = max([max(g.shape) for g in self._grids.values()] + [1])
        self._layout = layout_task({k: g.shape for k, g in self._grids.items()}, max(3, THUMB_PX // longest))
        self._geometries = {}
        self.canvas.resize(self._layout.size)
        self.canvas.update()

    def update_grid(self, key: str, grid: np.ndarray) -> None:
        """Show a changed grid; a new shape re-lays the task out."""
        old = self._grids.get(key)
        self._grids[key] = np.asarray(grid)
        if old is None or old.shape != self._grids[key].shape:
            self._relayout()
        else:
            self.canvas.update()

    def set_show_numbers(self, on: bool) -> None:
        self._show_numbers = bool(on)
        self.canvas.update()

    def select(self, key: str | None) -> None:
        """Mark `key` as the grid being edited (no signal)."""
        self._current = key
        self.canvas.update()
        if key in (self._layout.grids if self._layout else {}):
            rect = self._layout.grids[key]
            self.ensureVisible(rect.center().x(), rect.center().y(), rect.width() // 2 + 8, rect.height() // 2 + 8)

    def key_rect(self, key: str) -> QRect:
        """A grid's rectangle in the canvas's coordinates (for tests and tooltips)."""
        return self._layout.grids[key]

    def key_at(self, pos: QPoint) -> str | None:
        for key, rect in (self._layout.grids.items() if self._layout else ()):
            if rect.contains(pos):
                return key
        return None

    def sizeHint(self) -> QSize:
        return QSize(2 * THUMB_PX + 64, 480)

    def _on_canvas_picked(self, key: str) -> None:
        if key != self._current:
            self.select(key)
            self.grid_picked.emit(key)
