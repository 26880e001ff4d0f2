"""The verdict rule and the numbers behind it: mean and 95% t-interval over seeds, overlap, and the
axis ticks of the report's plots."""

import math

import pytest

from trm_engine.experiments.plots import SCALE, _Canvas, _legend_corner, nice_ticks
from trm_engine.experiments.stats import (
    MARGIN_CROSSED,
    NO_DATA,
    NO_WORSE,
    NOT_REPRODUCED,
    OVERLAP,
    REPRODUCED,
    TOO_FEW,
    difference,
    no_worse_verdict,
    overlap,
    seeds_to_decide_margin,
    seeds_to_separate,
    summarize,
    summary_text,
    t975,
    to_settle,
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


def test_intervals_are_95_percent_t_intervals_and_overlap_when_they_meet():
    a = summarize([0.60, 0.62, 0.64])  # std 0.02, half-width 4.303 * 0.02 / sqrt(3) = 0.0497
    assert a.half == pytest.approx(4.303 * 0.02 / math.sqrt(3)) and a.low == pytest.approx(0.62 - a.half)
    b = summarize([0.50, 0.52, 0.54])  # [0.470, 0.570]: apart from a's [0.570, 0.670] by a hair
    assert not overlap(a, b) and not overlap(b, a)
    c = summarize([0.55, 0.57, 0.59])  # meets both
    assert overlap(a, c) and overlap(c, b)
    assert summarize([0.5, 0.7]).half == pytest.approx(12.706 * 0.1)  # two seeds: a very wide interval
    assert t975(1) == 12.706 and t975(11) == t975(10) and t975(5000) == 1.96


def test_an_overlap_says_how_many_seeds_would_settle_it_or_that_none_would():
    a, b = summarize([0.70, 0.80, 0.90]), summarize([0.65, 0.75, 0.85])  # diff 0.05, spreads 0.1 each
    n = seeds_to_separate(a, b)
    assert n is not None and t975(n - 1) * 0.2 / math.sqrt(n) < 0.05 <= t975(n - 2) * 0.2 / math.sqrt(n - 1)
    assert f"about {n} seeds per variant" in to_settle(a, b, OVERLAP)
    tie = summarize([0.5, 0.5, 0.5])
    assert seeds_to_separate(tie, tie) is None and "tie" in to_settle(tie, tie, OVERLAP)
    assert to_settle(a, b, REPRODUCED) == "" and "2 seeds" in to_settle(a, summarize([0.1]), TOO_FEW)
    # Both accuracies near 0 (a maze neither model solves): more seeds would not help, whatever the spread.
    floor_a, floor_b = summarize([0.0, 1.6, 0.0]), summarize([0.0, 0.4, 0.0])
    assert "seeds per variant" in to_settle(floor_a, floor_b, OVERLAP)
    assert "neither variant solves the task" in to_settle(floor_a, floor_b, OVERLAP, floor=2.0)
    high, low = summarize([70.0, 80.0, 90.0]), summarize([65.0, 75.0, 85.0])  # in %, as reports have them
    assert f"about {n} seeds per variant" in to_settle(high, low, OVERLAP, floor=2.0)


def test_nice_ticks_cover_the_range_in_round_steps():
    assert nice_ticks(0, 87.4) == [0, 20, 40, 60, 80, 100]
    assert nice_ticks(0, 0.83) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 10.01) == [0, 2, 4, 6, 8, 10]  # a 10 CPU-minute budget's last point: no empty 10-15
    ticks = nice_ticks(0, 3)
    assert ticks[0] == 0 and ticks[-1] >= 3 and len(ticks) <= 7
    assert nice_ticks(0, 0) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]  # degenerate range still draws an axis


def test_summary_text_shows_accuracies_in_percent_and_skips_missing_values():
    assert summary_text([0.5, 0.7, 0.6], "exact_accuracy") == "60.0 [35.2, 84.8]"  # mean [95% interval]
    assert summary_text([0.874], "exact_accuracy") == "87.4"
    assert summary_text([0.91, 0.84], "exact_accuracy") == "87.5 [43.0, 100.0]"  # clipped to what % can be
    assert summary_text([1.0, 1.0, float("nan")], "nfp") == "1.000 [1.000, 1.000]"
    assert summary_text([], "cell_accuracy") == "–"


def test_the_legend_sits_in_the_corner_the_curves_leave_free():
    c = _Canvas(760, 440, 70, 20, 60, 60)
    rising = [(c.x0, c.y1), (c.x0 + 100 * SCALE, c.y0 + 20 * SCALE), (c.x1, c.y0 + 10 * SCALE)]  # up, then along the top
    assert _legend_corner(c, [rising], 3) == (c.x1 - 200 * SCALE, c.y1 - (17 * 3 + 6) * SCALE - 6 * SCALE)  # bottom right
    falling = [(c.x0, c.y0), (c.x1, c.y1)]  # a diagonal from top left to bottom right: the top right is free
    assert _legend_corner(c, [falling], 3) == (c.x1 - 200 * SCALE, c.y0 + 6 * SCALE)


def test_a_no_worse_claim_is_judged_on_the_interval_of_the_difference():
    """"Dropping X loses nothing" is not "X-less wins": overlapping intervals cannot show it, an interval
    of the difference that stays above minus the margin can."""
    a, b = summarize([86.0, 87.0, 88.0]), summarize([85.0, 86.5, 88.0])  # the same, give or take a point
    d, low, high = difference(a, b)
    assert d == pytest.approx(0.5) and low < 0 < high and overlap(a, b)
    assert verdict(a, b) == OVERLAP and no_worse_verdict(a, b, margin=5.0) == NO_WORSE
    assert no_worse_verdict(a, b, margin=0.5) == MARGIN_CROSSED
    assert no_worse_verdict(summarize([70.0, 71.0, 72.0]), b, margin=5.0) == NOT_REPRODUCED  # 15 points down
    assert no_worse_verdict(b, a, margin=3.0, higher_is_better=False) == NO_WORSE  # lower is better: a's 0.5 more
    assert no_worse_verdict(a, summarize([80.0]), margin=5.0) == TOO_FEW
    # Welch's interval: unequal spreads, and the width the seed count says would settle the margin.
    wide, tight = summarize([80.0, 90.0, 70.0]), summarize([80.0, 81.0, 82.0])
    _d, low, high = difference(wide, tight)
    assert (high - low) / 2 == pytest.approx(t975(2) * math.sqrt(100 / 3 + 1 / 3), rel=1e-6)
    assert no_worse_verdict(wide, tight, 5.0) == MARGIN_CROSSED
    n = seeds_to_decide_margin(wide, tight, 5.0)
    assert n is not None and n > 3

    def seeds(s, k):  # the same mean and spread over k seeds
        return type(s)(k, s.mean, s.std)

    assert no_worse_verdict(seeds(wide, n), seeds(tight, n), 5.0) == NO_WORSE
    assert no_worse_verdict(seeds(wide, n - 1), seeds(tight, n - 1), 5.0) == MARGIN_CROSSED
