"""Drawing, checking, solving, saving and reopening a Sudoku the way a user does."""

from __future__ import annotations

import numpy as np
from lab_helpers import click_cell, make_window, menu_action, type_keys
from PySide6.QtCore import Qt

from trm_lab.areas.puzzles.sudoku_editor import grids_for, parse_sudoku

# A 4x4 puzzle with a unique solution.
PUZZLE_4 = "1...\n..2.\n.3..\n...4\n"


def sudoku(window):
    panel = window.show_area("puzzles")
    return panel, panel.show_editor("sudoku")


def test_new_9x9_type_givens_conflicts_live_then_undo(qtbot, theme):
    window = make_window(qtbot, theme)
    panel, editor = sudoku(window)
    menu_action(window, "File", "New Sudoku 9x9").trigger()
    grid = editor.grid
    assert editor.givens_action.isChecked()
    click_cell(qtbot, grid, (0, 0))
    type_keys(qtbot, grid, "5")
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    type_keys(qtbot, grid, "5")  # a second 5 in row 1: a conflict, shown at once
    assert editor.doc.grid("cells")[0, :2].tolist() == [5, 5]
    assert (editor.doc.grid("fixed")[0, :2] == 1).all()
    messages = [editor.validation.item(i).text() for i in range(editor.validation.count())]
    assert "row 1: digit 5 appears 2 times (r1c1, r1c2)" in messages
    assert editor.validation.isVisible()
    assert grid.layer("highlight")[0, 0] and grid.layer("highlight")[0, 1]
    window.undo_action.trigger()  # Edit > Undo (the window's action follows the current editor)
    assert editor.doc.grid("cells")[0, 1] == 0 and editor.doc.grid("fixed")[0, 1] == 0
    assert editor.validation.count() == 0 and grid.layer("highlight") is None
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert editor.doc.grid("cells")[0, 1] == 5


def test_entries_pencil_marks_and_locked_givens(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    editor.load_grids(grids_for(editor.family.parse("5" + "." * 80)))
    assert not editor.givens_action.isChecked()  # an opened puzzle is for solving
    grid = editor.grid
    click_cell(qtbot, grid, (0, 0))
    type_keys(qtbot, grid, "3")  # a given: locked
    assert editor.doc.grid("cells")[0, 0] == 5
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)  # pencil mark 4
    qtbot.keyClick(grid, Qt.Key.Key_6, Qt.KeyboardModifier.ControlModifier)
    assert editor.doc.grid("marks")[0, 1] == (1 << 4) | (1 << 6)
    type_keys(qtbot, grid, "7")  # an entry replaces the marks
    assert editor.doc.grid("cells")[0, 1] == 7 and editor.doc.grid("fixed")[0, 1] == 0
    assert editor.doc.grid("marks")[0, 1] == 0
    qtbot.keyClick(grid, Qt.Key.Key_Delete)
    assert editor.doc.grid("cells")[0, 1] == 0
    editor.pencil_action.trigger()
    type_keys(qtbot, grid, "2")
    assert editor.doc.grid("marks")[0, 1] == 1 << 2


