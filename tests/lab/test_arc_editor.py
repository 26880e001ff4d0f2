"""Editing an ARC task like a user: pick grids in the task view, paint, fill, resize by typing HxW,
copy input to output, transform, add and remove pairs, show numbers, save and reopen the JSON."""

from __future__ import annotations

import json

import numpy as np
from lab_helpers import click_cell, drag_cells, make_window, menu_action, type_keys
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from trm_lab.areas.puzzles.arc_editor import parse_size


def arc_editor(window):
    return window.show_area("puzzles").show_editor("arc")


def test_paint_fill_resize_copy_transform_and_roundtrip(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    editor = arc_editor(window)
    menu_action(window, "File", "New ARC Task").trigger()
    grid = editor.grid
    assert editor.current_key == "train/0/input"

    # Resize by typing "HxW" + Enter: content kept top-left.
    qtbot.mouseClick(editor.size_edit, Qt.MouseButton.LeftButton)
    editor.size_edit.selectAll()
    type_keys(qtbot, editor.size_edit, "4x5")
    qtbot.keyClick(editor.size_edit, Qt.Key.Key_Return)
    assert editor.doc.grid("train/0/input").shape == (4, 5)

    # Colour 2 on key 2, paint a diagonal stroke, flood fill the rest with 8.
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_2)
    assert editor.palette_bar.current == 2
    drag_cells(qtbot, grid, [(0, 0), (3, 3)])
    qtbot.keyClick(grid, Qt.Key.Key_F)
    assert editor.tool_actions["fill"].isChecked()
    qtbot.keyClick(grid, Qt.Key.Key_8)
    click_cell(qtbot, grid, (0, 4))
    g = editor.doc.grid("train/0/input")
    assert np.diag(g)[:4].tolist() == [2, 2, 2, 2] and g[0, 4] == 8 and g[3, 0] == 0  # fill stopped at the diagonal
    assert editor.task_view.grid("train/0/input").tolist() == g.tolist()  # the task view follows

    # Copy input -> output, then rotate the output.
    editor.copy_button.click()
    assert editor.current_key == "train/0/output"
    assert editor.doc.grid("train/0/output").tolist() == g.tolist()
    editor.transform_actions[1].trigger()  # rotate 90 left
    assert editor.doc.grid("train/0/output").tolist() == np.rot90(g).tolist()
    assert editor.doc.undo_stack.undoText() == "Rotate 90\u00b0 left"
    assert editor.undo_action.isEnabled() and "Rotate 90" in editor.undo_action.toolTip()
    editor.undo_action.trigger()  # the Undo button beside the palette
    assert editor.doc.grid("train/0/output").tolist() == g.tolist()
    editor.redo_action.trigger()

    # Pick the test input in the task view and paint it.
    canvas = editor.task_view.canvas
    qtbot.mouseClick(canvas, Qt.MouseButton.LeftButton, pos=editor.task_view.key_rect("test/0/input").center())
    assert editor.current_key == "test/0/input" and grid.shape == (3, 3)
    qtbot.keyClick(grid, Qt.Key.Key_D)
    qtbot.keyClick(grid, Qt.Key.Key_5)
    click_cell(qtbot, grid, (1, 1))
    assert editor.doc.grid("test/0/input")[1, 1] == 5

    path = tmp_path / "task.json"
    dialog_recorder.save_paths.append(path)
    menu_action(window, "File", "Save").trigger()
    saved = json.loads(path.read_text())
    assert saved["train"][0]["input"] == g.tolist()
    assert saved["train"][0]["output"] == np.rot90(g).tolist()
    assert saved["test"][0]["input"][1][1] == 5

    editor.new_puzzle()
    assert window.open_path(path)
    assert editor.doc.grid("train/0/output").tolist() == np.rot90(g).tolist()
    assert set(editor.doc.keys()) == {"train/0/input", "train/0/output", "test/0/input", "test/0/output"}


