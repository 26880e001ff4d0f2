"""NewRunDialog: everything a training run needs, with the parameter count and a measured time per step
before it starts. Family and dataset (or build one now), preset and every config field (ConfigForm,
paper symbols beside the names), device (what this machine has), processes, torch threads, seed,
length, name. `plan()` is the LaunchPlan the Train panel starts.

The evaluation interval follows the run's length (as many evaluations as the preset makes over its own
length, so a 60-step run evaluates too) until the user sets it; Generate builds a dataset of the
preset's family and size; a run without a typed name is named after its preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from trm_engine.config import (
    RunConfig,
    apply_overrides,
    load_preset,
    preset_description,
    preset_family,
    preset_names,
)
from trm_engine.errors import TrmError

from ... import dialogs, settings
from ...workers import Job
from .feed import DEVICES, default_threads, measure_step, warm_up
from .form import ConfigForm
from .history import format_duration
from .runs import new_run_dir

FAMILIES = {"sudoku": "Sudoku", "maze": "Maze", "arc": "ARC-AGI"}
DEFAULT_PRESETS = {"sudoku": "sudoku-mlp-lab", "maze": "maze-att-lab", "arc": "arc-att-lab"}
MEASURE_DELAY_MS = 700  # measure once the form has been still this long
EVALS_PER_RUN = 6  # evaluations in a run of steps whose preset counts in epochs (the lab presets' ratio)


def scaled_eval_interval(preset_steps: int, preset_interval: int, steps: int) -> int:
    """The evaluation interval for a run of `steps` steps: as many evaluations as the preset makes over
    its own length (EVALS_PER_RUN where the preset gives no step count)."""
    evals = preset_steps / preset_interval if preset_steps and preset_interval else EVALS_PER_RUN
    return max(1, round(steps / max(1.0, evals)))


@dataclass
class LaunchPlan:
    cfg: RunConfig
    run_dir: Path
    processes: int = 1  # > 1: torchrun, one process per GPU (or CPU processes with gloo)


def describe_dataset(path: Path) -> tuple[Path, str, str, int]:
    """(path, family, "name (split sizes)", puzzle tokens) of a dataset file; DataError if it is not one.
    Opening memory-maps the big arrays, so this is quick whatever the file's size."""
    from trm_engine.data.dataset import PuzzleDataset

    ds = PuzzleDataset.open(path)
    sizes = ", ".join(f"{name} {ds[name].num_examples:,}" for name in ds.splits)
    return Path(path), ds.family, f"{Path(path).name}  ({sizes})", ds.seq_len


def scan_datasets(folder: Path) -> list[tuple[Path, str, str, int]]:
    """Every dataset file in `folder` (in a worker thread)."""
    found = []
    for path in sorted(Path(folder).glob("*.h5")):
        try:
            found.append(describe_dataset(path))
        except TrmError:
            continue
    return found


