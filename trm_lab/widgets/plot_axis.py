"""ReadableAxis: a pyqtgraph axis whose tick labels stay readable in both scales.

pyqtgraph's log axis labels only whole decades and the digits 1-9 inside one ("%0.1g"): a loss that
moves between 1.5 and 2.1 got a single label, and a learning rate from 3e-4 to 2e-3 got seven labels
printed over each other. Here the ticks of a log axis are the sparsest series that puts at least two
labels on the axis and leaves room between them: decades, then 1-2-5, then 1-9 per decade, then evenly
spaced values. Values are printed with three significant digits and never scaled by an SI prefix (an
empty plot showed "(x0.001)" beside its axis).
"""

from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg

LABEL_SPACING_PX = 28  # the least room a tick label gets along a vertical axis (horizontal: 3x)
MANTISSAS = ((1,), (1, 2, 5), tuple(range(1, 10)))


def nice_step(span: float, count: int) -> float:
    """A round step (1, 2 or 5 times a power of ten) that cuts `span` into about `count` parts."""
    raw = span / max(1, count)
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def log_ticks(lo: float, hi: float, most: int) -> list[float]:
    """Tick values (not logarithms) for a log axis showing lo..hi (> 0): at least two, at most `most`."""
    if not (0 < lo < hi) or not math.isfinite(hi):
        return []
    k0, k1 = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    for mantissas in MANTISSAS:
        values = [m * 10.0 ** k for k in range(k0, k1 + 1) for m in mantissas if lo <= m * 10.0 ** k <= hi]
        if len(values) > most and mantissas == (1,):  # many decades: every second, third... decade
            every = -(-len(values) // most)
            return values[::every]
        if 2 <= len(values) <= most:
            return values
        if len(values) > most:
            break
    step = nice_step(hi - lo, max(1, most - 1))
    return [float(v) for v in np.arange(math.ceil(lo / step) * step, hi + step * 1e-9, step) if v > 0]


def format_tick(value: float) -> str:
    return f"{value:.3g}"


class ReadableAxis(pg.AxisItem):
    """An AxisItem with readable log-scale ticks and no SI-prefix scaling (see the module doc)."""

    def __init__(self, orientation: str, **kwargs):
        super().__init__(orientation, **kwargs)
        self.enableAutoSIPrefix(False)

    def _most_labels(self, size: float) -> int:
        room = LABEL_SPACING_PX * (1 if self.orientation in ("left", "right") else 3)
        return max(2, int(size // room))

    def logTickValues(self, minVal, maxVal, size, stdTicks):  # noqa: N802 - pyqtgraph's name
        values = log_ticks(10.0 ** minVal, 10.0 ** maxVal, self._most_labels(size))
        return [(None, [math.log10(v) for v in values])]

    def logTickStrings(self, values, scale, spacing):  # noqa: N802 - pyqtgraph's name
        return [format_tick(10.0 ** v * scale) for v in values]
