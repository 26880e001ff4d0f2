"""The Inspect area's parts on their own: the timeline strip, the colour grid and heat ramp, the plots,
family looks (tokens <-> drawn values), right / wrong marks, TraceData's arrays, demo-model discovery."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor

from trm_engine.config import load_preset
from trm_engine.trace.recorder import StateRecord
from trm_engine.trace.tracer import HaltRecord, Trace
from trm_lab.areas.inspect.data import Intervention, TraceData
from trm_lab.areas.inspect.look import family_look, verdict_layer
from trm_lab.areas.inspect.models import accuracy_text, list_demo_models, model_family
from trm_lab.widgets.color_grid import ColorGridView, heat_colors
from trm_lab.widgets.timeline import TimelineBar
from trm_lab.widgets.trace_plots import LIGHT_COLORS, SLOT_COLORS, TracePlots


def synthetic(steps=2, T=2, n=2, seq=4) -> TraceData:
    """A hand-made trace: per step, T cycles of n z-updates and a y-update."""
    trace = Trace("sudoku", {"box": 2}, np.array([2, 1, 1, 3], np.uint8), np.array([2, 4, 5, 3]),
                  {"seq_len": seq, "vocab_size": 6, "h_cycles": T, "l_cycles": n}, "inner")
    data = TraceData(trace, "t")
    i = 0
    for s in range(1, steps + 1):
        for c in range(T):
            for inner in range(n + 1):
                kind = "y" if inner == n else "z"
                data.add(StateRecord(i, s, c, inner, kind, np.full(seq, 2 + i % 3, np.uint8),
                                     np.full(seq, 0.5, np.float16), i % 4, 1.0, 0.1 * i, cell_accuracy=0.25 * (i % 5)))
                i += 1
        data.add(HaltRecord(s, -1.0 + s, 0.0, i - 1))
    return data


def test_trace_data_columns_latest_states_and_series():
    data = synthetic()
    assert len(data) == 12 and data.shape == (2, 2)
    a = data.arrays()
    assert list(a["sup_step"]) == [1] * 6 + [2] * 6 and a["is_y"].sum() == 4
    assert data.latest("y", 1) is None and data.latest("y", 2) == 2 and data.latest("y", 4) == 2
    assert data.latest("z", 2) == 1 and data.previous_same(5) == 2 and data.previous_same(0) is None
    series = data.series()
    assert list(series["p_halt"][0]) == [5, 11] and series["p_halt"][1][1] == pytest.approx(0.7310586)
    assert list(series["changed_y"][0]) == [2, 5, 8, 11] and len(series["dz"][0]) == 8
    assert data.halt_step() == 2
    rows = data.scalar_rows()
    assert rows[5]["q_halt"] == 0.0 and rows[4]["q_halt"] == ""
    assert Intervention("y", 3, 5).describe(2) == "y r2c2\u21925" and Intervention("z", scale=0.5).describe(2) == \
        "z noise x0.5"


@pytest.mark.parametrize("family,vocab,shape", [("sudoku", 11, (9, 9)), ("sudoku", 6, (4, 4)), ("maze", 6, (9, 9)),
                                                ("arc", 12, (30, 30))])
def test_family_looks_round_trip_tokens(family, vocab, shape):
    look = family_look(family, vocab, shape)
    for value in range(len(look.palette)):
        assert look.value_of_token[look.token(value)] == value
    assert look.values(np.zeros(shape[0] * shape[1]), shape).max() == len(look.palette) - 1 - (family == "arc")
    if family == "sudoku":
        assert look.box == ((3, 3) if shape == (9, 9) else (2, 2)) and look.digit_keys == "enter"
        assert look.token(3) == 4 and look.user_values == tuple(range(shape[0] + 1))
    if family == "arc":
        assert look.token(0) == 2 and look.value_of_token[1] == 11 and look.palette.fill(3) == "#2ECC40"


def test_verdicts_mark_every_wrong_cell_and_right_ones_that_matter():
    inputs = np.array([2, 1, 1, 3])
    labels = np.array([2, 4, 5, -100])
    tokens = np.array([2, 4, 3, 1])
    # a given kept (unmarked), a blank solved (tick), a blank wrong (cross), an unscored cell (nothing)
    assert list(verdict_layer(tokens, inputs, labels)) == [0, 1, -1, 0]
    assert list(verdict_layer(np.array([3, 4, 5, 3]), inputs, labels)) == [-1, 1, 1, 0]


def test_timeline_groups_keys_mouse_and_capacity(qtbot):
    bar = TimelineBar()
    qtbot.addWidget(bar)
    bar.resize(400, 44)
    moved = []
    bar.current_changed.connect(moved.append)
    data = synthetic(steps=3)
    a = data.arrays()
    bar.set_capacity(36)
    bar.set_states(a["sup_step"], a["cycle"], a["is_y"])
    assert bar.current == 0 and moved == [0] and bar.count() == 18
    assert bar.index_at(bar.x_of(7)) == 7 and bar.x_of(17) < 220  # room kept for states to come
    bar.set_current(8)
    bar.step_group(1)
    assert bar.current == 11
    bar.step_group(1)
    assert bar.current == 17
    bar.step_group(-1)
    assert bar.current == 11
    bar.set_current(8)
    bar.step_group(-1)
    assert bar.current == 5
    bar.show()
    bar.setFocus()
    for key, expect in ((Qt.Key.Key_End, 17), (Qt.Key.Key_Home, 0), (Qt.Key.Key_Right, 1), (Qt.Key.Key_PageDown, 5)):
        qtbot.keyClick(bar, key)
        assert bar.current == expect
    qtbot.mousePress(bar, Qt.MouseButton.LeftButton, pos=QPoint(int(bar.x_of(3)), 30))
    qtbot.mouseMove(bar, QPoint(int(bar.x_of(9)), 30))
    assert bar.current == 9 or bar.current == 3  # offscreen mouse moves may lose the pressed button
    bar.set_shared(6)
    bar.set_flag_group(2)
    assert not bar.grab().isNull()
    bar.set_states([], [], [])
    assert bar.current == -1


def test_color_grid_and_heat_ramp(qtbot):
    view = ColorGridView()
    qtbot.addWidget(view)
    rgb = np.zeros((3, 3, 3), np.float32)
    rgb[1, 1] = (1.0, 0.0, 0.0)
    view.set_colors(rgb)
    assert view.colors().dtype == np.uint8 and tuple(view.colors()[1, 1]) == (255, 0, 0)
    view.resize(120, 120)
    view.show()
    image = view.grab().toImage()
    scale = image.devicePixelRatio()
    center = view.geometry_for(scale).cell_rect(1, 1).center()
    assert image.pixelColor(center).red() == 255 and image.pixelColor(center).green() == 0
    view.set_colors(None, (2, 5))
    assert view.shape == (2, 5) and view.colors() is None and not view.grab().isNull()
    ramp = heat_colors(np.array([0.0, 0.5, 1.0, np.nan]), 0.0, 1.0)
    assert ramp.shape == (4, 3) and ramp[0].sum() < ramp[2].sum() and tuple(ramp[3]) == (128, 128, 128)
    with pytest.raises(ValueError):
        view.set_colors(np.zeros((3, 3)))


def _has_color(image, color: str, rect) -> bool:
    """Whether any pixel of `image` inside `rect` (widget pixels) is close to `color`."""
    target = QColor(color)
    for x in range(int(rect.left()) + 1, int(rect.right())):
        for y in range(int(rect.top()) + 1, int(rect.bottom())):
            c = image.pixelColor(x, y)
            if abs(c.red() - target.red()) + abs(c.green() - target.green()) + abs(c.blue() - target.blue()) < 40:
                return True
    return False


def test_plots_draw_each_slot_and_follow_a_cursor(qtbot):
    plots = TracePlots()
    qtbot.addWidget(plots)
    plots.resize(800, 160)
    plots.set_series(0, synthetic().series())
    plots.set_x_range(12)
    assert plots.point_count(0, "dy") == 4 and plots.point_count(1, "dy") == 0
    rects = plots.plot_rects()
    assert list(rects) == ["halting", "changed", "distance", "accuracy"]
    assert all(a.right() < b.left() for a, b in zip(list(rects.values()), list(rects.values())[1:]))
    image = plots.grab().toImage()
    assert _has_color(image, SLOT_COLORS[0], rects["distance"]) and _has_color(image, LIGHT_COLORS[0], rects["distance"])
    assert not _has_color(image, SLOT_COLORS[1], rects["distance"])  # nothing in the branch's slot yet
    assert _has_color(image, "#C62828", rects["halting"])  # the halting threshold
    # The branch's slot draws in its own colour; clearing it removes it again.
    branch = {name: (x, y[::-1]) for name, (x, y) in synthetic().series().items()}  # drawn under slot 0
    plots.set_series(1, branch)
    assert _has_color(plots.grab().toImage(), SLOT_COLORS[1], plots.plot_rects()["changed"])
    plots.clear_slot(1)
    assert plots.point_count(1, "changed_y") == 0
    assert not _has_color(plots.grab().toImage(), SLOT_COLORS[1], plots.plot_rects()["changed"])
    # The cursor: shown, at the index, in every plot; hidden with its slot.
    plots.set_cursor(1, 7)
    assert plots.cursors[(1, "accuracy")].isVisible() and plots.cursors[(1, "accuracy")].value() == 7
    plots.set_cursor(1, None)
    assert not plots.cursors[(1, "halting")].isVisible()
    # Shares keep 0..1; counts and distances take the data's range.
    assert plots.y_range("accuracy") == (0.0, 1.02)
    assert plots.y_range("changed")[1] >= max(synthetic().series()["changed_z"][1].max(), 1)
    plots.set_scheme(("#1E1F22", "#D8D8D8"))
    assert plots.grab().toImage().pixelColor(2, 2) == QColor("#1E1F22")


def test_a_gap_in_a_series_breaks_its_line(qtbot):
    plots = TracePlots(slots=1)
    qtbot.addWidget(plots)
    plots.resize(800, 160)
    plots.set_x_range(10)
    x = np.arange(10, dtype=float)
    plots.set_series(0, {"accuracy": (x, np.array([0.5] * 3 + [np.nan] * 4 + [0.5] * 3))})
    rect = plots.plot_rects()["accuracy"]

    def inked(i):  # anything but the white background in a thin column through state i
        cx = rect.left() + (i + 0.7) / 10.4 * rect.width()
        image = plots.grab().toImage()
        return any(image.pixelColor(int(cx), y) != QColor("#FFFFFF") for y in range(int(rect.top()) + 2, int(rect.bottom()) - 1))

    assert inked(1) and inked(8) and not inked(4)


def test_clicking_or_dragging_a_plot_picks_the_state_under_the_mouse(qtbot):
    plots = TracePlots()
    qtbot.addWidget(plots)
    plots.resize(800, 160)
    plots.set_x_range(20)
    rect = plots.plot_rects()["distance"]
    lo, hi = -0.5 - 0.4, 19.5 + 0.4
    at = QPoint(int(rect.left() + (12 - lo) / (hi - lo) * rect.width()), int(rect.center().y()))
    with qtbot.waitSignal(plots.position_clicked) as picked:
        qtbot.mouseClick(plots, Qt.MouseButton.LeftButton, pos=at)
    assert picked.args == [12]
    assert plots.index_at(QPointF(2, 2)) is None  # the title row and the axes pick nothing
    seen = []
    plots.position_clicked.connect(seen.append)
    qtbot.mouseMove(plots, at)  # no button held: nothing
    assert seen == []


def test_demo_models_are_found_in_order_and_broken_ones_skipped(tmp_path):
    for name, title in (("maze9", "Maze"), ("sudoku9", "Sudoku 9x9"), ("zeta", "Z"), ("broken", "B"), ("sudoku4", "S4")):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "model.pt").write_bytes(b"")
        info = {"name": name, "title": title, "family": "sudoku", "recipe": ["trm train"],
                "accuracy": {"split": "test", "exact_accuracy": 0.5, "puzzles": 100, "halt_step": 1.0}}
        (folder / "model.json").write_text("{oops" if name == "broken" else json.dumps(info))
    (tmp_path / "empty").mkdir()
    found = list_demo_models(tmp_path)
    assert [m.name for m in found] == ["sudoku4", "sudoku9", "maze9", "zeta"]
    assert found[0].kind == "demo" and found[0].recipe == ("trm train",)
    assert accuracy_text(found[0].accuracy) == "exact accuracy 50.0%, puzzles 100, halt step 1 (test)"
    assert list_demo_models(tmp_path / "missing") == []
    assert model_family(load_preset("maze-att")) == "maze" and model_family(load_preset("arc-att-lab")) == "arc"
