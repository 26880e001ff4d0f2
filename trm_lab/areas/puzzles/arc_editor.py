"""ArcEditor: an ARC task - demonstration pairs and test pairs in a TaskView, the picked grid in a
GridEditor with the ARC tools: palette on 0-9, paint / select / fill (D / S / F), copy / paste (C / V),
resize to HxW keeping content, copy input to output, the 8 dihedral transforms, "show numbers".

Document keys are "train/<i>/input", "train/<i>/output", "test/<i>/input", "test/<i>/output".
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup
from PySide6.QtWidgets import (
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trm_engine.errors import PuzzleError
from trm_engine.puzzles import DIHEDRAL_NAMES, ArcPair, ArcTask, Problem, dihedral, get_family

from ... import export
from ...document import GridCommand, resized
from ...widgets.grid_editor import GridEditor
from ...widgets.palette import ARC_PALETTE, PaletteBar
from ...widgets.task_view import TaskView, key_title, pair_key, parse_key
from .editor import PuzzleEditor, scrollable

MAX_SIDE = 30
_TRANSFORM_TEXT = {"identity": None, "rot90": "Rotate 90\u00b0 left", "rot180": "Rotate 180\u00b0",
                   "rot270": "Rotate 90\u00b0 right", "flip_lr": "Flip left-right", "flip_ud": "Flip up-down",
                   "transpose": "Transpose", "anti_transpose": "Anti-transpose"}


def task_to_grids(task: ArcTask) -> dict[str, np.ndarray]:
    grids = {}
    for section, pairs in (("train", task.train), ("test", task.test)):
        for i, pair in enumerate(pairs):
            grids[pair_key(section, i, "input")] = np.asarray(pair.input, dtype=np.int64)
            if pair.output is not None:
                grids[pair_key(section, i, "output")] = np.asarray(pair.output, dtype=np.int64)
    return grids


def grids_to_task(grids: dict[str, np.ndarray], name: str) -> ArcTask:
    task = ArcTask(name)
    for section, index in sorted({parse_key(k)[:2] for k in grids}, key=lambda p: (p[0], p[1])):
        out = grids.get(pair_key(section, index, "output"))
        getattr(task, section).append(ArcPair(grids[pair_key(section, index, "input")], out))
    return task


def parse_size(text: str) -> tuple[int, int]:
    """"HxW" (also "H x W", "H,W", "H W") -> (H, W), sides 1..30; ValueError with the reason."""
    match = re.fullmatch(r"\s*(\d+)\s*[x\u00d7X, ]\s*(\d+)\s*", text)
    if not match:
        raise ValueError(f"{text!r}: write the size as HxW, e.g. 3x3 or 10x20")
    h, w = int(match.group(1)), int(match.group(2))
    if not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ValueError(f"{h}x{w}: ARC grids are 1x1 to {MAX_SIDE}x{MAX_SIDE}")
    return h, w


class ArcEditor(PuzzleEditor):
    family_name = "arc"
    title = "ARC task"
    file_filter = "ARC task (*.json)"
    default_suffix = ".json"
    can_solve = False  # ARC has no classical solver (the engine's family.solve says so)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.family = get_family("arc")
        self.example_tasks: list[Path] = []  # for Generate > random example (set by the panel)
        self.current_key = "train/0/input"
        self.task_view = TaskView(ARC_PALETTE)
        self.task_view.grid_picked.connect(self._on_task_view_grid_picked)
        self.grid = GridEditor(np.zeros((3, 3), dtype=np.int64), ARC_PALETTE, digit_keys="pick")
        self.grid.setObjectName("arc_grid")
        self.palette_bar = PaletteBar(ARC_PALETTE)
        self.palette_bar.set_current(1)
        self.palette_bar.value_picked.connect(self._on_palette_value_picked)
        self.grid.value_picked.connect(self.palette_bar.set_current)
        self._add_palette_keys()
        self.connect_editor(self.grid, lambda edit: self.current_key)
        self.grid_title = QLabel()

        tools = QActionGroup(self)
        self.tool_actions: dict[str, QAction] = {}
        for tool, key in (("paint", "D"), ("select", "S"), ("fill", "F")):
            action = QAction(tool.capitalize(), self, checkable=True, checked=tool == "paint")
            action.setToolTip(f"{tool.capitalize()} tool ({key})")
            action.triggered.connect(lambda _=False, t=tool: self.grid.set_tool(t))
            tools.addAction(action)
            self.toolbar.addAction(action)
            self.tool_actions[tool] = action
        self.grid.tool_changed.connect(lambda t: self.tool_actions[t].setChecked(True))
        self.toolbar.addSeparator()
        self.numbers_action = QAction("Show numbers", self, checkable=True, toggled=self.set_show_numbers)
        self.toolbar.addAction(self.numbers_action)
        self.toolbar.addSeparator()
        self.add_common_actions()
        self.generate_menu_actions([("Random example task", self.random_example)])
        self._build_grid_actions()

        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.grid_title)
        side_layout.addWidget(scrollable(self.grid), 1)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.task_view)
        self.splitter.addWidget(side)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([360, 600])
        self.build_layout(self.splitter, [self.palette_bar, self.size_edit, self.resize_button, self.copy_button,
                                          self.transform_button, self.pair_button])
        self.new_puzzle()

    def _add_palette_keys(self) -> None:
        """Keys 0-9 pick a colour whenever this editor is shown, wherever the focus is (a line edit
        that takes text keeps its digits). Qt ignores window shortcuts of hidden widgets, so the other
        editors and areas keep their digit keys."""
        for value in range(len(ARC_PALETTE)):
            action = QAction(f"Colour {value}", self, shortcut=str(value))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            action.triggered.connect(lambda _=False, v=value: self.grid.pick_value(v))
            self.addAction(action)

    def _build_grid_actions(self) -> None:
        self.size_edit = QLineEdit()
        self.size_edit.setObjectName("size_edit")
        self.size_edit.setPlaceholderText("HxW")
        self.size_edit.setFixedWidth(self.size_edit.fontMetrics().horizontalAdvance("30x30") + 24)  # never "x20"
        self.size_edit.setToolTip("Grid size as HxW; Enter or Resize applies it, keeping the top-left content")
        self.size_edit.returnPressed.connect(self._on_size_edit_return_pressed)
        self.resize_button = QPushButton("Resize")
        self.resize_button.clicked.connect(self._on_size_edit_return_pressed)
        self.copy_button = QPushButton("Copy input \u2192 output")
        self.copy_button.clicked.connect(self.copy_input_to_output)
        self.transform_button = QToolButton()
        self.transform_button.setText("Transform")
        self.transform_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.transform_actions: dict[int, QAction] = {}
        for t, name in enumerate(DIHEDRAL_NAMES):
            if _TRANSFORM_TEXT.get(name):
                self.transform_actions[t] = menu.addAction(_TRANSFORM_TEXT[name], lambda t=t: self.transform(t))
        self.transform_button.setMenu(menu)
        self.pair_button = QToolButton()
        self.pair_button.setText("Pairs")
        self.pair_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.addAction("Add demonstration pair", lambda: self.add_pair("train"))
        menu.addAction("Add test pair", lambda: self.add_pair("test"))
        menu.addAction("Remove this pair", self.remove_pair)
        menu.addAction("Reset this grid (3x3 black)", lambda: self.set_grid(np.zeros((3, 3), np.int64), "Reset grid"))
        self.pair_button.setMenu(menu)

    # ---- document ---------------------------------------------------------------------------------
    def new_puzzle(self) -> None:
        z = np.zeros((3, 3), dtype=np.int64)
        self.load_grids({"train/0/input": z, "train/0/output": z, "test/0/input": z, "test/0/output": z})

    def task(self) -> ArcTask:
        return grids_to_task(self.doc.grids(), self.path.stem if self.path else "untitled")

    def refresh(self) -> None:
        keys = self.doc.keys()
        if not keys:
            return
        if self.task_view.keys() != keys:
            self.task_view.set_task(self.doc.grids())
        else:
            for key in keys:
                if not np.array_equal(self.task_view.grid(key), self.doc.grid(key)):
                    self.task_view.update_grid(key, self.doc.grid(key).copy())
        if self.current_key not in self.doc:
            self.current_key = keys[0]
        self.task_view.select(self.current_key)
        grid = self.doc.grid(self.current_key)
        self.grid.set_grid(grid)
        self.grid_title.setText(f"<b>{key_title(self.current_key)}</b> \u2014 {grid.shape[0]}x{grid.shape[1]}")
        if not self.size_edit.hasFocus():
            self.size_edit.setText(f"{grid.shape[0]}x{grid.shape[1]}")

    def select_grid(self, key: str) -> None:
        self.current_key = key
        self.refresh()
        self.show_problems(self.problems)

    def _on_task_view_grid_picked(self, key: str) -> None:
        self.select_grid(key)
        self.grid.setFocus()

    def _on_palette_value_picked(self, value: int) -> None:
        self.grid.pick_value(value)
        self.grid.setFocus()

    def set_show_numbers(self, on: bool) -> None:
        self.grid.set_show_numbers(on)
        self.task_view.set_show_numbers(on)

    def focus_grid(self) -> GridEditor:
        return self.grid

    # ---- whole-grid operations (each one undo step) -----------------------------------------------
    def set_grid(self, grid: np.ndarray, text: str, key: str | None = None) -> None:
        self.doc.undo_stack.push(GridCommand(self.doc, key or self.current_key, grid, text))

    def resize_grid(self, height: int, width: int) -> None:
        old = self.doc.grid(self.current_key)
        if old.shape != (height, width):
            self.set_grid(resized(old, height, width, 0), f"Resize to {height}x{width}")

    def _on_size_edit_return_pressed(self) -> None:
        try:
            self.resize_grid(*parse_size(self.size_edit.text()))
        except ValueError as exc:
            self.set_note(str(exc))

    def copy_input_to_output(self) -> None:
        section, index, _ = parse_key(self.current_key)
        source = self.doc.grid(pair_key(section, index, "input")).copy()
        self.set_grid(source, "Copy input to output", pair_key(section, index, "output"))
        self.select_grid(pair_key(section, index, "output"))

    def transform(self, t: int) -> None:
        name = _TRANSFORM_TEXT[DIHEDRAL_NAMES[t]]
        self.set_grid(dihedral(self.doc.grid(self.current_key), t), name)

    def add_pair(self, section: str) -> None:
        grids = self.doc.grids()
        index = len({parse_key(k)[1] for k in grids if k.startswith(section + "/")})
        z = np.zeros((3, 3), dtype=np.int64)
        grids[pair_key(section, index, "input")] = z
        grids[pair_key(section, index, "output")] = z
        self.current_key = pair_key(section, index, "input")
        self.replace_grids(_ordered(grids), f"Add {'demonstration' if section == 'train' else 'test'} pair")

    def remove_pair(self) -> None:
        section, index, _ = parse_key(self.current_key)
        grids = self.doc.grids()
        if len({parse_key(k)[1] for k in grids if k.startswith(section + "/")}) <= 1:
            self.set_note(f"A task needs at least one {'demonstration' if section == 'train' else 'test'} pair.")
            return
        kept = {}
        for key, grid in grids.items():
            s, i, side = parse_key(key)
            if s == section and i == index:
                continue
            kept[pair_key(s, i - 1 if s == section and i > index else i, side)] = grid
        self.current_key = pair_key(section, max(0, index - 1), "input")
        self.replace_grids(_ordered(kept), "Remove pair")

    # ---- validation, solve, generate --------------------------------------------------------------
    def validate(self) -> list[Problem]:
        if not self.doc.keys():
            return []
        task = self.task()
        problems = self.family.validate_task(task)
        self.description = f"ARC task: {len(task.train)} demonstration pair(s), {len(task.test)} test pair(s)"
        return problems

    def show_problems(self, problems: list[Problem]) -> None:
        section, index, side = parse_key(self.current_key)
        prefix = f"{section} pair {index + 1} {side}:"
        mask = np.zeros(self.doc.grid(self.current_key).shape, dtype=bool)
        for problem in problems:
            if problem.message.startswith(prefix):
                for r, c in problem.cells:
                    mask[r, c] = True
        self.grid.set_layer("highlight", mask if mask.any() else None)

    def random_example(self) -> None:
        if not self.example_tasks:
            self.set_note("No example ARC tasks are installed.")
            return
        path = random.choice(self.example_tasks)
        try:
            grids = self.grids_from_file(path)
        except PuzzleError as exc:
            self.set_note(str(exc))
            return
        self.current_key = "train/0/input"
        self.replace_grids(grids, f"Random example ({path.stem})")

    # ---- files ------------------------------------------------------------------------------------
    def grids_from_file(self, path: Path) -> dict[str, np.ndarray]:
        return task_to_grids(ArcTask.load(path))

    def load_grids(self, grids, path: Path | None = None) -> None:
        self.current_key = next(iter(grids))
        super().load_grids(grids, path)

    def write_file(self, path: Path) -> None:
        task = self.task()
        task.name = path.stem
        task.save(path)

    def export_picture(self, path: Path) -> None:
        export.export_task(path, self.doc.grids(), ARC_PALETTE, self.grid.colors,
                           show_numbers=self.numbers_action.isChecked())


def _ordered(grids: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Keys in task order: demonstrations, then tests; input before output."""
    return dict(sorted(grids.items(), key=lambda kv: (parse_key(kv[0])[0] != "train", parse_key(kv[0])[1],
                                                      parse_key(kv[0])[2] != "input")))
