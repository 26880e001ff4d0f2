"""LaunchForm: how to run a suite - scale, seeds, budget per run, output folder, threads, device, and at
paper scale the official dataset files. It hands back LaunchSettings; the engine checks the values when
it plans (a bad budget comes back as the plan's error)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from trm_engine.experiments.commands import SCALE_HELP
from trm_engine.experiments.suites import SCALES, Suite

from ... import dialogs
from ..train import DEVICES, default_threads
from .rows import LaunchSettings, experiments_root
from .suites import default_length

PAPER_WARNING = ("<b>Paper scale</b> trains the paper's full presets on the official datasets: each run needs a "
                 "GPU for a day or more (the paper: Sudoku on 1 L40S under 36 h, Maze on 4 L40S under 24 h, ARC on "
                 "4 H100 about 3 days). Give the dataset files below; on a laptop use lab scale.")
BUDGET_HELP = ("Per run: optimizer steps (300 or 300steps), wall clock (20m, 90s, 1h), CPU time of the training "
               "thread (10cpu-min, one thread), training FLOPs (20Pflop: the same work on any machine and under "
               "any load) or several (300steps,20m: whichever ends first). Empty: the suite's default.")


class LaunchForm(QWidget):
    """The launch fields; `changed` fires on every edit (the panel re-plans after a pause)."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.scale_box = QComboBox()
        for scale in SCALES:
            self.scale_box.addItem(scale, scale)
        self.scale_box.setToolTip(SCALE_HELP)
        self.seeds_box = QSpinBox()
        self.seeds_box.setRange(1, 50)
        self.seeds_box.setValue(3)
        self.seeds_box.setToolTip("Seeds 0..K-1 per variant: the verdicts need at least 2")
        self.budget_edit = QLineEdit()
        self.budget_edit.setObjectName("budget_edit")
        self.budget_edit.setToolTip(BUDGET_HELP)
        self.out_edit = QLineEdit(str(experiments_root()))
        self.out_edit.setObjectName("out_edit")
        self.out_edit.setToolTip("Each run is a run directory <folder>/<suite>/<variant>/seed<k>; runs already "
                                 "measured there are skipped, stopped ones resume")
        browse = QPushButton("Browse\u2026")
        browse.clicked.connect(self._on_browse_clicked)
        out_row = QHBoxLayout()
        out_row.addWidget(self.out_edit, 1)
        out_row.addWidget(browse)
        self.threads_box = QSpinBox()
        self.threads_box.setRange(0, 256)
        self.threads_box.setSpecialValueText("preset's")
        self.threads_box.setValue(default_threads())
        self.threads_box.setToolTip("torch threads per run; the default leaves one core to the window")
        self.device_box = QComboBox()
        self.device_box.setEditable(True)
        self.set_devices(DEVICES)
        self.warning = QLabel(PAPER_WARNING)
        self.warning.setObjectName("paper_warning")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #B35C00")
        self.data_edits: dict[str, QLineEdit] = {}
        self.data_paths: dict[str, str] = {}  # remembered per dataset name, across suites

        self.layout_ = QFormLayout(self)
        self.layout_.setContentsMargins(0, 0, 0, 0)
        self.layout_.addRow("Scale", self.scale_box)
        self.layout_.addRow("Seeds", self.seeds_box)
        self.layout_.addRow("Budget", self.budget_edit)
        self.layout_.addRow("Output", out_row)
        self.layout_.addRow("Threads", self.threads_box)
        self.layout_.addRow("Device", self.device_box)
        self.layout_.addRow(self.warning)
        self._fixed_rows = self.layout_.rowCount()
        self.suite: Suite | None = None

        self.scale_box.currentIndexChanged.connect(self._on_scale_box_current_index_changed)
        for signal in (self.seeds_box.valueChanged, self.budget_edit.textChanged, self.out_edit.textChanged,
                       self.threads_box.valueChanged, self.device_box.currentTextChanged):
            signal.connect(self.changed)
        self._on_scale_box_current_index_changed()

    def set_devices(self, devices: list[str]) -> None:
        current = self.device_box.currentText() or "auto"
        self.device_box.blockSignals(True)
        self.device_box.clear()
        self.device_box.addItems(["auto"] + [d for d in devices if d != "auto"])
        self.device_box.setCurrentText(current)
        self.device_box.blockSignals(False)

    def scale(self) -> str:
        return self.scale_box.currentData()

    def set_suite(self, suite: Suite | None) -> None:
        """Show the suite's default budget, and a file row for each official dataset it needs at paper scale."""
        self.suite = suite
        default = default_length([suite.spec(v, self.scale()) for v in suite.variants]) if suite else \
            "the preset's length"
        self.budget_edit.setPlaceholderText(f"suite default ({default}); e.g. 300, 20m, 10cpu-min, 20Pflop")
        self._remember_data()
        while self.layout_.rowCount() > self._fixed_rows:
            self.layout_.removeRow(self._fixed_rows)
        self.data_edits = {}
        if suite is None or self.scale() != "paper":
            return
        needed = dict.fromkeys(suite.spec(v, "paper").data for v in suite.variants)
        for name in needed:
            spec = suite.datasets.get(name)
            if spec is None or not spec.official:
                continue
            edit = QLineEdit(self.data_paths.get(name, ""))
            edit.setPlaceholderText("the dataset file (.h5)")
            edit.setToolTip(spec.description)
            edit.textChanged.connect(self.changed)
            browse = QPushButton("Browse\u2026")
            browse.clicked.connect(lambda _=False, e=edit, n=name: self._on_data_browse_clicked(n, e))
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(browse)
            self.layout_.addRow(name, row)
            self.data_edits[name] = edit

    def _remember_data(self) -> None:
        for name, edit in self.data_edits.items():
            self.data_paths[name] = edit.text().strip()

    def _on_scale_box_current_index_changed(self) -> None:
        self.warning.setVisible(self.scale() == "paper")
        if self.scale() == "paper" and self.seeds_box.value() == 3:
            self.seeds_box.setValue(1)  # the CLI's defaults: 3 seeds at lab scale, 1 at paper scale
        elif self.scale() == "lab" and self.seeds_box.value() == 1:
            self.seeds_box.setValue(3)
        self.set_suite(self.suite)
        self.changed.emit()

    def _on_browse_clicked(self) -> None:
        path = dialogs.ask_directory(self, "Experiment folder", Path(self.out_edit.text() or experiments_root()))
        if path is not None:
            self.out_edit.setText(str(path))

    def _on_data_browse_clicked(self, name: str, edit: QLineEdit) -> None:
        path = dialogs.ask_open_path(self, f"Dataset {name}", "Datasets (*.h5);;All files (*)",
                                     Path(edit.text()).parent if edit.text() else None)
        if path is not None:
            edit.setText(str(path))

    def settings(self, suite: str, suite_file: str = "") -> LaunchSettings:
        self._remember_data()
        device = self.device_box.currentText().strip()
        data = tuple((name, edit.text().strip()) for name, edit in self.data_edits.items() if edit.text().strip())
        return LaunchSettings(suite, self.scale(), self.seeds_box.value(), self.budget_edit.text().strip(),
                              Path(self.out_edit.text().strip() or experiments_root()).expanduser(),
                              self.threads_box.value(), "" if device in ("", "auto") else device, data, suite_file)

    def save_state(self, store: QSettings) -> None:
        self._remember_data()
        store.setValue("scale", self.scale())
        store.setValue("seeds", self.seeds_box.value())
        store.setValue("budget", self.budget_edit.text())
        store.setValue("out", self.out_edit.text())
        store.setValue("threads", self.threads_box.value())
        store.setValue("device", self.device_box.currentText())
        store.setValue("data_paths", [f"{k}={v}" for k, v in self.data_paths.items() if v])

    def restore_state(self, store: QSettings) -> None:
        for item in store.value("data_paths", [], type=list) or []:
            name, _, path = str(item).partition("=")
            self.data_paths[name] = path
        self.data_edits = {}  # rows shown before the paths were known are rebuilt with them below
        index = self.scale_box.findData(store.value("scale", "lab", type=str))
        self.scale_box.setCurrentIndex(max(0, index))
        self.seeds_box.setValue(store.value("seeds", self.seeds_box.value(), type=int))
        self.budget_edit.setText(store.value("budget", "", type=str))
        self.out_edit.setText(store.value("out", "", type=str) or str(experiments_root()))
        self.threads_box.setValue(store.value("threads", self.threads_box.value(), type=int))
        self.device_box.setCurrentText(store.value("device", "auto", type=str))
        self.set_suite(self.suite)
