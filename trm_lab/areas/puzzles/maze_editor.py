"""MazeEditor: draw and erase walls by click-drag, place S and G, any size up to 30x30, the shortest
path shown live (engine BFS, off the GUI thread), Solve marks it, Generate draws a Maze-Hard-style maze.

Values index the HRM/TRM charset "# SGo" (0 wall, 1 open, 2 S, 3 G, 4 path).
"""

from __future__ import annotations

import secrets
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QPushButton, QSpinBox, QWidget

from trm_engine.puzzles import Problem, get_family
from trm_engine.puzzles.base import read_text
from trm_engine.puzzles.files import atomic_write_text
from trm_engine.puzzles.generate import MazeSettings, generate_mazes, maze_hard_threshold
from trm_engine.puzzles.maze import GOAL, MAX_SIDE, OPEN, PATH, START, WALL

from ... import export
from ...document import CellsCommand, GridCommand, resized
from ...widgets.grid_editor import GridEdit, GridEditor
from ...widgets.grid_paint import GridState
from ...widgets.palette import MAZE_PALETTE, PaletteBar
from ...workers import Job
from .editor import PuzzleEditor

# Difficulty = the minimum shortest-path length, as a share of the Maze-Hard threshold for the size.
DIFFICULTIES = {"Easy": 0.3, "Medium": 0.65, "Hard": 1.0}


def blank_maze(height: int, width: int) -> np.ndarray:
    """All open, S top-left, G bottom-right: a canvas to draw walls on."""
    grid = np.full((height, width), OPEN, dtype=np.int64)
    grid[0, 0], grid[-1, -1] = START, GOAL
    return grid


