"""What a training run reports: small frozen dataclasses of plain numbers, yielded by the trainer and
appended (one JSON object per line, with its `type`) to the run's metrics.jsonl."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Event:
    step: int  # optimizer steps done when the event happened
    time: float = field(default_factory=time.time, kw_only=True)  # wall clock, seconds since the epoch

    @property
    def type(self) -> str:
        return EVENT_TYPES_BY_CLASS[type(self)]

    def to_json(self) -> dict:
        return {"type": self.type, **dataclasses.asdict(self)}


@dataclass(frozen=True)
class RunStarted(Event):
    total_steps: int
    run_dir: str
    device: str
    params: int
    resumed: bool = False
    world_size: int = 1
    warnings: tuple[str, ...] = ()  # where the dataset differs from what the recipe expects (train/recipe.py)


@dataclass(frozen=True)
class TrainMetrics(Event):
    total_steps: int
    epoch: float
    lr: float
    loss: float  # total loss per example (lm + 0.5 (halt + continue)), as the official logs it
    lm_loss: float
    q_halt_loss: float
    q_continue_loss: float
    accuracy: float  # cell accuracy of the puzzles that halted in these steps
    exact_accuracy: float
    q_halt_accuracy: float
    sup_steps: float  # mean supervision steps used by the puzzles that halted
    halted: int  # puzzles that halted (the metrics' denominator)
    examples_per_s: float  # examples x supervision steps per second (slots processed per second)
    elapsed: float  # seconds of training in this process, pauses excluded
    cpu_elapsed: float = 0.0  # CPU seconds the training thread spent in those optimizer steps (thread_time;
    #                           all of a step's compute when torch runs on 1 thread; evaluation excluded)


@dataclass(frozen=True)
class EvalResult(Event):
    exact_accuracy: float
    accuracy: float
    count: int
    sup_steps: int
    per_step_exact: tuple[float, ...] = ()  # exact accuracy after each supervision step
    halt_step_mean: float = 0.0  # mean step at which q_halt first said "halt" (sup_steps if never)
    pass_at: dict = field(default_factory=dict)  # ARC: {"1": ..., "2": ...} of this evaluation's votes
    pass_at_pooled: dict = field(default_factory=dict)  # ARC: of every evaluation's votes so far (official)
    seconds: float = 0.0
    weights: str = "ema"


@dataclass(frozen=True)
class CheckpointSaved(Event):
    path: str
    best: bool = False


@dataclass(frozen=True)
class RunPaused(Event):
    pass


@dataclass(frozen=True)
class RunResumed(Event):
    pass


@dataclass(frozen=True)
class RunFinished(Event):
    message: str = ""


@dataclass(frozen=True)
class RunStopped(Event):
    message: str = ""


@dataclass(frozen=True)
class RunFailed(Event):
    message: str = ""


EVENT_TYPES = {
    "started": RunStarted, "train": TrainMetrics, "eval": EvalResult, "checkpoint": CheckpointSaved,
    "paused": RunPaused, "resumed": RunResumed, "finished": RunFinished, "stopped": RunStopped,
    "failed": RunFailed,
}
EVENT_TYPES_BY_CLASS = {cls: name for name, cls in EVENT_TYPES.items()}
TERMINAL = (RunFinished, RunStopped, RunFailed)


def event_from_json(obj: dict) -> Event | None:
    """Rebuild an event from one metrics.jsonl line (None for an unknown type or missing fields)."""
    kind = obj.get("type")
    cls = EVENT_TYPES.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return None
    kinds = {f.name: f.type for f in dataclasses.fields(cls)}
    kwargs = {k: v for k, v in obj.items() if k in kinds}
    for name, value in kwargs.items():  # a line of the wrong types is no event (the monitor plots these)
        if not _fits(value, kinds[name]):
            return None
    for key in ("per_step_exact", "warnings"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key])
    try:
        return cls(**kwargs)
    except TypeError:
        return None


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _fits(value, kind: str) -> bool:
    """Whether a JSON value fits a field annotated `kind` (the annotations are strings here)."""
    if kind == "int":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "float":
        return _number(value)
    if kind == "str":
        return isinstance(value, str)
    if kind == "bool":
        return isinstance(value, bool)
    if kind == "dict":
        return isinstance(value, dict)
    if kind.startswith("tuple[str"):
        return isinstance(value, list) and all(isinstance(v, str) for v in value)
    if kind.startswith("tuple"):
        return isinstance(value, list) and all(_number(v) for v in value)
    return True
