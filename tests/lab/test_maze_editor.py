"""Drawing a maze with the mouse, placing S and G, the live shortest path, solve, resize, save, reopen."""

from __future__ import annotations

import numpy as np
from lab_helpers import click_cell, drag_cells, make_window, menu_action
from PySide6.QtCore import Qt

from trm_engine.puzzles.maze import GOAL, OPEN, PATH, START, WALL


def maze_editor(window):
    panel = window.show_area("puzzles")
    return panel.show_editor("maze")


def test_draw_walls_erase_place_s_and_g_with_live_path(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = maze_editor(window)
    menu_action(window, "File", "New Maze").trigger()
    grid = editor.grid
    assert editor.doc.grid("maze").shape == (10, 10)
    qtbot.keyClick(grid, Qt.Key.Key_1)  # wall
    drag_cells(qtbot, grid, [(5, 0), (5, 8)])  # a wall across, leaving a gap at the right
    maze = editor.doc.grid("maze")
    assert (maze[5, :9] == WALL).all() and maze[5, 9] == OPEN
    assert editor.doc.undo_stack.count() == 1  # one drag, one undo step
    drag_cells(qtbot, grid, [(5, 3), (5, 4)])  # starting on a wall erases
    assert editor.doc.grid("maze")[5, 3:5].tolist() == [OPEN, OPEN]
    qtbot.keyClick(grid, Qt.Key.Key_3)  # S
    click_cell(qtbot, grid, (2, 2))
    maze = editor.doc.grid("maze")
    assert maze[2, 2] == START and (maze == START).sum() == 1 and maze[0, 0] == OPEN  # S moved
    qtbot.keyClick(grid, Qt.Key.Key_4)  # G
    click_cell(qtbot, grid, (8, 8))
    assert editor.doc.grid("maze")[8, 8] == GOAL and (editor.doc.grid("maze") == GOAL).sum() == 1
    qtbot.waitUntil(lambda: grid.layer("tint") is not None, timeout=20000)
    assert "shortest path" in editor.summary.text()
    tint = grid.layer("tint")
    assert tint.sum() == editor.path_steps - 1 and not tint[5, :3].any()


def test_missing_goal_is_reported_then_solve_and_roundtrip(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    editor = maze_editor(window)
    editor.new_puzzle(6, 7)
    grid = editor.grid
    qtbot.keyClick(grid, Qt.Key.Key_1)
    click_cell(qtbot, grid, (5, 6))  # paint a wall over G
    messages = [editor.validation.item(i).text() for i in range(editor.validation.count())]
    assert messages == ["the maze has no goal G"]
    window.undo_action.trigger()
    assert editor.validation.count() == 0
    with qtbot.waitSignal(editor.doc.grid_changed, timeout=20000):
        menu_action(window, "Edit", "Solve").trigger()
    maze = editor.doc.grid("maze")
    assert (maze == PATH).sum() == 6 + 7 - 3  # a shortest path in an open 6x7 box
    assert editor.family.check_solution(np.where(maze == PATH, OPEN, maze), maze) == []
    assert "Solved" in editor.summary.text()

    path = tmp_path / "box.maze"
    dialog_recorder.save_paths.append(path)
    menu_action(window, "File", "Save As").trigger()
    assert path.read_text().splitlines()[0].startswith("S")
    editor.new_puzzle()
    assert window.open_path(path)
    assert np.array_equal(editor.doc.grid("maze"), maze)


def test_resize_keeps_content_and_is_undoable(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = maze_editor(window)
    editor.new_puzzle(5, 5)
    editor.height_box.setValue(30)
    editor.width_box.setValue(12)
    editor.resize_maze(editor.height_box.value(), editor.width_box.value())
    maze = editor.doc.grid("maze")
    assert maze.shape == (30, 12) and maze[0, 0] == START and maze[4, 4] == GOAL
    assert editor.grid.shape == (30, 12)
    window.undo_action.trigger()
    assert editor.doc.grid("maze").shape == (5, 5)
    assert editor.height_box.maximum() == 30


def test_generate_easy_maze(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = maze_editor(window)
    editor.new_puzzle(9, 9)
    with qtbot.waitSignal(editor.doc.layout_changed, timeout=30000):
        next(a for a in editor.generate_actions if a.text() == "Easy").trigger()
    maze = editor.doc.grid("maze")
    assert maze.shape == (9, 9) and (maze == START).sum() == 1 and (maze == GOAL).sum() == 1
    assert editor.family.solve(maze).count >= 1


def test_no_path_is_said_once(qtbot, theme):
    window = make_window(qtbot, theme)
    editor = maze_editor(window)
    maze = np.full((5, 5), OPEN)
    maze[:, 2] = WALL
    maze[0, 0], maze[4, 4] = START, GOAL
    editor.load_grids({"maze": maze})
    for action in ("Check Puzzle", "Solve"):
        menu_action(window, "Edit", action).trigger()
        qtbot.waitUntil(lambda: not editor.job.is_running)
        qtbot.waitUntil(lambda: "no path" in editor.summary.text().lower())
        texts = [editor.summary.text()] + [editor.validation.item(i).text() for i in range(editor.validation.count())]
        assert sum(t.lower().count("no path from s to g") for t in texts) == 1, texts


def test_dark_theme_keeps_dark_walls_on_light_cells(qtbot, theme):
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QColor, QImage, QPainter

    from trm_lab.widgets.grid_paint import GridState, paint_grid

    window = make_window(qtbot, theme)
    editor = maze_editor(window)
    maze = np.full((4, 4), OPEN)
    maze[1, :] = WALL
    maze[0, 0], maze[3, 3] = START, GOAL
    editor.load_grids({"maze": maze})
    for name in ("light", "dark"):
        theme.set_theme(name)
        image = editor.grid.grab().toImage()
        wall = image.pixelColor(editor.grid.cell_rect(1, 1).center()).lightness()
        open_ = image.pixelColor(editor.grid.cell_rect(2, 1).center()).lightness()
        assert open_ - wall > 120, (name, wall, open_)
        thumb = QImage(40, 40, QImage.Format.Format_RGB32)  # the library's thumbnails paint the same way
        thumb.fill(QColor("#000000"))
        painter = QPainter(thumb)
        paint_grid(painter, GridState(grid=maze, palette=editor.grid.state.palette), editor.grid.colors,
                   QRect(0, 0, 40, 40))
        painter.end()
        assert thumb.pixelColor(15, 25).lightness() - thumb.pixelColor(15, 15).lightness() > 120
