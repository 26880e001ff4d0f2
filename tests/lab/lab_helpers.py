"""Shared ways to drive the app in tests: the main window, clicks and drags on grid cells, typing."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from trm_lab.main_window import MainWindow


def make_window(qtbot, theme) -> MainWindow:
    """The real main window, shown and active (window shortcuts need an active window)."""
    window = MainWindow(theme)
    qtbot.addWidget(window, before_close_func=discard_changes)
    window.resize(1280, 820)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def discard_changes(window: MainWindow) -> None:
    """Test teardown: leave nothing unsaved, so closing asks no question."""
    for panel in window.panels.values():
        for editor in getattr(panel, "editors", {}).values():
            editor.doc.undo_stack.setClean()


def menu_action(window: MainWindow, menu: str, text: str):
    """The visible action called `text` (ignoring & and the ellipsis) in one of the window's menus."""
    def clean(s: str) -> str:
        return s.replace("&", "").replace("\u2026", "").strip()

    for action in window.menus[menu].actions():
        if action.isVisible() and clean(action.text()) == text:
            return action
    raise AssertionError(f"no visible action {text!r} in the {menu} menu")


def click_cell(qtbot, grid, cell, button=Qt.MouseButton.LeftButton):
    pos = grid.cell_rect(*cell).center()
    qtbot.mousePress(grid, button, pos=pos)
    qtbot.mouseRelease(grid, button, pos=pos)


def drag_cells(qtbot, grid, cells, button=Qt.MouseButton.LeftButton):
    qtbot.mousePress(grid, button, pos=grid.cell_rect(*cells[0]).center())
    for cell in cells[1:]:
        qtbot.mouseMove(grid, grid.cell_rect(*cell).center())
    qtbot.mouseRelease(grid, button, pos=grid.cell_rect(*cells[-1]).center())


def type_keys(qtbot, widget: QWidget, keys: str) -> None:
    for ch in keys:
        qtbot.keyClick(widget, ch)
