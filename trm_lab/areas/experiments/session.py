"""ExperimentSession: plans, runs and reports a suite in worker jobs (trm_lab.workers) and says what
changed by signals; the rows it holds (experiments_rows) are what the Experiments area shows.

The engine's runner and report modules import torch, so they are imported in the workers only.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QObject, QTimer, Signal

from trm_engine.experiments.events import RunProgress
from trm_engine.train.events import TrainMetrics

from ...workers import Job
from .rows import ExperimentRows, LaunchSettings, read_plan, rows_of

FLUSH_MS = 100  # rows changed by training steps reach the table at most this often


def experiment_events(launch: LaunchSettings, control):
    """In the worker: the plan's rows first, then every event of the engine's runner on that plan."""
    from trm_engine.experiments.runner import run_experiment

    plan = launch.plan()
    yield rows_of(plan)
    yield from run_experiment(plan, control)


def export_report(suite_dir: Path, dest: Path):
    """In the worker: report.md and its PNG plots into `dest`; returns (report path, claim verdicts)."""
    from trm_engine.experiments.report import claim_verdicts, write_report
    from trm_engine.experiments.results import read_suite_results

    res = read_suite_results(suite_dir)
    command = ["trm", "experiments", "report", str(suite_dir)]
    if Path(dest).resolve() != Path(suite_dir).resolve():
        command += ["--dest", str(dest)]
    return write_report(res, dest, command), claim_verdicts(res)


class ExperimentSession(QObject):
    """Plans, runs and reports one suite at a time; the panel shows what this holds."""

    planned = Signal(object)  # ExperimentRows: a fresh plan (or the plan a launch runs)
    plan_failed = Signal(str)
    row_changed = Signal(int)  # a row of `rows` changed (at most every FLUSH_MS for training steps)
    event_received = Signal(object)  # every runner event, after the rows took it in
    run_started = Signal()
    run_ended = Signal(str, str)  # outcome (finished | stopped | failed), message
    reported = Signal(object, object)  # report path, [ClaimVerdict]
    report_failed = Signal(str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.rows: ExperimentRows | None = None
        self.launch: LaunchSettings | None = None  # what `rows` was planned from
        self.job: Job | None = None  # the running suite
        self.control = None
        self._plan_job: Job | None = None
        self._plan_next: LaunchSettings | None = None
        self.report_job: Job | None = None
        self._dirty: set[int] = set()
        self._flush = QTimer(self, interval=FLUSH_MS)
        self._flush.timeout.connect(self._on_flush_timeout)

    @property
    def is_running(self) -> bool:
        return self.job is not None and self.job.is_running

    # ---- planning -----------------------------------------------------------------------------------
    def plan(self, launch: LaunchSettings) -> None:
        """Plan `launch` in a background job (the latest request wins); `planned` brings the rows."""
        if self.is_running:
            return
        if self._plan_job is not None and self._plan_job.is_running:
            self._plan_next = launch
            return
        self._plan_next = None
        self._plan_job = Job(read_plan, launch, name="Plan experiment", background=True)
        self._plan_job.finished.connect(lambda rows, s=launch: self._on_plan_finished(s, rows))
        self._plan_job.failed.connect(self._on_plan_failed)
        self._plan_job.start()

    @property
    def planning(self) -> bool:
        return self._plan_job is not None and self._plan_job.is_running

    def _on_plan_finished(self, launch: LaunchSettings, rows: ExperimentRows) -> None:
        if self._plan_next is not None:
            self.plan(self._plan_next)
            return
        if not self.is_running:
            self.rows, self.launch = rows, launch
            self.planned.emit(rows)

    def _on_plan_failed(self, text: str) -> None:
        if self._plan_next is not None:
            self.plan(self._plan_next)
            return
        self.rows = self.launch = None
        self.plan_failed.emit(text)

    # ---- running ------------------------------------------------------------------------------------
    def run(self, launch: LaunchSettings) -> Job | None:
        """Train and measure every run of `launch` not done yet, in a worker; None if one is running."""
        if self.is_running:
            return None
        from trm_engine.train.control import Control

        self.control = Control()
        self.launch = launch
        self.job = Job(experiment_events, launch, self.control, name=f"Experiment {launch.suite}",
                       stop_fn=self.control.request_stop)
        self.job.progressed.connect(self._on_job_progressed)
        self.job.finished.connect(self._on_job_finished)
        self.job.failed.connect(self._on_job_failed)
        self.job.cancelled.connect(lambda: self._end("stopped", "cut off before the run in progress ended"))
        self.job.start()
        self._flush.start()
        self.run_started.emit()
        return self.job

    def stop(self) -> bool:
        """Stop now; the run in progress checkpoints its last whole step, and a later launch resumes it."""
        if not self.is_running or self.job.stop_requested:
            return False
        self.job.cancel()  # = control.request_stop (the job's stop_fn)
        return True

    def stop_and_wait(self, timeout_s: float) -> bool:
        """Stop (the run in progress writes its checkpoint) and run the event loop until the job has ended."""
        job = self.job
        if not self.is_running:
            return True
        self.stop()
        loop = QEventLoop()
        job.ended.connect(loop.quit)
        tick = QTimer(interval=200)
        tick.timeout.connect(loop.quit)
        tick.start()
        deadline = time.monotonic() + timeout_s
        while job.is_running and time.monotonic() < deadline:
            loop.exec()
        tick.stop()
        return not job.is_running

    def _on_job_progressed(self, event) -> None:
        if isinstance(event, ExperimentRows):
            self.rows = event
            self.planned.emit(event)
            return
        if self.rows is None:
            return
        index = self.rows.apply(event)
        if index is not None:
            if isinstance(event, RunProgress) and isinstance(event.event, TrainMetrics):
                self._dirty.add(index)
            else:
                self._dirty.discard(index)
                self.row_changed.emit(index)
        self.event_received.emit(event)

    def _on_flush_timeout(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for index in sorted(dirty):
            self.row_changed.emit(index)

    def _on_job_finished(self, _result) -> None:
        outcome = self.rows.outcome if self.rows is not None else ""
        self._end(outcome or "finished", self.rows.message if self.rows is not None else "")

    def _on_job_failed(self, text: str) -> None:
        rows = self.rows
        if rows is not None and rows.current is not None and rows.rows[rows.current].state == "training":
            rows.rows[rows.current].state, rows.rows[rows.current].detail = "failed", text
            self.row_changed.emit(rows.current)
        self._end("failed", text)

    def _end(self, outcome: str, message: str) -> None:
        self._flush.stop()
        self._on_flush_timeout()
        self.run_ended.emit(outcome, message)

    # ---- reporting ----------------------------------------------------------------------------------
    def export(self, dest: Path) -> Job | None:
        """Write the report of the planned suite into `dest` in a worker; `reported` brings the verdicts."""
        if self.rows is None or (self.report_job is not None and self.report_job.is_running):
            return None
        self.report_job = Job(export_report, self.rows.suite_dir, Path(dest), name="Write report")
        self.report_job.finished.connect(lambda result: self.reported.emit(*result))
        self.report_job.failed.connect(self.report_failed)
        self.report_job.start()
        return self.report_job
