"""Damaged run folders in the app (issue 19): a best.json that is not an object used to stop trm-lab from
starting, and a status.json holding "x" emptied the Train list, good runs included. The app starts,
lists the good runs as usual and shows the damaged ones as "damaged: <why>"; Inspect offers the damaged
marker's run by its latest checkpoint."""

from __future__ import annotations

import shutil

import pytest
from lab_helpers import make_window
from train_helpers import sudoku4_dataset, tiny_config

from trm_engine.train.trainer import Trainer
from trm_lab import settings
from trm_lab.areas.inspect.models import run_models


@pytest.fixture
def runs(tmp_path_factory, monkeypatch):
    """Three copies of a finished tiny run in the app's runs folder: good, bad status, bad best marker."""
    monkeypatch.delenv("TRM_LAB_RUNS", raising=False)
    data = sudoku4_dataset(tmp_path_factory)
    source = tmp_path_factory.mktemp("src") / "run"
    for _ in Trainer(tiny_config(data, "steps=2", "eval_interval=2"), source).run():
        pass
    root = settings.locations().runs
    root.mkdir(parents=True, exist_ok=True)
    for name in ("good", "bad-status", "bad-best"):
        shutil.copytree(source, root / name)
    (root / "bad-status" / "status.json").write_text('"x"')
    (root / "bad-best" / "checkpoints" / "best.json").write_text("[1, 2]")
    return root


def test_the_app_starts_and_lists_damaged_runs_beside_the_good_ones(qtbot, theme, runs):
    window = make_window(qtbot, theme)  # used to raise TypeError in read_best while building Inspect
    panel = window.show_area("train")
    expected = {runs / "good", runs / "bad-status", runs / "bad-best"}
    with qtbot.waitSignal(panel.session.listed, timeout=30000,
                          check_params_cb=lambda rows: {r["path"] for r in rows} >= {str(p) for p in expected}):
        panel.session.refresh()
    items = panel.runs.items
    assert expected <= set(items)
    assert items[runs / "bad-status"].text(1).startswith("damaged: ")
    assert "status.json" in items[runs / "bad-status"].text(1)
    assert items[runs / "good"].text(1) == "finished"
    assert items[runs / "bad-best"].text(1) == "finished"  # its status is fine; only its marker is bad


def test_inspect_offers_a_run_with_a_damaged_best_marker_by_its_latest_checkpoint(runs):
    choices = {c.checkpoint.parent.parent.name: c for c in run_models(runs)}
    assert choices["bad-best"].checkpoint.name.startswith("step_")
    assert "(best," not in choices["bad-best"].title and "(best," in choices["good"].title
