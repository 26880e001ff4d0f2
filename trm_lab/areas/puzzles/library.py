"""PuzzleLibrary: every puzzle the user can open - bundled examples, puzzles they saved, rows of dataset
files - in one filterable list with thumbnails, family, size, difficulty and split.

Entries are cheap records; the grid for a thumbnail is loaded on first paint and cached, so a dataset
of thousands of puzzles opens in well under a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QRect, QSize, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from ...widgets.grid_paint import GridColors, GridState, layout, paint_grid
from ...widgets.palette import ARC_PALETTE, MAZE_PALETTE, CellPalette, digit_palette

FAMILIES = ("sudoku", "maze", "arc")
COLUMNS = ("Puzzle", "Family", "Size", "Difficulty", "Split", "Source")
THUMB = 40  # thumbnail side in logical pixels


def family_palette(family: str, grid: np.ndarray) -> tuple[CellPalette, tuple[int, int] | None]:
    if family == "sudoku":
        n = grid.shape[0]
        box = int(round(n ** 0.5))
        return digit_palette(n), (box, box)
    return (MAZE_PALETTE if family == "maze" else ARC_PALETTE), None


@dataclass
class LibraryEntry:
    """One puzzle in the library. `load` returns what the family editor opens: a file path, or a dict
    of document grids; `thumbnail` returns the grid to draw."""

    name: str
    family: str
    shape: tuple[int, int]
    split: str  # "example", "saved", or a dataset split ("train", "test")
    source: str  # "Examples", "My puzzles", or a dataset file name
    difficulty: str = ""
    rating: float = -1.0  # numeric difficulty for sorting (-1 = unknown)
    path: Path | None = None
    load: Callable[[], object] | None = None
    thumbnail: Callable[[], np.ndarray] | None = None
    _thumb: np.ndarray | None = field(default=None, repr=False)

    def thumb_grid(self) -> np.ndarray | None:
        if self._thumb is None and self.thumbnail is not None:
            try:
                self._thumb = np.asarray(self.thumbnail())
            except Exception:  # noqa: BLE001 - a broken row shows no thumbnail rather than breaking paint
                self.thumbnail = None
        return self._thumb


class LibraryModel(QAbstractTableModel):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.entries: list[LibraryEntry] = []

    def rowCount(self, parent=QModelIndex()) -> int:  # noqa: B008 - Qt signature
        return 0 if parent.isValid() else len(self.entries)

    def columnCount(self, parent=QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section, orientation, role=Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role=Qt.ItemDataRole.DisplayRole):
        entry = self.entries[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (entry.name, entry.family, f"{entry.shape[0]}x{entry.shape[1]}", entry.difficulty,
                    entry.split, entry.source)[col]
        if role == Qt.ItemDataRole.UserRole:  # sort keys
            return (entry.name.lower(), entry.family, entry.shape[0] * entry.shape[1], entry.rating,
                    entry.split, entry.source.lower())[col]
        if role == Qt.ItemDataRole.ToolTipRole:
            return str(entry.path) if entry.path else f"{entry.source}: {entry.name}"
        return None

    def add(self, entries: list[LibraryEntry]) -> None:
        if not entries:
            return
        first = len(self.entries)
        self.beginInsertRows(QModelIndex(), first, first + len(entries) - 1)
        self.entries.extend(entries)
        self.endInsertRows()

    def remove_source(self, source: str) -> None:
        self.beginResetModel()
        self.entries = [e for e in self.entries if e.source != source]
        self.endResetModel()


class LibraryFilter(QSortFilterProxyModel):
    """Family, split and free-text filters (text matches name and source, case-insensitive)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.family = ""
        self.split = ""
        self.text = ""
        self.setSortRole(Qt.ItemDataRole.UserRole)

    def set_filters(self, family: str, split: str, text: str) -> None:
        changing = hasattr(self, "beginFilterChange")  # Qt >= 6.9; invalidateRowsFilter is deprecated there
        if changing:
            self.beginFilterChange()
        self.family, self.split, self.text = family, split, text.strip().lower()
        if changing:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:
            self.invalidateRowsFilter()

    def filterAcceptsRow(self, row: int, parent: QModelIndex) -> bool:
        entry = self.sourceModel().entries[row]
        if self.family and entry.family != self.family:
            return False
        if self.split and entry.split != self.split:
            return False
        return not self.text or self.text in entry.name.lower() or self.text in entry.source.lower()


