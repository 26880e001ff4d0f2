"""The only place the app starts threads: `Job` runs engine work on a QThread and reports by signals.

The work is a callable run *in the worker thread*. If it returns a generator (the engine's style:
training, dataset building and tracing yield small event dataclasses), every yielded value becomes a
`progressed` signal and the generator's return value the `finished` result; any other return value
is the result directly. Cancel, pause and resume take effect between yields (a plain function can
only be cancelled as a whole: its result is dropped). Every exception, RuntimeError from torch
included, ends as `failed(text)` - a job never stays "running" after an error.

    job = Job(build_dataset, config, name="Build dataset")
    job.progressed.connect(self._on_build_progressed)
    job.finished.connect(self._on_build_finished)
    job.failed.connect(self._on_build_failed)
    job.start()

All signals arrive queued on the GUI thread, in order, and exactly one of finished / failed /
cancelled is emitted, followed by `ended`.

Engine functions that report through a callback instead (`generate_sudoku(..., progress=cb)`) run
with `progress_kw="progress"`: the job passes a callback whose calls become `progressed` events
(one argument as is, several as a tuple) and where cancel and pause take effect.
Work that has its own graceful stop (the trainer's `Control.request_stop`, which writes a checkpoint
first) passes it as `stop_fn`: then cancel() asks the work to stop and lets it end on its own terms
(usually `finished`); a second cancel() cuts it off at the next yield.
`ProcessJob` is the same contract for a child process (QProcess), e.g. a `torchrun` training job.
"""

from __future__ import annotations

import atexit
import collections
import enum
import inspect
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, QProcess, QProcessEnvironment, QThread, Signal, Slot

from trm_engine.errors import TrmError

from .gui_gc import collect_in_gui_thread


class JobState(enum.Enum):
    READY = "ready"
    RUNNING = "running"
    PAUSED = "paused"
    CANCELLING = "cancelling"
    FINISHED = "finished"
    FAILED = "failed"
    CANCELLED = "cancelled"


_OVER = (JobState.FINISHED, JobState.FAILED, JobState.CANCELLED)


