"""The `trm data` and `trm puzzle` commands: outputs, JSON, one-line errors with exit 2, and no
half-written files on failure."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from trm_engine.cli import main
from trm_engine.data.dataset import PuzzleDataset

HARD = "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4.."
CONCEPT = Path(__file__).resolve().parents[1] / "fixtures" / "conceptarc"  # 5 tasks of the corpus


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_build_info_export_roundtrip(tmp_path, capsys):
    out = tmp_path / "s.h5"
    code, text, _ = run(capsys, "data", "build", "sudoku", "--out", out, "--train", 30, "--test", 5,
                        "--seed", 2, "--json", "--quiet")
    assert code == 0 and json.loads(text)["examples"] == {"train": 30, "test": 5}
    code, text, _ = run(capsys, "data", "info", out, "--json")
    info = json.loads(text)
    assert (info["family"], info["vocab_size"], info["seq_len"]) == ("sudoku", 11, 81)
    assert info["splits"]["train"]["ratings"]["histogram"] and info["seed"] == 2
    code, text, _ = run(capsys, "data", "info", out)
    assert "train: 30 examples" in text
    folder = tmp_path / "official"
    code, text, _ = run(capsys, "data", "export", out, "--format", "trm-folder", "--out", folder,
                        "--augmentations", 3, "--quiet")
    assert code == 0
    meta = json.loads((folder / "train" / "dataset.json").read_text())
    assert meta["total_groups"] == 30 and meta["total_puzzles"] == 120 and meta["vocab_size"] == 11
    code, text, _ = run(capsys, "data", "import", "trm-folder", folder, "--out", tmp_path / "back.h5", "--quiet")
    assert code == 0 and PuzzleDataset.open(tmp_path / "back.h5")["train"].num_examples == 120


def test_maze_and_small_sudoku_builds(tmp_path, capsys):
    code, _, err = run(capsys, "data", "build", "maze", "--out", tmp_path / "m.h5", "--size", 9,
                       "--train", 4, "--test", 2, "--canvas", 30)
    assert code == 0 and "building maze" in err  # progress on stderr
    ds = PuzzleDataset.open(tmp_path / "m.h5")
    assert ds.seq_len == 900 and ds["train"].shapes[0].tolist() == [9, 9, 9, 9]
    assert ds.metadata["generator_settings"]["unique_path"] is False
    code, _, _ = run(capsys, "data", "build", "maze", "--out", tmp_path / "u.h5", "--size", 9, "--min-path", 10,
                     "--unique-path", "--train", 4, "--test", 2, "--quiet")
    assert code == 0 and PuzzleDataset.open(tmp_path / "u.h5").metadata["generator_settings"]["unique_path"] is True
    code, _, _ = run(capsys, "data", "build", "sudoku", "--box", 2, "--clues", 8, "--out", tmp_path / "s4.h5",
                     "--train", 10, "--test", 2, "--quiet")
    assert PuzzleDataset.open(tmp_path / "s4.h5").seq_len == 16


def test_build_arc_with_conceptarc(tmp_path, capsys):
    code, text, _ = run(capsys, "data", "build", "arc", "--out", tmp_path / "a.h5", "--concept", CONCEPT,
                        "--augmentations", 2, "--json", "--quiet")
    # arc-agi-1 gives 3081 training examples (3988 with the whole corpus's 907 pairs); the fixture's 5
    # tasks add their 30 pairs (3 demonstrations + 3 tests each)
    assert code == 0 and json.loads(text)["examples"] == {"train": 3081 + 30, "test": 419}


@pytest.mark.parametrize("argv, fragment", [
    (["data", "info", "{tmp}/missing.h5"], "no such dataset file"),
    (["data", "import", "sudoku-csv", "{tmp}/nope.csv", "--out", "{tmp}/o.h5"], "no such file"),
    (["data", "build", "maze", "--out", "{tmp}/o.h5", "--size", 5, "--min-path", 40], "no 5x5 maze"),
    (["data", "build", "sudoku", "--out", "{tmp}/none/o.h5", "--train", 2, "--test", 0], "does not exist"),
    (["puzzle", "check", "12x", "--family", "sudoku"], "81 characters"),
    (["puzzle", "solve", "{concept}", "--family", "arc"], "no classical ARC solver"),
])
def test_errors_are_one_line_exit_2_and_leave_no_file(tmp_path, capsys, argv, fragment):
    concept_task = CONCEPT / "corpus" / "Count" / "Count5.json"
    argv = [str(a).format(tmp=tmp_path, concept=concept_task) for a in argv]
    code, out, err = run(capsys, *argv)
    assert code == 2 and err.startswith("trm: error:") and fragment in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o.h5").exists() and not list(tmp_path.glob(".*tmp"))


def test_puzzle_check_and_solve(tmp_path, capsys):
    code, text, _ = run(capsys, "puzzle", "solve", HARD, "--family", "sudoku", "--json")
    result = json.loads(text)
    assert code == 0 and result["solutions"] == 1 and result["text"].startswith("812753649")
    code, text, _ = run(capsys, "puzzle", "check", "88" + HARD[2:], "--family", "sudoku")
    assert code == 1 and "row 1: digit 8 appears 2 times (r1c1, r1c2)" in text
    code, text, _ = run(capsys, "puzzle", "check", "." * 81, "--family", "sudoku", "--json")
    assert code == 1 and json.loads(text)["problems"][0]["message"] == "more than one solution"
    maze = tmp_path / "m.txt"
    maze.write_text("S  #\n## #\n    \n ##G\n")
    code, text, _ = run(capsys, "puzzle", "solve", maze, "--family", "maze")
    assert code == 0 and "Soo#" in text and "6 steps" in text
    maze.write_text("S  #\n####\n    \n ##G\n")
    code, text, _ = run(capsys, "puzzle", "check", maze, "--family", "maze")
    assert code == 1 and "no path from S to G" in text
    code, text, _ = run(capsys, "puzzle", "check", "1.3.\n..2.\n.1..\n4...", "--family", "sudoku")
    assert code == 0 and "sudoku 4x4" in text


def test_trm_entry_point_prints_no_traceback(tmp_path):
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 100)
    proc = subprocess.run([sys.executable, "-m", "trm_engine.cli", "data", "info", str(bad)],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr and str(bad) in proc.stderr


def test_import_arc_folder_and_kaggle_pairs(tmp_path, capsys):
    task = {"train": [{"input": [[1, 2]], "output": [[2, 1]]}], "test": [{"input": [[3, 4]], "output": [[4, 3]]}]}
    for part in ("training", "evaluation"):
        (tmp_path / "data" / part).mkdir(parents=True)
        for i in range(2):
            (tmp_path / "data" / part / f"{part[0]}{i}.json").write_text(json.dumps(task))
    code, text, _ = run(capsys, "data", "import", "arc-json", tmp_path / "data", "--out", tmp_path / "a.h5",
                        "--augmentations", 2, "--json", "--quiet")
    assert code == 0 and json.loads(text)["examples"] == {"train": 6, "test": 2}
    kaggle = tmp_path / "kaggle"
    kaggle.mkdir()
    challenges = {"k1": {"train": task["train"], "test": [{"input": [[3, 4]]}]}}
    (kaggle / "arc-agi_evaluation_challenges.json").write_text(json.dumps(challenges))
    (kaggle / "arc-agi_evaluation_solutions.json").write_text(json.dumps({"k1": [[[4, 3]]]}))
    code, text, _ = run(capsys, "data", "import", "arc-kaggle", kaggle, "--out", tmp_path / "k.h5", "--quiet")
    ds = PuzzleDataset.open(tmp_path / "k.h5")
    assert code == 0 and ds.tasks == ["k1"] and ds["test"].num_examples == 1


def test_bench_data_runs_small(capsys):
    from trm_engine.data.bench import run_data_bench

    result = run_data_bench(sudoku=5, maze=2, arc=False, cold=False, quiet=True)
    assert result["sudoku"]["count"] == 5 and result["maze"]["path_steps_min"] > 110
    assert result["sudoku"]["size_bytes"] > 0 and "warmup_this_process_s" in result
    assert result["sudoku"]["open_s"] > 0
