"""A new user's path through the Train area: generate a dataset from the New Run dialog, start a run
on it, start a second one with a different recursion depth, compare them on the same plots, export the
curves, rename one run and delete the other (asked first)."""

from __future__ import annotations

import csv

import pytest
from lab_helpers import make_window

from trm_engine.train.run_dir import RunDirectory

TINY = (("model.hidden_size", 32), ("model.num_heads", 2), ("model.puzzle_emb_ndim", 32),
        ("model.halt_max_steps", 4), ("train.global_batch_size", 8), ("train.eval_interval", 3),
        ("train.log_interval", 1), ("train.lr_warmup_steps", 2))


@pytest.fixture
def panel(qtbot, theme, monkeypatch):
    monkeypatch.delenv("TRM_LAB_RUNS", raising=False)
    return make_window(qtbot, theme).show_area("train")


def start_from_dialog(qtbot, panel, name: str, l_cycles: int):
    dialog = panel.open_new_run_dialog()
    qtbot.waitUntil(lambda: dialog.dataset_box.currentData() is not None, timeout=20000)
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku4-mlp-lab"))
    for key, value in TINY + (("model.l_cycles", l_cycles),):
        dialog.form.set_value(key, value)
    dialog.length_box.setValue(6)
    dialog.name_edit.setText(name)
    assert dialog.start_button.isEnabled(), dialog.message.text()
    before = set(panel.session.sources)
    dialog.start_button.click()
    (path,) = set(panel.session.sources) - before
    source = panel.session.sources[path]
    with qtbot.waitSignal(source.ended, timeout=120000):
        pass
    return source


def test_generate_train_compare_export_rename_delete(qtbot, panel, dialog_recorder, tmp_path):
    dialog = panel.open_new_run_dialog()
    qtbot.waitUntil(lambda: dialog.dataset_box.count() > 0, timeout=20000)
    assert dialog.dataset_box.currentData() is None  # nothing built yet: the dialog says so
    dialog._on_build_clicked()  # Generate...
    builder = dialog.build_dialog
    builder.kind_box.setCurrentIndex(builder.kind_box.findData("sudoku4"))
    builder.train_box.setValue(40)
    builder.test_box.setValue(8)
    with qtbot.waitSignal(builder.dataset_built, timeout=120000):
        builder.build_button.click()
    assert dialog.dataset_box.currentData().name.startswith("sudoku4-40-8")
    dialog.reject()

    first = start_from_dialog(qtbot, panel, "shallow", 1)
    second = start_from_dialog(qtbot, panel, "deeper", 2)
    for source in (first, second):
        assert panel.histories[source.run_dir].state == "finished"
    qtbot.waitUntil(lambda: {first.run_dir, second.run_dir} <= set(panel.runs.checked_paths()), timeout=10000)
    curves = panel.monitor.curves
    qtbot.waitUntil(lambda: curves.point_count(str(first.run_dir), "loss") == 6
                    and curves.point_count(str(second.run_dir), "loss") == 6, timeout=10000)
    assert curves.items(str(first.run_dir), "loss")[1].opts["pen"].color() != \
        curves.items(str(second.run_dir), "loss")[1].opts["pen"].color()  # each run its own colour

    dialog_recorder.save_paths.append(tmp_path / "curves.csv")
    panel.export_csv_action.trigger()
    with open(tmp_path / "curves.csv") as fh:
        runs = {row["run"] for row in csv.DictReader(fh)}
    assert runs == {str(first.run_dir), str(second.run_dir)}
    dialog_recorder.save_paths.append(tmp_path / "curves.png")
    panel.export_png_action.trigger()
    assert (tmp_path / "curves.png").stat().st_size > 1000

    dialog_recorder.texts.append("shallow, T=2 n=1")
    panel.rename_run(first.run_dir)
    qtbot.waitUntil(lambda: panel.runs.items[first.run_dir].text(0) == "shallow, T=2 n=1", timeout=10000)
    assert RunDirectory(first.run_dir).config()["name"] == "shallow, T=2 n=1"

    dialog_recorder.yes_no.append(False)  # "Delete?" - no: nothing happens
    panel.delete_run(second.run_dir)
    assert second.run_dir.exists()
    dialog_recorder.yes_no.append(True)
    panel.delete_run(second.run_dir)
    assert not second.run_dir.exists()
    qtbot.waitUntil(lambda: second.run_dir not in panel.runs.items, timeout=10000)
    assert dialog_recorder.errors == []
