"""The issue's "done when", end to end: a new user opens a bundled example of each family from the
library, checks it, solves it, saves it under a new name and reopens it."""

from __future__ import annotations

import numpy as np
import pytest
from lab_helpers import make_window, menu_action
from PySide6.QtCore import Qt

from trm_lab import settings
from trm_lab.areas.puzzles.sources import examples_folder

pytestmark = pytest.mark.skipif(not examples_folder().is_dir(), reason="no bundled examples")


def open_from_library(qtbot, panel, family: str, name: str):
    library = panel.library
    library.search.clear()
    qtbot.keyClicks(library.search, name)
    library.family_box.setCurrentIndex(library.family_box.findData(family))
    index = library.proxy.index(0, 0)
    assert library.visible_entries()[0].name == name
    rect = library.view.visualRect(index)
    # A real double-click is press, release, then a double-click press and release.
    qtbot.mouseClick(library.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(library.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = panel.editor()
    assert editor.family_name == family and editor.path.stem == name
    return editor


def check_and_save_and_reopen(qtbot, window, editor, tmp_path, dialog_recorder, suffix):
    menu_action(window, "Edit", "Check Puzzle").trigger()
    if editor.job is not None:
        qtbot.waitUntil(lambda: not editor.job.is_running, timeout=20000)
    assert editor.problems == [] and editor.validation.count() == 0
    assert "problem" not in editor.summary.text()
    bundled = editor.path
    menu_action(window, "File", "Save").trigger()  # a bundled example: a copy in the user's puzzles folder
    saved = settings.locations().puzzles / bundled.name
    assert not dialog_recorder.asked
    assert saved.exists() and editor.path == saved and not editor.is_dirty()
    assert saved.read_bytes() != b"" and bundled.exists()
    before = editor.doc.grids()
    editor.new_puzzle()
    assert window.open_path(saved)
    return before


def test_sudoku_example_check_solve_save_reopen(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    editor = open_from_library(qtbot, panel, "sudoku", "hard-1")
    with qtbot.waitSignal(editor.doc.grid_changed, timeout=20000):
        menu_action(window, "Edit", "Solve").trigger()
    assert "unique solution" in editor.summary.text() and "solved!" in editor.summary.text()
    before = check_and_save_and_reopen(qtbot, window, editor, tmp_path, dialog_recorder, ".sudoku")
    assert np.array_equal(editor.givens, np.where(before["fixed"] > 0, before["cells"], 0))


def test_maze_example_check_solve_save_reopen(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    editor = open_from_library(qtbot, panel, "maze", "hard-30x30")
    assert editor.doc.grid("maze").shape == (30, 30)
    with qtbot.waitSignal(editor.doc.grid_changed, timeout=20000):
        menu_action(window, "Edit", "Solve").trigger()
    assert "114 steps" in editor.summary.text()
    before = check_and_save_and_reopen(qtbot, window, editor, tmp_path, dialog_recorder, ".maze")
    assert np.array_equal(editor.doc.grid("maze"), before["maze"])


def test_arc_example_check_edit_save_reopen(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    editor = open_from_library(qtbot, panel, "arc", "mirror-left-right")
    expected = editor.doc.grid("test/0/output").copy()
    assert not menu_action(window, "Edit", "Solve").isEnabled()  # no ARC solver: nothing to offer
    assert not editor.solve_action.isVisible()
    editor.select_grid("test/0/input")
    editor.copy_button.click()  # the answer, drawn by hand: copy the input, then apply the rule
    editor.transform_actions[4].trigger()  # flip left-right
    assert np.array_equal(editor.doc.grid("test/0/output"), expected)
    before = check_and_save_and_reopen(qtbot, window, editor, tmp_path, dialog_recorder, ".json")
    assert all(np.array_equal(editor.doc.grid(k), before[k]) for k in before)
