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
"""

from __future__ import annotations

import atexit
import enum
import inspect
import threading
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThread, Signal, Slot

from trm_engine.errors import TrmError


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


_ALIVE: set[Job] = set()  # running jobs are kept alive even if their owner drops them


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
                 progress_kw: str | None = None, background: bool = False, parent: QObject | None = None,
                 **kwargs: Any):
        super().__init__(parent)
        self.name = name or getattr(fn, "__name__", "job")
        self.background = background  # housekeeping (e.g. a live path search): quitting does not ask
        self._fn, self._args, self._kwargs = fn, args, kwargs
        self._throttle_s = throttle_s
        self._progress_kw = progress_kw
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
        """Ask the work to stop at its next yield (a plain function: its result will be dropped)."""
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
    """(done, total, text) from a progress event: an object with done/total (and message), or a
    (done, total) tuple from a progress callback."""
    if isinstance(event, tuple) and len(event) == 2 and all(isinstance(v, int) for v in event):
        return event[0], event[1], ""
    done = getattr(event, "done", None)
    total = getattr(event, "total", None)
    if isinstance(done, int) and isinstance(total, int) and total > 0:
        return done, total, str(getattr(event, "message", "") or "")
    return None


def running_jobs(include_background: bool = False) -> list[Job]:
    """Jobs started and not yet over (for 'quit while running?' and shutdown)."""
    return [job for job in _ALIVE if job.is_running and (include_background or not job.background)]


def cancel_all(wait_ms: int = 3000) -> bool:
    """Cancel every running job and wait for their threads; True if all stopped in time."""
    jobs = list(_ALIVE)
    for job in jobs:
        job.cancel()
    return all(job.wait(wait_ms) for job in jobs)


# A QThread destroyed while running aborts the process: at exit, stop what is still running first.
atexit.register(cancel_all)