class NewRunDialog(QDialog):
    measured = Signal(object)  # (params, seconds per step) once a measurement is done

    def __init__(self, context=None, parent: QWidget | None = None, dataset: Path | None = None):
        super().__init__(parent)
        self.setWindowTitle("New training run")
        self.setMinimumWidth(620)
        self.context = context
        self.measure_job: Job | None = None
        self.params: int | None = None
        self.step_seconds: float | None = None
        self._datasets: list[tuple[Path, str, str, int]] = []
        self._wanted_dataset = dataset
        self._eval_follows_length = True  # until the user sets the evaluation interval

        self.family_box = QComboBox()
        for key, label in FAMILIES.items():
            self.family_box.addItem(label, key)
        self.dataset_box = QComboBox()
        self.dataset_box.setObjectName("dataset_box")
        browse, build = QPushButton("Browse\u2026"), QPushButton("Generate\u2026")
        build.setToolTip("Build a dataset of this family now (it is selected when built)")
        browse.clicked.connect(self._on_browse_clicked)
        build.clicked.connect(self._on_build_clicked)
        data_row = QHBoxLayout()
        data_row.addWidget(self.dataset_box, 1)
        data_row.addWidget(browse)
        data_row.addWidget(build)
        self.preset_box = QComboBox()
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.device_box = QComboBox()
        self.device_box.addItem("auto", "auto")
        self.processes_box = QSpinBox()
        self.processes_box.setRange(1, 64)
        self.processes_box.setToolTip("More than 1 trains under torchrun, one process per GPU "
                                      "(on a CPU: processes that share the cores, with gloo)")
        self.threads_box = QSpinBox()
        self.threads_box.setRange(1, 256)
        self.threads_box.setValue(default_threads())
        self.threads_box.setToolTip("torch threads per process. Inside the app the default leaves one core to the "
                                    "window: torch slows down many times over when its threads must share a core.")
        self.seed_box = QSpinBox()
        self.seed_box.setRange(0, 2**31 - 1)
        self.length_box = QSpinBox()
        self.length_box.setRange(1, 2**31 - 1)
        self.length_box.setGroupSeparatorShown(True)
        self.unit_box = QComboBox()
        self.unit_box.addItems(["steps", "epochs"])
        length_row = QHBoxLayout()
        length_row.addWidget(self.length_box, 1)
        length_row.addWidget(self.unit_box)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("shown in the run list (default: the preset)")
        self.folder_label = QLabel()
        self.folder_label.setWordWrap(True)

        top = QFormLayout()
        top.addRow("Puzzle family", self.family_box)
        top.addRow("Dataset", data_row)
        top.addRow("Preset", self.preset_box)
        top.addRow("", self.preset_note)
        top.addRow("Device", self.device_box)
        top.addRow("GPUs / processes", self.processes_box)
        top.addRow("Threads", self.threads_box)
        top.addRow("Seed", self.seed_box)
        top.addRow("Length", length_row)
        top.addRow("Run name", self.name_edit)
        top.addRow("Folder", self.folder_label)
        self.form = ConfigForm()
        self.estimate = QLabel("\u2013")
        self.estimate.setObjectName("estimate")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #D13B3B")
        self.start_button = QPushButton("Start")
        self.start_button.setDefault(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.start_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.form, 1)
        layout.addWidget(self.estimate)
        layout.addWidget(self.message)
        layout.addWidget(buttons)

        self._measure_timer = QTimer(self, singleShot=True, interval=MEASURE_DELAY_MS)
        self._measure_timer.timeout.connect(self.measure)
        self.family_box.currentIndexChanged.connect(self._on_family_box_current_index_changed)
        self.preset_box.currentIndexChanged.connect(self._on_preset_box_current_index_changed)
        for signal in (self.form.changed, self.dataset_box.currentIndexChanged, self.device_box.currentIndexChanged,
                       self.threads_box.valueChanged, self.seed_box.valueChanged, self.length_box.valueChanged,
                       self.unit_box.currentIndexChanged, self.processes_box.valueChanged):
            signal.connect(self._on_form_changed)
        self.name_edit.textChanged.connect(self._on_name_edit_text_changed)
        self.form.editors["train.eval_interval"].valueChanged.connect(self._on_eval_interval_value_changed)
        for signal in (self.length_box.valueChanged, self.unit_box.currentIndexChanged):
            signal.connect(self._scale_eval_interval)
        self._on_family_box_current_index_changed()
        self._start_lookups()

    # ---- choices ------------------------------------------------------------------------------------
    def family(self) -> str:
        return self.family_box.currentData()

    def _start_lookups(self) -> None:
        """Datasets and devices are found off the GUI thread (opening files; importing torch)."""
        self._jobs = [Job(scan_datasets, settings.locations().datasets, name="List datasets", background=True)]
        self._jobs[0].finished.connect(self._on_datasets_found)
        self._jobs[0].failed.connect(self.message.setText)
        if not DEVICES:
            self._jobs.append(Job(warm_up, name="Find devices", background=True))
            self._jobs[-1].finished.connect(self._on_devices_found)
            self._jobs[-1].failed.connect(self.message.setText)
        else:
            self._on_devices_found(DEVICES)
        for job in self._jobs:
            job.start()

    def _on_datasets_found(self, found: list) -> None:
        known = {row[0] for row in self._datasets}
        self._datasets += [row for row in found if row[0] not in known]
        self._fill_datasets()

    def _on_devices_found(self, devices: list[str]) -> None:
        DEVICES[:] = devices
        self.device_box.blockSignals(True)
        self.device_box.clear()
        self.device_box.addItem(f"auto ({devices[0]})", "auto")
        for device in devices:
            self.device_box.addItem(device, device)
        self.device_box.blockSignals(False)
        cuda = sum(d.startswith("cuda") for d in devices)
        self.processes_box.setToolTip(self.processes_box.toolTip() + f". This machine has {cuda} CUDA device(s).")

    def add_dataset(self, path: Path) -> bool:
        """Offer (and select) a dataset file, e.g. one just built or browsed to."""
        try:
            row = describe_dataset(Path(path))
        except TrmError as exc:
            dialogs.show_error(self, "Not a dataset", str(exc))
            return False
        self._datasets = [r for r in self._datasets if r[0] != row[0]] + [row]
        self._wanted_dataset = row[0]
        self.family_box.setCurrentIndex(self.family_box.findData(row[1]))
        self._fill_datasets()
        return True

    def _fill_datasets(self) -> None:
        current = self._wanted_dataset or self.dataset_box.currentData()
        preset = self.preset_box.currentData()
        size = load_preset(preset).model.seq_len if preset else 0
        rows = [row for row in self._datasets if row[1] == self.family()]
        fits = [row[0] for row in rows if row[3] == size]  # e.g. 4x4 Sudoku for the 4x4 preset
        if not self._wanted_dataset and fits and current not in fits:
            current = fits[0]
        self.dataset_box.blockSignals(True)
        self.dataset_box.clear()
        for path, _family, text, _size in rows:
            self.dataset_box.addItem(text, path)
        if not self.dataset_box.count():
            self.dataset_box.addItem("no dataset of this family yet: Generate\u2026 or Browse\u2026", None)
        index = self.dataset_box.findData(current)
        self.dataset_box.setCurrentIndex(max(0, index))
        self.dataset_box.blockSignals(False)
        self._on_form_changed()

    def _on_family_box_current_index_changed(self, *_args) -> None:
        self.preset_box.blockSignals(True)
        self.preset_box.clear()
        names = [n for n in preset_names() if preset_family(n) == self.family()]
        # laptop-size TRM presets first (the family's usual one on top), then HRM, then the paper's sizes
        order = sorted(names, key=lambda n: (not n.endswith("-lab"), n != DEFAULT_PRESETS[self.family()],
                                             n.startswith("hrm"), n))
        for name in order:
            self.preset_box.addItem(name, name)
        self.preset_box.blockSignals(False)
        self._on_preset_box_current_index_changed()
        self._fill_datasets()

    def _on_preset_box_current_index_changed(self, *_args) -> None:
        name = self.preset_box.currentData()
        if not name:
            return
        cfg = load_preset(name)
        length = f"{cfg.train.steps:,} steps" if cfg.train.steps else f"{cfg.train.epochs:,} epochs"
        self.preset_note.setText(f"{preset_description(name)}\nDefault length {length}; the time below is "
                                 "measured on this machine.")
        for box, value in ((self.seed_box, cfg.train.seed), (self.length_box, cfg.train.steps or cfg.train.epochs)):
            box.blockSignals(True)
            box.setValue(max(box.minimum(), value))
            box.blockSignals(False)
        self.unit_box.blockSignals(True)
        self.unit_box.setCurrentIndex(0 if cfg.train.steps else 1)
        self.unit_box.blockSignals(False)
        self.form.set_config(cfg)
        self._eval_follows_length = True
        self._scale_eval_interval()
        self._fill_datasets()

    def _on_eval_interval_value_changed(self, _value: int) -> None:
        self._eval_follows_length = False  # the user's choice stands

    def _scale_eval_interval(self, *_args) -> None:
        name = self.preset_box.currentData()
        if not name or not self._eval_follows_length or self.unit_box.currentText() != "steps":
            return
        train = load_preset(name).train
        editor = self.form.editors["train.eval_interval"]
        editor.blockSignals(True)
        editor.setValue(scaled_eval_interval(train.steps, train.eval_interval, self.length_box.value()))
        editor.blockSignals(False)

    def _on_browse_clicked(self) -> None:
        path = dialogs.ask_open_path(self, "Dataset", "Datasets (*.h5 *.hdf5)", settings.locations().datasets)
        if path is not None:
            self.add_dataset(path)

    def _on_build_clicked(self) -> None:
        from ..puzzles import BuildDatasetDialog

        dialog = BuildDatasetDialog(self.context, self)
        preset = self.preset_box.currentData()
        dialog.suggest(self.family(), load_preset(preset).model.seq_len if preset else 0)
        dialog.dataset_built.connect(self.add_dataset)
        dialog.open()
        self.build_dialog = dialog

    def _on_name_edit_text_changed(self, _text: str) -> None:
        self._update_folder()

    def _update_folder(self) -> None:
        self.folder_label.setText(str(new_run_dir(self.name_edit.text() or self.preset_box.currentData() or "run")))

    # ---- the config ---------------------------------------------------------------------------------
    def config(self) -> RunConfig:
        """The run's config from every field; raises TrmError (naming the field) for a bad value."""
        dataset = self.dataset_box.currentData()
        length = self.length_box.value()
        steps, epochs = (length, 0) if self.unit_box.currentText() == "steps" else (0, length)
        overrides = self.form.overrides() + [
            f"data.path={dataset or ''}", f"train.device={self.device_box.currentData()}",
            f"train.threads={self.threads_box.value()}", f"train.seed={self.seed_box.value()}",
            f"train.steps={steps}", f"train.epochs={epochs}",
            f"name={self.name_edit.text().strip() or self.preset_box.currentData()}"]
        return apply_overrides(load_preset(self.preset_box.currentData()), overrides)

    def plan(self) -> LaunchPlan:
        cfg = self.config()
        if not cfg.data.path:
            raise TrmError("choose a dataset (or generate one) first")
        return LaunchPlan(cfg, new_run_dir(cfg.name or cfg.preset), self.processes_box.value())

    def _on_form_changed(self, *_args) -> None:
        self._update_folder()
        try:
            self.config()
        except TrmError as exc:
            self.message.setText(str(exc))
            self.start_button.setEnabled(False)
            return
        self.message.setText("" if self.dataset_box.currentData() else "Choose a dataset, or generate one.")
        self.start_button.setEnabled(bool(self.dataset_box.currentData()))
        self._measure_timer.start()

    # ---- the estimate -------------------------------------------------------------------------------
    def measure(self) -> Job | None:
        """Count the parameters and time a few real optimizer steps, in a job (the latest form wins)."""
        if self.measure_job is not None and self.measure_job.is_running:
            self.measure_job.cancel()
        try:
            cfg = self.config()
        except TrmError:
            return None
        self.params = self.step_seconds = None
        self.estimate.setText("Measuring the model and a training step\u2026")
        self.measure_job = Job(measure_step, cfg, name="Measure a training step", background=True)
        self.measure_job.progressed.connect(self._on_measure_progressed)
        self.measure_job.finished.connect(self._on_measure_finished)
        self.measure_job.failed.connect(self._on_measure_failed)
        self.measure_job.start()
        return self.measure_job

    def _on_measure_progressed(self, event) -> None:
        if self.sender() is self.measure_job and event[0] == "params":
            self.params = event[1]
            self.estimate.setText(f"{self.params:,} parameters \u00b7 timing a training step\u2026")

    def _on_measure_finished(self, seconds: float) -> None:
        if self.sender() is not self.measure_job:
            return
        self.step_seconds = seconds
        text = f"{self.params or 0:,} parameters \u00b7 {seconds:.3g} s per optimizer step (measured here"
        text += ", one process)" if self.processes_box.value() > 1 else ")"
        if self.unit_box.currentText() == "steps":
            text += f" \u00b7 about {format_duration(seconds * self.length_box.value())} for " \
                    f"{self.length_box.value():,} steps"
        self.estimate.setText(text)
        self.measured.emit((self.params, seconds))

    def _on_measure_failed(self, text: str) -> None:
        if self.sender() is self.measure_job:
            self.estimate.setText(f"Cannot measure: {text}")

    def done(self, result: int) -> None:
        """Closing the dialog stops a measurement (at its next step)."""
        self._measure_timer.stop()
        if self.measure_job is not None and self.measure_job.is_running:
            self.measure_job.cancel()
        super().done(result)
