"""The Inspect area with a tiny real model: the start page offers a demo model first, Run streams the
states in, the views show the right grids, the timeline scrubs by keys and mouse, the plots follow."""

from __future__ import annotations

import numpy as np
import pytest
from inspect_helpers import use_tiny_models
from lab_helpers import make_window
from PySide6.QtCore import QPoint, Qt

from trm_lab.areas.inspect import models as inspect_models

RUN_TIMEOUT = 60_000


@pytest.fixture
def panel(qtbot, theme, monkeypatch):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    return window.show_area("inspect")


def run_demo(qtbot, panel):
    with qtbot.waitSignal(panel.session.trace_finished, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(panel.start_page.demo_button, Qt.MouseButton.LeftButton)
    return panel.traces[0]


def test_the_empty_area_and_the_first_start_offer_a_demo_model(qtbot, theme, monkeypatch, tmp_path):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    qtbot.waitUntil(lambda: window.current_area() == "inspect")  # a new user's first start opens here
    panel = window.panels["inspect"]
    page = panel.start_page
    assert panel.pages.currentWidget() is page
    assert page.demo_button.text() == "Inspect a demo model" and page.demo_button.isEnabled()
    assert page.demo_list.count() == 1 and "Sudoku 4x4 (test)" in page.demo_list.item(0).text()
    assert "exact 25.0%, cells 50.0%, puzzles 16" in page.demo_list.item(0).text()
    assert [m.name for m in inspect_models.list_demo_models()] == ["sudoku4"]
    assert panel.setup.model_box.itemText(1) == "Demo: Sudoku 4x4 (test)"

    monkeypatch.setattr(inspect_models, "demo_models_root", lambda: tmp_path / "none")
    panel.refresh_models()
    assert not page.demo_button.isEnabled() and "No demo models" in page.note.text()
    second = make_window(qtbot, theme)  # not a first start any more: the window keeps its own area
    qtbot.wait(20)
    assert second.current_area() == "puzzles"


def test_a_demo_run_streams_states_and_shows_the_final_answer(qtbot, panel):
    arrived, shown = [], []
    panel.session.states_arrived.connect(lambda data: arrived.append(len(data)))
    panel.step_shown.connect(shown.append)
    data = run_demo(qtbot, panel)
    # T=2, n=1: per supervision step z, y, z, y; N_sup = 4
    assert len(data) == 16 and [r.name for r in data.records[:4]] == [
        "step1.cycle0.z0", "step1.cycle0.y", "step1.cycle1.z0", "step1.cycle1.y"]
    # every state arrives, in lists (each step's by its end); drawing is coalesced, but the first step
    # shows at once and the last one shows
    assert arrived[-1] == 16 and arrived == sorted(set(arrived)) and set(range(4, 17, 4)) <= set(arrived)
    assert shown[0] == 1 and shown[-1] == 4 and shown == sorted(set(shown))
    assert data.title == "Sudoku 4x4 (test) on 4x4-1" and data.label_tokens() is not None
    strip, look = panel.strip, panel.look
    assert strip.current == 15 and not strip.input_view.editable
    final = data.trace.final_prediction()
    assert np.array_equal(strip.y_view.grid(), look.values(final, (4, 4)))
    digits = final.reshape(4, 4) >= 1  # an untrained model may predict PAD (token 0): a grey cell of its own
    assert np.array_equal(strip.y_view.grid()[digits], final.reshape(4, 4)[digits].astype(int) - 1)
    assert strip.y_view.layer("verdict") is not None and strip.y_view.layer("shading") is not None
    assert strip.projection_view.colors() is not None and strip.norm_view.colors() is not None
    assert strip.timeline.count() == 16
    plots = panel.plots
    assert plots.point_count(0, "changed_y") == 8 and plots.point_count(0, "dz") == 8
    assert plots.point_count(0, "p_halt") == 4 and plots.point_count(0, "accuracy") == 8
    assert plots.cursors[(0, "halting")].value() == 15
    assert not panel.setup.stop_button.isEnabled() and panel.setup.run_button.isEnabled()


def test_the_timeline_scrubs_by_keys_mouse_and_play(qtbot, panel):
    data = run_demo(qtbot, panel)
    strip, timeline = panel.strip, panel.strip.timeline
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Home)
    assert strip.current == 0
    assert strip.captions["z"].text().startswith("\u25cf z decoded  step1.cycle0.z0")
    assert strip.captions["y"].text().endswith("-") and strip.y_view.layer("verdict") is None
    qtbot.keyClick(timeline, Qt.Key.Key_Right)
    assert strip.current == 1 and np.array_equal(
        strip.y_view.grid(), panel.look.values(data.records[1].tokens, (4, 4)))
    qtbot.keyClick(timeline, Qt.Key.Key_End)
    assert strip.current == 15
    qtbot.keyClick(timeline, Qt.Key.Key_Up)
    assert strip.current == 11 and data.records[11].name == "step3.cycle1.y"
    qtbot.keyClick(timeline, Qt.Key.Key_PageUp)
    assert strip.current == 7
    qtbot.keyClick(timeline, Qt.Key.Key_Down)
    assert strip.current == 11
    qtbot.keyClick(timeline, Qt.Key.Key_Left)
    assert strip.current == 10 and panel.plots.cursors[(0, "changed")].value() == 10
    assert "state 11/16" in strip.info.text() and "step3.cycle1.z0" in strip.info.text()

    qtbot.mouseClick(timeline, Qt.MouseButton.LeftButton, pos=QPoint(int(timeline.x_of(5)), timeline.height() // 2))
    assert strip.current == 5 and panel.plots.cursors[(0, "distance")].value() == 5
    qtbot.mouseMove(timeline, QPoint(int(timeline.x_of(9)), 20))  # a drag without the button: no change
    assert strip.current == 5

    panel.playback.fps.setValue(60)
    timeline.set_current(12)
    qtbot.mouseClick(panel.playback.play_button, Qt.MouseButton.LeftButton)
    assert panel.play_timer.isActive()
    qtbot.waitUntil(lambda: not panel.play_timer.isActive(), timeout=5000)  # plays to the end and stops
    assert strip.current == 15 and not panel.playback.play_button.isChecked()


def test_plots_clicks_move_the_cursor(qtbot, panel):
    run_demo(qtbot, panel)
    panel.plots.position_clicked.emit(3)
    assert panel.strip.current == 3


