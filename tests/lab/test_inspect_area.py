"""The Inspect area's rough edges (issue 15): the keys work as soon as the area is shown, the model
chooser lists the user's runs, choosing a model never resizes the window and every row fits a
1024x700 one, pictures show the views and not their controls, and titles follow the theme."""

from __future__ import annotations

import json
import shutil

from inspect_helpers import tiny_models_root, use_tiny_models
from lab_helpers import make_window, menu_action
from PIL import Image
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QSplitter, QWidget  # noqa: I001
from test_inspect_run import RUN_TIMEOUT, run_demo

from trm_lab import settings
from trm_lab.areas.inspect import PANEL
from trm_lab.areas.inspect import models as inspect_models
from trm_lab.main_window import MainWindow


def test_keys_work_as_soon_as_the_area_is_shown(qtbot, theme, monkeypatch):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    data = run_demo(qtbot, panel)
    window.activateWindow()  # shortcuts need an active window (offscreen, the run's popups took it)
    qtbot.waitUntil(window.isActiveWindow)
    window.show_area("puzzles")
    window.sidebar.setFocus()  # where a click on the sidebar leaves the keyboard
    window.show_area("inspect")
    qtbot.waitUntil(lambda: window.focusWidget() is panel.strip.timeline, timeout=2000)
    last = len(data) - 1
    assert panel.strip.current == last
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Left)
    assert panel.strip.current == last - 1
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Home)
    assert panel.strip.current == 0
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Down)  # by supervision steps
    assert panel.strip.current > 0
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_End)
    assert panel.strip.current == last
    qtbot.keyClick(window.focusWidget(), Qt.Key.Key_Space)
    assert panel.play_timer.isActive()
    panel.set_playing(False)


def test_the_model_chooser_lists_the_users_runs(qtbot, theme, monkeypatch):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    window.show_area("puzzles")
    # A run trained while the app is open: its config and checkpoints, its best one marked.
    run = settings.locations().runs / "sudoku4-run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "config.json").write_text("{}")
    for step in (3, 6):
        shutil.copy(tiny_models_root() / "models" / "sudoku4" / "model.pt", run / "checkpoints" / f"step_{step:07d}.pt")
    (run / "checkpoints" / "best.json").write_text(json.dumps({"file": "step_0000003.pt", "exact_accuracy": 0.5}))
    window.show_area("inspect")
    box = panel.setup.model_box
    texts = [box.itemText(i) for i in range(box.count())]
    assert texts[0] == "Choose a model\u2026" and texts[1] == "Demo: Sudoku 4x4 (test)"
    assert "Run: sudoku4-run (best, exact 50.0%)" in texts and texts[-1] == "Checkpoint file\u2026"
    choice = box.itemData(texts.index("Run: sudoku4-run (best, exact 50.0%)"))
    assert choice.checkpoint.name == "step_0000003.pt"
    with qtbot.waitSignal(panel.session.model_loaded, timeout=RUN_TIMEOUT):
        panel.setup.model_picked.emit(choice)
    assert panel.session.family == "sudoku"


def fits(widget: QWidget) -> list[str]:
    """The visible controls of `widget` that got less width than they need (clipped or collapsed)."""
    short = []
    for child in widget.findChildren(QWidget):
        policy = child.sizePolicy().horizontalPolicy()
        if child.isVisibleTo(widget) and policy.name != "Ignored" and child.width() < child.minimumSizeHint().width():
            short.append(f"{type(child).__name__} {child.objectName()} {child.width()} < "
                         f"{child.minimumSizeHint().width()}")
    return short


def load_sudoku9(qtbot, panel):
    sudoku9 = next(m for m in inspect_models.list_demo_models() if m.name == "sudoku9")  # the shipped demo
    with qtbot.waitSignal(panel.session.model_loaded, timeout=RUN_TIMEOUT):
        panel.load_model(sudoku9)
    qtbot.waitUntil(lambda: panel.setup.puzzle_box.count() > 0)
    QApplication.processEvents()


def test_a_9x9_model_never_resizes_the_window(qtbot, theme):
    window = make_window(qtbot, theme)  # 1280 x 820
    panel = window.show_area("inspect")
    load_sudoku9(qtbot, panel)
    assert window.width() == 1280  # it grew to 1403 (the intervention row's width)


def test_every_row_fits_a_1024x700_window(qtbot, theme):
    """The Inspect area alone (other areas set their own minimum widths) at 1024 x 700 with the 9x9
    demo, its ten-value palette in the intervention row: no control clipped or collapsed."""
    window = MainWindow(theme, specs=[PANEL])
    qtbot.addWidget(window)
    window.resize(1024, 700)
    window.show()
    panel = window.show_area("inspect")
    load_sudoku9(qtbot, panel)
    assert (window.width(), window.height()) == (1024, 700)
    for row in (panel.setup, panel.playback, panel.intervene):
        assert fits(row) == []
    bar = panel.intervene
    for control in (bar.noise_scale, bar.noise_button, bar.steps, bar.branch_button, bar.clear_button,
                    bar.palette_bar):
        assert control.isVisible() and control.width() >= control.minimumSizeHint().width() > 0
        assert bar.rect().contains(QRect(control.mapTo(bar, QPoint(0, 0)), control.size()))  # not clipped
    row = [bar.where, bar.target, bar.palette_bar]  # side by side, none over another
    for left, right in zip(row, row[1:]):
        assert left.mapTo(bar, QPoint(left.width(), 0)).x() <= right.mapTo(bar, QPoint(0, 0)).x()
    assert bar.target.width() >= bar.target.minimumSizeHint().width()


def test_pictures_show_the_views_not_the_choosers(qtbot, theme, monkeypatch, tmp_path, dialog_recorder):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    run_demo(qtbot, panel)
    seen = []
    grab = QSplitter.grab

    def spy(widget, *args):
        seen.append([(s.heat_head.currentWidget() is s.captions["norm"], s.captions["norm"].text())
                     for s in (panel.strip, panel.branch_strip)])
        return grab(widget, *args)

    monkeypatch.setattr(QSplitter, "grab", spy)
    dialog_recorder.save_paths.append(tmp_path / "view.png")
    menu_action(window, "File", "Export View (PNG, SVG)").trigger()
    assert seen and seen[0][0] == (True, panel.strip.heat_box.currentText())
    assert Image.open(tmp_path / "view.png").size[0] > 300
    assert panel.strip.heat_head.currentWidget() is panel.strip.heat_box  # the chooser is back


def test_strip_titles_follow_the_theme(qtbot, theme, monkeypatch):
    use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    run_demo(qtbot, panel)

    def brightest_and_darkest():
        title = panel.strip.title  # as drawn in the window, over the window's background
        image = window.grab(QRect(title.mapTo(window, QPoint(0, 0)), title.size())).toImage()
        values = [QColor(image.pixel(x, y)).lightness() for x in range(image.width()) for y in range(image.height())]
        return max(values), min(values)

    assert brightest_and_darkest()[1] < 100  # dark text on a light background
    window.show_area("puzzles")  # switched from another area (Preferences) while this one is hidden
    theme.set_theme("dark")
    QApplication.processEvents()
    window.show_area("inspect")
    QApplication.processEvents()
    bright, dark = brightest_and_darkest()
    assert dark < 100 and bright > 180  # light text on a dark background
    assert panel.strip.title.palette().windowText().color().lightness() > 180
