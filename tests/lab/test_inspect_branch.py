"""Interventions: noise on z, an input cell, a y cell; each branch continues from the end of the step
under the cursor and shows beside the original, with its own (linked) timeline."""

from __future__ import annotations

import json

import h5py
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
    assert data.branch_step == 2 and data.title == "branch 1 of main, after step 2: z noise x2"
    assert len(data) == 16 and len(data.halting) == 4
    assert data.trace.meta["branch_of_step"] == 2 and data.trace.meta["interventions"][0]["scale"] == 2.0
    assert data.trace.meta["branch_parent"] == 0 and data.trace.meta["branch_id"] == 1
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
    assert again.branch_step == 5 and again.title.startswith("branch 2 of branch 1, after step 5:")
    assert len(panel.traces) == 3 and again.parent is data and [link["branch"] for link in again.chain] == [1, 2]
    assert "\u2003branch 2 of branch 1" in panel.playback.branch_box.itemText(2)  # the tree, indented


def test_branching_needs_the_model_states(qtbot, theme, monkeypatch, dialog_recorder):
    root = use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    probe = sorted((root / "runs" / "tiny" / "traces").glob("*.trace.h5"))[0]
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_path(probe)
    # Said before the user composes an intervention, not after.
    assert not panel.intervene.isEnabled() and "read from a file" in panel.intervene.target.text()
    assert panel.actions_.branch() is None
    assert dialog_recorder.infos[-1][0] == "Cannot branch here"


def noise(qtbot, panel, scale):
    panel.intervene.noise_scale.setValue(scale)
    qtbot.mouseClick(panel.intervene.noise_button, Qt.MouseButton.LeftButton)


def same(a, b):
    return a.name == b.name and np.array_equal(a.tokens, b.tokens) and np.array_equal(a.confidence, b.confidence)


