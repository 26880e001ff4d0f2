"""The engine-agnostic grid editor driven like a user: mouse drags, clicks and key presses, with the
edits applied through a GridDocument and its undo stack (as the puzzle panels do)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from trm_lab.document import CellsCommand, GridDocument
from trm_lab.widgets.grid_editor import GridEditor, flood_region, grid_to_text, line_cells, text_to_grid
from trm_lab.widgets.palette import ARC_PALETTE, MAZE_PALETTE, digit_palette


def bound_editor(qtbot, grid, palette=ARC_PALETTE, digit_keys="pick", key="g"):
    """An editor whose edits go through a document's undo stack and come back as set_grid."""
    doc = GridDocument({key: grid})
    editor = GridEditor(doc.grid(key), palette, digit_keys=digit_keys)
    qtbot.addWidget(editor)
    editor.resize(300, 300)
    editor.show()

    def apply(edit):
        if edit.layer == "grid":
            doc.undo_stack.push(CellsCommand(doc, key, edit.rows, edit.cols, edit.values, edit.label, edit.stroke))
        else:
            marks = editor.layer("marks").copy()
            marks[list(edit.rows), list(edit.cols)] = edit.values
            editor.set_layer("marks", marks)

    editor.cells_edited.connect(apply)
    doc.grid_changed.connect(lambda k: editor.set_grid(doc.grid(k)))
    return editor, doc


def press(qtbot, editor, cell, button=Qt.MouseButton.LeftButton, mods=Qt.KeyboardModifier.NoModifier):
    pos = editor.cell_rect(*cell).center()
    qtbot.mousePress(editor, button, mods, pos)
    qtbot.mouseRelease(editor, button, mods, pos)


def drag(qtbot, editor, cells, button=Qt.MouseButton.LeftButton):
    qtbot.mousePress(editor, button, pos=editor.cell_rect(*cells[0]).center())
    for cell in cells[1:]:
        qtbot.mouseMove(editor, editor.cell_rect(*cell).center())
    qtbot.mouseRelease(editor, button, pos=editor.cell_rect(*cells[-1]).center())


def test_paint_drag_is_one_undo_step_and_leaves_no_gaps(qtbot):
    editor, doc = bound_editor(qtbot, np.zeros((6, 6), dtype=int))
    qtbot.keyClick(editor, Qt.Key.Key_3)  # pick green
    drag(qtbot, editor, [(0, 0), (0, 5), (5, 5)])  # fast drag: cells in between are filled too
    g = doc.grid("g")
    assert (g[0, :] == 3).all() and (g[:, 5] == 3).all() and g.sum() == 3 * 11
    assert doc.undo_stack.count() == 1
    doc.undo_stack.undo()
    assert not doc.grid("g").any()
    doc.undo_stack.redo()
    assert doc.grid("g")[5, 5] == 3


def test_click_again_clears_and_right_button_erases(qtbot):
    editor, doc = bound_editor(qtbot, np.zeros((4, 4), dtype=int))
    qtbot.keyClick(editor, Qt.Key.Key_2)
    press(qtbot, editor, (1, 1))
    assert doc.grid("g")[1, 1] == 2
    press(qtbot, editor, (1, 1))  # ARC playground convention: same colour again clears
    assert doc.grid("g")[1, 1] == 0
    press(qtbot, editor, (2, 2))
    press(qtbot, editor, (2, 2), Qt.MouseButton.RightButton)
    assert doc.grid("g")[2, 2] == 0
    assert doc.undo_stack.count() == 4


def test_flood_fill_tool_fills_the_connected_region_only(qtbot):
    grid = np.zeros((5, 5), dtype=int)
    grid[2, :] = 1  # a wall splitting the grid
    editor, doc = bound_editor(qtbot, grid)
    qtbot.keyClick(editor, Qt.Key.Key_F)
    assert editor.tool == "fill"
    qtbot.keyClick(editor, Qt.Key.Key_4)
    press(qtbot, editor, (0, 0))
    g = doc.grid("g")
    assert (g[:2] == 4).all() and (g[3:] == 0).all() and (g[2] == 1).all()
    assert doc.undo_stack.undoText() == "Fill"


