"""The New Run dialog: a form built from the engine's config dataclasses with the paper's symbols,
datasets of the chosen family (or one generated now), a real parameter count and a measured time per
step, and the plan it hands to the Train area."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from lab_helpers import make_window
from train_helpers import sudoku4_dataset

from trm_engine.config import DataConfig, ModelConfig, TrainConfig
from trm_lab import settings
from trm_lab.areas.train.dialog import NewRunDialog
from trm_lab.areas.train.feed import default_threads
from trm_lab.areas.train.form import FROM_DATASET, OWN_ROWS, ConfigForm, paper_symbol
from trm_lab.areas.train.runs import runs_root


def test_the_form_covers_every_config_field_with_its_paper_symbol(qtbot):
    form = ConfigForm()
    qtbot.addWidget(form)
    for section, cls in (("model", ModelConfig), ("train", TrainConfig), ("data", DataConfig)):
        for f in dataclasses.fields(cls):
            key = f"{section}.{f.name}"
            assert key in form.editors or key in OWN_ROWS or key in FROM_DATASET, key
    labels = {key: form.labels[key].text() for key in ("model.h_cycles", "model.l_cycles", "model.halt_max_steps",
                                                       "model.hidden_size", "train.global_batch_size", "train.lr")}
    assert labels == {"model.h_cycles": "h_cycles  (T)", "model.l_cycles": "l_cycles  (n)",
                      "model.halt_max_steps": "halt_max_steps  (N_sup)", "model.hidden_size": "hidden_size  (D)",
                      "train.global_batch_size": "global_batch_size  (B)", "train.lr": "lr"}
    assert "without gradient" in form.editors["model.h_cycles"].toolTip()
    assert paper_symbol("rows of the sparse puzzle-embedding table") == ""


@pytest.fixture
def dialog(qtbot, theme, tmp_path_factory, monkeypatch):
    monkeypatch.delenv("TRM_LAB_RUNS", raising=False)
    folder = settings.locations().datasets
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(sudoku4_dataset(tmp_path_factory), folder / "sudoku4.h5")
    window = make_window(qtbot, theme)
    dialog = NewRunDialog(window.context, window)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: dialog.dataset_box.currentData() is not None, timeout=20000)
    yield dialog
    dialog.reject()


def test_new_run_dialog_measures_the_model_and_plans_the_run(qtbot, dialog):
    assert dialog.family() == "sudoku" and dialog.dataset_box.currentData().name == "sudoku4.h5"
    assert dialog.threads_box.value() == default_threads()
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku4-mlp-lab"))
    for key, value in (("model.hidden_size", 32), ("model.num_heads", 2), ("model.puzzle_emb_ndim", 32),
                       ("model.l_cycles", 1), ("train.global_batch_size", 8)):
        dialog.form.set_value(key, value)
    dialog.length_box.setValue(12)
    dialog.name_edit.setText("my first run")
    with qtbot.waitSignal(dialog.measured, timeout=60000) as blocker:  # what the form's timer would start next
        dialog._measure_timer.stop()
        dialog.measure()
    params, seconds = blocker.args[0]
    assert params > 1000 and seconds > 0
    assert f"{params:,} parameters" in dialog.estimate.text() and "s per optimizer step" in dialog.estimate.text()
    plan = dialog.plan()
    assert plan.cfg.model.hidden_size == 32 and plan.cfg.model.l_cycles == 1 and plan.cfg.train.steps == 12
    assert plan.cfg.name == "my first run" and plan.cfg.train.threads == default_threads()
    assert plan.run_dir.parent == runs_root() and plan.run_dir.name.endswith("-my-first-run")
    assert plan.processes == 1 and dialog.start_button.isEnabled()


def test_bad_values_are_named_and_block_the_start(qtbot, dialog):
    dialog.form.editors["train.lr"].setText("fast")
    assert "train.lr" in dialog.message.text() and not dialog.start_button.isEnabled()
    dialog.form.editors["train.lr"].setText("3e-4")
    assert dialog.message.text() == "" and dialog.start_button.isEnabled()


def test_family_filters_presets_and_datasets_and_generate_builds_one(qtbot, dialog, tmp_path_factory):
    dialog.family_box.setCurrentIndex(dialog.family_box.findData("maze"))
    presets = [dialog.preset_box.itemData(i) for i in range(dialog.preset_box.count())]
    assert presets[0].endswith("-lab") and all("maze" in p for p in presets)
    assert dialog.dataset_box.currentData() is None and not dialog.start_button.isEnabled()
    dialog.family_box.setCurrentIndex(dialog.family_box.findData("sudoku"))
    dialog._on_build_clicked()  # "Generate..." opens the dataset builder for this family
    builder = dialog.build_dialog
    assert builder.kind() == "sudoku9"
    built = settings.locations().datasets / "made-now.h5"
    shutil.copy(sudoku4_dataset(tmp_path_factory), built)
    builder.dataset_built.emit(built)
    assert dialog.dataset_box.currentData() == built and dialog.start_button.isEnabled()
    builder.reject()


def test_closing_the_dialog_stops_the_measurement(qtbot, dialog):
    job = dialog.measure()
    assert job.is_running
    with qtbot.waitSignal(job.ended, timeout=60000):
        dialog.reject()
    assert job.state.value in ("cancelled", "finished")


def test_generate_follows_the_presets_family_and_size(qtbot, dialog):
    for family, preset, check in (
            ("sudoku", "sudoku4-mlp-lab", lambda b: b.kind() == "sudoku4"),
            ("sudoku", "sudoku-mlp-lab", lambda b: b.kind() == "sudoku9"),
            ("maze", "maze-att-lab", lambda b: b.kind() == "maze" and b.side_box.value() == 9
             and "maze9-" in b.path_edit.text()),
            ("arc", "arc-att-lab", lambda b: b.kind() == "arc-agi-1" and b.options()["canvas"] == 10)):
        dialog.family_box.setCurrentIndex(dialog.family_box.findData(family))
        dialog.preset_box.setCurrentIndex(dialog.preset_box.findData(preset))
        dialog._on_build_clicked()
        assert check(dialog.build_dialog), preset
        dialog.build_dialog.reject()


def test_eval_interval_follows_the_length_until_set_and_the_name_defaults_to_the_preset(qtbot, dialog):
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku4-mlp-lab"))  # 1500 steps, eval every 250
    interval = dialog.form.editors["train.eval_interval"]
    assert dialog.length_box.value() == 1500 and interval.value() == 250
    dialog.length_box.setValue(60)
    assert interval.value() == 10 and dialog.config().train.eval_interval == 10  # a short run evaluates too
    interval.setValue(25)  # the user's choice stands
    dialog.length_box.setValue(600)
    assert dialog.config().train.eval_interval == 25
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku-mlp-lab"))
    assert interval.value() == 500 and dialog.length_box.value() == 3000
    assert dialog.name_edit.text() == "" and dialog.plan().cfg.name == "sudoku-mlp-lab"
    assert dialog.plan().run_dir.name.endswith("-sudoku-mlp-lab")


def test_preset_descriptions_state_no_time_the_dialog_measures_it(qtbot, dialog):
    import re

    from trm_engine.config import preset_description, preset_names
    timed = [n for n in preset_names() if re.search(r"\b(minute|second|hour)s?\b", preset_description(n), re.I)]
    assert timed == []  # a time depends on the machine: the dialog measures a step instead
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku4-mlp-lab"))
    assert "Default length 1,500 steps" in dialog.preset_note.text()


def test_a_dataset_of_the_presets_size_is_chosen(qtbot, dialog):
    from trm_lab.areas.train.dialog import describe_dataset
    from trm_lab.bench import make_sudoku_dataset
    nine = make_sudoku_dataset(settings.locations().datasets / "sudoku9.h5", 20)
    dialog._on_datasets_found([describe_dataset(nine)])
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku-mlp-lab"))
    assert dialog.dataset_box.currentData() == nine
    dialog.preset_box.setCurrentIndex(dialog.preset_box.findData("sudoku4-mlp-lab"))
    assert dialog.dataset_box.currentData().name == "sudoku4.h5"
