"""The verdict rule and the numbers behind it: mean and sample std over seeds, spread overlap, and the
axis ticks of the report's plots."""

import math

import pytest

from trm_engine.experiments.plots import nice_ticks
from trm_engine.experiments.stats import (
    NO_DATA,
    NOT_REPRODUCED,
    OVERLAP,
    REPRODUCED,
    TOO_FEW,
    overlap,
    summarize,
    summary_text,
    verdict,
)


def test_summarize_uses_the_sample_std():
    s = summarize([0.2, 0.4, 0.6])
    assert s.n == 3 and s.mean == pytest.approx(0.4) and s.std == pytest.approx(0.2)
    assert summarize([0.5]) == type(s)(1, 0.5, 0.0)
    assert summarize([]).n == 0 and math.isnan(summarize([]).mean)


@pytest.mark.parametrize("better, worse, higher, expected", [
    ([0.80, 0.82, 0.84], [0.60, 0.62, 0.64], True, REPRODUCED),
    ([0.60, 0.62, 0.64], [0.80, 0.82, 0.84], True, NOT_REPRODUCED),
    ([0.70, 0.80, 0.90], [0.65, 0.75, 0.85], True, OVERLAP),  # better mean, spreads overlap
    ([0.5, 0.5, 0.5], [0.5, 0.5, 0.5], True, OVERLAP),  # a tie is never a direction
    ([1.0, 1.0, 1.0], [2.0, 2.0, 2.0], False, REPRODUCED),  # NFP: lower is better, no spread at all
    ([2.0, 2.0], [1.0, 1.0], False, NOT_REPRODUCED),
    ([0.9], [0.1, 0.2], True, TOO_FEW),  # one seed has no spread to judge by
    ([], [0.1, 0.2], True, NO_DATA),
])
def test_verdicts(better, worse, higher, expected):
    assert verdict(summarize(better), summarize(worse), higher) == expected


def test_spreads_overlap_when_the_intervals_meet():
    a, b = summarize([0.5, 0.7]), summarize([0.2, 0.4])  # [0.459, 0.741] and [0.159, 0.441]: apart
    assert not overlap(a, b) and not overlap(b, a)
    c = summarize([0.35, 0.55])  # [0.309, 0.591] meets both
    assert overlap(a, c) and overlap(c, b)


def test_nice_ticks_cover_the_range_in_round_steps():
    assert nice_ticks(0, 87.4) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 0.83) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    ticks = nice_ticks(0, 3)
    assert ticks[0] == 0 and ticks[-1] >= 3 and len(ticks) <= 7
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]  # degenerate range still draws an axis


def test_summary_text_shows_accuracies_in_percent_and_skips_missing_values():
    assert summary_text([0.5, 0.7], "exact_accuracy") == "60.0 ± 14.1"
    assert summary_text([0.874], "exact_accuracy") == "87.4"
    assert summary_text([1.0, 1.0, float("nan")], "nfp") == "1.000 ± 0.000"
    assert summary_text([], "cell_accuracy") == "–"