def test_select_copy_paste_with_keys(qtbot):
    grid = np.arange(16).reshape(4, 4) % 10
    editor, doc = bound_editor(qtbot, grid)
    qtbot.keyClick(editor, Qt.Key.Key_S)
    drag(qtbot, editor, [(0, 0), (1, 1)])
    assert editor.selection == (0, 0, 1, 1)
    qtbot.keyClick(editor, Qt.Key.Key_C)
    assert text_to_grid(QGuiApplication.clipboard().text()).tolist() == [[0, 1], [4, 5]]
    press(qtbot, editor, (2, 2))
    qtbot.keyClick(editor, Qt.Key.Key_V)
    assert doc.grid("g")[2:, 2:].tolist() == [[0, 1], [4, 5]]
    assert editor.selection == (2, 2, 3, 3)
    qtbot.keyClick(editor, Qt.Key.Key_Delete)
    assert not doc.grid("g")[2:, 2:].any()


def test_sudoku_keys_digits_arrows_delete_and_locked_givens(qtbot):
    grid = np.zeros((4, 4), dtype=int)
    grid[0, 0] = 1
    editor, doc = bound_editor(qtbot, grid, digit_palette(4), digit_keys="enter")
    editor.set_locked(grid > 0)
    editor.set_cursor((0, 0))
    qtbot.keyClick(editor, Qt.Key.Key_3)  # a given: unchanged
    assert doc.grid("g")[0, 0] == 1
    qtbot.keyClick(editor, Qt.Key.Key_Right)
    qtbot.keyClick(editor, Qt.Key.Key_3)
    qtbot.keyClick(editor, Qt.Key.Key_Down)
    qtbot.keyClick(editor, Qt.Key.Key_9)  # beyond 4x4's digits: ignored
    qtbot.keyClick(editor, Qt.Key.Key_2)
    assert doc.grid("g")[:2, :2].tolist() == [[1, 3], [0, 2]]
    qtbot.keyClick(editor, Qt.Key.Key_Backspace)
    assert doc.grid("g")[1, 1] == 0
    assert editor.cursor == (1, 1)
    assert [doc.undo_stack.text(i) for i in range(doc.undo_stack.count())] == ["Enter 3", "Enter 2", "Clear"]


def test_pencil_marks_with_ctrl_digits(qtbot):
    editor, _ = bound_editor(qtbot, np.zeros((9, 9), dtype=int), digit_palette(9), digit_keys="enter")
    editor.set_layer("marks", np.zeros((9, 9), dtype=int))
    editor.set_cursor((4, 4))
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(editor, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert editor.layer("marks")[4, 4] == (1 << 2) | (1 << 7)
    qtbot.keyClick(editor, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert editor.layer("marks")[4, 4] == 1 << 7


def test_maze_palette_keys_and_stroke_erase(qtbot):
    grid = np.ones((5, 5), dtype=int)
    editor, doc = bound_editor(qtbot, grid, MAZE_PALETTE)
    editor.key_values = {1: 0, 2: 1, 3: 2, 4: 3}
    editor.clear_value = 1
    qtbot.keyClick(editor, Qt.Key.Key_1)  # wall
    drag(qtbot, editor, [(2, 0), (2, 4)])
    assert (doc.grid("g")[2] == 0).all()
    drag(qtbot, editor, [(2, 1), (2, 3)])  # starting on a wall with the wall tool erases
    assert doc.grid("g")[2].tolist() == [0, 1, 1, 1, 0]


def test_helpers():
    cells = line_cells((0, 0), (2, 4))
    assert cells[0] == (0, 0) and cells[-1] == (2, 4) and len(cells) == 5
    assert all(max(abs(a[0] - b[0]), abs(a[1] - b[1])) == 1 for a, b in zip(cells, cells[1:]))
    g = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 0]])
    assert flood_region(g, (0, 0)).sum() == 3
    assert text_to_grid(grid_to_text(g)).tolist() == g.tolist()
    assert text_to_grid("12\n3") is None and text_to_grid("ab") is None
    wide = np.array([[10, 2]])
    assert text_to_grid(grid_to_text(wide)).tolist() == [[10, 2]]


def test_view_layers_are_checked(qtbot):
    editor, _ = bound_editor(qtbot, np.zeros((3, 3), dtype=int))
    with pytest.raises(ValueError, match="shape"):
        editor.set_layer("highlight", np.zeros((2, 2), dtype=bool))
    with pytest.raises(ValueError, match="unknown layer"):
        editor.set_layer("nope", None)


def test_select_then_pick_a_colour_fills_the_selection(qtbot):
    editor, doc = bound_editor(qtbot, np.zeros((4, 4), dtype=int))
    qtbot.keyClick(editor, Qt.Key.Key_S)
    drag(qtbot, editor, [(1, 1), (2, 3)])
    qtbot.keyClick(editor, Qt.Key.Key_6)
    assert doc.grid("g")[1:3, 1:4].tolist() == [[6, 6, 6], [6, 6, 6]] and doc.grid("g").sum() == 36
    assert doc.undo_stack.count() == 1
