"""The entry point (`trm-lab FILE`), Preferences, the status-bar job indicator and exports from the menus."""

from __future__ import annotations

import subprocess
import sys

import pytest
from lab_helpers import discard_changes, make_window, menu_action
from PySide6.QtGui import QImage

from trm_lab import app as app_module
from trm_lab import settings
from trm_lab.preferences import PreferencesDialog
from trm_lab.workers import Job


def test_trm_lab_file_opens_the_puzzle(qtbot, tmp_path):
    path = tmp_path / "start.maze"
    path.write_text("S #\n  G\n")
    window = app_module.build_window([str(path), "--theme", "dark"])
    qtbot.addWidget(window, before_close_func=discard_changes)
    editor = window.panels["puzzles"].editors["maze"]
    qtbot.waitUntil(lambda: editor.path == path, timeout=5000)
    assert window.current_area() == "puzzles" and editor.doc.grid("maze").shape == (2, 3)
    assert window.context.theme.scheme == "dark"
    window.context.theme.set_theme("light")


def test_command_line_help_and_bad_arguments():
    out = subprocess.run([sys.executable, "-m", "trm_lab.app", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "FILE" in out.stdout.upper()
    with pytest.raises(SystemExit):
        app_module.build_parser().parse_args(["--theme", "purple"])


def test_preferences_change_theme_and_folders(qtbot, theme, tmp_path, dialog_recorder):
    dialog = PreferencesDialog(theme.theme)
    qtbot.addWidget(dialog)
    runs = tmp_path / "my-runs"
    dialog_recorder.open_paths.append(runs)
    dialog.findChildren(type(dialog.path_edits["runs"]))  # the folders are shown
    assert dialog.path_edits["data"].text() == str(settings.default_locations().data)
    dialog._on_browse_clicked("runs")
    assert dialog.path_edits["runs"].text() == str(runs)
    dialog.theme_box.setCurrentIndex(dialog.theme_box.findData("dark"))
    picked = []
    dialog.theme_picked.connect(picked.append)
    dialog.accept()
    assert picked == ["dark"]
    assert settings.locations().runs == runs
    dialog2 = PreferencesDialog("light")
    qtbot.addWidget(dialog2)
    dialog2._on_reset_clicked("runs")
    dialog2.accept()
    assert settings.locations().runs == settings.default_locations().runs


def test_status_bar_shows_progress_and_cancels_the_job(qtbot, theme):
    window = make_window(qtbot, theme)

    class Step:
        def __init__(self, done, total):
            self.done, self.total, self.message = done, total, f"step {done}"

    def endless():
        i = 0
        while True:
            i += 1
            yield Step(i, 10**9)

    job = Job(endless, name="Endless")
    window.context.track_job(job, "Working")
    with qtbot.waitSignal(job.progressed, timeout=5000):
        job.start()
    qtbot.waitUntil(lambda: window.progress.bar.maximum() == 10**9, timeout=5000)
    assert window.progress.isVisible() and window.progress.label.text().startswith("Working: step")
    with qtbot.waitSignal(job.cancelled, timeout=5000):
        window.progress.cancel_button.click()
    assert not window.progress.isVisible()


def test_export_png_and_svg_from_the_file_menu(qtbot, theme, tmp_path, dialog_recorder):
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    editor = panel.show_editor("arc")
    png, svg = tmp_path / "task.png", tmp_path / "task.svg"
    dialog_recorder.save_paths.extend([png, svg])
    menu_action(window, "File", "Export PNG").trigger()
    menu_action(window, "File", "Export SVG").trigger()
    assert not QImage(str(png)).isNull()
    assert "<svg" in svg.read_text()
    assert editor.doc.keys()  # exporting does not touch the task
