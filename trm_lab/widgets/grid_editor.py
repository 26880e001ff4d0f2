"""GridEditor: a GridView the user edits with the mouse and keyboard.

The editor never changes its own grid: every gesture becomes a `GridEdit` on `cells_edited`, and the
owner (a puzzle panel with an undo stack) applies it and calls `set_grid`. Tools follow the ARC
editors (paint / select / fill on D / S / F, colours on 0-9, C / V copy-paste, click again to clear)
and Sudoku apps (digits into the cursor cell, arrows, Delete / Backspace, pencil marks).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QGuiApplication, QKeyEvent
from PySide6.QtWidgets import QWidget

from .grid import GridView
from .palette import ARC_PALETTE, CellPalette

TOOLS = ("paint", "select", "fill")
_TOOL_KEYS = {Qt.Key.Key_D: "paint", Qt.Key.Key_S: "select", Qt.Key.Key_F: "fill"}
_ARROWS = {Qt.Key.Key_Left: (0, -1), Qt.Key.Key_Right: (0, 1), Qt.Key.Key_Up: (-1, 0), Qt.Key.Key_Down: (1, 0)}


@dataclass(frozen=True)
class GridEdit:
    """Cells changed by one gesture. Edits sharing a `stroke` id are one drag: one undo step."""

    rows: tuple[int, ...]
    cols: tuple[int, ...]
    values: tuple[int, ...]
    label: str
    stroke: int
    layer: str = "grid"  # "grid" (cell values) or "marks" (pencil-mark bitmasks)

    def __len__(self) -> int:
        return len(self.rows)


def flood_region(grid: np.ndarray, start: tuple[int, int]) -> np.ndarray:
    """The 4-connected region of cells with the same value as `start` (bool mask)."""
    target, mask = grid[start], np.zeros(grid.shape, dtype=bool)
    queue = deque([start])
    mask[start] = True
    while queue:
        r, c = queue.popleft()
        for nr, nc in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if 0 <= nr < grid.shape[0] and 0 <= nc < grid.shape[1] and not mask[nr, nc] \
                    and grid[nr, nc] == target:
                mask[nr, nc] = True
                queue.append((nr, nc))
    return mask


def line_cells(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """Cells on the segment from a to b, both included (Bresenham), so fast drags leave no gaps."""
    (r0, c0), (r1, c1) = a, b
    dr, dc = abs(r1 - r0), -abs(c1 - c0)
    sr, sc = (1 if r1 > r0 else -1), (1 if c1 > c0 else -1)
    err, cells = dr + dc, []
    while True:
        cells.append((r0, c0))
        if (r0, c0) == (r1, c1):
            return cells
        e2 = 2 * err
        if e2 >= dc:
            err += dc
            r0 += sr
        if e2 <= dr:
            err += dr
            c0 += sc


def grid_to_text(grid: np.ndarray) -> str:
    """Rows of digits (space-separated when a value has two digits): the clipboard format."""
    sep = " " if grid.size and grid.max() > 9 else ""
    return "\n".join(sep.join(str(int(v)) for v in row) for row in grid)


def text_to_grid(text: str) -> np.ndarray | None:
    """Parse grid_to_text's format; None when the text is not a rectangle of numbers."""
    lines = [ln.split() if " " in ln.strip() else list(ln.strip()) for ln in text.strip().splitlines()]
    if not lines or any(len(ln) != len(lines[0]) or not ln for ln in lines):
        return None
    try:
        return np.array([[int(v) for v in ln] for ln in lines], dtype=np.int64)
    except ValueError:
        return None


