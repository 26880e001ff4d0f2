"""TensorBoard's classic smoothing, a debiased exponential moving average, kept incremental: a growing
series is smoothed only in its new points (EmaState), and `extends` tells a grown series from a
rewritten one (a resumed run that dropped later points must be smoothed again)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np


def smooth_ema(values: np.ndarray, weight: float) -> np.ndarray:
    """TensorBoard's classic smoothing: a debiased exponential moving average. Non-finite points pass
    through unchanged and do not enter the average; a constant series is returned as it is."""
    return EmaState(weight).extend(np.asarray(values, dtype=float))


@dataclass
class EmaState:
    """The running state of `smooth_ema`, so a growing series is smoothed only in its new points."""

    weight: float
    last: float = 0.0
    count: int = 0  # finite points averaged so far
    out: list = field(default_factory=list)

    def extend(self, values: np.ndarray) -> np.ndarray:
        w = self.weight
        for v in values.tolist():
            if not math.isfinite(v):
                self.out.append(v)
                continue
            self.last = self.last * w + (1.0 - w) * v
            self.count += 1
            self.out.append(self.last / (1.0 - w ** self.count) if w < 1.0 else self.last)
        return np.asarray(self.out, dtype=float)


def extends(new: np.ndarray, old: np.ndarray, done: int) -> bool:
    """True if `new` starts with the first `done` points of `old` (the series only grew)."""
    if not done:
        return True
    return len(new) >= done and len(old) >= done and np.array_equal(new[:done], old[:done], equal_nan=True)