class MazeEditor(PuzzleEditor):
    family_name = "maze"
    title = "Maze"
    file_filter = "Maze (*.maze *.txt)"
    default_suffix = ".maze"

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.family = get_family("maze")
        self.grid = GridEditor(blank_maze(10, 10), MAZE_PALETTE, digit_keys="pick")
        self.grid.setObjectName("maze_grid")
        self.grid.key_values = {1: WALL, 2: OPEN, 3: START, 4: GOAL}
        self.grid.clear_value = OPEN
        self.grid.set_current_value(WALL)
        self.palette_bar = PaletteBar(MAZE_PALETTE, values=(WALL, OPEN, START, GOAL),
                                      keys={v: str(k) for k, v in self.grid.key_values.items()})
        self.palette_bar.value_picked.connect(self._on_palette_value_picked)
        self.grid.value_picked.connect(self.palette_bar.set_current)

        self.height_box, self.width_box = QSpinBox(), QSpinBox()
        for box in (self.height_box, self.width_box):
            box.setRange(2, MAX_SIDE)
            box.setValue(10)
        resize = QPushButton("Resize")
        resize.setToolTip("Resize to H x W keeping the top-left content")
        resize.clicked.connect(lambda: self.resize_maze(self.height_box.value(), self.width_box.value()))

        self.path_action = QAction("Show path", self, checkable=True, checked=True)
        self.path_action.setToolTip("Show the shortest path from S to G as you draw (P)")
        self.path_action.setShortcut("P")
        self.path_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.addAction(self.path_action)
        self.path_action.toggled.connect(lambda _: self._path_timer.start())
        self.toolbar.addAction(self.path_action)
        self.toolbar.addSeparator()
        self.add_common_actions()
        self.generate_menu_actions([(name, lambda d=name: self.generate(d)) for name in DIFFICULTIES])

        size_label = QLabel("Size")
        self.build_layout(self.grid, [self.palette_bar, size_label, self.height_box, QLabel("\u00d7"),
                                      self.width_box, resize])
        self.grid.cells_edited.connect(self._on_grid_cells_edited)

        self._path_job: Job | None = None
        self._path_maze: np.ndarray | None = None
        self._path_timer = QTimer(self, singleShot=True, interval=30)
        self._path_timer.timeout.connect(self._find_path)
        self.path_steps: int | None = None
        self.load_grids({"maze": blank_maze(10, 10)})

    @property
    def maze(self) -> np.ndarray:
        return self.doc.grid("maze").copy()

    def new_puzzle(self, height: int = 10, width: int = 10) -> None:
        self.load_grids({"maze": blank_maze(height, width)})

    def refresh(self) -> None:
        if "maze" not in self.doc:
            return
        maze = self.doc.grid("maze")
        self.grid.set_grid(maze)
        self.height_box.setValue(maze.shape[0])
        self.width_box.setValue(maze.shape[1])
        self.grid.set_layer("tint", None)
        self._path_timer.start()

    def focus_grid(self) -> GridEditor:
        return self.grid

    def _on_palette_value_picked(self, value: int) -> None:
        self.grid.set_current_value(value)
        self.grid.setFocus()

    # ---- editing ----------------------------------------------------------------------------------
    def _on_grid_cells_edited(self, edit: GridEdit) -> None:
        """S and G are unique: placing one moves it (the old cell becomes open) in the same step."""
        value = edit.values[-1]
        if value not in (START, GOAL):
            self.apply_edit("maze", edit)
            return
        r, c = edit.rows[-1], edit.cols[-1]
        old = [(int(a), int(b)) for a, b in zip(*np.nonzero(self.doc.grid("maze") == value)) if (a, b) != (r, c)]
        stack = self.doc.undo_stack
        stack.beginMacro(f"Place {'S' if value == START else 'G'}")
        if old:
            rows, cols = zip(*old)
            stack.push(CellsCommand(self.doc, "maze", rows, cols, [OPEN] * len(old), ""))
        stack.push(CellsCommand(self.doc, "maze", (r,), (c,), (value,), ""))
        stack.endMacro()

    def resize_maze(self, height: int, width: int) -> None:
        maze = self.doc.grid("maze")
        if maze.shape != (height, width):
            self.doc.undo_stack.push(GridCommand(self.doc, "maze", resized(maze, height, width, OPEN),
                                                 f"Resize to {height}x{width}"))

    # ---- validation and the live path -------------------------------------------------------------
    def validate(self) -> list[Problem]:
        if "maze" not in self.doc:
            return []
        problems = self.family.validate(self.doc.grid("maze"))
        h, w = self.doc.grid("maze").shape
        text = f"{h}x{w} maze"
        if not problems and self.path_steps is not None:
            text += ": no path from S to G" if self.path_steps < 0 else f": shortest path {self.path_steps} steps"
        self.description = text
        return problems

    def show_problems(self, problems: list[Problem]) -> None:
        mask = np.zeros(self.doc.grid("maze").shape, dtype=bool)
        for problem in problems:
            for r, c in problem.cells:
                mask[r, c] = True
        self.grid.set_layer("highlight", mask if mask.any() else None)

    def _find_path(self) -> None:
        maze = self.doc.grid("maze").copy()
        if not self.path_action.isChecked() or self.family.validate(maze):
            self.path_steps = None
            self.grid.set_layer("tint", None)
            return
        if self._path_job is not None and self._path_job.is_running:
            self._path_timer.start()  # one search at a time; try again shortly
            return
        self._path_maze = maze
        self._path_job = Job(self.family.solve, maze, name="Find path", background=True)
        self._path_job.finished.connect(self._on_path_job_finished)  # a bound slot: dropped with the editor
        self._path_job.start()

    def _on_path_job_finished(self, result) -> None:
        maze = self._path_maze
        if "maze" not in self.doc or not np.array_equal(maze, self.doc.grid("maze")):
            return  # the maze changed meanwhile; a new search is queued
        self.path_steps = result.extra.get("steps", -1) if result.count else -1
        show = result.count and self.path_action.isChecked()
        self.grid.set_layer("tint", (result.solution == PATH) & (maze != PATH) if show else None)
        self.validate()
        self._show_summary()

    def check(self) -> None:
        """The rules now; then, off the GUI thread, whether S reaches G."""
        if self.revalidate():
            self.status_posted.emit(f"{len(self.problems)} problem(s)")
            return
        self.run_job("Check maze", self.family.solve, self.maze, on_finished=self._on_check_finished)

    def _on_check_finished(self, result) -> None:
        if result.count == 0:
            self._say_no_path()
        else:
            several = "several shortest paths" if result.count > 1 else "one shortest path"
            self.set_note(f"a proper maze: {several} of {result.extra['steps']} steps.")

    def _say_no_path(self) -> None:
        """Once, in the summary line (the description says it; a note or a list item said it again)."""
        self.path_steps = -1
        self.validate()
        self.set_note("")

    # ---- solve and generate -----------------------------------------------------------------------
    def solve(self) -> None:
        problems = self.family.validate(self.doc.grid("maze"))
        if problems:
            self.set_note(f"Cannot solve: {problems[0].message}")
            return
        self.run_job("Solve maze", self.family.solve, self.maze, on_finished=self._on_solve_finished)

    def _on_solve_finished(self, result) -> None:
        if result.count == 0:
            self._say_no_path()
            self.status_posted.emit("No path")
            return
        self.doc.undo_stack.push(GridCommand(self.doc, "maze", result.solution, "Solve"))
        note = "the only shortest path" if result.count == 1 else "one of several shortest paths"
        self.set_note(f"Solved: marked {note} ({result.extra['steps']} steps).")
        self.status_posted.emit(f"Solved: {result.extra['steps']} steps ({note})")

    def generate(self, difficulty: str) -> None:
        h, w = self.height_box.value(), self.width_box.value()
        min_path = int(DIFFICULTIES[difficulty] * maze_hard_threshold(h, w))
        settings = MazeSettings(height=h, width=w, min_path=min_path)
        self.run_job(f"Generate {difficulty.lower()} maze", generate_mazes, 1, secrets.randbelow(2**31),
                     settings, on_finished=self._on_generate_finished, stale_ok=True, engine="auto")

    def _on_generate_finished(self, generated) -> None:
        h, w = generated.settings["height"], generated.settings["width"]
        self.replace_grids({"maze": generated.puzzles[0].reshape(h, w).astype(np.int64)}, "Generate")

    # ---- files ------------------------------------------------------------------------------------
    def grids_from_file(self, path: Path) -> dict[str, np.ndarray]:
        # Not strict: a half-drawn maze (no S yet) opens, and validation says what is missing.
        return {"maze": self.family.parse(read_text(path), str(path), strict=False)}

    def write_file(self, path: Path) -> None:
        atomic_write_text(path, self.family.format(self.doc.grid("maze")))

    def export_picture(self, path: Path) -> None:
        state = GridState(grid=self.doc.grid("maze"), palette=MAZE_PALETTE, tint=self.grid.layer("tint"))
        export.export_grid(path, state, self.grid.colors)
