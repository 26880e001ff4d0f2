"""InspectSession: the Inspect area's engine work, every piece of it in a workers.Job - loading a
checkpoint, preparing a puzzle (the solver finds its solution), running the Tracer, branching after an
intervention, reading a trace file. It keeps the loaded model across runs and runs one trace job at a
time, so an intervention's tensor edits never meet a running step.

States stream to the GUI as the model computes them (the Tracer's on_states, through the job's
progress callback, a few lists a second); after each supervision step the job yields a StepDone carrying a copy of the Tracer,
which later branches start from.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal

from trm_engine.config import ModelConfig

from ...workers import Job
from .data import Intervention, StepDone, TraceData
from .models import ModelChoice, model_family

if TYPE_CHECKING:  # the tracer imports torch (~2 s of start-up): loaded by the first job instead
    from trm_engine.trace.tracer import Trace, Tracer


@dataclass
class PuzzleSource:
    """A puzzle to trace: a grid in the family's alphabet (the classical solver supplies the solution
    of a Sudoku or maze) or a dataset row's tokens."""

    name: str
    grid: np.ndarray | None = None
    solution: np.ndarray | None = None
    inputs: np.ndarray | None = None  # tokens, for dataset rows
    labels: np.ndarray | None = None  # tokens, -100 (or 0) where not scored
    puzzle_identifier: int = 0
    prepared: tuple | None = field(default=None, repr=False)  # prepare()'s result, once computed

    def tokens(self, family: str, cfg: ModelConfig) -> np.ndarray:
        """The input tokens (no solving: cheap enough for the GUI thread's preview)."""
        if self.inputs is not None:
            return np.asarray(self.inputs).reshape(-1)
        from trm_engine.puzzles import get_family
        from trm_engine.trace.puzzle_input import family_options_for
        return get_family(family, **family_options_for(family, cfg)).encode(np.asarray(self.grid))

    def prepare(self, family: str, cfg: ModelConfig) -> tuple[np.ndarray, np.ndarray | None, dict, str]:
        """(inputs, labels, family_options, note) for the Tracer; runs in a job (it may solve: the
        solver's first call in a session compiles its kernels, seconds, so the panel prepares a puzzle
        as soon as it is picked and Run finds the result here)."""
        from trm_engine.trace.puzzle_input import family_options_for, prepare_grid
        if self.prepared is not None and self.prepared[0] == (family, cfg.seq_len):
            return self.prepared[1]
        if self.inputs is not None:
            labels = None if self.labels is None else np.asarray(self.labels).astype(np.int64).reshape(-1)
            if labels is not None:
                labels = np.where(labels == 0, -100, labels)
            result = np.asarray(self.inputs).reshape(-1), labels, family_options_for(family, cfg), ""
        else:
            p = prepare_grid(family, np.asarray(self.grid), cfg, self.solution, self.name)
            result = p.inputs, p.labels, p.family_options, p.note
        self.prepared = ((family, cfg.seq_len), result)
        return result


@dataclass
class RunStarted:
    """The run job's first event: the trace being recorded and the state to branch from at step 0."""

    trace: Trace
    snapshot: Tracer
    note: str


def states_per_step(cfg: dict, level: str) -> int:
    return 2 if level == "step" else int(cfg["h_cycles"]) * (int(cfg["l_cycles"]) + 1)


STATES_EVERY_S = 0.25  # states reach the GUI in lists, at most this often and at each step's end


def run_steps(tracer: Tracer, steps: int, emit):
    """Run `steps` supervision steps: states go out through `emit` in lists as they are computed (one
    cross-thread signal per state, 21 a step for T=3, n=6, took the GUI thread, and with it the GIL,
    from the recursion), a StepDone after each step; returns the finished Trace (projection fitted)."""
    from trm_engine.trace.tracer import HaltRecord

    for done in range(1, steps + 1):
        for item in tracer.run(1, on_states=emit, every_s=STATES_EVERY_S):
            if isinstance(item, HaltRecord):
                yield StepDone(item, tracer.branch(), done, steps, f"step {item.sup_step}")
    return tracer.finish()


def trace_puzzle(model, family: str, source: PuzzleSource, steps: int, level: str, meta: dict, emit):
    """The run job: prepare the puzzle, then record `steps` supervision steps."""
    from trm_engine.trace.tracer import Tracer

    inputs, labels, options, note = source.prepare(family, model.cfg)
    tracer = Tracer(model, family, inputs, labels, level, puzzle_identifier=source.puzzle_identifier,
                    family_options=options, meta={**meta, "puzzle_source": source.name, "no_solution_because": note})
    yield RunStarted(tracer.trace, tracer.branch(), note)
    return (yield from run_steps(tracer, steps, emit))


