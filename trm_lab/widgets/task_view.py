"""TaskView: an ARC-style task at a glance - demonstration pairs, then test pairs - each grid a small
GridView; clicking one picks it (for the editor next to it). Numpy in, signals out.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QGridLayout, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from .grid import GridView
from .palette import ARC_PALETTE, CellPalette

THUMB_PX = 120  # the longest side of a grid in the task view, in logical pixels


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


class _Thumb(GridView):
    """One grid of the task: fixed cell size so every grid of the task is drawn at the same scale."""

    picked = Signal(str)

    def __init__(self, key: str, grid: np.ndarray, palette: CellPalette, parent: QWidget | None = None):
        super().__init__(grid, palette, parent)
        self.key = key
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setToolTip(f"{key_title(key)}: {grid.shape[0]}x{grid.shape[1]} (click to edit)")

    def _pressed(self, cell, button, modifiers) -> None:
        self.picked.emit(self.key)


class TaskView(QScrollArea):
    """Pairs of grids in rows: "Demo i: input -> output", then "Test i: input -> output"."""

    grid_picked = Signal(str)  # the key of the grid the user clicked

    def __init__(self, palette: CellPalette = ARC_PALETTE, parent: QWidget | None = None):
        super().__init__(parent)
        self._palette = palette
        self._thumbs: dict[str, _Thumb] = {}
        self._current: str | None = None
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self._body = QWidget()
        self._layout = QVBoxLayout(self._body)
        self._layout.setSpacing(6)
        self.setWidget(self._body)

    def keys(self) -> list[str]:
        return list(self._thumbs)

    @property
    def current(self) -> str | None:
        return self._current

    def set_task(self, grids: dict[str, np.ndarray]) -> None:
        """Show every grid of a task; keys as pair_key(...), missing outputs shown as an empty slot."""
        self._thumbs.clear()
        while self._layout.count():
            item = self._layout.takeAt(0)
            if item.widget():
                item.widget().hide()  # deleteLater is deferred: hide now so old rows never overlap new
                item.widget().deleteLater()
        longest = max([max(g.shape) for g in grids.values()] + [1])
        cell = max(3, THUMB_PX // longest)
        pairs = sorted({parse_key(k)[:2] for k in grids}, key=lambda p: (p[0] != "train", p[1]))
        for section, index in pairs:
            self._layout.addWidget(self._pair_row(section, index, grids, cell))
        self._layout.addStretch(1)
        self.select(self._current if self._current in self._thumbs else next(iter(self._thumbs), None))

    def _pair_row(self, section: str, index: int, grids: dict[str, np.ndarray], cell: int) -> QWidget:
        row = QFrame()
        row.setFrameShape(QFrame.Shape.StyledPanel)
        grid = QGridLayout(row)
        grid.setContentsMargins(6, 4, 6, 4)
        title = QLabel(f"<b>{'Demo' if section == 'train' else 'Test'} {index + 1}</b>")
        grid.addWidget(title, 0, 0, 1, 3)
        for col, side in ((0, "input"), (2, "output")):
            key = pair_key(section, index, side)
            if key in grids:
                thumb = _Thumb(key, grids[key], self._palette)
                thumb.set_cell_size(cell)
                thumb.setFixedSize(thumb.minimumSize())
                thumb.picked.connect(self._on_thumb_picked)
                self._thumbs[key] = thumb
                grid.addWidget(thumb, 1, col, Qt.AlignmentFlag.AlignTop)
            else:
                grid.addWidget(QLabel("(no output)"), 1, col, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(QLabel("\u2192"), 1, 1, Qt.AlignmentFlag.AlignCenter)
        grid.setColumnStretch(3, 1)
        return row

    def update_grid(self, key: str, grid: np.ndarray) -> None:
        """Show a changed grid (same or new shape) without rebuilding the view."""
        thumb = self._thumbs.get(key)
        if thumb is None:
            return
        thumb.set_grid(grid)
        thumb.setFixedSize(thumb.minimumSize())
        thumb.setToolTip(f"{key_title(key)}: {grid.shape[0]}x{grid.shape[1]} (click to edit)")

    def set_show_numbers(self, on: bool) -> None:
        for thumb in self._thumbs.values():
            thumb.set_show_numbers(on)

    def thumb(self, key: str) -> GridView:
        return self._thumbs[key]

    def select(self, key: str | None) -> None:
        """Mark `key` as the grid being edited (no signal)."""
        self._current = key
        for k, thumb in self._thumbs.items():
            pal = thumb.palette()
            role = QPalette.ColorRole.Highlight if k == key else QPalette.ColorRole.Window
            pal.setColor(QPalette.ColorRole.Window, self.palette().color(role))
            thumb.setPalette(pal)

    def _on_thumb_picked(self, key: str) -> None:
        if key != self._current:
            self.select(key)
            self.grid_picked.emit(key)
