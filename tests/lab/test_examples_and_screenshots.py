"""Bundled examples open in their editors from the library; the README screenshot script renders."""

from __future__ import annotations

import pytest
from lab_helpers import make_window
from PySide6.QtGui import QImage

from trm_lab.areas.puzzles.sources import examples_folder


def test_every_bundled_example_is_listed_and_opens(qtbot, theme, dialog_recorder):
    if not examples_folder().is_dir():
        pytest.skip("no bundled examples yet (resources/examples/ is shipped by the engine's dataset work)")
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    examples = [e for e in panel.library.entries() if e.source == "Examples"]
    assert {e.family for e in examples} == {"sudoku", "maze", "arc"}
    for entry in examples:
        assert panel.open_entry(entry), entry.path
        editor = panel.editor()
        assert editor.family_name == entry.family and editor.path == entry.path
        assert not editor.is_dirty()
    assert dialog_recorder.errors == []


def test_screenshot_script_renders_each_area(tmp_path, monkeypatch):
    from inspect_helpers import use_tiny_models

    from trm_lab import screenshots

    use_tiny_models(monkeypatch)  # the Inspect shot runs the first demo model (here a tiny one)
    assert screenshots.main(["--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["experiments.png", "inspect.png", "puzzles-arc.png", "puzzles-maze.png", "puzzles-sudoku-dark.png",
                     "puzzles-sudoku.png", "train-monitor.png"]
    for path in tmp_path.glob("*.png"):
        image = QImage(str(path))
        assert image.width() == 1360 and path.stat().st_size < 300_000
