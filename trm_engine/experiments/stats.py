"""Mean and 95% interval over seeds, and the honest verdict on a claimed direction.

The rule: a claim "A beats B" is `direction reproduced` only when A's mean is better than B's AND the
95% confidence intervals of the two means (Student's t over seeds: mean ± t(0.975, n-1) · s / √n) do
not overlap; `not reproduced` when B is better without overlap; otherwise inconclusive, with the reason
(overlapping intervals, fewer than two seeds, nothing measured). `to_settle` says what would settle an
overlap: how many seeds per variant would make intervals of the observed spread separate a difference
of the observed size, or that no seed count can (the results tie: only a longer budget could show one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .suites import METRICS

REPRODUCED = "direction reproduced"
NOT_REPRODUCED = "not reproduced"
OVERLAP = "inconclusive: overlapping 95% intervals"
TOO_FEW = "inconclusive: fewer than 2 seeds"
NO_DATA = "inconclusive: not measured"
NO_WORSE = "reproduced: no worse within the margin"
MARGIN_CROSSED = "inconclusive: the difference's 95% interval crosses the margin"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, OVERLAP, TOO_FEW, NO_DATA, NO_WORSE, MARGIN_CROSSED)
MAX_SEEDS = 200  # to_settle looks no further

# Two-sided 95% quantiles of Student's t by degrees of freedom; between rows the smaller df's (wider) value.
_T975 = ((1, 12.706), (2, 4.303), (3, 3.182), (4, 2.776), (5, 2.571), (6, 2.447), (7, 2.365), (8, 2.306),
         (9, 2.262), (10, 2.228), (12, 2.179), (15, 2.131), (20, 2.086), (25, 2.060), (30, 2.042), (40, 2.021),
         (60, 2.000), (120, 1.980))


def t975(df: int) -> float:
    """t(0.975, df): the half-width factor of a two-sided 95% interval (1.96 beyond 120 df)."""
    if df < 1:
        return math.inf
    value = 1.96
    for d, t in reversed(_T975):
        if df >= d:
            return t if df < 1000 else value
    return value


@dataclass(frozen=True)
class Summary:
    n: int
    mean: float  # NaN when n = 0
    std: float  # sample standard deviation (n - 1); 0 for n <= 1

    @property
    def half(self) -> float:
        """Half-width of the 95% t-interval of the mean (0 for n <= 1: no interval to give)."""
        return t975(self.n - 1) * self.std / math.sqrt(self.n) if self.n > 1 else 0.0

    @property
    def low(self) -> float:
        return self.mean - self.half

    @property
    def high(self) -> float:
        return self.mean + self.half


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
    """Do the 95% intervals touch? (Equal means always overlap.)"""
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


def difference(a: Summary, b: Summary) -> tuple[float, float, float]:
    """a's mean minus b's, and its 95% interval (Welch's t: unequal spreads, Welch-Satterthwaite df)."""
    d = a.mean - b.mean
    va, vb = a.std ** 2 / a.n, b.std ** 2 / b.n
    se = math.sqrt(va + vb)
    if se == 0:
        return d, d, d
    df = (va + vb) ** 2 / ((va ** 2 / (a.n - 1) if a.n > 1 else 0) + (vb ** 2 / (b.n - 1) if b.n > 1 else 0))
    half = t975(int(df)) * se
    return d, d - half, d + half


def no_worse_verdict(better: Summary, worse: Summary, margin: float, higher_is_better: bool = True) -> str:
    """The verdict on the claim that `better` is no worse than `worse` by more than `margin`: reproduced when
    the 95% interval of the difference stays above -margin, not reproduced when it lies below."""
    if better.n == 0 or worse.n == 0:
        return NO_DATA
    if better.n < 2 or worse.n < 2:
        return TOO_FEW
    _d, low, high = difference(better, worse) if higher_is_better else difference(worse, better)
    if low > -margin:
        return NO_WORSE
    if high < -margin:
        return NOT_REPRODUCED
    return MARGIN_CROSSED


def seeds_to_decide_margin(better: Summary, worse: Summary, margin: float, higher_is_better: bool = True) -> int | None:
    """The fewest seeds per variant whose difference interval, at the means and spreads measured, would
    clear the margin one way or the other; None when none up to MAX_SEEDS would (a difference on the margin)."""
    for n in range(2, MAX_SEEDS + 1):
        more = Summary(n, better.mean, better.std), Summary(n, worse.mean, worse.std)
        if no_worse_verdict(*more, margin, higher_is_better) != MARGIN_CROSSED:
            return n
    return None


def seeds_to_separate(a: Summary, b: Summary) -> int | None:
    """The fewest seeds per variant whose 95% intervals, at the spreads measured, would no longer overlap
    for a difference of the measured size; None when none up to MAX_SEEDS would (a tie, or noise far
    larger than the difference)."""
    diff, spread = abs(a.mean - b.mean), a.std + b.std
    if not (a.n and b.n) or diff == 0:
        return None
    for n in range(2, MAX_SEEDS + 1):
        if t975(n - 1) * spread / math.sqrt(n) < diff:
            return n
    return None


def to_settle(better: Summary, worse: Summary, verdict_text: str, floor: float | None = None,
              margin: float | None = None, higher_is_better: bool = True) -> str:
    """What would settle an inconclusive verdict ('' for a settled one). `floor`: for a metric that
    starts at 0 (an accuracy in %), means both at or below it say that neither variant has learnt the
    task yet, which more seeds cannot change. `margin`: that of a no-worse claim."""
    if verdict_text == NO_DATA:
        return "run the suite"
    if verdict_text == TOO_FEW:
        return "measure at least 2 seeds of each variant (3 or more for a useful interval)"
    if verdict_text == MARGIN_CROSSED and margin is not None:
        n = seeds_to_decide_margin(better, worse, margin, higher_is_better)
        if n is None:
            return "no seed count decides a difference that sits on the margin; a longer budget might"
        return f"about {n} seeds per variant, if the difference and spread hold"
    if verdict_text != OVERLAP:
        return ""
    if floor is not None and max(better.mean, worse.mean) <= floor:
        return ("neither variant solves the task within this budget (both near 0), so more seeds cannot "
                "separate them: a longer budget, or a task they can learn in it")
    n = seeds_to_separate(better, worse)
    if n is None:
        return ("no seed count separates results this close: the variants tie at this budget; a longer budget "
                "(or harder puzzles) might show a difference")
    return f"about {n} seeds per variant, if the difference and spread hold; or a longer budget"


def scaled(metric: str, v: float | None) -> float | None:
    """A metric's value as reports show it: accuracies (stored as fractions) in %; None if missing or NaN."""
    if v is None or not math.isfinite(v):
        return None
    return v * 100 if METRICS[metric].percent else v


def summary_text(values: list[float], metric: str) -> str:
    """'mean [low, high]' (95% interval) over seeds in the metric's unit ('87.4 [85.2, 89.6]', '1.000');
    '–' when nothing is measured."""
    s = summarize([x for x in (scaled(metric, v) for v in values) if x is not None])
    if s.n == 0:
        return "–"
    digits = 1 if METRICS[metric].percent else (0 if metric == "steps" else 3 if s.mean < 10 else 1)
    if s.n == 1:
        return f"{s.mean:.{digits}f}"
    low, high = (max(0.0, s.low), min(100.0, s.high)) if METRICS[metric].percent else (s.low, s.high)
    return f"{s.mean:.{digits}f} [{low:.{digits}f}, {high:.{digits}f}]"  # a percentage's interval stays in 0-100
