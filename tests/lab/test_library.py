"""The puzzle library: saved puzzles listed with family, size and thumbnails; filters and search; opening
a row into its editor; datasets opened off the GUI thread; building a dataset with progress."""

from __future__ import annotations

import numpy as np
from lab_helpers import make_window, menu_action
from PySide6.QtCore import Qt

from trm_lab import settings
from trm_lab.areas.puzzles.dataset_builder import BuildDatasetDialog
from trm_lab.bench import make_sudoku_dataset

SUDOKU = "53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79\n"
MAZE = "#####\n#S  #\n# # #\n#  G#\n#####\n"
ARC = '{"train": [{"input": [[1, 0], [0, 1]], "output": [[0, 1], [1, 0]]}], "test": [{"input": [[2, 0], [0, 2]]}]}'


def write_user_puzzles():
    folder = settings.locations().puzzles
    folder.mkdir(parents=True)
    (folder / "classic.sudoku").write_text(SUDOKU)
    (folder / "small.maze").write_text(MAZE)
    (folder / "swap.json").write_text(ARC)
    (folder / "notes.txt").write_text("not a puzzle at all\n")
    return folder


def test_saved_puzzles_listed_filtered_and_opened(qtbot, theme):
    write_user_puzzles()
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    library = panel.library
    panel.refresh_library()
    mine = [e for e in library.entries() if e.source == "My puzzles"]
    assert {(e.name, e.family, e.shape, e.split) for e in mine} == {
        ("classic", "sudoku", (9, 9), "saved"), ("small", "maze", (5, 5), "saved"), ("swap", "arc", (2, 2), "saved")}
    assert next(e for e in mine if e.name == "classic").difficulty == "30 givens"

    library.split_box.setCurrentIndex(library.split_box.findData("saved"))
    library.family_box.setCurrentIndex(library.family_box.findData("maze"))
    assert [e.name for e in library.visible_entries()] == ["small"]
    library.family_box.setCurrentIndex(0)
    qtbot.keyClicks(library.search, "swa")
    assert [e.name for e in library.visible_entries()] == ["swap"]
    library.split_box.setCurrentIndex(0)

    library.view.setFocus()
    library.view.setCurrentIndex(library.proxy.index(0, 0))
    qtbot.keyClick(library.view, Qt.Key.Key_Return)
    editor = panel.editor()
    assert editor is panel.editors["arc"] and editor.path.name == "swap.json"
    assert editor.doc.grid("train/0/output").tolist() == [[0, 1], [1, 0]]

    image = library.view.viewport().grab().toImage()  # thumbnails draw the ARC colours
    colors = {image.pixelColor(x, y).name().upper() for x in range(4, 44) for y in range(4, 44)}
    assert "#0074D9" in colors


def test_a_saved_puzzle_appears_in_the_library(qtbot, theme, dialog_recorder):
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    editor = panel.show_editor("maze")
    folder = settings.locations().puzzles
    folder.mkdir(parents=True, exist_ok=True)
    dialog_recorder.save_paths.append(folder / "drawn.maze")
    menu_action(window, "File", "Save").trigger()
    assert "drawn" in [e.name for e in panel.library.entries()]
    assert editor.path == folder / "drawn.maze"


def test_open_a_1000_puzzle_dataset_in_the_library(qtbot, theme, tmp_path):
    path = make_sudoku_dataset(tmp_path / "thousand.h5", 1000)
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    window.open_path(path)
    with qtbot.waitSignal(panel.dataset_job.ended, timeout=20000):
        pass
    rows = [e for e in panel.library.entries() if e.source == "thousand.h5"]
    assert len(rows) == 1000 and {e.split for e in rows} == {"train", "test"}
    assert len(panel.library.visible_entries()) == 1000  # the search shows what was opened
    assert rows[0].difficulty.startswith("rating")
    panel.library.view.viewport().grab()  # draws the visible thumbnails (decoded on demand)
    assert panel.open_entry(rows[3])
    editor = panel.editors["sudoku"]
    assert editor.doc.grid("cells").shape == (9, 9) and editor.path is None
    assert editor.family.solve(editor.givens).count == 1


def test_bad_dataset_file_is_reported(qtbot, theme, tmp_path, dialog_recorder):
    bad = tmp_path / "broken.h5"
    bad.write_bytes(b"not hdf5 at all")
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    window.open_path(bad)
    with qtbot.waitSignal(panel.dataset_job.ended, timeout=20000):
        pass
    title, text = dialog_recorder.errors[-1]
    assert title == "Cannot open dataset" and "broken.h5" in text


def test_build_a_maze_dataset_with_progress_then_browse_it(qtbot, theme):
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    dialog = BuildDatasetDialog(window.context, panel)
    qtbot.addWidget(dialog)
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("maze"))
    dialog.train_box.setValue(6)
    dialog.test_box.setValue(4)
    dialog.side_box.setValue(7)
    dialog.difficulty_box.setCurrentText("Easy")
    dialog.dataset_built.connect(window.open_path)
    progress = []
    with qtbot.waitSignal(dialog.dataset_built, timeout=30000) as blocker:
        job = dialog.build()
        job.progressed.connect(progress.append)
    path = blocker.args[0]
    assert path.exists() and path.parent == settings.locations().datasets
    assert progress and progress[-1] == (10, 10)
    with qtbot.waitSignal(panel.dataset_job.ended, timeout=20000):
        pass
    rows = [e for e in panel.library.entries() if e.source == path.name]
    assert len(rows) == 10 and all(e.family == "maze" and e.shape == (7, 7) for e in rows)
    assert panel.open_entry(rows[0])
    maze = panel.editors["maze"].doc.grid("maze")
    assert maze.shape == (7, 7) and (maze == 2).sum() == 1


