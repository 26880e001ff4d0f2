"""The main window's mechanisms with stand-in panels: registration, open-file dispatch, recent files,
undo routing, themes, persistence and closing."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
from PySide6.QtGui import QAction, QUndoStack

from trm_lab import main_window as mw
from trm_lab.document import CellsCommand, GridDocument
from trm_lab.panel import FileKind, Panel, PanelSpec
from trm_lab.settings import RecentFiles


class FakePanel(Panel):
    def __init__(self, context):
        super().__init__(context)
        self.doc = GridDocument({"g": np.zeros((2, 2), dtype=int)})
        self.opened: list[tuple[Path, str]] = []
        self.allow_close = True
        self.action = QAction("Fake thing", self)

    def undo_stack(self) -> QUndoStack:
        return self.doc.undo_stack

    def menu_actions(self):
        return {"File": [self.action, None]}

    def open_path(self, path, kind):
        self.opened.append((Path(path), kind))
        return True

    def can_close(self):
        return self.allow_close


def fake_spec(key="fake", order=10, kinds=()):
    return PanelSpec(key=key, title=key.capitalize(), order=order, create=FakePanel, file_kinds=kinds)


def make_window(qtbot, theme, specs):
    window = mw.MainWindow(theme, specs)
    qtbot.addWidget(window)
    return window


def test_panel_modules_register_themselves_and_missing_ones_are_skipped(monkeypatch):
    module = types.ModuleType("fake_area")
    module.PANEL = fake_spec("later", order=30)
    monkeypatch.setitem(sys.modules, "fake_area", module)
    monkeypatch.setattr(mw, "PANEL_MODULES", ("fake_area", "trm_lab.areas.no_such_area"))
    assert [s.key for s in mw.available_panels()] == ["later"]


def test_real_registry_shows_only_existing_areas():
    keys = [s.key for s in mw.available_panels()]
    assert keys[:1] == ["puzzles"] and set(keys) <= {"puzzles", "train", "inspect", "experiments"}


def test_sidebar_areas_and_contextual_menu_actions(qtbot, theme):
    window = make_window(qtbot, theme, [fake_spec("one"), fake_spec("two", order=20)])
    assert [window.sidebar.item(i).text() for i in range(window.sidebar.count())] == ["One", "Two"]
    one, two = window.panels["one"], window.panels["two"]
    assert one.action.isVisible() and not two.action.isVisible()
    window.show_area("two")
    assert window.stack.currentWidget().widget() is two
    assert two.action.isVisible() and not one.action.isVisible()


def test_open_file_dispatch_by_most_specific_kind_and_recent_menu(qtbot, theme, tmp_path, dialog_recorder):
    kinds_a = (FileKind("dataset", "Datasets", ("*.h5",), "a"),)
    kinds_b = (FileKind("trace", "Traces", ("*.trace.h5",), "b"),
               FileKind("run", "Runs", (), "b", accepts=lambda p: (p / "status.json").exists()))
    window = make_window(qtbot, theme, [fake_spec("a", kinds=kinds_a), fake_spec("b", 20, kinds_b)])
    data, trace, run = tmp_path / "x.h5", tmp_path / "y.trace.h5", tmp_path / "run1"
    data.write_bytes(b"")
    trace.write_bytes(b"")
    run.mkdir()
    (run / "status.json").write_text("{}")
    assert window.open_path(data) and window.open_path(trace) and window.open_path(run)
    assert window.panels["a"].opened == [(data, "dataset")]
    assert window.panels["b"].opened == [(trace, "trace"), (run, "run")]
    assert window.current_area() == "b"
    assert RecentFiles().paths()[:2] == [run.resolve(), trace.resolve()]
    recent = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.data() for a in recent] == [str(run.resolve()), str(trace.resolve()), str(data.resolve())]
    recent[-1].trigger()
    assert window.panels["a"].opened[-1][0] == data.resolve()
    assert not window.open_path(tmp_path / "notes.txt")
    assert "not a file TRM Lab knows" in dialog_recorder.errors[-1][1]

    dialog_recorder.open_paths.append(data)
    window.open_action.trigger()
    assert len(window.panels["a"].opened) == 3


def test_undo_redo_actions_follow_the_current_panel(qtbot, theme):
    window = make_window(qtbot, theme, [fake_spec("one"), fake_spec("two", order=20)])
    doc = window.panels["one"].doc
    doc.undo_stack.push(CellsCommand(doc, "g", (0,), (0,), (7,), "Paint"))
    assert window.undo_action.isEnabled() and "Paint" in window.undo_action.text()
    window.undo_action.trigger()
    assert doc.grid("g")[0, 0] == 0
    window.redo_action.trigger()
    assert doc.grid("g")[0, 0] == 7
    window.show_area("two")
    assert not window.undo_action.isEnabled()
    assert {s.toString() for s in window.redo_action.shortcuts()} == {"Ctrl+Shift+Z", "Ctrl+Y"}


def test_theme_menu_switches_and_persists(qtbot, theme, qapp):
    window = make_window(qtbot, theme, [fake_spec()])
    window.theme_actions["dark"].trigger()
    assert theme.scheme == "dark" and qapp.palette().window().color().lightness() < 128
    assert window.theme_actions["dark"].isChecked() and not window.theme_actions["light"].isChecked()
    from trm_lab import settings
    assert settings.value("appearance/theme") == "dark"
    window.theme_actions["light"].trigger()
    assert qapp.palette().window().color().lightness() > 128


def test_geometry_and_area_persist(qtbot, theme):
    window = make_window(qtbot, theme, [fake_spec("one"), fake_spec("two", order=20)])
    window.resize(700, 520)
    window.show_area("two")
    window.close()
    again = make_window(qtbot, theme, [fake_spec("one"), fake_spec("two", order=20)])
    assert again.current_area() == "two"
    assert (again.width(), again.height()) == (700, 520)


def test_close_is_refused_while_a_panel_has_unsaved_work(qtbot, theme):
    window = make_window(qtbot, theme, [fake_spec()])
    window.show()
    window.panels["fake"].allow_close = False
    assert not window.close()
    window.panels["fake"].allow_close = True
    assert window.close()


def test_puzzle_splitters_and_tab_persist(qtbot, theme):
    window = mw.MainWindow(theme)
    qtbot.addWidget(window)
    panel = window.panels["puzzles"]
    panel.splitter.setSizes([300, 700])
    panel.tabs.setCurrentIndex(2)
    sizes = panel.splitter.sizes()
    window.close()
    again = mw.MainWindow(theme)
    qtbot.addWidget(again)
    assert again.panels["puzzles"].splitter.sizes() == sizes
    assert again.panels["puzzles"].tabs.currentIndex() == 2


def test_open_puzzle_files_are_reopened_at_the_next_start(qtbot, theme, tmp_path):
    from trm_lab.areas.puzzles.sources import examples_folder

    saved = tmp_path / "mine.sudoku"
    saved.write_text("1...\n..2.\n.3..\n...4\n")
    gone = tmp_path / "gone.maze"
    gone.write_text("S #\n  G\n")
    window = mw.MainWindow(theme)
    qtbot.addWidget(window)
    panel = window.panels["puzzles"]
    assert panel.show_editor("sudoku").open_file(saved)
    assert panel.show_editor("maze").open_file(gone)
    example = next(examples_folder().glob("arc/*.json"))
    assert panel.show_editor("arc").open_file(example)
    panel.tabs.setCurrentIndex(0)
    window.close()
    gone.unlink()  # a file that went away meanwhile is skipped without a message
    again = mw.MainWindow(theme)
    qtbot.addWidget(again)
    editors = again.panels["puzzles"].editors
    assert editors["sudoku"].path == saved and editors["sudoku"].givens[3, 3] == 4
    assert editors["arc"].path == example and not editors["arc"].is_dirty()
    assert editors["maze"].path is None
    assert again.panels["puzzles"].tabs.currentIndex() == 0
