"""The Puzzles area: the library on the left, one editor per family (Sudoku, Maze, ARC) on the right,
and the puzzle actions in the menus (new, save, export, check, solve, zoom)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QKeySequence, QUndoStack
from PySide6.QtWidgets import QHBoxLayout, QSplitter, QTabWidget

from trm_engine.errors import TrmError

from ... import dialogs, settings
from ...panel import FileKind, Panel, PanelSpec, make_action
from ...workers import Job
from .arc_editor import ArcEditor
from .editor import PuzzleEditor
from .library import LibraryEntry, PuzzleLibrary
from .maze_editor import MazeEditor
from .sources import PUZZLE_PATTERNS, examples_folder, scan_folder, sniff_family
from .sudoku_editor import SudokuEditor

DATASET_PATTERNS = ("*.h5", "*.hdf5")


class PuzzlesPanel(Panel):
    """Library + family editors. Opening a puzzle (file, library row) picks the editor by family."""

    def __init__(self, context, parent=None):
        super().__init__(context, parent)
        self.library = PuzzleLibrary()
        self.datasets: dict[str, object] = {}  # file name -> PuzzleDataset shown in the library
        self.dataset_job = None
        self.editors: dict[str, PuzzleEditor] = {"sudoku": SudokuEditor(), "maze": MazeEditor(), "arc": ArcEditor()}
        self.tabs = QTabWidget()
        self.tabs.setObjectName("editor_tabs")
        self.tabs.setDocumentMode(True)
        for editor in self.editors.values():
            self.tabs.addTab(editor, editor.display_name())
            editor.status_posted.connect(self.status_posted)
            editor.job_started.connect(self.context.track_job)
            editor.saved.connect(self._on_editor_saved)
            editor.title_changed.connect(lambda text, e=editor: self.tabs.setTabText(self.tabs.indexOf(e), text))
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("puzzles_splitter")
        self.splitter.addWidget(self.library)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([430, 900])
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)

        self.library.entry_activated.connect(self.open_entry)
        self.library.refresh_clicked.connect(self.refresh_library)
        self.library.open_dataset_clicked.connect(self._on_library_open_dataset_clicked)
        self.library.build_dataset_clicked.connect(self._on_library_build_dataset_clicked)
        self._make_actions()
        self.solve_action.setEnabled(self.editor().can_solve)
        self.refresh_library()

    # ---- editors ----------------------------------------------------------------------------------
    def editor(self) -> PuzzleEditor:
        return self.tabs.currentWidget()

    def show_editor(self, family: str) -> PuzzleEditor:
        editor = self.editors[family]
        self.tabs.setCurrentWidget(editor)
        return editor

    def undo_stack(self) -> QUndoStack:
        return self.editor().doc.undo_stack

    def _on_tabs_current_changed(self, _index: int) -> None:
        self.solve_action.setEnabled(self.editor().can_solve)
        self.undo_stack_changed.emit(self.undo_stack())

    def new_puzzle(self, family: str, **options) -> None:
        editor = self.show_editor(family)
        if editor.maybe_save():
            editor.new_puzzle(**options)
            editor.focus_grid().setFocus()

    # ---- library ----------------------------------------------------------------------------------
    def refresh_library(self) -> None:
        examples = scan_folder(examples_folder(), "example", "Examples")
        self.library.set_source("Examples", examples)
        self.library.set_source("My puzzles", scan_folder(settings.locations().puzzles, "saved", "My puzzles"))
        self.editors["arc"].example_tasks = [e.path for e in examples if e.family == "arc"]

    def _on_editor_saved(self, path: Path) -> None:
        self.context.add_recent(path)
        folder = settings.locations().puzzles
        if path.resolve().is_relative_to(folder.resolve()):
            self.library.set_source("My puzzles", scan_folder(folder, "saved", "My puzzles"))

    def open_entry(self, entry: LibraryEntry) -> bool:
        editor = self.show_editor(entry.family)
        if entry.path is not None:
            return editor.open_file(entry.path)
        if entry.load is None or not editor.maybe_save():
            return False
        editor.load_grids(entry.load())
        self.status_posted.emit(f"Opened {entry.name} from {entry.source}")
        return True

    def _on_library_open_dataset_clicked(self) -> None:
        path = dialogs.ask_open_path(self, "Open dataset", f"Datasets ({' '.join(DATASET_PATTERNS)})",
                                     settings.locations().datasets)
        if path is not None:
            self.context.open_path(path)

    def _on_library_build_dataset_clicked(self) -> None:
        from .dataset_builder import BuildDatasetDialog
        dialog = BuildDatasetDialog(self.context, self)
        dialog.dataset_built.connect(self.context.open_path)
        dialog.open()

    def open_dataset(self, path: Path) -> bool:
        """Read a dataset file off the GUI thread; its puzzles join the library when it is read."""
        from .datasets import read_dataset  # engine data modules load on first use, not at start-up

        job = Job(read_dataset, Path(path), name=f"Open {Path(path).name}")
        job.finished.connect(self._on_dataset_read)
        job.failed.connect(self._on_dataset_failed)
        self.context.track_job(job, f"Opening {Path(path).name}")
        self.dataset_job = job
        job.start()
        return True

    def _on_dataset_read(self, result) -> None:
        dataset, entries = result
        self.datasets[dataset.path.name] = dataset
        self.library.set_source(dataset.path.name, entries)
        self.library.search.setText(dataset.path.name)  # show what was just opened
        self.status_posted.emit(f"{dataset.path.name}: {len(entries)} {dataset.family} puzzles "
                                f"({', '.join(dataset.splits)})")

    def _on_dataset_failed(self, text: str) -> None:
        dialogs.show_error(self, "Cannot open dataset", text)

    # ---- Panel interface --------------------------------------------------------------------------
    def open_path(self, path: Path, kind: str) -> bool:
        if kind == "dataset":
            return self.open_dataset(path)
        try:
            family = sniff_family(path)
        except Exception as exc:  # noqa: BLE001 - unreadable file: say so, keep the editors as they are
            dialogs.show_error(self, "Cannot open puzzle", str(exc))
            return False
        return self.show_editor(family).open_file(path)

    def can_close(self) -> bool:
        for editor in self.editors.values():
            if editor.is_dirty():
                self.tabs.setCurrentWidget(editor)
                if not editor.maybe_save():
                    return False
        return True

    def save_state(self, store: QSettings) -> None:
        store.setValue("splitter", self.splitter.saveState())
        store.setValue("arc_splitter", self.editors["arc"].splitter.saveState())
        store.setValue("tab", self.tabs.currentIndex())
        for family, editor in self.editors.items():  # the file open in each tab, reopened next start
            store.setValue(f"open/{family}", str(editor.path) if editor.path else "")

    def restore_state(self, store: QSettings) -> None:
        for key, splitter in (("splitter", self.splitter), ("arc_splitter", self.editors["arc"].splitter)):
            state = store.value(key)
            if state is not None:
                splitter.restoreState(state)
        for family, editor in self.editors.items():
            self._reopen(editor, str(store.value(f"open/{family}", "") or ""))
        self.tabs.setCurrentIndex(int(store.value("tab", 0)))

    def _reopen(self, editor: PuzzleEditor, name: str) -> None:
        """Reopen the file a tab showed last time; one that is gone or unreadable now is skipped
        quietly (a start-up should not open with an error about an old file)."""
        path = Path(name) if name else None
        if path is None or not path.is_file():
            return
        try:
            grids = editor.grids_from_file(path)
        except (TrmError, OSError, ValueError):
            return
        editor.load_grids(grids, path)

    def menu_actions(self) -> dict[str, list[QAction | None]]:
        return self._menu_actions

    def _action(self, text: str, slot, keys=None, tip: str = "") -> QAction:
        return make_action(self, text, slot, keys, tip)

    def _make_actions(self) -> None:
        a = self._action
        self.new_actions = {
            "sudoku": a("New Sudoku 9x9", lambda: self.new_puzzle("sudoku", box=3), QKeySequence.StandardKey.New),
            "sudoku4": a("New Sudoku 4x4", lambda: self.new_puzzle("sudoku", box=2)),
            "maze": a("New Maze", lambda: self.new_puzzle("maze")),
            "arc": a("New ARC Task", lambda: self.new_puzzle("arc")),
        }
        self.save_action = a("&Save", lambda: self.editor().save(), QKeySequence.StandardKey.Save)
        self.save_as_action = a("Save &As\u2026", lambda: self.editor().save_as(), QKeySequence.StandardKey.SaveAs)
        self.export_png_action = a("Export PNG\u2026", lambda: self.editor().export(".png"), "Ctrl+E")
        self.export_svg_action = a("Export SVG\u2026", lambda: self.editor().export(".svg"))
        self.open_dataset_action = a("Open &Dataset\u2026", self._on_library_open_dataset_clicked)
        self.build_dataset_action = a("&Build Dataset\u2026", self._on_library_build_dataset_clicked)
        grid = lambda: self.editor().focus_grid()  # noqa: E731
        self.copy_action = a("&Copy", lambda: grid().copy_selection(), QKeySequence.StandardKey.Copy)
        self.paste_action = a("&Paste", lambda: grid().paste(), QKeySequence.StandardKey.Paste)
        self.select_all_action = a("Select &All", lambda: grid().select_all(), QKeySequence.StandardKey.SelectAll)
        self.check_action = a("Chec&k Puzzle", lambda: self.editor().check(), "Ctrl+K")
        self.solve_action = a("&Solve", lambda: self.editor().solve(), "Ctrl+Return")
        self.zoom_in_action = a("Zoom &In", lambda: self._zoom(1.25), QKeySequence.StandardKey.ZoomIn)
        self.zoom_out_action = a("Zoom &Out", lambda: self._zoom(0.8), QKeySequence.StandardKey.ZoomOut)
        self.zoom_fit_action = a("&Fit Grid", lambda: self._zoom(None), "Ctrl+0")
        self.library_action = a("Show &Library", self._on_library_action_triggered, "Ctrl+L")
        self.library_action.setCheckable(True)
        self.library_action.setChecked(True)
        self._menu_actions = {
            "File": [*self.new_actions.values(), None, self.save_action, self.save_as_action,
                     self.export_png_action, self.export_svg_action, None, self.open_dataset_action,
                     self.build_dataset_action],
            "Edit": [self.copy_action, self.paste_action, self.select_all_action, None, self.check_action,
                     self.solve_action],
            "View": [self.zoom_in_action, self.zoom_out_action, self.zoom_fit_action, self.library_action],
        }

    def _zoom(self, factor: float | None) -> None:
        grid = self.editor().focus_grid()
        if factor is None:
            grid.set_cell_size(None)
            return
        current = grid.cell_size or grid.cell_rect(0, 0).width()
        grid.set_cell_size(max(4, min(120, round(current * factor))))

    def _on_library_action_triggered(self) -> None:
        self.library.setVisible(self.library_action.isChecked())


PANEL = PanelSpec(
    key="puzzles", title="Puzzles", order=10, create=PuzzlesPanel, icon="puzzles",
    file_kinds=(FileKind("puzzle", "Puzzles", PUZZLE_PATTERNS, "puzzles"),
                FileKind("dataset", "Datasets", DATASET_PATTERNS, "puzzles")),
)
