"""`trm train --run-dir DIR --resume` takes the run's stored config; run folders name their dataset
absolutely and say so when it has moved; a puzzle argument that names a missing file says so."""

import json
import shutil

import pytest

from trm_engine.cli import main

TINY = ["--set", "hidden_size=32", "--set", "num_heads=2", "--set", "puzzle_emb_ndim=32", "--set", "h_cycles=2",
        "--set", "l_cycles=1", "--set", "halt_max_steps=2", "--set", "global_batch_size=8",
        "--set", "lr_warmup_steps=1", "--set", "threads=1"]


def train(*argv) -> int:
    return main(["train", *map(str, argv), "--quiet"])


def stored(run_dir):
    return json.loads((run_dir / "config.json").read_text())["config"]


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("trm: error:") and err.count("\n") == 1
    return err


def test_resume_takes_the_stored_config(sudoku4_path, tmp_path, capsys):
    run = tmp_path / "runs" / "r"
    assert train("--preset", "sudoku4-mlp-lab", "--data", sudoku4_path, "--run-dir", run, "--steps", 2,
                 *TINY, "--set", "lr=3e-4") == 0
    first = stored(run)
    assert first["train"]["lr"] == 3e-4 and first["data"]["path"] == str(sudoku4_path.resolve())
    assert train("--run-dir", run, "--resume", "--steps", 3) == 0  # no preset, data or --set needed
    assert stored(run) == {**first, "train": {**first["train"], "steps": 3}}
    # the same preset and a --set equal to the stored value are fine; a changed field is refused by name
    assert train("--run-dir", run, "--resume", "--preset", "sudoku4-mlp-lab", "--set", "lr=3e-4",
                 "--steps", 4) == 0
    capsys.readouterr()
    assert train("--run-dir", run, "--resume", "--set", "lr=3e-3", "--steps", 5) == 2
    err = one_line_error(capsys)
    assert "train.lr (0.0003 vs 0.003)" in err and "keeps its stored config" in err
    assert train("--run-dir", run, "--resume", "--preset", "sudoku-mlp-lab") == 2
    assert "trained with preset sudoku4-mlp-lab, not sudoku-mlp-lab" in one_line_error(capsys)
    assert json.loads((run / "status.json").read_text())["step"] == 4


def test_resume_and_train_need_their_arguments(sudoku4_path, tmp_path, capsys):
    assert train("--run-dir", tmp_path / "none", "--resume") == 2
    assert "needs --preset NAME and --data FILE (there is no run to resume" in one_line_error(capsys)
    assert train("--preset", "sudoku4-mlp-lab", "--steps", 1) == 2
    assert "needs --preset NAME and --data FILE" in one_line_error(capsys)


def test_a_run_evaluates_from_anywhere_and_names_a_moved_dataset(sudoku4_path, tmp_path, capsys, monkeypatch):
    data = tmp_path / "data" / "s4.h5"
    data.parent.mkdir()
    shutil.copy(sudoku4_path, data)
    monkeypatch.chdir(data.parent)
    assert train("--preset", "sudoku4-mlp-lab", "--data", "s4.h5", "--run-dir", tmp_path / "run", "--steps", 1,
                 *TINY) == 0
    assert stored(tmp_path / "run")["data"]["path"] == str(data)
    monkeypatch.chdir(tmp_path)  # elsewhere: the relative name would not resolve
    assert main(["eval", str(tmp_path / "run"), "--json", "--quiet"]) == 0
    assert json.loads(capsys.readouterr().out)["data"] == str(data)
    data.rename(tmp_path / "moved.h5")
    assert main(["eval", str(tmp_path / "run"), "--quiet"]) == 2
    err = one_line_error(capsys)
    assert f"the dataset it was trained on, {data}, is not there" in err and "give --data FILE" in err
    assert train("--run-dir", tmp_path / "run", "--resume", "--steps", 2) == 2
    assert f"{data}, is not there" in one_line_error(capsys)
    assert train("--run-dir", tmp_path / "run", "--resume", "--steps", 2, "--data", tmp_path / "moved.h5") == 0
    assert stored(tmp_path / "run")["data"]["path"] == str(tmp_path / "moved.h5")
    assert main(["eval", str(tmp_path / "run"), "--json", "--quiet"]) == 0


@pytest.mark.parametrize("make, argv, fragment", [
    (None, ["puzzle", "check", "{tmp}/puzzle.sudoku", "--family", "sudoku"], "puzzle.sudoku: no such file"),
    (None, ["puzzle", "solve", "puzzle.sudoku", "--family", "sudoku"], "puzzle.sudoku: no such file"),
    ("dir", ["puzzle", "check", "{tmp}/d", "--family", "sudoku"], "d: a folder, not a puzzle file"),
    (None, ["puzzle", "check", "12x", "--family", "sudoku"], "81 characters"),  # text, not a path
    (None, ["puzzle", "check", "53..7....6", "--family", "sudoku"], "81 characters"),
    (None, ["trace", "{run}", "--puzzle", "{tmp}/p.txt", "--out", "{tmp}/t.trace.h5"], "p.txt: no such file"),
    ("dir", ["trace", "{run}", "--puzzle", "{tmp}/d", "--out", "{tmp}/t.trace.h5"], "a folder, not a puzzle file"),
])
def test_a_puzzle_argument_that_names_a_missing_file_says_so(tiny_run, tmp_path, capsys, make, argv, fragment):
    if make == "dir":
        (tmp_path / "d").mkdir()
    argv = [a.format(tmp=tmp_path, run=tiny_run) for a in argv]
    assert main(argv) == 2
    assert fragment in one_line_error(capsys)
    assert not (tmp_path / "t.trace.h5").exists()


def test_runs_list_takes_a_folder_or_one_run(tiny_run, tmp_path, capsys):
    assert main(["runs", "list", str(tiny_run.parent)]) == 0
    assert capsys.readouterr().out.split()[0] == tiny_run.name
    assert main(["runs", "list", str(tiny_run), "--json"]) == 0  # a run directory lists itself
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [tiny_run.name]
    assert main(["runs", "list", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"no runs in {tmp_path}\n"
    assert main(["runs", "list", str(tmp_path / "nope")]) == 2
    assert "nope: no such folder" in one_line_error(capsys)
    assert main(["runs", "list", str(tmp_path), "--root", str(tiny_run)]) == 2
    assert "give the folder once" in one_line_error(capsys)