class ThumbnailDelegate(QStyledItemDelegate):
    """Draws the puzzle's grid (crisp, via the shared painter) left of its name."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().paint(painter, option, index)
        entry = index.model().sourceModel().entries[index.model().mapToSource(index).row()]
        grid = entry.thumb_grid()
        if grid is None or grid.ndim != 2 or grid.size == 0:
            return
        palette, box = family_palette(entry.family, grid)
        state = GridState(grid=grid, palette=palette, box=box)
        painter.save()
        scale = painter.deviceTransform().m11() or 1.0
        from ...widgets.grid_paint import device_scale
        device_scale(painter)
        r = option.rect
        area = QRect(int((r.x() + 2) * scale), int((r.y() + 2) * scale), int(THUMB * scale), int(THUMB * scale))
        geo = layout(state.shape, area, box, scale)
        paint_grid(painter, state, GridColors.from_palette(option.palette), area, scale, geo)
        painter.restore()

    def initStyleOption(self, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        super().initStyleOption(option, index)
        option.rect = option.rect.adjusted(THUMB + 8, 0, 0, 0)

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + THUMB + 8, max(size.height(), THUMB + 4))


class PuzzleLibrary(QWidget):
    """The list, its filters, and buttons to open or build a dataset and to refresh."""

    entry_activated = Signal(object)  # LibraryEntry
    open_dataset_clicked = Signal()
    build_dataset_clicked = Signal()
    refresh_clicked = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.model = LibraryModel(self)
        self.proxy = LibraryFilter(self)
        self.proxy.setSourceModel(self.model)

        self.search = QLineEdit()
        self.search.setObjectName("library_search")
        self.search.setPlaceholderText("Search puzzles\u2026")
        self.search.setClearButtonEnabled(True)
        self.family_box = QComboBox()
        self.family_box.addItem("All families", "")
        for family in FAMILIES:
            self.family_box.addItem(family.upper() if family == "arc" else family.capitalize(), family)
        self.split_box = QComboBox()
        self.split_box.addItem("All splits", "")
        for text in ("example", "saved", "train", "test"):
            self.split_box.addItem(text, text)
        for widget in (self.family_box, self.split_box):
            widget.currentIndexChanged.connect(self._on_filters_changed)
        self.search.textChanged.connect(self._on_filters_changed)

        self.view = QTableView()
        self.view.setObjectName("library_view")
        self.view.setModel(self.proxy)
        self.view.setItemDelegateForColumn(0, ThumbnailDelegate(self.view))
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setSortingEnabled(True)
        self.view.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        self.view.verticalHeader().setDefaultSectionSize(THUMB + 6)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((190, 58, 50, 78, 52, 90)):
            self.view.setColumnWidth(col, width)
        self.view.setWordWrap(False)
        self.view.activated.connect(self._on_view_activated)

        buttons = QHBoxLayout()
        for text, signal, tip in (("Open dataset\u2026", self.open_dataset_clicked, "Browse a dataset file (.h5)"),
                                  ("Build dataset\u2026", self.build_dataset_clicked,
                                   "Generate or import a dataset with the engine"),
                                  ("Refresh", self.refresh_clicked, "Re-read examples and saved puzzles")):
            button = QToolButton()
            button.setText(text)
            button.setToolTip(tip)
            button.clicked.connect(signal)
            buttons.addWidget(button)
        buttons.addStretch(1)

        filters = QHBoxLayout()
        filters.addWidget(self.family_box)
        filters.addWidget(self.split_box)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 0, 6)
        layout.addWidget(self.search)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)

    def entries(self) -> list[LibraryEntry]:
        return list(self.model.entries)

    def visible_entries(self) -> list[LibraryEntry]:
        return [self.model.entries[self.proxy.mapToSource(self.proxy.index(r, 0)).row()]
                for r in range(self.proxy.rowCount())]

    def set_source(self, source: str, entries: list[LibraryEntry]) -> None:
        """Replace every entry of `source` (a folder rescanned, a dataset reopened)."""
        self.model.remove_source(source)
        self.model.add(entries)

    def _on_filters_changed(self, *_args) -> None:
        self.proxy.set_filters(self.family_box.currentData(), self.split_box.currentData(), self.search.text())

    def _on_view_activated(self, index: QModelIndex) -> None:
        self.entry_activated.emit(self.model.entries[self.proxy.mapToSource(index).row()])
