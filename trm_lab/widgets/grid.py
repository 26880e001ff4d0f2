"""GridView: shows a numpy grid with per-cell layers; the base of GridEditor, the ARC task view and the
recursion inspector's grids. Numpy in, signals out; it never edits its grid itself.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QEvent, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import QMouseEvent, QPainter, QPaintEvent
from PySide6.QtWidgets import QSizePolicy, QWidget

from .grid_paint import GridColors, GridGeometry, GridState, device_scale, layout, paint_grid, with_grid
from .palette import ARC_PALETTE, CellPalette

_LAYERS = ("fixed", "marks", "text", "shading", "highlight", "tint", "outline", "verdict")


def _as_layer(name: str, value: np.ndarray | None, shape: tuple[int, int]) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.shape != shape:
        raise ValueError(f"{name} layer has shape {arr.shape}, the grid is {shape}")
    return arr


class GridView(QWidget):
    """A crisp, zoomable view of a 2-D int grid.

    Layers (each an (H, W) array or None): `fixed` (bool, givens), `marks` (int bitmask of pencil
    marks), `text` (str per cell), `shading` (float 0..1), `highlight` (bool, conflicts), `tint`
    (bool), `outline` (bool, e.g. changed cells), `verdict` (+1 right / -1 wrong).
    """

    cell_clicked = Signal(int, int)  # (row, col) pressed with the left button
    cursor_moved = Signal(int, int)
    selection_changed = Signal(object)  # (r0, c0, r1, c1) inclusive, or None

    def __init__(self, grid: np.ndarray | None = None, palette: CellPalette = ARC_PALETTE,
                 parent: QWidget | None = None):
        super().__init__(parent)
        self._state = GridState(palette=palette)
        self._cell_size: int | None = None  # None: fit the widget
        self._geometry_key: tuple | None = None
        self._geometry: GridGeometry | None = None
        self._colors = GridColors.from_palette(self.palette())
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(40, 40)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        if grid is not None:
            self.set_grid(grid)

    # ---- state ------------------------------------------------------------------------------------
    @property
    def state(self) -> GridState:
        return self._state

    def grid(self) -> np.ndarray:
        """The grid shown (a read-only view: set a new one with set_grid)."""
        view = self._state.grid.view()
        view.flags.writeable = False
        return view

    @property
    def shape(self) -> tuple[int, int]:
        return self._state.shape

    def set_grid(self, grid: np.ndarray) -> None:
        """Show `grid`; layers of another shape are dropped, cursor and selection kept if they fit."""
        grid = np.array(grid, dtype=np.int64, copy=True)
        if grid.ndim != 2 or grid.size == 0:
            raise ValueError(f"a grid must be a non-empty 2-D array, got shape {grid.shape}")
        old = self._state
        self._state = with_grid(old, grid)
        if old.grid.shape == grid.shape:
            self._state.cursor, self._state.selection = old.cursor, old.selection
        self._update_minimum()
        self.update()

    def set_cell_palette(self, palette: CellPalette) -> None:
        self._state.palette = palette
        self.update()

    def set_box(self, box: tuple[int, int] | None) -> None:
        self._state.box = box
        self.update()

    def set_layer(self, name: str, value: np.ndarray | None) -> None:
        """Set one per-cell layer (see the class docstring) or clear it with None."""
        if name not in _LAYERS:
            raise ValueError(f"unknown layer {name!r}; layers are {', '.join(_LAYERS)}")
        setattr(self._state, name, _as_layer(name, value, self.shape))
        self.update()

    def layer(self, name: str) -> np.ndarray | None:
        return getattr(self._state, name)

    def clear_layers(self) -> None:
        for name in _LAYERS:
            setattr(self._state, name, None)
        self.update()

    def set_show_numbers(self, on: bool) -> None:
        self._state.show_numbers = bool(on)
        self.update()

    @property
    def show_numbers(self) -> bool:
        return self._state.show_numbers

    # ---- cursor and selection ---------------------------------------------------------------------
    @property
    def cursor(self) -> tuple[int, int] | None:
        return self._state.cursor

    def set_cursor(self, cell: tuple[int, int] | None) -> None:
        if cell is not None:
            rows, cols = self.shape
            cell = (min(max(cell[0], 0), rows - 1), min(max(cell[1], 0), cols - 1))
        if cell != self._state.cursor:
            self._state.cursor = cell
            self.update()
            if cell is not None:
                self.cursor_moved.emit(*cell)

    @property
    def selection(self) -> tuple[int, int, int, int] | None:
        return self._state.selection

    def set_selection(self, sel: tuple[int, int, int, int] | None) -> None:
        if sel is not None:
            r0, c0, r1, c1 = sel
            rows, cols = self.shape
            r0, r1 = sorted((min(max(r0, 0), rows - 1), min(max(r1, 0), rows - 1)))
            c0, c1 = sorted((min(max(c0, 0), cols - 1), min(max(c1, 0), cols - 1)))
            sel = (r0, c0, r1, c1)
        if sel != self._state.selection:
            self._state.selection = sel
            self.update()
            self.selection_changed.emit(sel)

    # ---- zoom -------------------------------------------------------------------------------------
    def set_cell_size(self, px: int | None) -> None:
        """Fix the cell size in logical pixels (zoom), or None to fit the widget."""
        self._cell_size = None if px is None else max(2, int(px))
        self._update_minimum()
        self.update()

    @property
    def cell_size(self) -> int | None:
        return self._cell_size

    def _update_minimum(self) -> None:
        rows, cols = self.shape
        if self._cell_size is None:
            self.setMinimumSize(40, 40)
        else:
            self.setMinimumSize(cols * (self._cell_size + 1) + 8, rows * (self._cell_size + 1) + 8)

    def sizeHint(self) -> QSize:
        rows, cols = self.shape
        cell = self._cell_size or max(12, min(36, 480 // max(rows, cols)))
        return QSize(cols * (cell + 1) + 8, rows * (cell + 1) + 8)

    # ---- geometry ---------------------------------------------------------------------------------
    def geometry_for(self, scale: float) -> GridGeometry:
        """Cell positions in device pixels for painting at `scale` (device pixel ratio); cached."""
        key = (self.width(), self.height(), scale, self.shape, self._state.box, self._cell_size)
        if self._geometry_key != key:
            area = QRect(0, 0, int(self.width() * scale), int(self.height() * scale)).adjusted(
                int(2 * scale), int(2 * scale), -int(2 * scale), -int(2 * scale))
            cell = None if self._cell_size is None else int(self._cell_size * scale)
            self._geometry = layout(self.shape, area, self._state.box, scale, cell)
            self._geometry_key = key
        return self._geometry

    def cell_at(self, pos: QPointF) -> tuple[int, int] | None:
        """The cell under a point in widget (logical) coordinates, or None."""
        scale = self.devicePixelRatioF()
        return self.geometry_for(scale).cell_at(pos.x() * scale, pos.y() * scale)

    def cell_rect(self, row: int, col: int) -> QRect:
        """A cell's rectangle in widget (logical) coordinates (for tests and tooltips)."""
        scale = self.devicePixelRatioF()
        r = self.geometry_for(scale).cell_rect(row, col)
        return QRect(int(r.x() / scale), int(r.y() / scale), max(1, int(r.width() / scale)),
                     max(1, int(r.height() / scale)))

    # ---- painting ---------------------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: ARG002 - Qt signature
        painter = QPainter(self)
        scale = device_scale(painter)
        painter.fillRect(QRect(0, 0, int(self.width() * scale) + 1, int(self.height() * scale) + 1),
                         self._colors.background)
        paint_grid(painter, self._state, self._colors, QRect(), scale, self.geometry_for(scale))
        if self.hasFocus() and self._state.cursor is None:
            painter.setPen(self._colors.cursor)
            painter.drawRect(QRect(0, 0, int(self.width() * scale) - 1, int(self.height() * scale) - 1))
        painter.end()

    @property
    def colors(self) -> GridColors:
        return self._colors

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.ApplicationPaletteChange):
            self._colors = GridColors.from_palette(self.palette())
            self.update()
        super().changeEvent(event)

    # ---- mouse: subclasses refine press/drag/release ----------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:
        cell = self.cell_at(event.position())
        if cell is None:
            return super().mousePressEvent(event)
        self._pressed(cell, event.button(), event.modifiers())
        event.accept()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if event.buttons() == Qt.MouseButton.NoButton:
            return super().mouseMoveEvent(event)
        cell = self.cell_at(event.position())
        if cell is not None:
            self._dragged(cell, event.modifiers())
        event.accept()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._released()
        event.accept()

    def _pressed(self, cell: tuple[int, int], button: Qt.MouseButton, modifiers) -> None:
        if button == Qt.MouseButton.LeftButton:
            self.set_cursor(cell)
            self.cell_clicked.emit(*cell)

    def _dragged(self, cell: tuple[int, int], modifiers) -> None:
        pass

    def _released(self) -> None:
        pass
