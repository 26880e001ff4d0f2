"""Mean and spread over seeds, and the honest verdict on a claimed direction.

The rule: a claim "A beats B" is `direction reproduced` only when A's mean is better than B's AND the
spreads (mean +- sample standard deviation over seeds) do not overlap; `not reproduced` when B is
better without overlap; otherwise `inconclusive: overlapping spread`. With fewer than two measured
seeds on either side there is no spread to judge by, so the verdict is inconclusive as well.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .suites import METRICS

REPRODUCED = "direction reproduced"
NOT_REPRODUCED = "not reproduced"
OVERLAP = "inconclusive: overlapping spread"
TOO_FEW = "inconclusive: fewer than 2 seeds"
NO_DATA = "inconclusive: not measured"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, OVERLAP, TOO_FEW, NO_DATA)


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float  # NaN when n = 0
    std: float  # sample standard deviation (n - 1); 0 for n <= 1

    @property
    def low(self) -> float:
        return self.mean - self.std

    @property
    def high(self) -> float:
        return self.mean + self.std


def summarize(values: list[float]) -> Summary:
    n = len(values)
    if n == 0:
        return Summary(0, float("nan"), 0.0)
    mean = math.fsum(values) / n
    if n == 1:
        return Summary(1, mean, 0.0)
    var = math.fsum((v - mean) ** 2 for v in values) / (n - 1)
    return Summary(n, mean, math.sqrt(var))


def overlap(a: Summary, b: Summary) -> bool:
    """Do the intervals mean +- std touch? (Equal means always overlap.)"""
    return a.low <= b.high and b.low <= a.high


def verdict(better: Summary, worse: Summary, higher_is_better: bool = True) -> str:
    """The verdict on the claim that `better` beats `worse` (see the module docstring)."""
    if better.n == 0 or worse.n == 0:
        return NO_DATA
    if better.n < 2 or worse.n < 2:
        return TOO_FEW
    if overlap(better, worse):
        return OVERLAP
    ahead = better.mean > worse.mean if higher_is_better else better.mean < worse.mean
    return REPRODUCED if ahead else NOT_REPRODUCED


def scaled(metric: str, v: float | None) -> float | None:
    """A metric's value as reports show it: accuracies (stored as fractions) in %; None if missing or NaN."""
    if v is None or not math.isfinite(v):
        return None
    return v * 100 if METRICS[metric].percent else v


def summary_text(values: list[float], metric: str) -> str:
    """'mean ± std' over seeds in the metric's unit ('87.4 ± 1.2', '1.000'); '–' when nothing is measured."""
    s = summarize([x for x in (scaled(metric, v) for v in values) if x is not None])
    if s.n == 0:
        return "–"
    digits = 1 if METRICS[metric].percent else 3
    return f"{s.mean:.{digits}f} ± {s.std:.{digits}f}" if s.n > 1 else f"{s.mean:.{digits}f}"