def test_solve_save_and_reopen_4x4(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    menu_action(window, "File", "New Sudoku 4x4").trigger()
    grid = editor.grid
    assert editor.doc.grid("cells").shape == (4, 4)
    for r, line in enumerate(PUZZLE_4.split()):
        for c, ch in enumerate(line):
            if ch != ".":
                click_cell(qtbot, grid, (r, c))
                type_keys(qtbot, grid, ch)
    assert editor.givens.tolist() == editor.family.parse(PUZZLE_4).tolist()
    with qtbot.waitSignal(editor.doc.grid_changed, timeout=20000):
        menu_action(window, "Edit", "Solve").trigger()
    cells = editor.doc.grid("cells")
    assert (cells > 0).all() and editor.family.check_solution(editor.givens, cells) == []
    assert "unique solution" in editor.summary.text() and "solved" in editor.summary.text()
    window.undo_action.trigger()
    assert (editor.doc.grid("cells") == editor.givens).all()

    path = tmp_path / "mine.sudoku"
    dialog_recorder.save_paths.append(path)
    menu_action(window, "File", "Save").trigger()
    assert path.read_text() == PUZZLE_4
    assert not editor.is_dirty() and window.panels["puzzles"].tabs.tabText(0) == "mine.sudoku"

    menu_action(window, "File", "New Sudoku 9x9").trigger()
    assert window.open_path(path)
    assert editor.givens.tolist() == editor.family.parse(PUZZLE_4).tolist()
    assert editor.path == path


def test_no_solution_and_multiple_solutions_are_said(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    editor.load_grids(grids_for(parse_sudoku("1...\n....\n....\n....", "t")))
    editor.solve()
    qtbot.waitUntil(lambda: "more than one solution" in editor.summary.text(), timeout=20000)
    # r1c4 can hold nothing: its row has 1, 2, 3 and its column has 4.
    editor.load_grids(grids_for(parse_sudoku("123.\n...4\n....\n....", "t")))
    editor.solve()
    qtbot.waitUntil(lambda: "no solution" in editor.summary.text(), timeout=20000)
    assert (editor.doc.grid("cells") == editor.givens).all()


def test_bad_file_names_the_problem_and_keeps_the_puzzle(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    click_cell(qtbot, editor.grid, (0, 0))
    type_keys(qtbot, editor.grid, "9")
    before = editor.doc.grids()
    bad = tmp_path / "broken.sudoku"
    bad.write_text("12x" + "." * 78)
    assert not window.open_path(bad)
    title, text = dialog_recorder.errors[-1]
    assert title == "Cannot open puzzle" and "broken.sudoku" in text and "unknown character 'x'" in text
    assert all(np.array_equal(before[k], editor.doc.grid(k)) for k in before)
    assert editor.is_dirty()


def test_unsaved_changes_ask_before_closing(qtbot, theme, dialog_recorder):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    click_cell(qtbot, editor.grid, (1, 1))
    type_keys(qtbot, editor.grid, "4")
    dialog_recorder.unsaved.append("cancel")
    assert not window.close()
    assert window.isVisible()
    dialog_recorder.unsaved.append("discard")
    assert window.close()
    assert dialog_recorder.asked == ["unsaved", "unsaved"]


def test_generate_easy_4x4(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    action = next(a for a in editor.generate_actions if a.text() == "Easy 4x4")
    with qtbot.waitSignal(editor.doc.layout_changed, timeout=30000):
        action.trigger()
    cells = editor.doc.grid("cells")
    assert cells.shape == (4, 4) and 0 < (cells > 0).sum() < 16
    assert editor.family.solve(cells).count == 1
    assert not editor.givens_action.isChecked()
    assert editor.doc.undo_stack.undoText() == "Generate"


def test_digit_pad_matches_the_size_and_enters_digits(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    menu_action(window, "File", "New Sudoku 4x4").trigger()
    assert editor.pads[4].isVisible() and not editor.pads[9].isVisible()
    click_cell(qtbot, editor.grid, (2, 3))
    editor.pads[4]._swatches[3].click()
    assert editor.doc.grid("cells")[2, 3] == 3
    editor.pads[4]._swatches[0].click()  # the blank swatch clears
    assert editor.doc.grid("cells")[2, 3] == 0


def test_check_says_whether_the_puzzle_is_proper(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    editor.load_grids(grids_for(parse_sudoku(PUZZLE_4, "t")))
    menu_action(window, "Edit", "Check Puzzle").trigger()
    qtbot.waitUntil(lambda: "exactly one solution" in editor.summary.text(), timeout=20000)
    editor.load_grids(grids_for(parse_sudoku("1...\n....\n....\n....", "t")))
    menu_action(window, "Edit", "Check Puzzle").trigger()
    qtbot.waitUntil(lambda: editor.validation.count() == 1, timeout=20000)
    assert editor.validation.item(0).text() == "the puzzle has more than one solution"


def test_a_late_solution_never_overwrites_a_changed_puzzle(qtbot, theme, monkeypatch):
    import threading

    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    editor.load_grids(grids_for(parse_sudoku(PUZZLE_4, "t")))
    release = threading.Event()
    solve = editor.family.solve
    monkeypatch.setattr(editor.family, "solve", lambda grid: (release.wait(10), solve(grid))[1])  # a slow solver
    editor.solve()
    job = editor.job
    click_cell(qtbot, editor.grid, (0, 1))
    type_keys(qtbot, editor.grid, "2")  # the user edits while the solver runs
    release.set()
    qtbot.waitUntil(lambda: not job.is_running, timeout=20000)
    assert editor.doc.grid("cells")[0].tolist() == [1, 2, 0, 0]
    assert "result was dropped" in editor.summary.text()


def _wrong_but_no_conflict(editor):
    """A cell and a digit that breaks no rule with the givens yet is not the solution's digit."""
    givens = editor.givens
    solution = editor.family.solve(givens).solution
    for r, c in zip(*np.nonzero(givens == 0)):
        for d in range(1, 5):
            trial = givens.copy()
            trial[r, c] = d
            if d != solution[r, c] and not editor.family.validate(trial):
                return (int(r), int(c)), d, solution
    raise AssertionError("no such entry")


def _enter(qtbot, editor, cell, digit):
    click_cell(qtbot, editor.grid, cell)
    type_keys(qtbot, editor.grid, str(digit))


def test_selected_cell_shades_its_row_column_box_and_equal_digits(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    editor.load_grids(grids_for(parse_sudoku(PUZZLE_4, "t")))
    click_cell(qtbot, editor.grid, (0, 0))  # holds the given 1
    shade = editor.grid.layer("shading")
    assert shade[0, 3] > 0 and shade[3, 0] > 0 and shade[1, 1] > 0  # row, column, box
    assert shade[2, 2] == 0 and shade[3, 3] == 0
    editor.givens_action.setChecked(False)
    _enter(qtbot, editor, (3, 0), 2)
    click_cell(qtbot, editor.grid, (1, 2))
    shade = editor.grid.layer("shading")
    assert shade[3, 0] > shade[1, 0] > 0  # the other 2 is shaded more than a plain peer


def test_show_mistakes_check_hint_and_solve_name_wrong_entries(qtbot, theme):
    window = make_window(qtbot, theme)
    _, editor = sudoku(window)
    editor.load_grids(grids_for(parse_sudoku(PUZZLE_4, "t")))
    (r, c), digit, solution = _wrong_but_no_conflict(editor)
    _enter(qtbot, editor, (r, c), digit)
    assert editor.validation.count() == 0  # no rule is broken
    menu_action(window, "Edit", "Check Puzzle").trigger()
    qtbot.waitUntil(lambda: "wrong" in editor.summary.text(), timeout=20000)
    assert f"r{r + 1}c{c + 1}: {digit} is wrong" in editor.validation.item(0).text()
    assert editor.grid.layer("highlight")[r, c]

    editor.mistakes_action.trigger()
    assert editor.validation.item(0).text() == f"1 entry differs from the solution: r{r + 1}c{c + 1}"
    assert editor.grid.layer("highlight")[r, c]
    editor.mistakes_action.trigger()
    assert editor.validation.count() == 0 and editor.grid.layer("highlight") is None

    editor.hint_action.trigger()  # a wrong entry is corrected first
    assert editor.doc.grid("cells")[r, c] == solution[r, c]
    assert f"it held a wrong {digit}" in editor.summary.text()
    before = editor.doc.grid("cells").copy()
    editor.hint_action.trigger()  # then one empty cell, from the solution
    filled = np.argwhere(editor.doc.grid("cells") != before)
    assert len(filled) == 1 and editor.doc.grid("cells")[tuple(filled[0])] == solution[tuple(filled[0])]
    window.undo_action.trigger()
    assert np.array_equal(editor.doc.grid("cells"), before)

    _enter(qtbot, editor, (r, c), digit)
    with qtbot.waitSignal(editor.doc.grid_changed, timeout=20000):
        editor.solve()
    assert np.array_equal(editor.doc.grid("cells"), solution)
    assert f"it replaced 1 entry: r{r + 1}c{c + 1} ({digit} \u2192 {solution[r, c]})" in editor.summary.text()


def test_hint_cell_prefers_the_most_constrained_empty_cell():
    from trm_lab.areas.puzzles.sudoku_help import candidate_counts, hint_cell

    cells = np.array([[1, 2, 3, 0], [0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]])
    solution = np.array([[1, 2, 3, 4], [3, 4, 1, 2], [2, 1, 4, 3], [4, 3, 2, 1]])
    assert candidate_counts(cells, 2)[0, 3] == 1
    assert hint_cell(cells, cells > 0, solution, 2) == (0, 3)
    assert hint_cell(solution, solution > 0, solution, 2) is None
