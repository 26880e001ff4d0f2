"""RunHistory: what the monitor knows about one run, built from the engine's events (Qt-free).

Events come from an in-app run (the worker's queued signals) or from tailing metrics.jsonl of any run
directory; both go through `add`. The history keeps each curve as growing lists, the run's state,
step, ETA and a log of the notable events. A resume from step a drops the points after a, as the
engine drops them from metrics.jsonl (TensorBoard's orphan purge), so curves never fold back.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from trm_engine.train.events import (
    CheckpointSaved,
    EvalResult,
    Event,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
    RunStopped,
    TrainMetrics,
)

# series key -> TrainMetrics attribute
TRAIN_SERIES = ("loss", "lm_loss", "q_halt_loss", "q_continue_loss", "accuracy", "exact_accuracy", "sup_steps",
                "lr", "examples_per_s")
EVAL_SERIES = ("eval_exact", "eval_accuracy", "eval_pass2")
# measured on the puzzles that halted in the logging window: no point when none did
HALTED_SERIES = ("accuracy", "exact_accuracy", "sup_steps")
LIVE_STATES = ("starting", "running", "paused")
ETA_WINDOW = 10  # train events the ETA's rate is measured over


class Series:
    """One curve as (step, wall-clock time, value) rows in a growing numpy buffer: appending is amortised
    O(1) and reading hands out views, so a redraw does not convert Python lists every time. Rows that
    were handed out are never overwritten (dropping rows copies), so a view stays valid."""

    def __init__(self) -> None:
        self._rows = np.empty((64, 3))
        self.size = 0

    def add(self, step: int, when: float, value: float) -> None:
        if self.size == len(self._rows):
            grown = np.empty((2 * len(self._rows), 3))
            grown[: self.size] = self._rows[: self.size]
            self._rows = grown
        self._rows[self.size] = (step, when, value)
        self.size += 1

    def drop_after(self, step: int) -> None:
        keep = int(np.searchsorted(self._rows[: self.size, 0], step, side="right"))  # steps only grow
        if keep < self.size:
            self._rows, self.size = self._rows.copy(), keep

    @property
    def steps(self) -> np.ndarray:
        return self._rows[: self.size, 0]

    @property
    def times(self) -> np.ndarray:
        return self._rows[: self.size, 1]

    @property
    def values(self) -> np.ndarray:
        return self._rows[: self.size, 2]


@dataclass
class LogLine:
    time: float
    text: str
    error: bool = False


class RunHistory:
    """Curves, state and log of one run. `version` changes whenever anything does (for redraws)."""

    def __init__(self) -> None:
        self.version = 0
        self.clear()

    def clear(self) -> None:
        """Forget everything (the run's metrics file was rewritten; it will be read again)."""
        self.version += 1
        self.series: dict[str, Series] = {k: Series() for k in TRAIN_SERIES + EVAL_SERIES}
        self.log: list[LogLine] = []
        self.state = "unknown"  # starting|running|paused|finished|stopped|failed|crashed|unknown
        self.message = ""
        self.step = 0
        self.total_steps = 0
        self.device = ""
        self.params = 0
        self.world_size = 1
        self.best_eval: float | None = None
        self.first_time: float | None = None  # wall clock of the first event: the time axis' zero
        self._rate: list[tuple[float, int]] = []  # (time, step) of recent train events, for the ETA

    # ---- input ------------------------------------------------------------------------------------
    def extend(self, events: list[Event]) -> None:
        for event in events:
            self.add(event)

    def add(self, event: Event) -> None:
        if self.first_time is None:
            self.first_time = event.time
        self.version += 1
        self.step = max(self.step, event.step) if not isinstance(event, RunStarted) else event.step
        handler = getattr(self, f"_on_{type(event).__name__}", None)
        if handler is not None:
            handler(event)

    def fail(self, text: str) -> None:
        """The job failed outside the trainer's own reporting (e.g. a bad dataset path at start-up)."""
        self.state, self.message = "failed", text
        self._log(text, error=True)

    def apply_status(self, summary: dict) -> None:
        """Take the state from a RunDirectory.summary() (it knows 'crashed': a dead writer)."""
        state = summary.get("state", "unknown")
        changed = state != self.state and not (state == "running" and self.state == "starting")
        if changed:
            self.state = state
            if state == "crashed":
                self._log("the process writing this run is gone (crashed or killed); "
                          "continue it from its last checkpoint", error=True)
        self.total_steps = summary.get("total_steps") or self.total_steps
        self.device = summary.get("device") or self.device
        if summary.get("best_eval") is not None:
            self.best_eval = summary["best_eval"]
        if changed:
            self.version += 1

    def _on_RunStarted(self, e: RunStarted) -> None:
        for series in self.series.values():
            series.drop_after(e.step)
        self._rate.clear()
        self.state, self.total_steps, self.device = "running", e.total_steps, e.device
        self.params, self.world_size = e.params, e.world_size
        where = f"{e.device}" + (f" x {e.world_size} processes" if e.world_size > 1 else "")
        self._log(f"resumed at step {e.step} on {where}" if e.resumed
                  else f"started on {where}: {e.params:,} parameters, {e.total_steps:,} steps")
        for text in e.warnings:  # the dataset differs from what the recipe expects
            self._log(f"warning: {text}", error=True)

    def _on_TrainMetrics(self, e: TrainMetrics) -> None:
        for key in TRAIN_SERIES:
            if e.halted or key not in HALTED_SERIES:
                self.series[key].add(e.step, e.time, float(getattr(e, key)))
        self.total_steps = e.total_steps
        if self.state not in ("paused",):
            self.state = "running"
        self._rate.append((e.time, e.step))
        del self._rate[:-ETA_WINDOW]

    def _on_EvalResult(self, e: EvalResult) -> None:
        self.series["eval_exact"].add(e.step, e.time, e.exact_accuracy)
        self.series["eval_accuracy"].add(e.step, e.time, e.accuracy)
        if "2" in e.pass_at:
            self.series["eval_pass2"].add(e.step, e.time, float(e.pass_at["2"]))
        if self.best_eval is None or e.exact_accuracy > self.best_eval:
            self.best_eval = e.exact_accuracy
        extra = "".join(f", pass@{k} {v:.3f}" for k, v in e.pass_at.items())
        if e.pass_at_pooled:
            extra += "; pooled over evaluations" + "".join(f", pass@{k} {v:.3f}" for k, v in e.pass_at_pooled.items())
        self._log(f"eval at step {e.step}: exact {e.exact_accuracy:.3f}, cells {e.accuracy:.3f} "
                  f"({e.count} puzzles, {e.seconds:.1f} s){extra}")

    def _on_CheckpointSaved(self, e: CheckpointSaved) -> None:
        self._log(f"checkpoint {e.path.rsplit('/', 1)[-1]}{' (best)' if e.best else ''}")

    def _on_RunPaused(self, e: RunPaused) -> None:
        self.state = "paused"
        self._rate.clear()
        self._log(f"paused at step {e.step}")

    def _on_RunResumed(self, e: RunResumed) -> None:
        self.state = "running"
        self._log(f"resumed at step {e.step}")

    def _on_RunFinished(self, e: RunFinished) -> None:
        self.state, self.message = "finished", e.message
        self._log(e.message or "finished")

    def _on_RunStopped(self, e: RunStopped) -> None:
        self.state, self.message = "stopped", e.message
        self._log(e.message or "stopped")

    def _on_RunFailed(self, e: RunFailed) -> None:
        self.fail(e.message or "failed")

    def _log(self, text: str, error: bool = False) -> None:
        self.log.append(LogLine(time.time(), text, error))
        self.version += 1

    # ---- output -----------------------------------------------------------------------------------
    @property
    def is_live(self) -> bool:
        return self.state in LIVE_STATES

    def arrays(self, key: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(steps, seconds since the run's first event, values) of one series."""
        s = self.series[key]
        return s.steps, s.times - (self.first_time or 0.0), s.values

    def latest(self, key: str) -> float | None:
        s = self.series[key]
        return float(s.values[-1]) if s.size else None

    def seconds_per_step(self) -> float | None:
        if len(self._rate) < 2:
            return None
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (t1 - t0) / (s1 - s0) if s1 > s0 else None

    def eta_seconds(self) -> float | None:
        """Seconds left at the recent rate (wall clock, evaluations included); None when unknown."""
        rate = self.seconds_per_step()
        if self.state != "running" or rate is None or not self.total_steps:
            return None
        return max(0.0, (self.total_steps - self.step) * rate)


def format_duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def format_bytes(n: float | None) -> str:
    if n is None:
        return "-"
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit in ("B", "KB") else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"