def error_text(exc: BaseException) -> str:
    """The message a user sees: the engine's typed errors as they are, anything else with its type."""
    if isinstance(exc, TrmError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


class _Control:
    """Flags the GUI sets and the worker reads between yields (thread-safe)."""

    def __init__(self) -> None:
        self.cancel = threading.Event()
        self.running = threading.Event()  # cleared while paused
        self.running.set()

    def wait_while_paused(self) -> None:
        while not self.running.wait(0.05):
            if self.cancel.is_set():
                return


class _Cancelled(Exception):
    pass


class _Worker(QObject):
    """Lives in the job's thread; runs the work and emits plain signals (queued to the Job)."""

    progressed = Signal(object)
    finished = Signal(object)
    failed = Signal(str, object)
    cancelled = Signal()
    paused = Signal()
    resumed = Signal()

    def __init__(self, fn: Callable[..., Any], args: tuple, kwargs: dict, control: _Control,
                 throttle_s: float, progress_kw: str | None):
        super().__init__()
        self._fn, self._args, self._kwargs = fn, args, dict(kwargs)
        self._control = control
        self._throttle_s = throttle_s
        if progress_kw:
            self._kwargs[progress_kw] = self._report

    def _report(self, *args: Any) -> None:
        """The progress callback handed to callback-style work: a yield point of its own."""
        self._checkpoint()
        self.progressed.emit(args[0] if len(args) == 1 else args)

    def _checkpoint(self) -> None:
        control = self._control
        if not control.running.is_set():
            self.paused.emit()
            control.wait_while_paused()
            if not control.cancel.is_set():
                self.resumed.emit()
        if control.cancel.is_set():
            raise _Cancelled

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(*self._args, **self._kwargs)
            if inspect.isgenerator(result):
                result = self._consume(result)
            if self._control.cancel.is_set():
                raise _Cancelled
            self.finished.emit(result)
        except _Cancelled:
            self.cancelled.emit()
        except BaseException as exc:  # noqa: BLE001 - every failure must end the job, see module doc
            self.failed.emit(error_text(exc), exc)
        finally:
            QThread.currentThread().quit()

    def _consume(self, gen) -> Any:
        pending, last_emit = None, 0.0
        try:
            while True:
                self._checkpoint()
                try:
                    event = next(gen)
                except StopIteration as stop:
                    if pending is not None:
                        self.progressed.emit(pending[0])
                    return stop.value
                now = time.monotonic()
                if self._throttle_s and now - last_emit < self._throttle_s:
                    pending = (event,)  # coalesce: only the latest survives, sent before the end
                    continue
                pending, last_emit = None, now
                self.progressed.emit(event)
        finally:
            gen.close()  # runs the generator's own finally blocks (files closed, checkpoints saved)


_ALIVE: set[Job | ProcessJob] = set()  # running jobs are kept alive even if their owner drops them


class Job(QObject):
    """A piece of work on its own QThread. See the module docstring for the contract."""

    started = Signal()
    progressed = Signal(object)  # each value the generator yields
    finished = Signal(object)  # the result
    failed = Signal(str)  # the error text (the exception is in `.error`)
    cancelled = Signal()
    paused = Signal()
    resumed = Signal()
    ended = Signal()  # after finished / failed / cancelled: the state is final

    def __init__(self, fn: Callable[..., Any], *args: Any, name: str = "", throttle_s: float = 0.0,
                 progress_kw: str | None = None, background: bool = False, stop_fn: Callable[[], None] | None = None,
                 parent: QObject | None = None, **kwargs: Any):
        super().__init__(parent)
        self.name = name or getattr(fn, "__name__", "job")
        self.background = background  # housekeeping (e.g. a live path search): quitting does not ask
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._throttle_s = throttle_s
        self._progress_kw = progress_kw
        self._stop_fn = stop_fn  # the work's own graceful stop, called by the first cancel()
        self.stop_requested = False
        self._control = _Control()
        self._state = JobState.READY
        self._thread: QThread | None = None
        self._worker: _Worker | None = None
        self.result: Any = None
        self.error: BaseException | None = None
        self.error_text = ""

    @property
    def state(self) -> JobState:
        return self._state

    @property
    def is_running(self) -> bool:
        """True from start() until the final signal (paused and cancelling count as running)."""
        return self._state not in _OVER and self._state is not JobState.READY

    def start(self) -> Job:
        if self._state is not JobState.READY:
            raise RuntimeError(f"job {self.name!r} was already started")
        collect_in_gui_thread()  # a collection in this job's thread could deadlock with the GUI (gui_gc)
        self._thread = QThread()
        self._thread.setObjectName(f"job:{self.name}")
        self._worker = _Worker(self._fn, self._args, self._kwargs, self._control, self._throttle_s,
                               self._progress_kw)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self._on_worker_progressed)
        self._worker.finished.connect(self._on_worker_finished)
        self._worker.failed.connect(self._on_worker_failed)
        self._worker.cancelled.connect(self._on_worker_cancelled)
        self._worker.paused.connect(self._on_worker_paused)
        self._worker.resumed.connect(self._on_worker_resumed)
        self._thread.finished.connect(self._on_thread_finished)
        self._state = JobState.RUNNING
        _ALIVE.add(self)
        self._thread.start()
        self.started.emit()
        return self

    def cancel(self) -> None:
        """Ask the work to stop at its next yield (a plain function: its result will be dropped).
        With a `stop_fn`, the first call asks the work to stop itself and the job ends as the work does."""
        if self.is_running and self._stop_fn is not None and not self.stop_requested:
            self.stop_requested = True
            self._stop_fn()
            return
        if self.is_running:
            self._control.cancel.set()
            self._control.running.set()
            self._state = JobState.CANCELLING

    def pause(self) -> None:
        """Hold the work at its next yield until resume() (or cancel()); before start(): start paused."""
        if self._state in (JobState.READY, JobState.RUNNING):
            self._control.running.clear()

    def resume(self) -> None:
        if not self._control.cancel.is_set():
            self._control.running.set()

    def wait(self, msecs: int = 5000) -> bool:
        """Block until the thread has stopped (for shutdown and tests); True if it has."""
        return self._thread is None or self._thread.wait(msecs)

    # ---- worker -> GUI thread ---------------------------------------------------------------------
    def _on_worker_progressed(self, event: object) -> None:
        if self._state is not JobState.CANCELLING:
            self.progressed.emit(event)

    def _on_worker_paused(self) -> None:
        if self._state is JobState.RUNNING:
            self._state = JobState.PAUSED
            self.paused.emit()

    def _on_worker_resumed(self) -> None:
        if self._state is JobState.PAUSED:
            self._state = JobState.RUNNING
            self.resumed.emit()

    def _on_worker_finished(self, result: object) -> None:
        self.result = result
        self._end(JobState.FINISHED, self.finished, result)

    def _on_worker_failed(self, text: str, exc: BaseException) -> None:
        self.error, self.error_text = exc, text
        self._end(JobState.FAILED, self.failed, text)

    def _on_worker_cancelled(self) -> None:
        self._end(JobState.CANCELLED, self.cancelled)

    def _end(self, state: JobState, signal, *args) -> None:
        self._state = state
        signal.emit(*args)
        self.ended.emit()

    def _on_thread_finished(self) -> None:
        # QThread.finished is emitted from the thread just before it really ends; destroying the QThread
        # in that window aborts the process, so wait (microseconds) before letting the job be collected.
        if self._thread is not None:
            self._thread.wait()
        self._worker = None  # Python-owned: collected here (its thread is over, nothing is pending)
        _ALIVE.discard(self)


def progress_of(event: object) -> tuple[int, int, str] | None:
    """(done, total, text) from a progress event: an object with done/total (and message) or with
    step/total_steps (training events), or a (done, total) tuple from a progress callback."""
    if isinstance(event, tuple) and len(event) == 2 and all(isinstance(v, int) for v in event):
        return event[0], event[1], ""
    if hasattr(event, "total_steps") and hasattr(event, "step"):
        step, total = event.step, event.total_steps
        return (step, total, f"step {step:,} of {total:,}") if isinstance(total, int) and total > 0 else None
    done = getattr(event, "done", None)
    total = getattr(event, "total", None)
    if isinstance(done, int) and isinstance(total, int) and total > 0:
        return done, total, str(getattr(event, "message", "") or "")
    return None