class GridEditor(GridView):
    """An editable GridView. `digit_keys="enter"` types digits into cells (Sudoku); `"pick"` makes
    digit keys pick the current value (ARC colours; `key_values` maps a key to a value)."""

    cells_edited = Signal(object)  # GridEdit
    value_picked = Signal(int)
    tool_changed = Signal(str)

    def __init__(self, grid: np.ndarray | None = None, palette: CellPalette = ARC_PALETTE,
                 digit_keys: str = "pick", parent: QWidget | None = None):
        super().__init__(grid, palette, parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.digit_keys = digit_keys
        self.key_values: dict[int, int] = {d: d for d in range(10)}
        self.clear_value = 0  # what erasing writes (maze: open = 1)
        self.toggle_clear = True  # painting a cell that already has the current value clears it
        self.editable = True
        self.pencil = False  # digits toggle pencil marks instead of entering values
        self._tool = "paint" if digit_keys == "pick" else "select"
        self._current = 1 if digit_keys == "pick" else 0
        self._locked: np.ndarray | None = None
        self._stroke = 0
        self._stroke_value: int | None = None
        self._last_cell: tuple[int, int] | None = None
        self._anchor: tuple[int, int] | None = None

    # ---- settings ---------------------------------------------------------------------------------
    @property
    def tool(self) -> str:
        return self._tool

    def set_tool(self, tool: str) -> None:
        if tool not in TOOLS:
            raise ValueError(f"unknown tool {tool!r}; tools are {', '.join(TOOLS)}")
        if tool != self._tool:
            self._tool = tool
            self.tool_changed.emit(tool)

    @property
    def current_value(self) -> int:
        return self._current

    def set_current_value(self, value: int) -> None:
        """The value painting and filling write (no signal; value_picked is for the user's picks)."""
        self._current = int(value)

    def set_locked(self, mask: np.ndarray | None) -> None:
        """Cells the user may not change (Sudoku givens while solving)."""
        self._locked = None if mask is None else np.asarray(mask, dtype=bool)

    def _max_value(self) -> int:
        return len(self.state.palette) - 1

    # ---- emitting edits ---------------------------------------------------------------------------
    def _editable_cells(self, cells: list[tuple[int, int]]) -> list[tuple[int, int]]:
        if self._locked is None or self._locked.shape != self.shape:
            return cells
        return [cell for cell in cells if not self._locked[cell]]

    def _emit(self, cells: list[tuple[int, int]], values: list[int] | int, label: str,
              layer: str = "grid", new_stroke: bool = True) -> bool:
        """Emit an edit of the cells whose value actually changes; True if one was emitted."""
        if not self.editable:
            return False
        if isinstance(values, int):
            values = [values] * len(cells)
        source = self.grid() if layer == "grid" else self._marks_or_zero()
        pairs = dict(zip(cells, values))
        allowed = set(self._editable_cells(list(pairs)))
        changed = [(cell, v) for cell, v in pairs.items() if cell in allowed and int(source[cell]) != v]
        if not changed:
            return False
        if new_stroke:
            self._stroke += 1
        self.cells_edited.emit(GridEdit(
            tuple(c[0] for c, _ in changed), tuple(c[1] for c, _ in changed),
            tuple(int(v) for _, v in changed), label, self._stroke, layer))
        return True

    def _marks_or_zero(self) -> np.ndarray:
        marks = self.layer("marks")
        return marks if marks is not None else np.zeros(self.shape, dtype=np.int64)

    def _target_cells(self) -> list[tuple[int, int]]:
        """The selection if there is one, else the cursor cell."""
        if self.selection is not None:
            r0, c0, r1, c1 = self.selection
            return [(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
        return [self.cursor] if self.cursor is not None else []

    # ---- public editing operations (also behind menu actions) -------------------------------------
    def pick_value(self, value: int) -> None:
        """Make `value` current; with the select tool and a selection, also fill the selection
        (the ARC testing interface's "select, then click a colour")."""
        self._current = int(value)
        self.value_picked.emit(self._current)
        if self._tool == "select" and self.selection is not None:
            self.enter_value(self._current)

    def enter_value(self, value: int) -> bool:
        """Write `value` into the selection or cursor cell."""
        label = "Clear" if value == self.clear_value else f"Enter {self.state.palette.label(value) or value}"
        return self._emit(self._target_cells(), value, label)

    def toggle_mark(self, digit: int) -> bool:
        """Toggle pencil mark `digit` in the target cells (on everywhere unless all already have it)."""
        cells = [c for c in self._editable_cells(self._target_cells()) if self.grid()[c] == 0]
        if not cells or not 1 <= digit <= self._max_value():
            return False
        marks, bit = self._marks_or_zero(), 1 << digit
        turn_on = not all(int(marks[c]) & bit for c in cells)
        values = [(int(marks[c]) | bit) if turn_on else (int(marks[c]) & ~bit) for c in cells]
        return self._emit(cells, values, f"Mark {digit}", layer="marks")

    def delete(self) -> bool:
        """Clear the target cells; cells already clear lose their pencil marks instead."""
        if self._emit(self._target_cells(), self.clear_value, "Clear"):
            return True
        if self.layer("marks") is not None:
            return self._emit(self._target_cells(), 0, "Clear marks", layer="marks")
        return False

    def select_all(self) -> None:
        rows, cols = self.shape
        self.set_selection((0, 0, rows - 1, cols - 1))

    def copy_selection(self) -> np.ndarray:
        """Copy the selection (or the whole grid) to the clipboard as rows of digits."""
        if self.selection is not None:
            r0, c0, r1, c1 = self.selection
            part = self.grid()[r0:r1 + 1, c0:c1 + 1].copy()
        else:
            part = self.grid().copy()
        QGuiApplication.clipboard().setText(grid_to_text(part))
        return part

    def paste(self) -> bool:
        """Paste the clipboard's grid with its top-left at the selection's (or cursor's) top-left."""
        part = text_to_grid(QGuiApplication.clipboard().text())
        if part is None or part.min() < 0 or part.max() > self._max_value():
            return False
        if self.selection is not None:
            r0, c0 = self.selection[:2]
        else:
            r0, c0 = self.cursor or (0, 0)
        rows, cols = self.shape
        h, w = min(part.shape[0], rows - r0), min(part.shape[1], cols - c0)
        cells = [(r0 + r, c0 + c) for r in range(h) for c in range(w)]
        values = [int(part[r, c]) for r in range(h) for c in range(w)]
        self._emit(cells, values, "Paste")
        self.set_selection((r0, c0, r0 + h - 1, c0 + w - 1))
        return True

    # ---- mouse ------------------------------------------------------------------------------------
    def _pressed(self, cell: tuple[int, int], button: Qt.MouseButton, modifiers) -> None:
        self.setFocus(Qt.FocusReason.MouseFocusReason)
        self._last_cell = cell
        if self._tool == "select" or not self.editable:
            self._press_select(cell, modifiers)
        elif self._tool == "fill":
            value = self.clear_value if button == Qt.MouseButton.RightButton else self._current
            self._emit(_cells_of(flood_region(self.grid(), cell)), value, "Fill")
        else:
            value = self._current
            if button == Qt.MouseButton.RightButton or (self.toggle_clear and self.grid()[cell] == value):
                value = self.clear_value
            self._stroke_value = value
            self._emit([cell], value, "Paint")
        if button == Qt.MouseButton.LeftButton:
            self.cell_clicked.emit(*cell)

    def _press_select(self, cell: tuple[int, int], modifiers) -> None:
        if modifiers & Qt.KeyboardModifier.ShiftModifier and self.cursor is not None:
            self._anchor = self._anchor or self.cursor
            self.set_selection((*self._anchor, *cell))
            return
        self._anchor = cell
        self.set_cursor(cell)
        self.set_selection(None if self.digit_keys == "enter" else (*cell, *cell))

    def _dragged(self, cell: tuple[int, int], modifiers) -> None:
        if cell == self._last_cell:
            return
        if self._tool == "select" or not self.editable:
            if self._anchor is not None:
                self.set_selection((*self._anchor, *cell))
        elif self._tool == "paint" and self._stroke_value is not None and self._last_cell is not None:
            self._emit(line_cells(self._last_cell, cell), self._stroke_value, "Paint", new_stroke=False)
        self._last_cell = cell

    def _released(self) -> None:
        self._stroke_value = None
        self._last_cell = None

    # ---- keyboard ---------------------------------------------------------------------------------
    def event(self, event: QEvent) -> bool:
        # Ctrl+digit is a pencil mark while a Sudoku grid has focus, not the window's Ctrl+N area shortcut.
        if event.type() == QEvent.Type.ShortcutOverride and self.digit_keys == "enter" \
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier \
                and Qt.Key.Key_1 <= event.key() <= Qt.Key.Key_9:
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self._handle_key(event):
            super().keyPressEvent(event)

    def _handle_key(self, event: QKeyEvent) -> bool:
        key, mods = event.key(), event.modifiers()
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        if key in _ARROWS:
            self._move_cursor(*_ARROWS[key], extend=bool(mods & Qt.KeyboardModifier.ShiftModifier))
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete()
            return True
        if key == Qt.Key.Key_Escape and self.selection is not None:
            self.set_selection(None)
            return True
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9:
            return self._digit(key - Qt.Key.Key_0, ctrl)
        if self.digit_keys == "pick" and not ctrl:
            if key in _TOOL_KEYS:
                self.set_tool(_TOOL_KEYS[key])
                return True
            if key == Qt.Key.Key_C:
                self.copy_selection()
                return True
            if key == Qt.Key.Key_V:
                return self.paste()
        return False

    def _digit(self, digit: int, ctrl: bool) -> bool:
        if self.digit_keys == "pick":
            if digit not in self.key_values:
                return False
            self.pick_value(self.key_values[digit])
            return True
        if digit == 0:
            self.delete()
        elif digit <= self._max_value():
            if self.pencil or ctrl:
                self.toggle_mark(digit)
            else:
                self.enter_value(digit)
        return True

    def _move_cursor(self, dr: int, dc: int, extend: bool) -> None:
        r, c = self.cursor or (0, 0)
        rows, cols = self.shape
        target = (min(max(r + dr, 0), rows - 1), min(max(c + dc, 0), cols - 1))
        if extend:
            self._anchor = self._anchor or (r, c)
            self.set_selection((*self._anchor, *target))
        else:
            self._anchor = None
            self.set_selection(None)
        self.set_cursor(target)


def _cells_of(mask: np.ndarray) -> list[tuple[int, int]]:
    return [(int(r), int(c)) for r, c in zip(*np.nonzero(mask))]
