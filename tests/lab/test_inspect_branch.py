"""Interventions: noise on z, an input cell, a y cell; each branch continues from the end of the step
under the cursor and shows beside the original, with its own (linked) timeline."""

from __future__ import annotations

import numpy as np
from inspect_helpers import use_tiny_models
from lab_helpers import click_cell, make_window
from PySide6.QtCore import Qt
from test_inspect_run import RUN_TIMEOUT, run_demo


def branch(qtbot, panel):
    with qtbot.waitSignal(panel.session.trace_finished, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(panel.intervene.branch_button, Qt.MouseButton.LeftButton)
    return panel.traces[panel.beside]


def swatch(panel, value):
    return panel.intervene.palette_bar._swatches[value]


def test_noise_on_z_branches_beside_the_original(qtbot, theme, monkeypatch):
    use_tiny_models(monkeypatch)
    panel = make_window(qtbot, theme).show_area("inspect")
    original = run_demo(qtbot, panel)
    assert panel.branch_strip.isHidden() and panel.playback.branch_box.count() == 1
    panel.strip.set_current(7)  # step2.cycle1.y: the end of supervision step 2
    assert panel.intervene.where.text() == "Intervene after step 2:"
    assert panel.intervene.steps.value() == 2  # by default the branch runs as long as the original
    panel.intervene.noise_scale.setValue(2.0)
    qtbot.mouseClick(panel.intervene.noise_button, Qt.MouseButton.LeftButton)
    assert panel.intervene.pending.text() == "z noise x2"
    data = branch(qtbot, panel)

    assert panel.traces == [original, data] and panel.beside == 1
    assert panel.branch_strip.isVisible() and panel.branch_strip.data is data
    assert data.branch_step == 2 and data.title == "branch 1: z noise x2 after step 2"
    assert len(data) == 16 and len(data.halting) == 4
    assert data.trace.meta["branch_of_step"] == 2 and data.trace.meta["interventions"][0]["scale"] == 2.0
    for a, b in zip(original.records[:8], data.records[:8]):  # the shared prefix, then a different path
        assert a.name == b.name and np.array_equal(a.tokens, b.tokens)
    assert any(not np.array_equal(a.confidence, b.confidence) for a, b in zip(original.records[8:], data.records[8:]))
    assert panel.branch_strip.timeline._shared == 8
    assert panel.plots.point_count(1, "changed_y") == 8
    assert panel.playback.branch_box.count() == 2 and "branch 1" in panel.playback.branch_box.itemText(1)
    assert panel.intervene.pending.text() == "no edits yet"

    panel.strip.set_current(3)  # the timelines are linked
    assert panel.branch_strip.current == 3 and panel.plots.cursors[(1, "halting")].value() == 3
    panel.playback.link.setChecked(False)
    panel.strip.set_current(5)
    assert panel.branch_strip.current == 3
    panel.show_beside(-1)
    assert panel.branch_strip.isHidden() and panel.plots.point_count(1, "changed_y") == 0


def test_input_and_y_edits_branch_with_what_the_model_saw(qtbot, theme, monkeypatch):
    use_tiny_models(monkeypatch)
    panel = make_window(qtbot, theme).show_area("inspect")
    original = run_demo(qtbot, panel)
    strip = panel.strip
    blank = int(np.flatnonzero(original.input_tokens() == 1)[0])  # a blank cell of 4x4-1
    r, c = divmod(blank, 4)
    click_cell(qtbot, strip.input_view, (r, c))
    assert panel.intervene.target.text() == f"input r{r + 1}c{c + 1} \u2192"
    qtbot.mouseClick(swatch(panel, 2), Qt.MouseButton.LeftButton)  # digit 2 = token 3
    click_cell(qtbot, strip.y_view, (0, 0))
    qtbot.mouseClick(swatch(panel, 4), Qt.MouseButton.LeftButton)
    qtbot.mouseClick(swatch(panel, 3), Qt.MouseButton.LeftButton)  # a second value replaces the first
    assert panel.intervene.pending.text() == f"input r{r + 1}c{c + 1}\u21923; y r1c1\u21924"
    strip.set_current(15)
    data = branch(qtbot, panel)
    assert data.branch_step == 4 and len(data) == 16 + 4 * 4  # from the end: N_sup more steps
    assert data.input_tokens()[blank] == 3 and original.input_tokens()[blank] == 1
    assert int(data.trace.inputs[blank]) == 3  # the file will record the input the model saw
    assert panel.branch_strip.input_view.grid()[r, c] == 2
    assert [iv["what"] for iv in data.trace.meta["interventions"]] == ["input", "y"]

    # branch of the branch: the active strip is the one last used
    panel.branch_strip.set_current(19)
    qtbot.mouseClick(panel.intervene.noise_button, Qt.MouseButton.LeftButton)
    again = branch(qtbot, panel)
    assert again.branch_step == 5 and again.title.startswith("branch 2:") and len(panel.traces) == 3


def test_branching_needs_the_model_states(qtbot, theme, monkeypatch, dialog_recorder):
    root = use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    probe = sorted((root / "runs" / "tiny" / "traces").glob("*.trace.h5"))[0]
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_path(probe)
    assert panel.actions_.branch() is None
    assert dialog_recorder.infos[-1][0] == "Cannot branch here"
