"""What running an experiment reports: small frozen dataclasses, yielded by runner.run_experiment.

A GUI worker thread consumes them like the trainer's events: `RunProgress` wraps each event of the
run in progress (TrainMetrics, EvalResult, ...), so one monitor can draw both levels. `index` counts
runs from 0 in plan order; `total` is the number of runs in the plan.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from ..train.events import Event


@dataclass(frozen=True)
class ExperimentEvent:
    suite: str
    time: float = field(default_factory=time.time, kw_only=True)


@dataclass(frozen=True)
class ExperimentStarted(ExperimentEvent):
    scale: str
    total: int  # runs in the plan
    todo: int  # runs to train or resume now
    out: str
    command: str


@dataclass(frozen=True)
class DatasetBuilding(ExperimentEvent):
    dataset: str
    path: str


@dataclass(frozen=True)
class RunSkipped(ExperimentEvent):
    index: int
    total: int
    variant: str
    seed: int
    run_dir: str
    reason: str  # "done", or why it cannot run now (another process has it)


@dataclass(frozen=True)
class RunBegan(ExperimentEvent):
    index: int
    total: int
    variant: str
    seed: int
    run_dir: str
    resumed: bool
    budget: str  # e.g. "300 steps" or "20 min"


@dataclass(frozen=True)
class RunProgress(ExperimentEvent):
    index: int
    total: int
    variant: str
    seed: int
    event: Event  # the trainer's event (RunStarted, TrainMetrics, EvalResult, CheckpointSaved, ...)


@dataclass(frozen=True)
class RunMeasured(ExperimentEvent):
    index: int
    total: int
    variant: str
    seed: int
    run_dir: str
    result: dict  # what result.json holds: metrics, steps, seconds, evaluation


@dataclass(frozen=True)
class RunNotMeasured(ExperimentEvent):
    """A run that failed (non-finite loss, an error); the experiment goes on with the next run."""

    index: int
    total: int
    variant: str
    seed: int
    run_dir: str
    message: str


@dataclass(frozen=True)
class ExperimentFinished(ExperimentEvent):
    measured: int  # runs measured in this call
    skipped: int
    failed: int
    message: str = ""


@dataclass(frozen=True)
class ExperimentStopped(ExperimentEvent):
    """Stopped on request: the run in progress wrote a checkpoint and resumes on the next call."""

    message: str = ""


TERMINAL = (ExperimentFinished, ExperimentStopped)
