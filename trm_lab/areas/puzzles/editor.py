"""PuzzleEditor: what the Sudoku, maze and ARC editors share - a GridDocument with its undo stack, a
file path and the unsaved-changes question, live validation with the engine's messages, Solve and
Generate as background jobs, Save / Open in the family's format and PNG / SVG export.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import shiboken6
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QScrollArea,
    QSizePolicy,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trm_engine.errors import TrmError
from trm_engine.puzzles import Problem

from ... import dialogs, export, settings
from ...document import CellsCommand, DocumentCommand, GridDocument
from ...widgets.flow import flow_row
from ...widgets.grid_editor import GridEdit, GridEditor
from ...workers import Job


class PuzzleEditor(QWidget):
    """Base of the family editors. Subclasses set the class attributes and implement the hooks."""

    family_name = ""  # "sudoku", "maze", "arc"
    title = ""  # tab title
    file_filter = ""  # for the save dialog, e.g. "Sudoku (*.sudoku *.txt)"
    default_suffix = ""  # ".sudoku"
    can_solve = True  # False: the family has no classical solver, so Solve is not offered

    status_posted = Signal(str)
    job_started = Signal(object, str)  # (Job, label)
    title_changed = Signal(str)  # "name*" when there are unsaved changes
    saved = Signal(Path)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = GridDocument(parent=self)
        self.path: Path | None = None
        self._job: Job | None = None
        self._job_done: Callable[[object], None] | None = None
        self._job_revision: int | None = None
        self._revision = 0  # counts changes of the puzzle, so late job results can tell
        self.problems: list[Problem] = []
        self.description = ""  # what validate() says about the puzzle ("9x9 Sudoku: 27 givens")
        self.note = ""  # the outcome of the last action (solve, generate), cleared by the next edit

        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # Short button texts (the tool row would jump as "Undo Paint" became "Undo Resize to 5x4");
        # the step being undone is in the tooltip and in Edit > Undo.
        self.undo_action = QAction("Undo", self, enabled=False, triggered=self.doc.undo_stack.undo)
        self.redo_action = QAction("Redo", self, enabled=False, triggered=self.doc.undo_stack.redo)
        stack = self.doc.undo_stack
        stack.canUndoChanged.connect(self._on_undo_stack_changed)
        stack.canRedoChanged.connect(self._on_undo_stack_changed)
        stack.indexChanged.connect(self._on_undo_stack_changed)
        self.check_action = QAction("Check", self, triggered=self.check)
        self.check_action.setToolTip("Check the puzzle with the engine's rules (Ctrl+K)")
        self.solve_action = QAction("Solve", self, triggered=self.solve)
        self.solve_action.setToolTip("Run the classical solver (Ctrl+Return)")
        self.generate_button = QToolButton()
        self.generate_button.setText("Generate")
        self.generate_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        self.validation = QListWidget()
        self.validation.setObjectName("validation")
        self.validation.setMaximumHeight(110)
        self.validation.itemActivated.connect(self._on_validation_item_activated)
        self.summary = QLabel()
        self.summary.setObjectName("summary")
        self.summary.setWordWrap(True)

        self.doc.grid_changed.connect(self._on_doc_grid_changed)
        self.doc.layout_changed.connect(self._on_doc_layout_changed)
        self.doc.undo_stack.cleanChanged.connect(self._on_undo_stack_clean_changed)

    # ---- layout helpers for subclasses ------------------------------------------------------------
    def build_layout(self, centre: QWidget, tools: list[QWidget] = ()) -> None:
        """Toolbar on top; a tool row with undo/redo right beside the palette (its first widget: users
        miss an undo hidden in a menu, neoneye/ARC-Interactive#37); centre; validation below."""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.toolbar)
        buttons = []
        for action in (self.undo_action, self.redo_action):
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            buttons.append(button)
        # The row wraps when the window is narrow (1024 px): every button stays whole.
        self.tool_row = flow_row([*tools[:1], *buttons, *tools[1:]])
        layout.addWidget(self.tool_row)
        layout.addWidget(scrollable(centre) if isinstance(centre, GridEditor) else centre, 1)
        layout.addWidget(self.summary)
        layout.addWidget(self.validation)
        self.validation.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Maximum)

    def add_common_actions(self) -> None:
        self.toolbar.addAction(self.check_action)
        if self.can_solve:
            self.toolbar.addAction(self.solve_action)
        self.solve_action.setVisible(self.can_solve)
        self.toolbar.addWidget(self.generate_button)

    def connect_editor(self, editor: GridEditor, key_of: Callable[[GridEdit], str]) -> None:
        """Apply the editor's edits to the document through the undo stack."""
        editor.cells_edited.connect(lambda edit: self.apply_edit(key_of(edit), edit))

    def apply_edit(self, key: str, edit: GridEdit) -> None:
        self.doc.undo_stack.push(CellsCommand(self.doc, key, edit.rows, edit.cols, edit.values, edit.label,
                                              edit.stroke))

    # ---- hooks ------------------------------------------------------------------------------------
    def grids_from_file(self, path: Path) -> dict[str, np.ndarray]:
        """Parse a file into document grids; raise the engine's PuzzleError naming the problem."""
        raise NotImplementedError

    def write_file(self, path: Path) -> None:
        raise NotImplementedError

    def validate(self) -> list[Problem]:
        return []

    def refresh(self) -> None:
        """Show the document's grids in the widgets (after any change)."""

    def export_picture(self, path: Path) -> None:
        raise NotImplementedError

    def solve(self) -> None:
        pass

    def focus_grid(self) -> GridEditor | None:
        return None

    # ---- names and state --------------------------------------------------------------------------
    def display_name(self) -> str:
        name = self.path.name if self.path else f"Untitled {self.title}"
        return name + ("*" if self.is_dirty() else "")

    def is_dirty(self) -> bool:
        return not self.doc.undo_stack.isClean()

    def load_grids(self, grids: dict[str, np.ndarray], path: Path | None = None) -> None:
        """Replace the puzzle (a fresh undo history, clean)."""
        self.path = path
        self.doc.reset(grids)
        self.title_changed.emit(self.display_name())

    def replace_grids(self, grids: dict[str, np.ndarray], text: str) -> None:
        """Replace every grid as one undoable step (generate, new size)."""
        self.doc.undo_stack.push(DocumentCommand(self.doc, grids, text))

    # ---- files ------------------------------------------------------------------------------------
    def open_file(self, path: Path) -> bool:
        """Open `path`; on a bad file say why and keep the current puzzle untouched."""
        try:
            grids = self.grids_from_file(Path(path))
        except TrmError as exc:
            dialogs.show_error(self, "Cannot open puzzle", str(exc))
            return False
        if not self.maybe_save():
            return False
        self.load_grids(grids, Path(path))
        self.status_posted.emit(f"Opened {Path(path).name}")
        return True

    def save(self) -> bool:
        """Save to the puzzle's file; a bundled example is saved as a copy in the user's puzzles folder
        (never into the installed package); new puzzles and other formats ask where."""
        if self.path is not None and is_bundled(self.path):
            folder = settings.locations().puzzles
            folder.mkdir(parents=True, exist_ok=True)
            return self._write(free_name(folder, self.path.name))
        if self.path is None or f"*{self.path.suffix.lower()}" not in self.file_filter:
            return self.save_as()
        return self._write(self.path)

    def save_as(self) -> bool:
        folder = settings.locations().puzzles
        folder.mkdir(parents=True, exist_ok=True)
        if self.path is None or is_bundled(self.path):  # start in the user's folder, not the package
            start = folder / (self.path.name if self.path else f"untitled{self.default_suffix}")
        else:
            start = self.path
        path = dialogs.ask_save_path(self, f"Save {self.title}", self.file_filter, start)
        if path is None:
            return False
        if not path.suffix:
            path = path.with_suffix(self.default_suffix)
        return self._write(path)

    def _write(self, path: Path) -> bool:
        try:
            self.write_file(path)
        except (TrmError, OSError) as exc:
            dialogs.show_error(self, "Cannot save puzzle", str(exc))
            return False
        self.path = path
        self.doc.undo_stack.setClean()
        self.title_changed.emit(self.display_name())
        self.status_posted.emit(f"Saved {path.name}")
        self.saved.emit(path)
        return True

    def maybe_save(self) -> bool:
        """Before replacing or closing: True if it is fine to go on (saved, discarded or clean)."""
        if not self.is_dirty():
            return True
        answer = dialogs.ask_unsaved(self, self.display_name().rstrip("*"))
        if answer == "save":
            return self.save()
        return answer == "discard"

    def export(self, suffix: str) -> bool:
        name = (self.path.stem if self.path else self.family_name) + suffix
        path = dialogs.ask_save_path(self, "Export picture", export.FORMATS, settings.locations().data / name)
        if path is None:
            return False
        try:
            self.export_picture(path)
        except (OSError, ValueError) as exc:
            dialogs.show_error(self, "Cannot export", str(exc))
            return False
        self.status_posted.emit(f"Exported {path.name}")
        return True

    def _on_undo_stack_changed(self, *_args) -> None:
        stack = self.doc.undo_stack
        if not (shiboken6.isValid(stack) and shiboken6.isValid(self.undo_action)):
            return  # being destroyed
        self.undo_action.setEnabled(stack.canUndo())
        self.redo_action.setEnabled(stack.canRedo())
        self.undo_action.setToolTip(f"Undo {stack.undoText()} (Ctrl+Z)" if stack.canUndo() else "Nothing to undo")
        self.redo_action.setToolTip(f"Redo {stack.redoText()} (Ctrl+Shift+Z)" if stack.canRedo() else "Nothing to redo")

    def _on_undo_stack_clean_changed(self, _clean: bool) -> None:
        if shiboken6.isValid(self.doc.undo_stack):  # not while the stack is being destroyed
            self.title_changed.emit(self.display_name())

    # ---- validation: live, after every change (the engine's checks take microseconds) -------------
    def _on_doc_grid_changed(self, _key: str) -> None:
        self._revision += 1
        self.refresh()
        self.revalidate()

    def _on_doc_layout_changed(self) -> None:
        self._revision += 1
        self.refresh()
        self.revalidate()

    def set_note(self, text: str) -> None:
        """Say the outcome of an action under the grid (until the next edit)."""
        self.note = text
        self._show_summary()

    def _show_summary(self) -> None:
        self.summary.setText(self.description + (f" \u2014 {self.note}" if self.note else ""))

    def revalidate(self) -> list[Problem]:
        """Run the engine's validation now and show its messages (live, after every edit)."""
        self.note = ""
        self.problems = self.validate()
        self._show_summary()
        self.validation.clear()
        for problem in self.problems:
            item = QListWidgetItem(problem.message)
            item.setData(Qt.ItemDataRole.UserRole, problem.cells)
            self.validation.addItem(item)
        self.validation.setVisible(bool(self.problems))
        if self.problems:  # as tall as its messages, up to six lines
            rows = min(len(self.problems), 6)
            self.validation.setFixedHeight(rows * max(self.validation.sizeHintForRow(0), 16) + 8)
        self.show_problems(self.problems)
        return self.problems

    def show_problems(self, problems: list[Problem]) -> None:
        """Highlight the cells the problems name (subclasses pick the grid)."""

    def check(self) -> None:
        problems = self.revalidate()
        self.status_posted.emit("No problems found" if not problems else f"{len(problems)} problem(s)")

    def _on_validation_item_activated(self, item: QListWidgetItem) -> None:
        cells = item.data(Qt.ItemDataRole.UserRole) or ()
        grid = self.focus_grid()
        if grid is not None and cells:
            grid.set_cursor(tuple(cells[0]))
            grid.setFocus()

    # ---- background work --------------------------------------------------------------------------
    def run_job(self, label: str, fn: Callable, *args, on_finished: Callable[[object], None],
                stale_ok: bool = False, **kwargs) -> Job | None:
        """Run slow engine work off the GUI thread; one job per editor at a time. Unless `stale_ok`,
        the result is dropped if the puzzle changed meanwhile (a solution of the old puzzle must not
        overwrite the new one)."""
        if self._job is not None and self._job.is_running:
            self.status_posted.emit(f"Still busy: {self._job.name}")
            return None
        job = Job(fn, *args, name=label, **kwargs)
        job.finished.connect(self._on_job_finished)  # bound slots only: Qt drops them with the editor
        job.failed.connect(self._on_job_failed)
        job.cancelled.connect(self._on_job_cancelled)
        self._job, self._job_done, self._job_revision = job, on_finished, None if stale_ok else self._revision
        self.job_started.emit(job, label)
        job.start()
        return job

    def _on_job_finished(self, result: object) -> None:
        if self._job_revision is not None and self._job_revision != self._revision:
            self.set_note(f"{self._job.name}: the puzzle changed meanwhile, so the result was dropped.")
            return
        self._job_done(result)

    def _on_job_failed(self, text: str) -> None:
        dialogs.show_error(self, self._job.name if self._job else "Error", text)

    def _on_job_cancelled(self) -> None:
        self.set_note(f"{self._job.name if self._job else 'Job'}: cancelled.")

    @property
    def job(self) -> Job | None:
        return self._job

    def generate_menu_actions(self, choices: list[tuple[str, Callable[[], None]]]) -> None:
        menu = QMenu(self)
        for text, slot in choices:
            menu.addAction(text, slot)
        self.generate_button.setMenu(menu)
        self.generate_actions = menu.actions()


def scrollable(grid: QWidget) -> QScrollArea:
    """Put a grid in a scroll area: it fits the space until zoomed past it (View > Zoom In)."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    area.setWidget(grid)
    return area


def free_name(folder: Path, name: str) -> Path:
    """`folder/name`, or `folder/stem-2.suffix`, `-3`, ... if that file exists already."""
    path, stem, suffix, k = folder / name, Path(name).stem, Path(name).suffix, 2
    while path.exists():
        path, k = folder / f"{stem}-{k}{suffix}", k + 1
    return path


def is_bundled(path: Path) -> bool:
    """True for files shipped with the app (examples are opened read-only: Save asks for a new name)."""
    import trm_resources
    root = Path(trm_resources.__file__).resolve().parent
    return Path(path).resolve().is_relative_to(root)
