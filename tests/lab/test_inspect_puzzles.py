"""Where the Inspect area's puzzles come from: a drawn one, the Puzzles editor's, a dataset row, a file;
and a puzzle that does not fit the model is refused with a message."""

from __future__ import annotations

import numpy as np
from inspect_helpers import SUDOKU4, solution4, use_tiny_models
from lab_helpers import click_cell, make_window, type_keys
from PySide6.QtCore import Qt
from test_inspect_run import RUN_TIMEOUT

from trm_engine.puzzles import get_family


def loaded_panel(qtbot, theme, monkeypatch):
    root = use_tiny_models(monkeypatch)
    window = make_window(qtbot, theme)
    panel = window.show_area("inspect")
    with qtbot.waitSignal(panel.session.model_loaded, timeout=RUN_TIMEOUT):
        panel.load_model(panel.setup.model_box.itemData(1))
    return window, panel, root


def pick(panel, text):
    box = panel.setup.puzzle_box
    index = next(i for i in range(box.count()) if box.itemText(i).startswith(text))
    box.setCurrentIndex(index)
    box.activated.emit(index)


def run(qtbot, panel):
    with qtbot.waitSignal(panel.session.trace_finished, timeout=RUN_TIMEOUT):
        qtbot.mouseClick(panel.setup.run_button, Qt.MouseButton.LeftButton)
    return panel.traces[0]


def test_draw_a_puzzle_in_the_input_view_and_run_it(qtbot, theme, monkeypatch):
    _window, panel, _root = loaded_panel(qtbot, theme, monkeypatch)
    items = [panel.setup.puzzle_box.itemText(i) for i in range(panel.setup.puzzle_box.count())]
    assert items[0] == "\u2014 Examples \u2014" and any(t.startswith("4x4-2") for t in items)
    assert not any("easy" in t for t in items)  # 9x9 examples do not fit a 4x4 model
    pick(panel, "Blank")
    view = panel.strip.input_view
    assert view.editable and not view.grid().any() and panel.strip.info.text() == "no states yet"
    for (r, c), digit in (((0, 0), "1"), ((1, 2), "1"), ((2, 1), "1"), ((3, 3), "1"), ((0, 3), "4"), ((3, 0), "4")):
        click_cell(qtbot, view, (r, c))
        type_keys(qtbot, view, digit)
    click_cell(qtbot, view, (1, 3))
    qtbot.mouseClick(panel.intervene.palette_bar._swatches[2], Qt.MouseButton.LeftButton)  # the pad enters too
    expected = np.array([[1, 0, 0, 4], [0, 0, 1, 2], [0, 1, 0, 0], [4, 0, 0, 1]])
    assert np.array_equal(view.grid(), expected)
    data = run(qtbot, panel)
    assert np.array_equal(data.trace.inputs.reshape(4, 4), expected + 1)
    assert data.trace.meta["puzzle_source"] == "drawn" and not view.editable
    assert np.array_equal(data.label_tokens().reshape(4, 4), solution4() + 1)  # the solver's solution


def test_the_puzzles_editors_puzzle_and_a_dataset_row(qtbot, theme, monkeypatch, dialog_recorder):
    window, panel, root = loaded_panel(qtbot, theme, monkeypatch)
    puzzles = window.panels["puzzles"]
    editor = puzzles.show_editor("sudoku")  # a new 9x9 puzzle: it does not fit the 4x4 model
    pick(panel, "From the Puzzles editor")
    assert dialog_recorder.errors[-1][0] == "Cannot use this puzzle"
    from trm_lab.areas.puzzles.sudoku_editor import grids_for
    editor.load_grids(grids_for(get_family("sudoku", box=2).parse(SUDOKU4)))
    pick(panel, "From the Puzzles editor")
    assert panel.source.grid[0, 3] == 4 and panel.strip.input_view.grid()[3, 0] == 4

    dialog_recorder.open_paths.append(root / "sudoku4.h5")
    dialog_recorder.texts.append("3")
    pick(panel, "Dataset row")
    qtbot.waitUntil(lambda: panel.source is not None and "test #3" in panel.source.name, timeout=RUN_TIMEOUT)
    from trm_engine.data.dataset import PuzzleDataset
    row = PuzzleDataset.open(root / "sudoku4.h5").split("test")
    data = run(qtbot, panel)
    assert np.array_equal(data.trace.inputs, row.inputs[2]) and np.array_equal(data.label_tokens(), row.labels[2])

    dialog_recorder.open_paths.append(root / "sudoku4.h5")
    dialog_recorder.texts.append("99")
    pick(panel, "Dataset row")
    qtbot.waitUntil(lambda: len(dialog_recorder.errors) >= 2, timeout=RUN_TIMEOUT)
    assert "no example 99" in dialog_recorder.errors[-1][1]


def test_a_puzzle_file_of_another_family_is_refused(qtbot, theme, monkeypatch, dialog_recorder):
    _window, panel, _root = loaded_panel(qtbot, theme, monkeypatch)
    from trm_lab.areas.puzzles.sources import examples_folder
    dialog_recorder.open_paths.append(examples_folder() / "maze" / "small-9x9.txt")
    pick(panel, "Puzzle file")
    assert "is a maze puzzle; the model is for sudoku" in dialog_recorder.errors[-1][1]
    dialog_recorder.open_paths.append(examples_folder() / "sudoku" / "4x4-2.txt")
    pick(panel, "Puzzle file")
    assert panel.source.name == "4x4-2"