def test_pairs_numbers_and_engine_messages(qtbot, theme, dialog_recorder, tmp_path):
    window = make_window(qtbot, theme)
    editor = arc_editor(window)
    editor.new_puzzle()
    editor.add_pair("train")
    assert editor.current_key == "train/1/input"
    assert "2 demonstration pair(s)" in editor.summary.text()
    assert "train/1/output" in editor.task_view.keys()
    editor.remove_pair()
    assert "train/1/input" not in editor.doc.keys()
    window.undo_action.trigger()
    assert "train/1/input" in editor.doc.keys()

    editor.numbers_action.trigger()
    assert editor.grid.show_numbers and editor.task_view.show_numbers

    solve = menu_action(window, "Edit", "Solve")
    assert not solve.isEnabled() and not editor.solve_action.isVisible()  # no ARC solver: not offered
    window.panels["puzzles"].show_editor("sudoku")
    assert solve.isEnabled()
    window.panels["puzzles"].show_editor("arc")

    bad = tmp_path / "bad.json"
    bad.write_text('{"train": [{"input": [[1, 2], [3]], "output": [[0]]}], "test": [{"input": [[0]]}]}')
    before = editor.doc.grids()
    assert not window.open_path(bad)
    assert "train pair 1 input: row 2 has 1 cells, row 1 has 2 (ragged grid)" in dialog_recorder.errors[-1][1]
    assert editor.doc.keys() == list(before)


def test_copy_paste_between_grids_with_the_keyboard(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = arc_editor(window)
    editor.new_puzzle()
    grid = editor.grid
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_3)
    click_cell(qtbot, grid, (0, 0))
    qtbot.keyClick(grid, Qt.Key.Key_S)
    drag_cells(qtbot, grid, [(0, 0), (1, 1)])
    menu_action(window, "Edit", "Copy").trigger()
    editor.select_grid("test/0/output")
    click_cell(qtbot, grid, (1, 1))
    qtbot.keyClick(grid, Qt.Key.Key_V)
    assert editor.doc.grid("test/0/output").tolist() == [[0, 0, 0], [0, 3, 0], [0, 0, 0]]


def test_parse_size():
    assert parse_size("3x3") == (3, 3) and parse_size(" 10 x 20 ") == (10, 20) and parse_size("4,5") == (4, 5)
    for bad in ("31x2", "0x1", "axb", "3"):
        try:
            parse_size(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_palette_keys_work_wherever_the_focus_is(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = arc_editor(window)
    panel = window.panels["puzzles"]
    panel.library.view.setFocus()
    qtbot.keyClick(panel.library.view, Qt.Key.Key_5)
    assert editor.palette_bar.current == 5 and editor.grid.current_value == 5
    qtbot.keyClicks(panel.library.search, "7")  # a text box keeps its digits
    assert panel.library.search.text() == "7" and editor.palette_bar.current == 5
    sudoku = panel.show_editor("sudoku")  # hidden, the ARC keys leave the Sudoku digits alone
    sudoku.grid.setFocus()
    sudoku.grid.set_cursor((0, 0))
    qtbot.keyClick(sudoku.grid, Qt.Key.Key_3)
    assert sudoku.doc.grid("cells")[0, 0] == 3 and editor.palette_bar.current == 5


def test_tool_row_wraps_at_a_narrow_width_and_the_size_box_reads_whole(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = arc_editor(window)
    editor.resize_grid(20, 20)
    row = editor.tool_row
    wide_height = row.height()
    for width in (560, 420):  # the editor's share of a 1024-wide window, with and without room
        editor.setFixedWidth(width)
        qtbot.waitUntil(lambda w=width: editor.width() == w)
        for button in row.findChildren(QWidget):
            if button.isVisible() and button.parent() is row:
                assert button.width() >= button.sizeHint().boundedTo(button.maximumSize()).width(), button
                assert button.geometry().right() <= row.width()
        box = editor.size_edit
        assert box.text() == "20x20"
        assert box.fontMetrics().horizontalAdvance("20x20") < box.contentsRect().width() - 8
    assert row.height() > wide_height  # it wrapped onto more lines
