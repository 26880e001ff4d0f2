"""The curves widget: TensorBoard's debiased EMA, items updated in place, follow-latest keeping the
user's zoom, log-y, x by time, exports."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from trm_lab.widgets.curves import CurvesView, PlotSpec, SeriesSpec
from trm_lab.widgets.smoothing import smooth_ema

PLOTS = [PlotSpec("loss", "Loss", (SeriesSpec("loss", "loss"), SeriesSpec("aux", "aux", dashed=True)), log_y=True),
         PlotSpec("eval", "Eval", (SeriesSpec("eval", "exact", smoothed=False, markers=True),))]


def reference_ema(values, w):
    last, n, out = 0.0, 0, []
    for v in values:
        if not math.isfinite(v):
            out.append(v)
            continue
        last = last * w + (1 - w) * v
        n += 1
        out.append(last / (1 - w ** n))
    return out


def test_smoothing_is_tensorboards_debiased_ema():
    values = [3.0, 1.0, 4.0, float("nan"), 1.0, 5.0, 9.0, 2.0]
    got = smooth_ema(np.array(values), 0.6)
    want = reference_ema(values, 0.6)
    assert got[0] == pytest.approx(3.0)  # debiased: the first point is not pulled towards zero
    assert math.isnan(got[3])  # non-finite points pass through and do not enter the average
    np.testing.assert_allclose(np.delete(got, 3), np.delete(np.array(want), 3))
    assert smooth_ema(np.array(values), 0.0)[-1] == 2.0


def make_view(qtbot) -> CurvesView:
    view = CurvesView(PLOTS, columns=2)
    qtbot.addWidget(view)
    view.resize(800, 400)
    view.show()
    return view


def test_series_update_existing_items_and_smooth_incrementally(qtbot):
    view = make_view(qtbot)
    steps = np.arange(1, 51, dtype=float)
    values = 1.0 / steps + 0.05 * np.sin(steps)
    view.set_series("a", "loss", steps[:20], steps[:20], values[:20])
    raw, smooth = view.items("a", "loss")
    view.set_series("a", "loss", steps, steps, values)
    assert view.items("a", "loss") == (raw, smooth)  # the same items, new data
    assert view.point_count("a", "loss") == 50 and len(smooth.yData) == 50
    np.testing.assert_allclose(smooth.yData, reference_ema(values, 0.6))  # the incremental EMA = the full one
    assert raw.isVisible()
    view.set_smoothing(0.0)
    assert not raw.isVisible() and np.allclose(smooth.yData, values)
    view.set_series("a", "loss", steps[:10], steps[:10], values[:10])  # a resumed run dropped points
    assert len(smooth.yData) == 10


def test_runs_have_their_own_colours_and_can_be_removed(qtbot):
    view = make_view(qtbot)
    view.set_run_color("a", "#ff0000")
    view.set_run_color("b", "#0000ff")
    for run in ("a", "b"):
        view.set_series(run, "loss", np.arange(3.0), np.arange(3.0), np.array([3.0, 2.0, 1.0]))
    assert view.items("a", "loss")[1].opts["pen"].color().name() == "#ff0000"
    assert view.items("b", "loss")[1].opts["pen"].color().name() == "#0000ff"
    view.remove_run("a")
    assert view.items("a", "loss") is None and view.runs() == ["b"]


def test_follow_latest_scrolls_a_zoomed_view_and_keeps_its_width(qtbot):
    view = make_view(qtbot)
    x = np.arange(0, 101, dtype=float)
    view.set_series("a", "loss", x, x, np.exp(-x / 50))
    vb = view.plots["loss"].getViewBox()
    vb.setXRange(40, 60, padding=0)  # the user zooms in: auto-range is off from now on
    view.set_series("a", "loss", np.arange(0, 201.0), np.arange(0, 201.0), np.exp(-np.arange(0, 201.0) / 50))
    (lo, hi), _ = vb.viewRange()
    assert hi >= 200 and hi - lo == pytest.approx(20, rel=1e-6)
    assert view.plots["eval"].getViewBox().viewRange()[0] == pytest.approx([lo, hi])  # linked x-axes
    view.set_follow(False)
    view.set_series("a", "loss", np.arange(0, 301.0), np.arange(0, 301.0), np.exp(-np.arange(0, 301.0) / 50))
    assert vb.viewRange()[0] == pytest.approx([lo, hi])  # not following: the zoom stays put
    view.fit_all()
    assert vb.autoRangeEnabled()[0]


def test_log_y_only_where_it_makes_sense_and_x_by_time(qtbot):
    view = make_view(qtbot)
    view.set_series("a", "loss", np.array([1.0, 2.0]), np.array([0.0, 120.0]), np.array([1.0, 0.1]))
    view.set_log_y(True)
    assert view.plots["loss"].ctrl.logYCheck.isChecked() and not view.plots["eval"].ctrl.logYCheck.isChecked()
    view.set_x_mode("time")
    assert list(view.items("a", "loss")[1].xData) == [0.0, 2.0]  # minutes
    with pytest.raises(ValueError):
        view.set_x_mode("epochs")


def test_exports_png_and_csv(qtbot, tmp_path):
    view = make_view(qtbot)
    view.set_series("run1", "loss", np.array([1.0, 2.0, 3.0]), np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.0, 0.5]))
    view.set_series("run1", "eval", np.array([3.0]), np.array([2.0]), np.array([0.25]))
    png = view.export_png(tmp_path / "curves.png")
    assert QImage(str(png)).width() > 100
    with open(view.export_csv(tmp_path / "curves.csv")) as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == ["run", "series", "step", "time_s", "value", "smoothed"]
    assert ["run1", "eval", "3", "2.0", "0.25", "0.25"] in rows and len(rows) == 5


def test_auto_range_is_steady_while_new_points_stay_in_the_headroom(qtbot):
    """New points inside the headroom leave the axes' ranges alone (no re-layout of every axis on
    every point); points beyond it, or data that shrink well inside it, re-range with new headroom."""
    view = CurvesView(PLOTS, columns=2)
    qtbot.addWidget(view)
    view.resize(600, 300)
    view.show()
    QApplication.processEvents()
    vb = view.plots["loss"].getViewBox()  # the first plot: the others' x-axes follow it

    def show(n: int, values=None) -> tuple:
        steps = np.arange(1, n + 1, dtype=float)
        view.set_series("run", "loss", steps, steps, np.linspace(0.1, 0.5, n) if values is None else values)
        QApplication.processEvents()  # pyqtgraph settles its auto-range in the event loop
        return tuple(map(tuple, vb.viewRange()))

    first = show(40)
    assert first[0][1] >= 40 + 0.2 * 39  # headroom to the right
    assert all(show(n) == first for n in range(41, 49))  # steps 41..48: nothing moves
    beyond = show(60)
    assert beyond != first and beyond[0][1] >= 60
    assert first[1][0] < 0.1 and first[1][1] > 0.5  # data inside the y-range, with a margin
    shrunk = show(60, np.full(60, 0.3) + np.linspace(0, 0.01, 60))
    assert shrunk[1][1] - shrunk[1][0] < 0.5 * (beyond[1][1] - beyond[1][0])  # re-fit to the narrow data