class ProcessJob(QObject):
    """A child process (QProcess) with Job's contract: started, then exactly one of finished(exit code
    0) / failed(text ending with the output's tail) / cancelled, then ended. cancel() sends SIGTERM
    (`trm train` stops gracefully on it, with a checkpoint); a second cancel() kills. stdout and stderr
    are merged: `output_received` carries each chunk, `output_tail()` the last lines."""

    started = Signal()
    output_received = Signal(str)
    finished = Signal(int)
    failed = Signal(str)
    cancelled = Signal()
    ended = Signal()

    def __init__(self, program: str, args: Sequence[str], name: str = "", env: dict[str, str] | None = None,
                 background: bool = False, parent: QObject | None = None):
        super().__init__(parent)
        self.name, self.background = name or program, background
        self.program, self.args = program, list(args)
        self._tail: collections.deque[str] = collections.deque(maxlen=200)
        self._partial, self._state = "", JobState.READY
        self.exit_code: int | None = None
        self.error_text = ""
        self.process = QProcess(self)
        self.process.setProcessChannelMode(QProcess.ProcessChannelMode.MergedChannels)
        environment = QProcessEnvironment.systemEnvironment()
        for key, value in (env or {}).items():
            environment.insert(key, value)
        self.process.setProcessEnvironment(environment)
        self.process.readyReadStandardOutput.connect(self._on_process_ready_read)
        self.process.finished.connect(self._on_process_finished)
        self.process.errorOccurred.connect(self._on_process_error_occurred)

    state = Job.state
    is_running = Job.is_running

    def start(self) -> ProcessJob:
        if self._state is not JobState.READY:
            raise RuntimeError(f"job {self.name!r} was already started")
        self._state = JobState.RUNNING
        _ALIVE.add(self)
        self.process.start(self.program, self.args)
        self.started.emit()
        return self

    def cancel(self) -> None:
        """SIGTERM (a graceful stop); a second call kills the process."""
        try:
            if self._state is JobState.CANCELLING:
                self.process.kill()
            elif self.is_running:
                self._state = JobState.CANCELLING
                self.process.terminate()
        except RuntimeError:  # the QProcess is already gone (interpreter shutdown)
            pass

    def wait(self, msecs: int = 5000) -> bool:
        try:
            return self.process.state() == QProcess.ProcessState.NotRunning or self.process.waitForFinished(msecs)
        except RuntimeError:
            return True

    def output_tail(self, lines: int = 20) -> str:
        return "\n".join((list(self._tail) + ([self._partial] if self._partial else []))[-lines:])

    def _on_process_ready_read(self) -> None:
        text = bytes(self.process.readAllStandardOutput()).decode(errors="replace")
        if text:
            parts = (self._partial + text).split("\n")
            self._partial = parts.pop()
            self._tail.extend(parts)
            self.output_received.emit(text)

    def _on_process_finished(self, code: int, status: QProcess.ExitStatus) -> None:
        if self._state in _OVER:
            return
        self._on_process_ready_read()
        self.exit_code = code
        if self._state is JobState.CANCELLING:
            self._end(JobState.CANCELLED, self.cancelled)
        elif status == QProcess.ExitStatus.NormalExit and code == 0:
            self._end(JobState.FINISHED, self.finished, code)
        else:
            how = f"exited with code {code}" if status == QProcess.ExitStatus.NormalExit else "crashed"
            tail = self.output_tail()
            self.error_text = f"{self.name} {how}" + (f":\n{tail}" if tail else "")
            self._end(JobState.FAILED, self.failed, self.error_text)

    def _on_process_error_occurred(self, error: QProcess.ProcessError) -> None:
        if error == QProcess.ProcessError.FailedToStart and self._state not in _OVER:
            self.error_text = f"{self.name}: could not start {self.program} ({self.process.errorString()})"
            self._end(JobState.FAILED, self.failed, self.error_text)

    def _end(self, state: JobState, signal, *args) -> None:
        self._state = state
        _ALIVE.discard(self)
        signal.emit(*args)
        self.ended.emit()


def running_jobs(include_background: bool = False) -> list[Job | ProcessJob]:
    """Jobs started and not yet over (for 'quit while running?' and shutdown)."""
    return [job for job in _ALIVE if job.is_running and (include_background or not job.background)]


def cancel_all(wait_ms: int = 3000) -> bool:
    """Cancel every running job and wait for it; True if all stopped in time. A job with a graceful
    stop gets `wait_ms` to use it before it is cut off."""
    jobs = list(_ALIVE)
    for job in jobs:
        job.cancel()
    if all([job.wait(wait_ms) for job in jobs]):
        return True
    for job in jobs:
        if job.is_running:
            job.cancel()
    return all([job.wait(wait_ms) for job in jobs])


# A QThread destroyed while running aborts the process: at exit, stop what is still running first.
atexit.register(cancel_all)
