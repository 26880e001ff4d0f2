"""Damaged and interrupted run folders (issue 19): every reader answers a damaged file with a RunError for
that run only, `trm runs list` shows it as "damaged: <why>" beside the good runs, a resume starts from a
clean metrics log, stale temporary files are cleared, and no checkpoint with non-finite weights is
written, called good or evaluated."""

import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from trm_engine.cli import main
from trm_engine.errors import CheckpointError, ConfigError, RunError
from trm_engine.model.checkpoint import load_model, read_checkpoint
from trm_engine.puzzles.files import _host_tag, atomic_write_text
from trm_engine.train import trainer as trainer_mod
from trm_engine.train.checkpoints import read_best
from trm_engine.train.events import RunFailed, RunFinished, RunStarted
from trm_engine.train.run_dir import RunDirectory
from trm_engine.train.trainer import Trainer

from .conftest import tiny_run_config


def copy_run(tiny_run, tmp_path, name="run"):
    return RunDirectory(shutil.copytree(tiny_run, tmp_path / "runs" / name))


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@pytest.mark.parametrize("body", ['[1, 2]', '"x"', '{"file": "../../config.json", "exact_accuracy": 1}',
                                  '{"file": "step_0000006.pt", "exact_accuracy": "high"}', "\xff"])
def test_a_damaged_best_marker_is_a_run_error(tiny_run, tmp_path, capsys, body):
    rd = copy_run(tiny_run, tmp_path)
    (rd.checkpoints / "best.json").write_bytes(body.encode("latin-1"))
    with pytest.raises(RunError, match="best.json"):
        read_best(rd.checkpoints)
    assert main(["eval", str(rd.path), "--limit", "2"]) == 0  # the run is still usable: its latest checkpoint
    err = capsys.readouterr().err
    assert "best.json" in err and "using the latest checkpoint" in err


@pytest.mark.parametrize("status, why", [
    ('"x"', "expected a JSON object"), ('{"state": 5}', "field 'state' is 5"),
    ('{"state": "finished", "started": "yesterday"}', "field 'started'"),
    ('{"state": "finished", "step": -4}', "field 'step'"), ('{"state": "exploded"}', "expected one of"),
    ('{"state": "finished", "updated": NaN}', "field 'updated'"), ("\xff\xfe", "not valid JSON"),
    ('{"state": "finished", "type": {"a": [1]}, "step": "7"}', "field 'step'")])
