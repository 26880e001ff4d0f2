"""The Train area's plots and run list hold at any window size: the plot grid drops columns when narrow,
log axes keep readable tick labels, no SI-prefix scaling, the learning rate is drawn as it is, line
styles are named in the titles (no legend over the curves), eval cell accuracy beside exact; the run
list's columns fit its width and experiment runs are listed, marked."""

from __future__ import annotations

import json

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QFontMetrics

from trm_lab.areas.train.monitor import PLOTS
from trm_lab.areas.train.runs import RunList, scan_runs
from trm_lab.widgets.curves import MIN_PLOT_WIDTH, CurvesView
from trm_lab.widgets.plot_axis import format_tick, log_ticks


def make_view(qtbot, width: int, height: int = 500) -> CurvesView:
    view = CurvesView(PLOTS, columns=4)
    qtbot.addWidget(view)
    view.resize(width, height)
    view.show()
    qtbot.waitExposed(view)
    return view


def fill(view: CurvesView) -> None:
    steps = np.arange(1.0, 81.0)
    view.set_series("a", "loss", steps, steps, 1.5 + 0.6 / np.sqrt(steps))  # within one decade
    view.set_series("a", "lr", steps, steps, np.minimum(steps / 5, 1) * 2e-3)  # a warm-up, then flat
    view.set_series("a", "eval_accuracy", steps[::20], steps[::20], np.array([0.2, 0.25, 0.3, 0.31]))
    view.set_series("a", "eval_exact", steps[::20], steps[::20], np.zeros(4))


def test_the_plot_grid_drops_columns_when_narrow_and_every_plot_stays_inside(qtbot):
    view = make_view(qtbot, 560)
    assert view.columns == 2
    viewport = view.scroll.viewport().width()
    for plot in view.plots.values():
        rect = plot.mapRectToScene(plot.boundingRect())
        assert rect.left() >= 0 and rect.right() <= viewport + 1 and rect.width() >= MIN_PLOT_WIDTH * 0.8
    view.resize(1300, 500)
    qtbot.waitUntil(lambda: view.columns == 4)
    view.resize(200, 500)
    qtbot.waitUntil(lambda: view.columns == 1)
    assert view.graphics.minimumHeight() >= 8 * 150  # eight readable plots: the grid scrolls


def test_log_ticks_label_every_range_readably():
    assert log_ticks(1.5, 2.1, 6) == [1.6, 1.8, 2.0]  # less than a decade: evenly spaced values
    assert log_ticks(3e-4, 2.1e-3, 6) == [5e-4, 1e-3, 2e-3]  # 1-2-5 where the digits 1-9 would crowd
    assert log_ticks(1e-6, 10.0, 4) == [1e-6, 1e-4, 1e-2, 1.0]  # many decades: every other one
    assert len(log_ticks(0.2, 9.0, 12)) >= 2 and log_ticks(0.0, 1.0, 5) == []
    assert [format_tick(v) for v in (2.0, 5e-4, 1e-5)] == ["2", "0.0005", "1e-05"]


def test_log_y_keeps_labels_and_no_axis_is_scaled_by_an_si_prefix(qtbot):
    view = make_view(qtbot, 1200)
    fill(view)
    view.set_log_y(True)
    qtbot.wait(50)
    for key in ("loss", "lr"):
        axis = view.plots[key].getAxis("left")
        lo, hi = view.plots[key].getViewBox().viewRange()[1]
        labels = [v for _spacing, values in axis.tickValues(lo, hi, axis.height()) for v in values]
        assert len(labels) >= 2, key
        strings = axis.tickStrings(labels, 1.0, None)
        assert all(s and len(s) <= 7 for s in strings) and len(set(strings)) == len(strings), strings
    for plot in view.plots.values():  # empty or not: never "(x0.001)" beside an axis
        for name in ("left", "bottom"):
            assert not plot.getAxis(name).autoSIPrefix and "(x" not in plot.getAxis(name).labelString()


def test_lr_is_drawn_as_it_is_eval_shows_cells_and_no_legend_covers_a_curve(qtbot):
    view = make_view(qtbot, 1200)
    fill(view)
    raw, drawn = view.items("a", "lr")
    assert not raw.isVisible() and np.allclose(drawn.yData, np.minimum(np.arange(1.0, 81.0) / 5, 1) * 2e-3)
    raw, drawn = view.items("a", "loss")
    assert raw.isVisible() and not np.allclose(drawn.yData, raw.yData)  # the losses are smoothed
    assert [s.key for s in view.specs["eval"].series][:2] == ["eval_accuracy", "eval_exact"]
    assert view.items("a", "eval_accuracy")[1].opts["symbol"] == "o"
    scene_items = view.graphics.scene().items()
    assert not [item for item in scene_items if isinstance(item, pg.LegendItem)]
    title = view.plots["train_acc"].titleLabel.text
    assert "cell" in title and "exact" in title


def write_run(path, name: str, step: int = 1234, total: int = 3000) -> None:
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"config": {"name": name}}))
    (path / "status.json").write_text(json.dumps({
        "state": "finished", "step": step, "total_steps": total, "best_eval": 0.125, "device": "cuda:0",
        "name": name, "started": 1.7e9}))


def test_experiment_runs_are_listed_marked_and_every_column_fits(qtbot, tmp_path):
    write_run(tmp_path / "runs" / "20260101-000000-a", "a run with a rather long name typed by its user")
    write_run(tmp_path / "exp" / "halting" / "act" / "seed1", "", step=40, total=300)
    rows = scan_runs(tmp_path / "runs", [tmp_path / "exp" / "halting" / "act" / "seed1"], [tmp_path / "exp"])
    assert sorted(r.get("experiment", "") for r in rows) == ["", "halting/act/seed1"]  # attached too: still marked
    runs = RunList()
    qtbot.addWidget(runs)
    runs.resize(300, 300)
    runs.show()
    qtbot.waitExposed(runs)
    runs.set_rows(rows)
    qtbot.wait(20)
    tree = runs.tree
    exp = next(item for item in runs.items.values() if item.text(0).startswith("exp "))
    assert exp.text(0) == "exp halting/act/seed1" and exp.font(0).italic() and "experiment run" in exp.toolTip(0)
    header = tree.header()
    assert sum(header.sectionSize(c) for c in range(tree.columnCount())) <= tree.viewport().width()
    metrics = QFontMetrics(tree.font())
    for item in runs.items.values():  # state, step, best eval and device are shown whole
        for col in range(1, tree.columnCount()):
            assert metrics.horizontalAdvance(item.text(col)) <= header.sectionSize(col), item.text(col)
    assert [tree.headerItem().text(c) for c in range(tree.columnCount())] == \
        ["Run", "State", "Step", "Best", "Device"]
    runs.set_step(tmp_path / "runs" / "20260101-000000-a", 1300, 3000)  # a live run's events
    assert runs.items[tmp_path / "runs" / "20260101-000000-a"].text(2) == "1,300/3k"


def test_run_lengths_are_shortened_only_where_nothing_is_lost():
    from trm_lab.areas.train.runs import short_count
    assert [short_count(n) for n in (80, 1234, 1500, 3000, 50000, 123456, 2_000_000)] == \
        ["80", "1,234", "1.5k", "3k", "50k", "123,456", "2M"]
