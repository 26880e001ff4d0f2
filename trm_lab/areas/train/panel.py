"""The Train area: start TRM/HRM runs and watch them live, TensorBoard-style.

The run list (left) holds every run directory; the monitor (right) shows the checked runs' curves and
the selected run's header and log. Runs start from the New Run dialog: one device trains in a worker
thread (LocalRun), several GPUs in a torchrun child process (ProcessRun). Any other run directory is
followed by tailing its files (TailFeed). Pause / Resume / Stop act on the selected live run (stop
writes a checkpoint first); Continue resumes a stopped or crashed run from its last checkpoint and
Extend adds steps to a finished one. Closing the app while a run trains asks, then stops it cleanly.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QColor
from PySide6.QtWidgets import QSplitter, QToolBar, QVBoxLayout

from trm_engine.errors import TrmError
from trm_engine.train.run_dir import RunDirectory

from ... import dialogs
from ...panel import FileKind, Panel, PanelSpec, make_action
from ...workers import Job
from .dialog import LaunchPlan, NewRunDialog
from .feed import DEVICES, LocalRun, ProcessRun, warm_up
from .monitor import TrainingMonitor
from .runs import RunList, delete_run, is_run_path, rename_run, runs_root
from .session import TrainingRuns

RUN_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
              "#bcbd22", "#7f7f7f")
RUN_LIST_SHARE, RUN_LIST_WIDTH = 0.28, (330, 460)  # the run list's first width: a share, within bounds
REFRESH_MS = 2000  # the run list re-reads status files this often
CLOSE_WAIT_S = 120  # how long quitting waits for runs to write their checkpoints


class TrainPanel(Panel):
    """Run list + live monitor, and the actions that start, pause, stop, continue and extend runs."""

    def __init__(self, context, parent=None):
        super().__init__(context, parent)
        self.session = TrainingRuns(self)
        self.colors: dict[Path, QColor] = {}
        self._select_when_listed: Path | None = None  # the run to select once the list has it
        self._check_when_listed: set[Path] = set()  # runs to overlay once the list has them
        self._preloaded = False
        self._splitter_set = False  # the run list's width is set at the first show (or restored)

        self.runs = RunList()
        self.monitor = TrainingMonitor()
        self.toolbar = QToolBar()
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._make_actions()
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("train_splitter")
        self.splitter.addWidget(self.runs)
        self.splitter.addWidget(self.monitor)
        self.splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.toolbar)
        layout.addWidget(self.splitter, 1)

        self.runs.run_selected.connect(self._on_runs_run_selected)
        self.runs.run_checked.connect(self._on_runs_run_checked)
        self.runs.rename_clicked.connect(self.rename_run)
        self.runs.delete_clicked.connect(self.delete_run)
        self.session.changed.connect(self._on_session_changed)
        self.session.stepped.connect(self._on_session_stepped)
        self.session.listed.connect(self._on_session_listed)
        context.theme.theme_changed.connect(self.monitor.set_theme)
        self.monitor.set_theme(context.theme.scheme)
        self.refresh_timer = QTimer(self, interval=REFRESH_MS)
        self.refresh_timer.timeout.connect(self.session.refresh)
        self.refresh_timer.start()
        self.session.refresh()
        self._update_actions()

    @property
    def histories(self):
        return self.session.histories

    # ---- actions ------------------------------------------------------------------------------------
    def _action(self, text: str, slot, keys=None, tip: str = "") -> QAction:
        return make_action(self, text, slot, keys, tip)

    def _make_actions(self) -> None:
        a = self._action
        self.new_action = a("&New Run\u2026", self.open_new_run_dialog, "Ctrl+Shift+N", "Configure and start a run")
        self.attach_action = a("&Attach Run Folder\u2026", self._on_attach_triggered, None,
                               "Follow any run directory (a terminal's `trm train`, torchrun on a shared disk)")
        self.pause_action = a("&Pause", lambda: self.pause_run(), "Ctrl+Shift+P", "Pause between optimizer steps")
        self.resume_action = a("&Resume", lambda: self.resume_run(), None, "Resume the paused run")
        self.stop_action = a("&Stop", lambda: self.stop_run(), None, "Write a checkpoint, then stop")
        self.continue_action = a("&Continue Run", lambda: self.continue_run(), None,
                                 "Resume this stopped or crashed run from its last checkpoint")
        self.extend_action = a("&Extend Run\u2026", lambda: self.extend_run(), None,
                               "Train this run for more steps, from its last checkpoint")
        self.export_png_action = a("Export Plots as PNG\u2026", self._on_export_png_triggered)
        self.export_csv_action = a("Export Curves as CSV\u2026", self._on_export_csv_triggered)
        for action in (self.new_action, self.attach_action, None, self.pause_action, self.resume_action,
                       self.stop_action, None, self.continue_action, self.extend_action, None,
                       self.export_png_action, self.export_csv_action):
            self.toolbar.addSeparator() if action is None else self.toolbar.addAction(action)
        self._menu_actions = {
            "File": [self.new_action, self.attach_action, None, self.export_png_action, self.export_csv_action],
            "Edit": [self.pause_action, self.resume_action, self.stop_action, None, self.continue_action,
                     self.extend_action],
        }

    def menu_actions(self) -> dict[str, list[QAction | None]]:
        return self._menu_actions

    def _update_actions(self) -> None:
        path = self.monitor.current
        source = self.session.live(path)
        state = self.histories[path].state if path in self.histories else ""
        resumable = (source is None and path is not None and state not in ("running", "paused", "starting")
                     and RunDirectory(path).latest_checkpoint() is not None)
        local = source is not None and source.can_pause
        self.pause_action.setEnabled(local and state == "running")
        self.resume_action.setEnabled(local and state == "paused")
        self.stop_action.setEnabled(source is not None)
        self.continue_action.setEnabled(resumable and state != "finished")
        self.extend_action.setEnabled(resumable)
        for action in (self.export_png_action, self.export_csv_action):
            action.setEnabled(bool(self.monitor.histories))

    def _on_session_changed(self, path: Path) -> None:
        if path == self.monitor.current:
            self._update_actions()

    def _on_session_stepped(self, path: Path) -> None:
        history = self.histories[path]
        self.runs.set_step(path, history.step, history.total_steps)
        if path == self.monitor.current:  # as the status bar does, not at the next redraw of the plots
            self.monitor.update_header()

    # ---- starting and driving runs ------------------------------------------------------------------
    def open_new_run_dialog(self) -> NewRunDialog:
        dialog = NewRunDialog(self.context, self)
        dialog.accepted.connect(lambda: self._on_new_run_dialog_accepted(dialog))
        dialog.open()
        self.new_run_dialog = dialog
        return dialog

    def _on_new_run_dialog_accepted(self, dialog: NewRunDialog) -> None:
        try:
            plan = dialog.plan()
        except TrmError as exc:
            dialogs.show_error(self, "Cannot start the run", str(exc))
            return
        self.start_run(plan)

    def start_run(self, plan: LaunchPlan, resume: bool = False) -> LocalRun | ProcessRun | None:
        """Train `plan.cfg` into `plan.run_dir` and show it: one process in a worker thread, more under
        torchrun."""
        try:
            source = self.session.start(plan, resume)
        except TrmError as exc:
            dialogs.show_error(self, "Cannot start the run", str(exc))
            return None
        if isinstance(source, LocalRun):  # the status bar shows its steps; its Cancel stops it cleanly
            self.monitor.in_process.add(source.run_dir)
            self.context.track_job(source.job, f"Training {source.run_dir.name}")
        self.show_run(source.run_dir)
        self.status_posted.emit(f"Training {source.run_dir.name}")
        return source

    def continue_run(self, path: Path | None = None) -> LocalRun | ProcessRun | None:
        """Resume a stopped or crashed run from its last checkpoint."""
        return self._resume(path or self.monitor.current, 0)

    def extend_run(self, path: Path | None = None, steps: int | None = None) -> LocalRun | ProcessRun | None:
        """Train a run for `steps` more optimizer steps (asked for when not given)."""
        path = path or self.monitor.current
        if path is None:
            return None
        if steps is None:
            text = dialogs.ask_text(self, "Extend run", "Train for how many more steps?", "1000")
            if text is None:
                return None
            steps = int(text) if text.strip().isdigit() else 0
        if steps <= 0:
            dialogs.show_error(self, "Extend run", "Give a positive number of steps.")
            return None
        return self._resume(path, steps)

    def _resume(self, path: Path | None, extra_steps: int) -> LocalRun | ProcessRun | None:
        if path is None:
            return None
        try:
            plan = self.session.resume_plan(path, extra_steps)
        except TrmError as exc:
            dialogs.show_error(self, "Cannot resume the run", str(exc))
            return None
        return self.start_run(plan, resume=True)

    def pause_run(self, path: Path | None = None) -> None:
        self.session.pause(path or self.monitor.current)

    def resume_run(self, path: Path | None = None) -> None:
        self.session.resume(path or self.monitor.current)

    def stop_run(self, path: Path | None = None) -> None:
        path = path or self.monitor.current
        if self.session.stop(path):
            self.status_posted.emit(f"Stopping {path.name}: writing a checkpoint\u2026")

    # ---- which runs are shown -----------------------------------------------------------------------
    def show_run(self, path: Path, checked: bool = True) -> None:
        """Make `path` the current run (and overlay it on the plots)."""
        path = Path(path)
        if path not in self.runs.items:
            self._select_when_listed = path
            if checked:
                self._check_when_listed.add(path)
            self.session.refresh()
        self._set_current(path)
        if checked:
            self.runs.set_checked(path, True)
        self.runs.select(path)

    def _set_current(self, path: Path | None) -> None:
        item = self.runs.items.get(path) if path is not None else None
        self.monitor.set_current(path, item.text(0) if item is not None else path.name if path else "")
        self._sync_shown()
        self._update_actions()

    def _sync_shown(self) -> None:
        shown = set(self.runs.checked_paths()) | self._check_when_listed
        if self.monitor.current is not None:
            shown.add(self.monitor.current)
        for path in shown:
            if path not in self.monitor.histories:
                self.session.follow(path)
                self.monitor.show_run(path, self.session.history(path), self._color(path))
            self.runs.set_color(path, self._color(path))
        for path in [p for p in self.monitor.histories if p not in shown]:
            self.monitor.hide_run(path)
            self.runs.set_color(path, None)
            self.session.drop_feed(path)

    def _color(self, path: Path) -> QColor:
        if path not in self.colors:
            used = {c.name() for c in self.colors.values()}
            free = [c for c in RUN_COLORS if c not in used] or list(RUN_COLORS)
            self.colors[path] = QColor(free[0])
        return self.colors[path]

    def _on_runs_run_selected(self, path: Path | None) -> None:
        if path != self.monitor.current:
            self._set_current(path)

    def _on_runs_run_checked(self, _path: Path, _on: bool) -> None:
        self._sync_shown()
        self._update_actions()

    def _on_session_listed(self, rows: list[dict]) -> None:
        for row in rows:  # status.json lags a live run's events a little
            history = self.histories.get(Path(row["path"]))
            if history is not None and history.is_live:
                row["step"] = max(row.get("step", 0), history.step)
        self.runs.set_rows(rows)
        self.monitor.status_of = {Path(r["path"]): r for r in rows}
        for path in [p for p in self._check_when_listed if p in self.runs.items]:
            self._check_when_listed.discard(path)
            self.runs.set_checked(path, True)
        pending, self._select_when_listed = self._select_when_listed, None
        if pending is not None and pending in self.runs.items:
            self.show_run(pending)
        elif pending is not None:
            self._select_when_listed = pending
        self._sync_shown()
        self._update_actions()

    # ---- run list operations ------------------------------------------------------------------------
    def rename_run(self, path: Path) -> None:
        if self.session.is_busy(path):
            dialogs.show_error(self, "Rename run", "The run is training; rename it once it has stopped.")
            return
        item = self.runs.items.get(path)
        name = dialogs.ask_text(self, "Rename run", "Name:", item.text(0) if item else path.name)
        if name:
            rename_run(path, name.strip())
            self.session.refresh()

    def delete_run(self, path: Path) -> None:
        if self.session.is_busy(path):
            dialogs.show_error(self, "Delete run", "The run is training; stop it before deleting it.")
            return
        if not dialogs.ask_yes_no(self, "Delete run", f"Delete {path} with its checkpoints and metrics?"):
            return
        self.runs.set_checked(path, False)
        if self.monitor.current == path:
            self._set_current(None)
        self.monitor.hide_run(path)
        self.session.forget(path)
        try:
            delete_run(path)
        except (OSError, TrmError) as exc:
            dialogs.show_error(self, "Delete run", str(exc))
        self.session.refresh()

    def _on_attach_triggered(self) -> None:
        path = dialogs.ask_directory(self, "Attach a run folder", runs_root())
        if path is not None:
            self.context.open_path(path)

    def _on_export_png_triggered(self) -> None:
        path = dialogs.ask_save_path(self, "Export plots", "PNG image (*.png)", runs_root() / "curves.png")
        if path is not None:
            self.monitor.curves.export_png(path.with_suffix(".png"))

    def _on_export_csv_triggered(self) -> None:
        path = dialogs.ask_save_path(self, "Export curves", "CSV (*.csv)", runs_root() / "curves.csv")
        if path is not None:
            self.monitor.curves.export_csv(path.with_suffix(".csv"))

    # ---- Panel interface ----------------------------------------------------------------------------
    def open_path(self, path: Path, kind: str) -> bool:
        """Attach to a run directory: follow it live (or show a finished run's curves)."""
        path = Path(path).resolve()
        if not path.is_dir():
            path = path.parent
        if not is_run_path(path):
            dialogs.show_error(self, "Not a run", f"{path}: no config.json or status.json; not a run directory")
            return False
        if path.parent != runs_root().resolve() and path not in self.session.attached:
            self.session.attached.append(path)
        self.show_run(path)
        return True

    def can_close(self) -> bool:
        """Runs still training: ask, then stop each (a checkpoint first) and wait for them."""
        live = [s for s in self.session.sources.values() if s.is_live]
        if not live:
            return True
        if not dialogs.ask_yes_no(self, "Training is running",
                                  f"{len(live)} run(s) are training. Stop them (each writes a checkpoint "
                                  "first) and quit?"):
            return False
        self.status_posted.emit("Stopping the training runs: writing checkpoints\u2026")
        self.session.stop_all_and_wait(CLOSE_WAIT_S)
        return True

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._splitter_set:
            self._splitter_set = True
            width = self.splitter.width()
            runs = min(max(round(width * RUN_LIST_SHARE), RUN_LIST_WIDTH[0]), RUN_LIST_WIDTH[1])
            self.splitter.setSizes([runs, max(1, width - runs)])
        if not self._preloaded:  # import torch and list the devices before the user asks for them
            self._preloaded = True
            self.preload = Job(warm_up, name="Load torch", background=True)
            self.preload.finished.connect(self._on_preload_finished)
            self.preload.start()

    def _on_preload_finished(self, devices: list[str]) -> None:
        DEVICES[:] = devices

    def save_state(self, store: QSettings) -> None:
        store.setValue("splitter", self.splitter.saveState())
        store.setValue("smoothing", self.monitor.smoothing.value())
        store.setValue("log_y", self.monitor.log_y.isChecked())
        store.setValue("x_axis", self.monitor.x_axis.currentIndex())
        store.setValue("follow", self.monitor.follow.isChecked())
        store.setValue("attached", [str(p) for p in self.session.attached])

    def restore_state(self, store: QSettings) -> None:
        state = store.value("splitter")
        if state is not None:
            self._splitter_set = self.splitter.restoreState(state)
        self.monitor.smoothing.setValue(int(store.value("smoothing", self.monitor.smoothing.value())))
        self.monitor.log_y.setChecked(store.value("log_y", False, type=bool))
        self.monitor.x_axis.setCurrentIndex(int(store.value("x_axis", 0)))
        self.monitor.follow.setChecked(store.value("follow", True, type=bool))
        attached = store.value("attached", [], type=list) or []
        self.session.attached = [Path(p) for p in attached if is_run_path(Path(p))]
        self.session.refresh()


PANEL = PanelSpec(
    key="train", title="Train", order=20, create=TrainPanel, icon="train",
    file_kinds=(FileKind("run", "Runs", (), "train",
                         accepts=lambda p: (p / "status.json").exists() or (p / "config.json").exists()),),
)