def test_a_damaged_status_is_listed_as_damaged_beside_the_good_runs(tiny_run, tmp_path, capsys, status, why):
    good = copy_run(tiny_run, tmp_path, "good")
    bad = copy_run(tiny_run, tmp_path, "bad")
    bad.status_path.write_bytes(status.encode("latin-1"))
    with pytest.raises(RunError, match="status.json"):
        bad.summary()
    row = bad.row()
    assert row["state"] == "damaged" and why in row["message"]
    assert good.row()["state"] == "finished"
    assert main(["runs", "list", "--root", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert any(line.startswith("bad") and "damaged: " in line and why in line for line in out)
    assert any(line.startswith("good") and "finished" in line for line in out)


def test_null_status_fields_read_as_absent(tiny_run, tmp_path, capsys):
    rd = copy_run(tiny_run, tmp_path)
    rd.status_path.write_text('{"state": null, "step": null, "total_steps": null, "type": []}')
    row = rd.row()
    assert (row["state"], row["step"], row["total_steps"]) == ("unknown", 0, 0)
    assert main(["runs", "list", "--root", str(tmp_path / "runs")]) == 0
    assert "unknown" in capsys.readouterr().out


def test_a_run_that_has_written_only_its_config_is_listed_by_its_name(tiny_run, tmp_path):
    rd = copy_run(tiny_run, tmp_path)
    rd.status_path.unlink()  # as a run is between writing config.json and its first status
    body = json.loads(rd.config_path.read_text())
    body["config"]["name"] = "from a terminal"
    rd.config_path.write_text(json.dumps(body))
    row = rd.row()
    assert (row["state"], row["name"], row["preset"]) == ("unknown", "from a terminal", body["config"]["preset"])
    body["config"]["name"] = ["not", "a", "name"]
    rd.config_path.write_text(json.dumps(body))
    assert rd.row()["name"] == ""


def test_a_damaged_config_is_a_damaged_row(tiny_run, tmp_path):
    rd = copy_run(tiny_run, tmp_path)
    rd.config_path.write_text('{"config": [1]}')
    assert rd.row()["state"] == "damaged" and "'config' is not an object" in rd.row()["message"]


def test_metrics_lines_that_are_not_events_are_skipped(tiny_run, tmp_path):
    rd = copy_run(tiny_run, tmp_path)
    good, _ = rd.events()
    with open(rd.metrics_path, "ab") as fh:
        fh.write(b'\xff\n[1, 2]\n"x"\n{"type": "train", "step": "x"}\n{"type": "eval"}\nnull\n'
                 b'{"type": "paused", "step": "x"}\n{"type": "failed", "step": 3, "message": 5}\n')
    events, offset = rd.events()
    assert [e.to_json() for e in events] == [e.to_json() for e in good]
    assert offset == rd.metrics_path.stat().st_size


def test_resume_drops_undecodable_lines_and_later_steps(sudoku4_path, tmp_path):
    """A 0xff byte in metrics.jsonl used to crash --resume (UnicodeDecodeError)."""
    run = tmp_path / "run"
    list(Trainer(tiny_run_config(sudoku4_path, "steps=3"), run).run())
    rd = RunDirectory(run)
    with open(rd.metrics_path, "ab") as fh:
        fh.write(b'\xff\xfe\n{"type": "train", "step": 99, "total_steps": 6}\n{"type": "train", "st')
    events = list(Trainer(tiny_run_config(sudoku4_path), run, resume=True).run())
    assert isinstance(events[-1], RunFinished)
    lines = [json.loads(line) for line in rd.metrics_path.read_bytes().decode("utf-8").splitlines()]
    assert all(line["step"] <= 6 for line in lines)
    train_steps = [line["step"] for line in lines if line["type"] == "train"]
    assert train_steps == sorted(set(train_steps))


def test_resume_of_a_run_killed_before_its_first_checkpoint_starts_a_clean_log(sudoku4_path, tmp_path):
    run = tmp_path / "run"
    list(Trainer(tiny_run_config(sudoku4_path, "steps=2", "eval_interval=0"), run).run())
    rd = RunDirectory(run)
    for path in rd.checkpoint_files():  # as if killed before the first checkpoint was written
        path.unlink()
    with open(rd.metrics_path, "a") as fh:
        fh.write('{"type": "train", "step": 2, "tot')  # and in the middle of a line
    events = list(Trainer(tiny_run_config(sudoku4_path), run, resume=True).run())
    assert events[0].step == 0 and not events[0].resumed
    lines = [json.loads(line) for line in rd.metrics_path.read_text().splitlines()]  # every line whole
    assert [line["type"] for line in lines].count("started") == 1
    assert [line["step"] for line in lines if line["type"] == "train"] == [2, 4, 6]


def test_resume_of_a_run_killed_while_creating_its_folder_starts_it(sudoku4_path, tmp_path):
    """The kill campaign killed a run before it wrote config.json: --resume said "nothing to resume"."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    (run / "run.lock").write_text(f"{dead_pid()}@host start=1")
    events = list(Trainer(tiny_run_config(sudoku4_path), run, resume=True).run())
    assert events[0].step == 0 and isinstance(events[-1], RunFinished)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("mine")  # a folder with anything else is not a killed run
    with pytest.raises(RunError, match="nothing to resume"):
        list(Trainer(tiny_run_config(sudoku4_path), tmp_path / "other", resume=True).run())


def test_stale_temporaries_are_removed_on_the_next_open_or_write(tiny_run, tmp_path):
    rd = copy_run(tiny_run, tmp_path)
    tag = _host_tag()
    dead = rd.checkpoints / f".step_0000009.pt.{dead_pid()}@{tag}.abc123.tmp"
    live = rd.checkpoints / f".step_0000009.pt.{os.getppid()}@{tag}.abc123.tmp"  # a live writer's
    foreign = rd.checkpoints / f".step_0000009.pt.{dead_pid()}@00000000.abc123.tmp"  # another host's
    for path in (dead, live, foreign):
        path.write_bytes(b"x" * 100)
    rd.acquire()
    rd.release()
    assert not dead.exists() and live.exists() and foreign.exists()
    stale = tmp_path / f".data.h5.{dead_pid()}@{tag}.zz9.tmp"
    stale.write_bytes(b"x")
    atomic_write_text(tmp_path / "data.h5", "new")  # any atomic write into that directory
    assert not stale.exists() and (tmp_path / "data.h5").read_text() == "new"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".data.h5.")]


def poison_weights_after(monkeypatch, step: int):
    """Make the optimizer write NaN into the weights from `step` on (the loss stays finite that step)."""
    original = trainer_mod.Trainer._optimizer_step

    def poisoned(self):
        original(self)
        if self.step >= step:
            with torch.no_grad():
                for p in self.model.parameters():
                    p.fill_(float("nan"))

    monkeypatch.setattr(trainer_mod.Trainer, "_optimizer_step", poisoned)


def test_non_finite_weights_are_never_saved_or_called_good(sudoku4_path, tmp_path, monkeypatch):
    poison_weights_after(monkeypatch, 2)
    events = list(Trainer(tiny_run_config(sudoku4_path, "checkpoint_interval=1", "eval_interval=0"),
                          tmp_path / "run").run())
    failed = events[-1]
    assert isinstance(failed, RunFailed) and "non-finite weights after step 2" in failed.message
    assert "the last good checkpoint is step_0000001.pt" in failed.message
    rd = RunDirectory(tmp_path / "run")
    assert [p.name for p in rd.checkpoint_files()] == ["step_0000001.pt"]
    assert rd.status()["state"] == "failed"


def test_a_checkpoint_holding_non_finite_weights_is_refused_by_eval(tiny_run, tmp_path, capsys):
    rd = copy_run(tiny_run, tmp_path)
    path = rd.latest_checkpoint()
    body = read_checkpoint(path)
    body["model"] = {k: v.fill_(float("nan")) if v.is_floating_point() else v for k, v in body["model"].items()}
    torch.save(body, path)
    with pytest.raises(CheckpointError, match="NaN or inf"):
        load_model(path)
    assert main(["eval", str(path), "--limit", "2"]) == 2
    assert "NaN or inf" in capsys.readouterr().err


@pytest.mark.parametrize("key, value, why", [
    ("vocab_size", 10 ** 9, "vocab_size must be in"), ("num_puzzle_identifiers", 10 ** 12, "must be in"),
    ("hidden_size", 1 << 20, "hidden_size must be in"),
    ("num_puzzle_identifiers", 1 << 24, "do not fit"),  # within the limits: the weights' shapes decide
])
def test_a_checkpoint_declaring_huge_sizes_is_refused_before_allocating(tiny_run, tmp_path, key, value, why):
    """A 2.5 KB checkpoint whose config said vocab 1e9 made `trm eval` allocate 256 GB."""
    rd = copy_run(tiny_run, tmp_path)
    path = rd.latest_checkpoint()
    body = read_checkpoint(path)
    cfg = json.loads(body["config"])
    cfg["model"][key] = value
    body["config"] = json.dumps(cfg)
    torch.save(body, path)
    with pytest.raises(CheckpointError, match=why):
        load_model(path)


def test_a_non_finite_learning_rate_is_a_config_error(sudoku4_path, tmp_path, capsys):
    with pytest.raises(ConfigError, match="train.lr"):
        tiny_run_config(sudoku4_path, "lr=nan")
    code = main(["train", "--preset", "sudoku4-mlp-lab", "--data", str(sudoku4_path), "--run-dir",
                 str(tmp_path / "r"), "--steps", "2", "--set", "train.lr=nan"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "train.lr" in err and not (tmp_path / "r").exists()


@pytest.mark.parametrize("argv", [
    ["train", "--preset", "sudoku4-mlp-lab", "--data", "D", "--steps", "-5"],
    ["train", "--preset", "sudoku4-mlp-lab", "--data", "D", "--steps", "0"],
    ["eval", "RUN", "--limit", "-2"], ["eval", "RUN", "--steps", "-3"], ["eval", "RUN", "--batch", "0"],
    ["trace", "RUN", "--puzzle", "x", "--steps", "-2", "--out", "t.h5"],
    ["data", "build", "sudoku", "--train", "-1", "--out", "x.h5"],
    ["train", "--preset", "sudoku4-mlp-lab", "--data", "D", "--set", "train.eval_interval=-1"],
])
def test_negative_and_meaningless_counts_are_one_line_errors(argv, tmp_path, capsys, sudoku4_path, tiny_run):
    argv = [str(sudoku4_path) if a == "D" else str(tiny_run) if a == "RUN" else a for a in argv]
    argv = [*argv, "--run-dir", str(tmp_path / "r")] if argv[0] == "train" else argv
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse's one-line usage error
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "must be" in err
    assert not (tmp_path / "r").exists()


def test_a_trainer_reports_a_started_event_after_a_clean_resume(sudoku4_path, tmp_path):
    """The resumed run's first event is the only `started` line after the checkpoint it resumes from."""
    run = tmp_path / "run"
    list(Trainer(tiny_run_config(sudoku4_path, "steps=3"), run).run())
    events = list(Trainer(tiny_run_config(sudoku4_path), run, resume=True).run())
    assert isinstance(events[0], RunStarted) and events[0].resumed and events[0].step == 3
    lines = [json.loads(line) for line in RunDirectory(run).metrics_path.read_text().splitlines()]
    assert [(line["type"], line["step"]) for line in lines if line["type"] == "started"] == [("started", 0),
                                                                                             ("started", 3)]