def test_branches_form_a_tree_from_the_row_the_user_picked(qtbot, theme, monkeypatch, tmp_path, dialog_recorder):
    """Issue 15 (a), (b), (c): with branch A present, a branch from the main row continues main; a branch
    from A before A's fork works and continues main; export writes the row picked (or all of them)."""
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    main = run_demo(qtbot, panel)  # T=2, n=1: 4 states per supervision step, 4 steps
    panel.strip.set_current(3)  # the end of step 1
    noise(qtbot, panel, 5.0)
    a = branch(qtbot, panel)
    assert a.title == "branch 1 of main, after step 1: z noise x5" and panel.branch_strip.data is a

    # (a) the main row under the cursor (the linked branch strip follows, but the main row stays picked)
    panel.strip.set_current(7)
    assert panel.branch_strip.current == 7 and panel.active is panel.strip
    noise(qtbot, panel, 5.0)
    b = branch(qtbot, panel)
    assert b.parent is main and b.branch_step == 2 and b.title == "branch 2 of main, after step 2: z noise x5"
    assert all(same(x, y) for x, y in zip(main.records[:8], b.records[:8]))  # main up to its fork state
    assert not all(same(x, y) for x, y in zip(main.records[8:], b.records[8:]))  # then its own path
    assert not all(same(x, y) for x, y in zip(a.records[4:8], b.records[4:8]))  # and not A's
    meta = b.trace.meta
    assert meta["branch_parent"] == 0 and meta["branch_of_step"] == 2 and len(meta["intervention_chain"]) == 1
    assert meta["intervention_chain"][0]["interventions"][0]["scale"] == 5.0

    # (b) from branch A's row at step 1 (its fork step, an earlier step than B's): the state there is
    # main's, so the new branch continues main, and says so; after A's fork it continues A.
    panel.show_beside(1)
    panel.branch_strip.set_current(3)
    assert panel.active is panel.branch_strip and panel.intervene.isEnabled()
    noise(qtbot, panel, 1.0)
    c = branch(qtbot, panel)
    assert c is not None and c.parent is main and c.title.startswith("branch 3 of main, after step 1")
    assert dialog_recorder.infos == []
    panel.show_beside(1)
    panel.branch_strip.set_current(11)  # A's step 3
    noise(qtbot, panel, 1.0)
    d = branch(qtbot, panel)
    assert d.parent is a and d.title.startswith("branch 4 of branch 1, after step 3")
    assert [(link["branch"], link["parent"], link["after_step"]) for link in d.trace.meta["intervention_chain"]] \
        == [(1, 0, 1), (4, 1, 3)]
    assert all(same(x, y) for x, y in zip(a.records[:12], d.records[:12]))

    # (c) export with the main row picked and a branch beside: main; asked, with the main row first
    panel.strip.set_current(2)
    dialog_recorder.choices.append(0)
    dialog_recorder.save_paths.append(None)
    panel.actions_.export_trace()
    assert dialog_recorder.choice_items[0].startswith("main") and "all 5 traces" in dialog_recorder.choice_items[-1]
    dialog_recorder.choices.append(0)
    dialog_recorder.save_paths.append(tmp_path / "main")
    panel.actions_.export_trace()
    qtbot.waitUntil(lambda: not panel.actions_.job.is_running, timeout=RUN_TIMEOUT)
    with h5py.File(tmp_path / "main.trace.h5", "r") as f:
        assert "branch_id" not in json.loads(f.attrs["meta"]) and "branches" not in f
        assert np.array_equal(f["steps/confidence"][()].reshape(16, -1), np.stack([r.confidence for r in main.records]))

    # all of them in one file, read back as the same tree
    dialog_recorder.choices.append(5)
    dialog_recorder.save_paths.append(tmp_path / "all")
    panel.actions_.export_trace()
    qtbot.waitUntil(lambda: not panel.actions_.job.is_running, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_path(tmp_path / "all.trace.h5")
    back = panel.traces
    assert [t.title for t in back[1:]] == [t.title for t in (a, b, c, d)]
    assert back[4].parent is back[1] and back[3].parent is back[0] and back[4].chain == d.chain
    assert all(same(x, y) for x, y in zip(back[4].records, d.records))

    # a branch exported alone stays a branch when read back (and exported again)
    panel.show_beside(4)
    panel.branch_strip.set_current(1)
    dialog_recorder.choices.append(0)  # the row under focus: branch 4 of branch 1
    dialog_recorder.save_paths.append(tmp_path / "d")
    panel.actions_.export_trace()
    assert dialog_recorder.choice_items[0].startswith("branch 4 of branch 1, after step 3")
    qtbot.waitUntil(lambda: not panel.actions_.job.is_running, timeout=RUN_TIMEOUT)
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_path(tmp_path / "d.trace.h5")
    alone = panel.traces[0]
    assert len(panel.traces) == 1 and alone.label() == "branch 4 of branch 1, after step 3"
    assert alone.branch_meta()["intervention_chain"] == d.chain
    assert dialog_recorder.errors == []


def test_the_default_export_name_says_which_trace(qtbot, theme, monkeypatch, dialog_recorder):
    from trm_lab.areas.inspect.export import export_stem
    use_tiny_models(monkeypatch)
    panel = make_window(qtbot, theme).show_area("inspect")
    main = run_demo(qtbot, panel)
    panel.strip.set_current(3)
    noise(qtbot, panel, 1.0)
    a = branch(qtbot, panel)
    stem = export_stem(panel.traces, main)
    assert stem.endswith("on_4x4-1") and export_stem(panel.traces, a) == f"{stem}_branch_1"
    assert export_stem(panel.traces, main, all_of=True) == f"{stem}_main_and_1_branch"


def test_a_full_level_trace_file_branches_once_its_model_is_loaded(qtbot, theme, monkeypatch, tmp_path):
    """A trace recorded at level "full" keeps y and z: read back from its file, it branches from them
    (rounded to float16) with the model that recorded it, as a live run does."""
    from trm_engine.trace.trace_file import write_trace
    from trm_lab.areas.inspect.export import trace_of

    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    panel.setup.level.setCurrentIndex(panel.setup.level.findData("full"))
    live = run_demo(qtbot, panel)
    assert live.trace.level == "full"
    path = tmp_path / "full.trace.h5"
    write_trace(path, trace_of(live))
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_path(path)
    read = panel.traces[0]
    assert read.from_file and read is not live
    panel.strip.set_current(7)  # the end of supervision step 2
    assert panel.intervene.isEnabled()
    noise(qtbot, panel, 0.0)  # no change at all: the branch retraces the recording from the file's states
    data = branch(qtbot, panel)
    assert data.branch_step == 2 and data.title.endswith("(from the file's float16 states)")
    assert data.trace.meta["branch_parent"] == 0 and len(data) == 16
    for a, b in zip(live.records, data.records):
        assert a.name == b.name
    agree = np.mean([np.mean(a.tokens == b.tokens) for a, b in zip(live.records[8:], data.records[8:])])
    assert agree > 0.9  # float16 rounding of y and z changes little


def test_a_trace_file_without_states_says_which_level_would_branch(qtbot, theme, monkeypatch, tmp_path):
    from trm_engine.trace.trace_file import write_trace
    from trm_lab.areas.inspect.export import trace_of

    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    live = run_demo(qtbot, panel)  # level "inner"
    path = tmp_path / "inner.trace.h5"
    write_trace(path, trace_of(live))
    with qtbot.waitSignal(panel.trace_shown, timeout=RUN_TIMEOUT):
        window.open_path(path)
    panel.strip.set_current(7)
    assert not panel.intervene.isEnabled()
    assert 'level "inner"' in panel.intervene.target.toolTip() and 'level "full"' in panel.intervene.target.toolTip()