def test_cancel_a_dataset_build(qtbot, theme):
    window = make_window(qtbot, theme)
    dialog = BuildDatasetDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("maze"))
    dialog.train_box.setValue(100000)
    dialog.side_box.setValue(6)
    job = dialog.build()
    job.progressed.connect(lambda _: dialog.reject())  # the dialog's Cancel
    with qtbot.waitSignal(job.cancelled, timeout=30000):
        pass
    assert not job.is_running and not dialog.isVisible()
    assert not list(settings.locations().datasets.glob("*.h5"))


def test_dataset_entries_decode_mazes_and_arc_tasks(tmp_path):
    from trm_engine.data.arc_build import build_arc
    from trm_engine.data.arc_sources import ArcSubset
    from trm_engine.data.dataset import PuzzleDataset
    from trm_engine.puzzles import ArcTask
    from trm_lab.areas.puzzles.datasets import dataset_entries

    task = ArcTask.loads(ARC.replace('[[2, 0], [0, 2]]}', '[[2, 0], [0, 2]], "output": [[0, 2], [2, 0]]}'), "swap")
    ds = build_arc([ArcSubset("training", [task]), ArcSubset("evaluation", [ArcTask.loads(ARC, "other")])],
                   ["evaluation"], augmentations=2)
    with_outputs = ds.save(tmp_path / "arc.h5")
    entries = {e.name: e for e in dataset_entries(PuzzleDataset.open(with_outputs), "arc.h5")}
    assert {(name, e.split) for name, e in entries.items()} == {("swap", "train"), ("other", "test")}
    grids = entries["swap"].load()
    assert grids["train/0/input"].tolist() == [[1, 0], [0, 1]]
    assert np.array_equal(grids["test/0/output"], [[0, 2], [2, 0]])
    other = entries["other"].load()
    assert "test/0/input" in other and "test/0/output" not in other


def test_import_an_arc_folder_as_a_dataset(qtbot, theme, tmp_path, dialog_recorder):
    folder = tmp_path / "arc"
    (folder / "training").mkdir(parents=True)
    (folder / "evaluation").mkdir()
    solved = ARC.replace('[[2, 0], [0, 2]]}', '[[2, 0], [0, 2]], "output": [[0, 2], [2, 0]]}')
    (folder / "training" / "swap.json").write_text(solved)
    (folder / "evaluation" / "other.json").write_text(ARC)
    window = make_window(qtbot, theme)
    panel = window.show_area("puzzles")
    dialog = BuildDatasetDialog(window.context, panel)
    qtbot.addWidget(dialog)
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("arc-folder"))
    assert not dialog.train_box.isEnabled() and dialog.folder_edit.isEnabled()
    dialog_recorder.open_paths.append(folder)
    dialog.folder_button.click()
    dialog.dataset_built.connect(window.open_path)
    with qtbot.waitSignal(dialog.dataset_built, timeout=30000):
        dialog.build_button.click()
    with qtbot.waitSignal(panel.dataset_job.ended, timeout=20000):
        pass
    rows = {e.name: e for e in panel.library.visible_entries()}
    assert set(rows) == {"swap", "other"} and rows["other"].split == "test"
    assert panel.open_entry(rows["swap"])
    assert panel.editors["arc"].doc.grid("test/0/output").tolist() == [[0, 2], [2, 0]]


def test_import_a_maze_hard_csv_and_a_bad_csv_is_reported(qtbot, theme, tmp_path, dialog_recorder):
    from trm_engine.puzzles import get_family

    family = get_family("maze")
    mazes = [family.parse("S  #\n # #\n   G\n#   "), family.parse("S   \n ## \n  # \n#  G")]
    rows = [f"gen,{family.format_line(m)},{family.format_line(family.label(m))},{i}" for i, m in enumerate(mazes)]
    csv = tmp_path / "train.csv"
    csv.write_text("source,question,answer,rating\n" + "\n".join(rows) + "\n")
    window = make_window(qtbot, theme)
    dialog = BuildDatasetDialog(window.context, window)
    qtbot.addWidget(dialog)
    dialog.kind_box.setCurrentIndex(dialog.kind_box.findData("maze-csv"))
    assert dialog.folder_edit.isEnabled() and not dialog.train_box.isEnabled()
    dialog_recorder.open_paths.append(csv)
    dialog.folder_button.click()
    with qtbot.waitSignal(dialog.dataset_built, timeout=30000) as blocker:
        dialog.build_button.click()
    from trm_engine.data.dataset import PuzzleDataset
    assert PuzzleDataset.open(blocker.args[0])["train"].num_puzzles == 2

    csv.write_text("source,question,answer,rating\ngen,S#G,S#G,0\n")  # 3 characters: not n x n
    dialog_recorder.open_paths.append(csv)
    dialog.folder_button.click()
    job = dialog.build()
    with qtbot.waitSignal(job.failed, timeout=30000):  # Job signals fire on the GUI thread: none missed
        pass
    assert "not n x n" in dialog.message.text()
