"""The puzzle being edited (named numpy grids, Qt-signal events) and the undo commands that change it.

A document holds the grids of one puzzle under string keys: a Sudoku has "givens", "entries" and
"marks"; a maze "maze"; an ARC task "train/0/input", "train/0/output", ..., "test/0/output".
Editors never write a grid directly: they push a command on the document's QUndoStack, so every
change is undoable and the stack's clean state is the "saved" state.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack


def resized(grid: np.ndarray, height: int, width: int, fill: int) -> np.ndarray:
    """A grid of the new size keeping the top-left content (the ARC editors' rule); new cells get `fill`."""
    out = np.full((height, width), fill, dtype=np.int64)
    h, w = min(height, grid.shape[0]), min(width, grid.shape[1])
    out[:h, :w] = grid[:h, :w]
    return out


class GridDocument(QObject):
    """Named grids of one puzzle. Changed only through the commands below."""

    grid_changed = Signal(str)  # the cells of one grid changed (same shape)
    layout_changed = Signal()  # grids were added, removed, reshaped or all replaced

    def __init__(self, grids: dict[str, np.ndarray] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._grids: dict[str, np.ndarray] = {}
        self.undo_stack = QUndoStack(self)
        if grids:
            self.reset(grids)

    def keys(self) -> list[str]:
        return list(self._grids)

    def __contains__(self, key: str) -> bool:
        return key in self._grids

    def grid(self, key: str) -> np.ndarray:
        """A read-only view of one grid."""
        view = self._grids[key].view()
        view.flags.writeable = False
        return view

    def grids(self) -> dict[str, np.ndarray]:
        """Copies of all grids, in order."""
        return {k: v.copy() for k, v in self._grids.items()}

    def reset(self, grids: dict[str, np.ndarray]) -> None:
        """Start over with `grids` (opening a file): clears the undo history, marks the state clean."""
        self._grids = {k: np.array(v, dtype=np.int64) for k, v in grids.items()}
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.layout_changed.emit()

    # ---- used by the commands only ----------------------------------------------------------------
    def _write_cells(self, key: str, rows: tuple, cols: tuple, values: np.ndarray) -> None:
        self._grids[key][list(rows), list(cols)] = values
        self.grid_changed.emit(key)

    def _write_grid(self, key: str, grid: np.ndarray | None) -> None:
        if grid is None:
            self._grids.pop(key, None)
            self.layout_changed.emit()
            return
        same_shape = key in self._grids and self._grids[key].shape == grid.shape
        self._grids[key] = np.array(grid, dtype=np.int64)
        if same_shape:
            self.grid_changed.emit(key)
        else:
            self.layout_changed.emit()

    def _write_all(self, grids: dict[str, np.ndarray]) -> None:
        self._grids = {k: np.array(v, dtype=np.int64) for k, v in grids.items()}
        self.layout_changed.emit()


class CellsCommand(QUndoCommand):
    """Set some cells of one grid. Commands with the same non-zero `stroke` merge (one drag = one step)."""

    ID = 1001

    def __init__(self, doc: GridDocument, key: str, rows, cols, values, text: str, stroke: int = 0):
        super().__init__(text)
        self._doc, self._key, self._stroke = doc, key, stroke
        self._rows, self._cols = tuple(int(r) for r in rows), tuple(int(c) for c in cols)
        self._new = np.asarray(values, dtype=np.int64).reshape(-1)
        self._old = doc._grids[key][list(self._rows), list(self._cols)].copy()

    def redo(self) -> None:
        self._doc._write_cells(self._key, self._rows, self._cols, self._new)

    def undo(self) -> None:
        # Reverse order so a cell set twice in a merged stroke gets its first old value back.
        self._doc._write_cells(self._key, self._rows[::-1], self._cols[::-1], self._old[::-1])

    def id(self) -> int:
        return self.ID if self._stroke else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, CellsCommand) or other._stroke != self._stroke or other._key != self._key:
            return False
        self._rows += other._rows
        self._cols += other._cols
        self._new = np.concatenate([self._new, other._new])
        self._old = np.concatenate([self._old, other._old])
        return True


class GridCommand(QUndoCommand):
    """Replace one grid (resize, transform, copy input to output, solve); None removes it."""

    def __init__(self, doc: GridDocument, key: str, grid: np.ndarray | None, text: str):
        super().__init__(text)
        self._doc, self._key = doc, key
        self._new = None if grid is None else np.array(grid, dtype=np.int64)
        self._old = doc._grids[key].copy() if key in doc._grids else None

    def redo(self) -> None:
        self._doc._write_grid(self._key, self._new)

    def undo(self) -> None:
        self._doc._write_grid(self._key, self._old)


class DocumentCommand(QUndoCommand):
    """Replace every grid at once (add or remove an ARC pair, load a generated puzzle)."""

    def __init__(self, doc: GridDocument, grids: dict[str, np.ndarray], text: str):
        super().__init__(text)
        self._doc = doc
        self._new = {k: np.array(v, dtype=np.int64) for k, v in grids.items()}
        self._old = doc.grids()

    def redo(self) -> None:
        self._doc._write_all(self._new)

    def undo(self) -> None:
        self._doc._write_all(self._old)
