"""SudokuEditor: 9x9 and 4x4 Sudoku with givens distinct from entries, pencil marks, conflicts
highlighted as you type, the cursor's row, column, box and equal digits shaded, "show mistakes" and a
one-cell hint from the unique solution, the engine's counting solver and rated generator.

The document holds "cells" (every digit shown), "fixed" (1 where the digit is a given) and "marks"
(pencil-mark bitmasks). In "Edit givens" mode typed digits become givens; otherwise they are
entries and the givens are locked.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QListWidgetItem, QWidget

from trm_engine.puzzles import Problem, get_family
from trm_engine.puzzles.base import cell_name, read_text
from trm_engine.puzzles.files import atomic_write_text
from trm_engine.puzzles.generate import SudokuSettings, generate_sudoku

from ... import export
from ...document import CellsCommand, GridCommand
from ...widgets.grid_editor import GridEdit, GridEditor
from ...widgets.grid_paint import GridState
from ...widgets.palette import PaletteBar, digit_palette
from . import sudoku_help
from .editor import PuzzleEditor

# Difficulty = the engine's rating (dead ends met by a full search): 0 = singles only.
DIFFICULTIES = {"Easy": (0, 0), "Medium": (1, 10), "Hard": (20, -1)}


def grids_for(puzzle: np.ndarray) -> dict[str, np.ndarray]:
    """Document grids for a puzzle whose non-zero digits are givens."""
    p = np.asarray(puzzle, dtype=np.int64)
    return {"cells": p.copy(), "fixed": (p > 0).astype(np.int64), "marks": np.zeros_like(p)}


class SudokuEditor(PuzzleEditor):
    family_name = "sudoku"
    title = "Sudoku"
    file_filter = "Sudoku (*.sudoku *.txt)"
    default_suffix = ".sudoku"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.family = get_family("sudoku")
        self.grid = GridEditor(np.zeros((9, 9), dtype=np.int64), digit_palette(9), digit_keys="enter")
        self.grid.setObjectName("sudoku_grid")
        self.grid.toggle_clear = False
        self.pads = {n: PaletteBar(digit_palette(n), show_current=False) for n in (9, 4)}  # a digit pad per size
        for pad in self.pads.values():
            pad.setToolTip("Click a digit to enter it into the selected cells (\u00d7 clears)")
            pad.value_picked.connect(self._on_pad_value_picked)

        self.givens_action = QAction("Edit givens", self, checkable=True)
        self.givens_action.setToolTip("Typed digits become the puzzle's givens (G)")
        self.givens_action.setShortcut("G")
        self.givens_action.toggled.connect(lambda _: self.refresh())
        self.pencil_action = QAction("Pencil", self, checkable=True)
        self.pencil_action.setToolTip("Digits toggle pencil marks (or hold Ctrl) (N)")
        self.pencil_action.setShortcut("N")
        self.pencil_action.toggled.connect(self._on_pencil_toggled)
        self.mistakes_action = QAction("Show mistakes", self, checkable=True)
        self.mistakes_action.setToolTip("Mark entries that differ from the puzzle's unique solution (M)")
        self.mistakes_action.setShortcut("M")
        self.mistakes_action.toggled.connect(lambda _: self.revalidate())
        self.hint_action = QAction("Hint", self, triggered=self.hint)
        self.hint_action.setToolTip("Fill one cell from the solution: a wrong entry first, else the "
                                    "cell with the fewest candidates (H)")
        self.hint_action.setShortcut("H")
        for action in (self.givens_action, self.pencil_action, self.mistakes_action, self.hint_action):
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(action)
        self.toolbar.addAction(self.givens_action)
        self.toolbar.addAction(self.pencil_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.mistakes_action)
        self.toolbar.addAction(self.hint_action)
        self.toolbar.addSeparator()
        self.add_common_actions()
        self.generate_menu_actions([(f"{name} {n}x{n}", lambda d=name, b=box: self.generate(d, b))
                                    for box, n in ((3, 9), (2, 4)) for name in DIFFICULTIES])
        self.build_layout(self.grid, list(self.pads.values()))
        self.grid.cells_edited.connect(self._on_grid_cells_edited)
        self.grid.cursor_moved.connect(self._on_grid_cursor_moved)
        self._solved: tuple[bytes, object] | None = None  # (givens, SolveResult) of the last solve
        self.new_puzzle(3)

    # ---- document ---------------------------------------------------------------------------------
    @property
    def givens(self) -> np.ndarray:
        return np.where(self.doc.grid("fixed") > 0, self.doc.grid("cells"), 0)

    @property
    def cells(self) -> np.ndarray:
        return self.doc.grid("cells").copy()

    def new_puzzle(self, box: int = 3) -> None:
        n = box * box
        self._set_box(box)
        self.load_grids(grids_for(np.zeros((n, n), dtype=np.int64)))
        self.givens_action.setChecked(True)

    def _set_box(self, box: int) -> None:
        if box != getattr(self.family, "box", None):
            self.family = get_family("sudoku", box=box)
        self.grid.set_cell_palette(digit_palette(box * box))
        self.grid.set_box((box, box))
        for n, pad in self.pads.items():
            pad.setVisible(n == box * box)

    def load_grids(self, grids, path: Path | None = None) -> None:
        n = grids["cells"].shape[0]
        self._set_box(int(round(n ** 0.5)))
        super().load_grids(grids, path)
        self.givens_action.setChecked(not grids["fixed"].any())

    def refresh(self) -> None:
        if "cells" not in self.doc:
            return
        cells, fixed = self.doc.grid("cells"), self.doc.grid("fixed") > 0
        if cells.shape[0] != self.family.n:
            self._set_box(int(round(cells.shape[0] ** 0.5)))
        self.grid.set_grid(cells)
        self.grid.set_layer("fixed", fixed)
        self.grid.set_layer("marks", self.doc.grid("marks"))
        self.grid.set_locked(None if self.givens_action.isChecked() else fixed)
        self._show_peers()

    def focus_grid(self) -> GridEditor:
        return self.grid

    def _on_grid_cursor_moved(self, _row: int, _col: int) -> None:
        self._show_peers()

    def _show_peers(self) -> None:
        """Shade the cursor cell's row, column and box lightly and the cells holding its digit more."""
        cells = self.doc.grid("cells") if "cells" in self.doc else None
        cursor = self.grid.cursor
        if cells is None or cursor is None or cells.shape != self.grid.shape:
            self.grid.set_layer("shading", None)
            return
        r, c = cursor
        box = self.family.box
        rows, cols = np.indices(cells.shape)
        peers = (rows == r) | (cols == c) | ((rows // box == r // box) & (cols // box == c // box))
        shade = np.where(peers, 0.18, 0.0)
        if cells[r, c]:
            shade[cells == cells[r, c]] = 0.4
        self.grid.set_layer("shading", shade)

    # ---- editing ----------------------------------------------------------------------------------
    def _on_grid_cells_edited(self, edit: GridEdit) -> None:
        stack, values = self.doc.undo_stack, np.asarray(edit.values)
        if edit.layer == "marks":
            stack.push(CellsCommand(self.doc, "marks", edit.rows, edit.cols, values, edit.label))
            return
        givens_mode = self.givens_action.isChecked()
        stack.beginMacro(("Given: " if givens_mode else "") + edit.label)
        stack.push(CellsCommand(self.doc, "cells", edit.rows, edit.cols, values, edit.label))
        if givens_mode:
            stack.push(CellsCommand(self.doc, "fixed", edit.rows, edit.cols, (values > 0).astype(int), ""))
        written = values > 0
        if written.any():  # a digit replaces the cell's pencil marks
            rows, cols = np.asarray(edit.rows)[written], np.asarray(edit.cols)[written]
            stack.push(CellsCommand(self.doc, "marks", rows, cols, np.zeros(len(rows), dtype=int), ""))
        stack.endMacro()

    def _on_pad_value_picked(self, value: int) -> None:
        if self.pencil_action.isChecked() and value:
            self.grid.toggle_mark(value)
        else:
            self.grid.enter_value(value)
        self.grid.setFocus()

    def _on_pencil_toggled(self, on: bool) -> None:
        self.grid.pencil = on

    # ---- validation -------------------------------------------------------------------------------
    def validate(self) -> list[Problem]:
        if "cells" not in self.doc:
            return []
        cells = self.doc.grid("cells")
        problems = self.family.validate(cells)
        n = self.family.n
        fixed = self.doc.grid("fixed") > 0
        n_givens, n_entries = int(fixed.sum()), int(((cells > 0) & ~fixed).sum())
        text = f"{n}x{n} Sudoku: {n_givens} givens, {n_entries} entries"
        if not problems and (cells > 0).all():
            text += " \u2014 solved!" if not self.family.check_solution(self.givens, cells) else ""
        if self.mistakes_action.isChecked() and not self.givens_action.isChecked():
            result = self.solution()
            if result.count != 1:
                text += " \u2014 mistakes cannot be shown: the puzzle has " + (
                    "no solution" if result.count == 0 else "more than one solution")
            else:
                wrong = sudoku_help.wrong_entries(cells, fixed, result.solution)
                if wrong:
                    problems = [*problems, Problem(f"{len(wrong)} entr{'y differs' if len(wrong) == 1 else 'ies differ'}"
                                                   f" from the solution: {sudoku_help.names(wrong)}", tuple(wrong))]
        self.description = text
        return problems

    def solution(self):
        """The solver's result for the current givens (kept while the givens stay the same)."""
        givens = self.givens
        key = givens.tobytes() + bytes(givens.shape)
        if self._solved is None or self._solved[0] != key:
            self._solved = (key, self.family.solve(givens))  # plain Python: milliseconds
        return self._solved[1]

    def show_problems(self, problems: list[Problem]) -> None:
        mask = np.zeros(self.doc.grid("cells").shape, dtype=bool)
        for problem in problems:
            for r, c in problem.cells:
                mask[r, c] = True
        self.grid.set_layer("highlight", mask if mask.any() else None)

    def check(self) -> None:
        """The rules now; then, off the GUI thread, the engine's solver: one solution, none, or several."""
        if self.revalidate():
            self.status_posted.emit(f"{len(self.problems)} problem(s)")
            return
        self.run_job("Check Sudoku", self.family.solve, self.givens, on_finished=self._on_check_finished)

    def _on_check_finished(self, result) -> None:
        """No solution, several, or one: then every entry that differs from it is named, conflict or not."""
        if result.count != 1:
            message = "the puzzle has " + ("no solution" if result.count == 0 else "more than one solution")
            self.validation.addItem(message)
            self.validation.setVisible(True)
            self.set_note(message)
            return
        cells, fixed = self.doc.grid("cells"), self.doc.grid("fixed")
        wrong = sudoku_help.wrong_entries(cells, fixed, result.solution)
        if not wrong:
            right = " and every entry so far is right" if ((cells > 0) & (fixed == 0)).any() else ""
            self.set_note(f"a proper puzzle: exactly one solution{right}.")
            return
        for r, c in wrong:
            item = QListWidgetItem(f"{cell_name(r, c)}: {cells[r, c]} is wrong (no conflict in its row, "
                                   "column or box, but the solution differs)")
            item.setData(Qt.ItemDataRole.UserRole, ((r, c),))
            self.validation.addItem(item)
        self.validation.setVisible(True)
        self.show_problems([Problem("wrong entries", tuple(wrong))])
        self.set_note(f"a proper puzzle, but {len(wrong)} entr{'y is' if len(wrong) == 1 else 'ies are'} "
                      f"wrong: {sudoku_help.names(wrong)}.")
        self.status_posted.emit(f"{len(wrong)} wrong entr{'y' if len(wrong) == 1 else 'ies'}")

    def hint(self) -> None:
        """Fill one cell from the solution (a wrong entry first) as one undoable step."""
        result = self.solution()
        if result.count != 1:
            self.set_note("No hint: the puzzle has " + ("no solution." if result.count == 0
                                                        else "more than one solution."))
            return
        cells, fixed = self.doc.grid("cells"), self.doc.grid("fixed")
        cell = sudoku_help.hint_cell(cells, fixed, result.solution, self.family.box)
        if cell is None:
            self.set_note("No hint needed: every cell is filled and right.")
            return
        r, c = cell
        digit = int(result.solution[r, c])
        was = int(cells[r, c])
        stack = self.doc.undo_stack
        stack.beginMacro(f"Hint {cell_name(r, c)}")
        stack.push(CellsCommand(self.doc, "cells", (r,), (c,), (digit,), ""))
        stack.push(CellsCommand(self.doc, "marks", (r,), (c,), (0,), ""))
        stack.endMacro()
        self.grid.set_cursor(cell)
        self.set_note(f"hint: {cell_name(r, c)} is {digit}" + (f" (it held a wrong {was})." if was else "."))

    # ---- solve and generate -----------------------------------------------------------------------
    def solve(self) -> None:
        problems = self.family.validate(self.givens)
        if problems:
            self.set_note(f"Cannot solve: {problems[0].message}")
            return
        self.run_job("Solve Sudoku", self.family.solve, self.givens, on_finished=self._on_solve_finished)

    def _on_solve_finished(self, result) -> None:
        if result.count == 0:
            self.set_note("The puzzle has no solution.")
            self.status_posted.emit("No solution")
            return
        replaced = sudoku_help.replaced_text(self.doc.grid("cells"), self.doc.grid("fixed"), result.solution)
        self.doc.undo_stack.push(GridCommand(self.doc, "cells", result.solution, "Solve"))
        note = "unique solution" if result.count == 1 else "first of several solutions: the puzzle has more than one solution"
        rating = result.extra.get("rating", result.backtracks)
        self.set_note(f"filled the {note} (difficulty rating {rating}){replaced}.")
        self.status_posted.emit(f"Solved ({note})")

    def generate(self, difficulty: str, box: int = 3) -> None:
        lo, hi = DIFFICULTIES[difficulty] if box == 3 else (0, -1)
        settings = SudokuSettings(box=box, min_rating=lo, max_rating=hi)
        self.run_job(f"Generate {difficulty.lower()} Sudoku", generate_sudoku, 1, secrets.randbelow(2**31),
                     settings, on_finished=self._on_generate_finished, stale_ok=True, engine="auto")

    def _on_generate_finished(self, generated) -> None:
        n = int(round(generated.puzzles.shape[1] ** 0.5))
        puzzle = generated.puzzles[0].reshape(n, n).astype(np.int64)
        self._set_box(int(round(n ** 0.5)))
        self.replace_grids(grids_for(puzzle), "Generate")
        self.givens_action.setChecked(False)
        self.set_note(f"generated, difficulty rating {int(generated.ratings[0])}.")

    # ---- files ------------------------------------------------------------------------------------
    def grids_from_file(self, path: Path) -> dict[str, np.ndarray]:
        return grids_for(parse_sudoku(read_text(path), str(path)))

    def write_file(self, path: Path) -> None:
        atomic_write_text(path, self.family.format(self.givens))

    def export_picture(self, path: Path) -> None:
        state = GridState(grid=self.doc.grid("cells"), palette=self.grid.state.palette, box=self.grid.state.box,
                          fixed=self.doc.grid("fixed") > 0, marks=self.doc.grid("marks"))
        export.export_grid(path, state, self.grid.colors)


def parse_sudoku(text: str, source: str) -> np.ndarray:
    """Parse a 9x9 or 4x4 (or 16x16) Sudoku, trying the sizes the text could be."""
    from trm_engine.errors import PuzzleError
    errors = []
    for box in (3, 2):  # the editor's sizes: 9x9 and 4x4
        try:
            return get_family("sudoku", box=box).parse(text, source)
        except PuzzleError as exc:
            errors.append(str(exc))
    chars = sum(1 for ch in text if not ch.isspace())
    if chars in (16, 81) or len([ln for ln in text.splitlines() if ln.strip()]) in (4, 9):
        raise PuzzleError(next((e for e in errors if "unknown character" in e), errors[0]))
    raise PuzzleError(errors[0])
