"""TrainingRuns: the runs the Train area knows — their histories, the runs this app drives (LocalRun,
ProcessRun) and the ones it follows through their files (TailFeed) — and the operations on them:
start, continue, extend, pause, resume, stop, list. No widgets: the panel shows what this holds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal

from trm_engine.config import RunConfig, apply_overrides
from trm_engine.errors import RunError
from trm_engine.train.events import TrainMetrics
from trm_engine.train.run_dir import RunDirectory

from ...workers import Job
from .dialog import LaunchPlan
from .feed import LocalRun, ProcessRun, TailFeed, default_threads
from .history import RunHistory
from .runs import experiment_folders, runs_root, scan_runs


class TrainingRuns(QObject):
    changed = Signal(object)  # Path: a run's state changed (started, paused, ended, ...): update actions
    listed = Signal(list)  # run summaries of every run directory (RunDirectory.summary() rows)
    stepped = Signal(object)  # Path: an event of a run trained here arrived (the header shows its step now)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.histories: dict[Path, RunHistory] = {}
        self.sources: dict[Path, LocalRun | ProcessRun] = {}  # runs this app drives
        self.feeds: dict[Path, TailFeed] = {}  # runs followed through their files
        self.attached: list[Path] = []  # run folders outside the runs root
        self._scan: Job | None = None
        self._scan_again = False

    def history(self, path: Path) -> RunHistory:
        return self.histories.setdefault(Path(path), RunHistory())

    # ---- driving runs -------------------------------------------------------------------------------
    def start(self, plan: LaunchPlan, resume: bool = False) -> LocalRun | ProcessRun:
        """Train `plan.cfg` into `plan.run_dir`: a worker thread for one process, torchrun for more."""
        path = Path(plan.run_dir)
        if self.live(path) is not None:
            raise RunError(f"{path} is already training")
        self.drop_feed(path)
        if plan.processes > 1:
            source = ProcessRun(plan.cfg, path, plan.processes, resume, parent=self)
        else:
            source = LocalRun(plan.cfg, path, resume, parent=self)
            source.event_received.connect(self._on_source_event_received)
        source.failed.connect(self._on_source_failed)
        source.ended.connect(self._on_source_ended)
        self.sources[path] = source
        history = self.history(path)
        history.state, history.message = "starting", ""
        history.version += 1
        if plan.processes > 1:  # torchrun writes the directory; the monitor reads it from there
            self.follow(path)
        source.start()
        self.changed.emit(path)
        return source

    def resume_plan(self, path: Path, extra_steps: int = 0) -> LaunchPlan:
        """How to continue a run from its last checkpoint (with `extra_steps` more steps); RunError or
        ConfigError when its config cannot be read."""
        run = RunDirectory(Path(path))
        cfg = RunConfig.from_dict(run.config(), where=str(run.config_path))
        changes = [] if cfg.train.threads else [f"train.threads={default_threads()}"]
        if extra_steps:
            total = self.history(path).total_steps or run.status().get("total_steps", 0)
            changes += [f"train.steps={total + extra_steps}", "train.epochs=0"]
        return LaunchPlan(apply_overrides(cfg, changes), Path(path), self.history(path).world_size)

    def live(self, path: Path | None) -> LocalRun | ProcessRun | None:
        source = self.sources.get(path) if path is not None else None
        return source if source is not None and source.is_live else None

    def is_busy(self, path: Path) -> bool:
        """Training here, or written by another live process."""
        return self.live(path) is not None or self.history(path).is_live

    def pause(self, path: Path) -> None:
        source = self.live(path)
        if source is not None and source.can_pause:
            source.pause()

    def resume(self, path: Path) -> None:
        source = self.live(path)
        if source is not None and source.can_pause:
            source.resume_training()

    def stop(self, path: Path) -> bool:
        source = self.live(path)
        if source is None:
            return False
        self.history(path).message = "stopping (writing a checkpoint)\u2026"
        source.stop()
        return True

    def stop_all_and_wait(self, timeout_s: float) -> bool:
        """Stop every live run (each writes a checkpoint) and run the event loop until they have ended."""
        live = [s for s in self.sources.values() if s.is_live]
        loop = QEventLoop()
        tick = QTimer(interval=200)
        tick.timeout.connect(loop.quit)
        for source in live:
            source.ended.connect(loop.quit)
            source.stop()
        tick.start()
        deadline = time.monotonic() + timeout_s
        while any(s.is_live for s in live) and time.monotonic() < deadline:
            loop.exec()
        tick.stop()
        return not any(s.is_live for s in live)

    def _on_source_event_received(self, event) -> None:
        source = self.sender()
        self.history(source.run_dir).add(event)
        self.stepped.emit(source.run_dir)
        if not isinstance(event, TrainMetrics):
            self.changed.emit(source.run_dir)
            if event.type in ("started", "finished", "stopped", "failed"):
                self.refresh()

    def _on_source_failed(self, text: str) -> None:
        source = self.sender()
        history = self.history(source.run_dir)
        history.fail(text)
        run = RunDirectory(source.run_dir)  # leave a status behind only where this process wrote one
        status = run.status() if run.exists() else {}
        if status.get("pid") == os.getpid() and status.get("state") in ("running", "paused"):
            run.write_status("failed", history.step, history.total_steps, text)

    def _on_source_ended(self) -> None:
        self.changed.emit(self.sender().run_dir)
        self.refresh()

    # ---- following run directories ------------------------------------------------------------------
    def follow(self, path: Path) -> None:
        """Tail `path` into its history (unless this app is training it)."""
        path = Path(path)
        if path not in self.feeds and not isinstance(self.live(path), LocalRun):
            history = self.history(path)
            history.clear()  # the feed reads the whole file
            feed = self.feeds[path] = TailFeed(path, history, self)
            feed.updated.connect(lambda p=path: self.changed.emit(p))

    def drop_feed(self, path: Path) -> None:
        feed = self.feeds.pop(Path(path), None)
        if feed is not None:
            feed.stop()
            feed.deleteLater()

    def forget(self, path: Path) -> None:
        self.drop_feed(path)
        self.histories.pop(Path(path), None)
        self.attached = [p for p in self.attached if p != Path(path)]

    def refresh(self) -> None:
        """Re-list the run directories in a background job; `listed` brings the rows."""
        if self._scan is not None and self._scan.is_running:
            self._scan_again = True
            return
        self._scan_again = False
        self._scan = Job(scan_runs, runs_root(), list(self.attached), experiment_folders(), name="List runs",
                         background=True)
        self._scan.finished.connect(self._on_scan_finished)
        self._scan.start()

    def _on_scan_finished(self, rows: list[dict]) -> None:
        if self._scan_again:
            QTimer.singleShot(0, self.refresh)
        self.listed.emit(rows)
