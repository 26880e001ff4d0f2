"""The Experiments area: the paper's claims as suites of runs, launched, watched and reported.

The suite list (left) holds every suite with its claim; the details show each variant with the paper's
figure and what each scale trains. The launch form sets scale, seeds, budget, output folder, threads and
device; the plan below it shows every run and its state on disk (done runs are skipped, stopped ones
resume) before anything starts. Run Suite trains the plan in a worker (the engine's runner, whose runs
are normal run directories the Train monitor can open); the runs table and the per-variant summary fill
in as runs train and are measured. Stop interrupts the step in flight and keeps the checkpoint of the last
whole step, so the next launch resumes. Export Report writes the engine's Markdown report with its PNG plots and shows the
verdicts here.
"""

from __future__ import annotations

import html
from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QSplitter,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from trm_engine.errors import TrmError

from ... import dialogs
from ...panel import Panel, PanelSpec, make_action
from ...workers import Job
from ..train import DEVICES, is_run_path, warm_up, watch_experiment_folder
from .form import LaunchForm
from .rows import ExperimentRows, LaunchSettings, experiments_root
from .session import ExperimentSession
from .suites import SuiteDetails, SuiteList
from .tables import ResultsView

PLAN_DELAY_MS = 300  # edits of the form are planned once typing pauses
CLOSE_WAIT_S = 120  # how long quitting waits for the run in progress to write its checkpoint
BLOCKED = ("conflict", "needs-data", "running")