def continue_branch(snapshot: Tracer, interventions: list[Intervention], steps: int, meta: dict, emit):
    """The branch job: a copy of `snapshot` with the interventions applied, run `steps` more steps;
    `meta` says where the branch sits in the tree (it replaces whatever branch keys the snapshot had)."""
    from trm_engine.trace.tracer import BRANCH_KEYS

    tracer = snapshot.branch(meta.get("branch_note", ""))
    kept = {k: v for k, v in tracer.trace.meta.items() if k not in BRANCH_KEYS}
    tracer.trace.meta = {**kept, **meta}
    # The branch owns its records: its projection is fitted over its own states, not its parent's.
    tracer.trace.states = [copy.copy(r) for r in tracer.trace.states]
    for iv in interventions:
        if iv.what == "input":
            tracer.edit_input(iv.position, iv.token)
            tracer.trace.inputs = tracer.trace.inputs.copy()
            tracer.trace.inputs[iv.position] = iv.token  # the file records what the model saw
        elif iv.what == "y":
            tracer.edit_y(iv.position, iv.token)
        else:
            tracer.perturb_z(iv.scale, iv.seed)
    return (yield from run_steps(tracer, steps, emit))


class InspectSession(QObject):
    """See the module docstring. Signals carry TraceData objects the panel shows."""

    model_loaded = Signal(object)  # ModelChoice
    model_failed = Signal(str)
    trace_started = Signal(object)  # TraceData, no states yet
    states_arrived = Signal(object)  # TraceData that grew (coalesce redraws: may fire per state)
    step_finished = Signal(object)  # TraceData after a supervision step
    trace_finished = Signal(object)  # TraceData, complete (projection fitted)
    trace_stopped = Signal(object)  # TraceData, stopped by the user (what was recorded stays)
    trace_failed = Signal(str)
    trace_read = Signal(object)  # [TraceData] read from a file: the main trace, then its branches
    read_failed = Signal(str, str)  # (path, message)

    def __init__(self, context, parent: QObject | None = None):
        super().__init__(parent)
        self.context = context
        self.model = None
        self.run_config = None
        self.body: dict = {}
        self.choice: ModelChoice | None = None
        self.family = ""
        self.job: Job | None = None  # the trace job (one at a time)
        self.load_job: Job | None = None
        self.read_job: Job | None = None
        self._data: TraceData | None = None
        self._pending_read: Path | None = None

    @property
    def busy(self) -> bool:
        return self.job is not None and self.job.is_running

    # ---- model ------------------------------------------------------------------------------------
    def load(self, choice: ModelChoice) -> None:
        from trm_engine.model.checkpoint import load_model
        job = Job(load_model, choice.checkpoint, name=f"Load {choice.title}")
        job.finished.connect(lambda result, c=choice, j=job: self._on_load_finished(j, c, result))
        job.failed.connect(self.model_failed)
        self.load_job = job
        self.context.track_job(job, f"Loading {choice.title}")
        job.start()

    def _on_load_finished(self, job: Job, choice: ModelChoice, result) -> None:
        if job is not self.load_job:
            return  # a later load replaced this one
        self.model, self.run_config, self.body = result
        self.family = choice.family or model_family(self.run_config)
        self.choice = choice
        self.model_loaded.emit(choice)

    # ---- running ----------------------------------------------------------------------------------
    def prepare(self, source: PuzzleSource) -> None:
        """Solve a picked puzzle in the background, so Run does not wait for the solver."""
        if self.model is not None and source.inputs is None:
            job = Job(source.prepare, self.family, self.model.cfg, name="Prepare puzzle", background=True)
            job.failed.connect(lambda _text: None)  # Run reports the same error, if it is one
            job.start()

    def run(self, source: PuzzleSource, steps: int, level: str, title: str) -> None:
        if self.model is None or self.busy:
            return
        meta = {"checkpoint": str(self.choice.checkpoint) if self.choice else ""}
        self._start(Job(trace_puzzle, self.model, self.family, source, steps, level, meta, name="Trace",
                        progress_kw="emit"), None, title, steps, level)

    def branch_problem(self, source: TraceData, step: int) -> str:
        """Why no branch can start after supervision step `step` of `source` ("" when one can): a run
        has the state if it finished that step; a trace read from a file has it if the file stored
        the states (level "full") and the loaded model is the kind that recorded them."""
        if step in source.snapshots:
            return ""
        if not source.from_file:
            return (f"supervision step {step} of {source.name} did not finish (the run was stopped): move the "
                    "cursor to a finished step")
        from trm_engine.trace.tracer import resume_problem
        problem = resume_problem(self.model, source.trace, step)
        return f"this trace was read from a file; {problem}" if problem else ""

    def snapshot(self, source: TraceData, step: int) -> None:
        """Make the state to branch from after step `step` of a trace read from a file (see branch_problem)."""
        if step not in source.snapshots:
            from trm_engine.trace.tracer import Tracer
            source.snapshots[step] = Tracer.resume(self.model, source.trace, step)

    def branch(self, source: TraceData, step: int, interventions: list[Intervention], steps: int,
               branch_id: int, title: str) -> TraceData | None:
        """Branch `branch_id`: continue `source` from the end of supervision step `step` after the
        interventions (`source` must have computed that state: see TraceData.fork_source)."""
        if step not in source.snapshots or self.busy:
            return None
        data = source.make_branch(step, interventions, branch_id, title)
        job = Job(continue_branch, source.snapshots[step], list(interventions), steps, data.branch_meta(),
                  name="Branch", progress_kw="emit")
        self._start(job, data, title, steps, data.trace.level)
        return data

    def _start(self, job: Job, data: TraceData | None, title: str, steps: int, level: str) -> None:
        self._data = data
        self._title, self._per_step = title, states_per_step(vars(self.model.cfg), level)
        self._steps = steps
        job.progressed.connect(self._on_job_progressed)
        job.finished.connect(self._on_job_finished)
        job.failed.connect(self._on_job_failed)
        job.cancelled.connect(self._on_job_cancelled)
        self.job = job
        self.context.track_job(job, title, steps)
        job.start()
        if data is not None:
            data.expected = len(data.records) + steps * self._per_step
            self.trace_started.emit(data)

    def stop(self) -> None:
        if self.busy:
            self.job.cancel()

    def _on_job_progressed(self, event: object) -> None:
        if self.sender() is not self.job:
            return
        if isinstance(event, RunStarted):
            self._data = TraceData(event.trace, self._title)
            self._data.snapshots[0] = event.snapshot
            self._data.expected = self._steps * self._per_step
            self.trace_started.emit(self._data)
            return
        data = self._data
        if isinstance(event, list):  # StateRecords, as computed
            for record in event:
                data.add(record)
            self.states_arrived.emit(data)
        elif isinstance(event, StepDone):
            data.add(event.halt)
            data.snapshots[event.halt.sup_step] = event.snapshot
            self.step_finished.emit(data)

    def _on_job_finished(self, trace: Trace) -> None:
        if self.sender() is self.job and self._data is not None:
            self._data.finish(trace)
            self.trace_finished.emit(self._data)

    def _on_job_failed(self, text: str) -> None:
        if self.sender() is self.job:
            self.trace_failed.emit(text)

    def _on_job_cancelled(self) -> None:
        if self.sender() is self.job and self._data is not None:
            self._data.expected = len(self._data)
            self.trace_stopped.emit(self._data)

    # ---- files ------------------------------------------------------------------------------------
    def read(self, path: Path) -> None:
        """Read a trace file in a job; a read asked for while one runs waits, and only the latest waits."""
        if self.read_job is not None and self.read_job.is_running:
            self._pending_read = Path(path)
            return
        from trm_engine.trace.trace_read import read_traces
        job = Job(read_traces, Path(path), name=f"Read {Path(path).name}")
        job.finished.connect(lambda traces, p=Path(path): self._on_read_finished(p, traces))
        job.failed.connect(lambda text, p=Path(path): self.read_failed.emit(str(p), text))
        job.ended.connect(self._on_read_ended)
        self.read_job = job
        job.start()

    def _on_read_finished(self, path: Path, traces: list[Trace]) -> None:
        self.trace_read.emit(TraceData.from_traces(traces, path.name.removesuffix(".trace.h5"), str(path)))

    def _on_read_ended(self) -> None:
        pending, self._pending_read = self._pending_read, None
        if pending is not None:
            self.read(pending)