class ExperimentsPanel(Panel):
    """Suite list + details + launch form over the plan / live results, summary and verdicts."""

    def __init__(self, context, parent=None):
        super().__init__(context, parent)
        self.session = ExperimentSession(self)
        self.suite_file = ""  # a user's suites (added to or replacing the built-in ones)
        self.report_dir: Path | None = None
        self._export_dest: Path | None = None
        self._plan_on_show = False
        self._devices_job: Job | None = None
        watch_experiment_folder(experiments_root())  # its runs show in the Train area's run list

        self.suite_list = SuiteList()
        self.details = SuiteDetails()
        self.form = LaunchForm()
        self.results = ResultsView()
        self.runs_table, self.summary, self.verdicts = self.results.runs_table, self.results.summary, \
            self.results.verdicts
        self.plan_label, self.progress, self.progress_label = self.results.plan_label, self.results.progress, \
            self.results.progress_label
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._make_actions()
        self._lay_out()

        self.suite_list.suite_selected.connect(self._on_suite_list_suite_selected)
        self.form.changed.connect(self._schedule_plan)
        self.runs_table.run_selected.connect(lambda _path: self._update_actions())
        self.session.planned.connect(self._on_session_planned)
        self.session.plan_failed.connect(self._on_session_plan_failed)
        self.session.row_changed.connect(self._on_session_row_changed)
        self.session.run_ended.connect(self._on_session_run_ended)
        self.session.reported.connect(self._on_session_reported)
        self.session.report_failed.connect(self._on_session_report_failed)
        self._plan_timer = QTimer(self, singleShot=True, interval=PLAN_DELAY_MS)
        self._plan_timer.timeout.connect(self.replan)
        self._load_suites()
        self._update_actions()

    def _lay_out(self) -> None:
        launch = QGroupBox("Launch")
        box = QVBoxLayout(launch)
        box.addWidget(self.form)
        top = QWidget()
        row = QHBoxLayout(top)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.details, 3)
        row.addWidget(launch, 2)
        self.right = QSplitter(Qt.Orientation.Vertical)
        self.right.addWidget(top)
        self.right.addWidget(self.results)
        self.right.setStretchFactor(1, 1)
        self.right.setSizes([280, 480])
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("experiments_splitter")
        self.splitter.addWidget(self.suite_list)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([210, 1150])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)

    # ---- actions ------------------------------------------------------------------------------------
    def _action(self, text: str, slot, keys=None, tip: str = "") -> QAction:
        return make_action(self, text, slot, keys, tip)

    def _make_actions(self) -> None:
        a = self._action
        self.suite_file_action = a("Open Suite &File\u2026", self.open_suite_file, None,
                                   "Add or replace suites from a JSON file (`trm experiments list --json` writes one)")
        self.plan_action = a("&Plan", self.replan, "F5", "Read every run's state from the output folder again")
        self.run_action = a("&Run Suite", self.run, "Ctrl+R", "Train and measure every run not done yet")
        self.stop_action = a("&Stop Suite", self.stop, "Ctrl+.",
                             "Stop now; the run in progress keeps the checkpoint of its last whole step and resumes")
        self.monitor_action = a("Open in Train &Monitor", self.open_in_monitor, None,
                                "Show the selected run's curves in the Train area")
        self.export_action = a("&Export Report\u2026", self.export_report, "Ctrl+Shift+E",
                               "Write report.md with its plots and show the verdicts")
        self.open_report_action = a("Open Report &Folder", self.open_report_folder, None,
                                    "Open the folder the report was written to")
        for action in (self.suite_file_action, None, self.plan_action, self.run_action, self.stop_action, None,
                       self.monitor_action, None, self.export_action, self.open_report_action):
            self.toolbar.addSeparator() if action is None else self.toolbar.addAction(action)
        self._menu_actions = {
            "File": [self.suite_file_action, None, self.export_action, self.open_report_action],
            "Edit": [self.plan_action, self.run_action, self.stop_action, None, self.monitor_action],
        }

    def menu_actions(self) -> dict[str, list[QAction | None]]:
        return self._menu_actions

    def _update_actions(self) -> None:
        running = self.session.is_running
        rows = self.session.rows
        counts = rows.counts() if rows is not None else {}
        todo = counts.get("pending", 0) + counts.get("resumable", 0)
        blocked = any(counts.get(s) for s in BLOCKED)
        self.run_action.setEnabled(not running and todo > 0 and not blocked)
        self.stop_action.setEnabled(running and not self.session.job.stop_requested)
        self.plan_action.setEnabled(not running)
        self.suite_file_action.setEnabled(not running)
        self.export_action.setEnabled(rows is not None and rows.measured())
        self.open_report_action.setEnabled(self.report_dir is not None)
        selected = self.runs_table.selected()
        self.monitor_action.setEnabled(selected is not None and is_run_path(selected))
        self.suite_list.setEnabled(not running)
        self.form.setEnabled(not running)

    # ---- suites -------------------------------------------------------------------------------------
    def _load_suites(self) -> bool:
        try:
            self.suite_list.load(self.suite_file)
        except TrmError as exc:
            dialogs.show_error(self, "Cannot read the suite file", str(exc))
            self.suite_file = ""
            self.suite_list.load("")
            return False
        return True

    def open_suite_file(self, path: Path | None = None) -> bool:
        """Add (or replace by name) the suites of a JSON file in suites.json's layout."""
        path = path or dialogs.ask_open_path(self, "Open suite file", "Suite files (*.json);;All files (*)")
        if path is None:
            return False
        self.suite_file = str(path)
        if not self._load_suites():
            return False
        self.suite_list.select(next((n for n in self.suite_list.suites if n in self.suite_list.from_file), ""))
        self.status_posted.emit(f"Suites from {Path(path).name}")
        return True

    def suite(self):
        return self.suite_list.suites.get(self.suite_list.current())

    def _on_suite_list_suite_selected(self, _name: str) -> None:
        suite = self.suite()
        self.details.show_suite(suite)
        self.form.set_suite(suite)
        self.verdicts.setRowCount(0)
        self._schedule_plan()

    # ---- plan ---------------------------------------------------------------------------------------
    def launch_settings(self) -> LaunchSettings | None:
        name = self.suite_list.current()
        return self.form.settings(name, self.suite_file) if name else None

    def _schedule_plan(self) -> None:
        if not self.session.is_running:
            self._plan_timer.start()

    def replan(self) -> None:
        """Plan the launch as the form stands (in a background job); the runs table shows the states."""
        self._plan_timer.stop()
        launch = self.launch_settings()
        if launch is None or self.session.is_running:
            return
        if not self.isVisible():
            self._plan_on_show = True
            return
        self.plan_label.setText("planning\u2026")
        self.session.plan(launch)

    def _on_session_planned(self, rows: ExperimentRows) -> None:
        self.runs_table.set_rows(rows)
        self.summary.set_rows(rows)
        self.plan_label.setToolTip(rows.command)
        self._show_plan(rows)
        self._show_progress()
        self._update_actions()

    def _show_plan(self, rows: ExperimentRows) -> None:
        counts = " \u00b7 ".join(f"{n} {state}" for state, n in rows.counts().items())
        note = ""
        blocked = [r for r in rows.rows if r.state in BLOCKED]
        if blocked:
            note = f"<br><span style='color:#D13B3B'>{blocked[0].variant} seed {blocked[0].seed}: " \
                   f"{html.escape(blocked[0].detail, False)}</span>"
        elif not self.session.is_running and not any(r.state in ("pending", "resumable") for r in rows.rows):
            note = "<br>Every run is measured: export the report."
        self.plan_label.setText(f"{rows.suite.name} at {rows.scale} scale: {len(rows.rows)} runs in "
                                f"{html.escape(str(rows.suite_dir), False)} \u2014 {counts}{note}")

    def _on_session_plan_failed(self, text: str) -> None:
        self.runs_table.set_rows(None)
        self.summary.set_rows(None)
        self.plan_label.setText(f"<span style='color:#D13B3B'>Cannot plan: {html.escape(text, False)}</span>")
        self._show_progress()
        self._update_actions()

    # ---- running ------------------------------------------------------------------------------------
    def run(self) -> Job | None:
        """Train and measure the runs of the plan not done yet (in a worker); the tables fill in live."""
        launch = self.launch_settings()
        if launch is None or self.session.is_running:
            return None
        self._plan_timer.stop()
        self.verdicts.setRowCount(0)
        job = self.session.run(launch)
        watch_experiment_folder(launch.out)  # the Train area lists these runs, to watch and compare them
        self.context.track_job(job, f"Experiment {launch.suite}")
        self.status_posted.emit(f"Running {launch.suite} at {launch.scale} scale")
        self._update_actions()
        return job

    def stop(self) -> None:
        if self.session.stop():
            self.progress_label.setText("stopping: the run in progress writes a checkpoint\u2026")
            self.status_posted.emit("Stopping the experiment after this optimizer step\u2026")
        self._update_actions()

    def _on_session_row_changed(self, index: int) -> None:
        rows = self.session.rows
        if rows is not None and index < len(rows.rows):
            self.runs_table.update_row(index, rows.rows[index])
            if rows.rows[index].state in ("done", "failed", "resumable"):
                self.summary.set_rows(rows)
                self._show_plan(rows)
                self._update_actions()
        self._show_progress()

    def _show_progress(self) -> None:
        rows = self.session.rows
        fraction, text = rows.progress() if rows is not None else (0.0, "")
        self.progress.setValue(round(fraction * 1000))
        if self.session.is_running or text:
            self.progress_label.setText(text)
        else:
            self.progress_label.clear()

    def _on_session_run_ended(self, outcome: str, message: str) -> None:
        self._update_actions()
        if outcome == "failed":
            dialogs.show_error(self, "Experiment failed", message)
        text = {"finished": "Experiment finished", "stopped": "Experiment stopped"}.get(outcome, "Experiment failed")
        self.status_posted.emit(f"{text}: {message}" if message else text)
        self.replan()  # the states on disk now (measured, resumable) are the truth

    # ---- report and the Train monitor ---------------------------------------------------------------
    def export_report(self, dest: Path | None = None) -> Job | None:
        rows = self.session.rows
        if rows is None or not rows.measured():
            return None
        dest = dest or dialogs.ask_directory(self, "Export the report into", self.report_dir or rows.suite_dir)
        if dest is None:
            return None
        self._export_dest = Path(dest)
        job = self.session.export(self._export_dest)
        if job is not None:
            self.context.track_job(job, "Writing the report")
        return job

    def _on_session_reported(self, path: Path, verdicts) -> None:
        self.report_dir = Path(path).parent
        self.verdicts.set_verdicts(verdicts)
        self.status_posted.emit(f"Report written: {path}")
        self._update_actions()

    def _on_session_report_failed(self, text: str) -> None:
        dialogs.show_error(self, "Cannot write the report", f"{self._export_dest}: {text}")

    def open_report_folder(self) -> None:
        if self.report_dir is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.report_dir)))

    def open_in_monitor(self) -> bool:
        path = self.runs_table.selected()
        if path is None or not is_run_path(path):
            self.status_posted.emit("That run has not started yet")
            return False
        return self.context.open_path(path)

    # ---- Panel interface ----------------------------------------------------------------------------
    def showEvent(self, event) -> None:
        super().showEvent(event)
        if self._plan_on_show:
            self._plan_on_show = False
            self.replan()
        if not DEVICES and self._devices_job is None:  # list this machine's devices (imports torch)
            self._devices_job = Job(warm_up, name="Find devices", background=True)
            self._devices_job.finished.connect(self._on_devices_found)
            self._devices_job.start()

    def _on_devices_found(self, devices: list[str]) -> None:
        DEVICES[:] = devices
        self.form.set_devices(devices)

    def can_close(self) -> bool:
        """A suite running: ask, then stop it (the run in progress writes a checkpoint) and wait."""
        if not self.session.is_running:
            return True
        if not dialogs.ask_yes_no(self, "An experiment is running",
                                  "Stop the experiment (the run in progress writes a checkpoint and resumes on "
                                  "the next launch) and quit?"):
            return False
        self.status_posted.emit("Stopping the experiment: the run in progress writes a checkpoint\u2026")
        self.session.stop_and_wait(CLOSE_WAIT_S)
        return True

    def _splitters(self) -> tuple[tuple[str, QSplitter], ...]:
        return (("splitter", self.splitter), ("right", self.right), ("middle", self.results.middle),
                ("bottom", self.results.bottom))

    def save_state(self, store: QSettings) -> None:
        store.setValue("suite", self.suite_list.current())
        store.setValue("suite_file", self.suite_file)
        store.setValue("report_dir", str(self.report_dir or ""))
        for name, splitter in self._splitters():
            store.setValue(name, splitter.saveState())
        self.form.save_state(store)

    def restore_state(self, store: QSettings) -> None:
        for name, splitter in self._splitters():
            state = store.value(name)
            if state is not None:
                splitter.restoreState(state)
        self.suite_file = store.value("suite_file", "", type=str)
        if self.suite_file and not Path(self.suite_file).is_file():
            self.suite_file = ""
        self._load_suites()
        self.suite_list.select(store.value("suite", "", type=str))
        self.form.restore_state(store)
        report_dir = store.value("report_dir", "", type=str)
        self.report_dir = Path(report_dir) if report_dir and Path(report_dir).is_dir() else None
        self._update_actions()


PANEL = PanelSpec(key="experiments", title="Experiments", order=40, create=ExperimentsPanel, icon="experiments")
