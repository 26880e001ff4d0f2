"""The README's command-line tour runs as written, in an empty folder, at small sizes.

The lines are read from README.md itself, so the tour cannot drift from what works. Each `trm` line runs
through the CLI's `main` with its sizes made small (puzzle counts, steps, seeds, minutes, batches) and,
where a command builds a model, the flags of a seconds-long one appended (a tiny model, one thread, few
repeats, a little evaluation); nothing else about a line changes. The only other line the tour may hold
is `echo "TEXT" > FILE`.
"""

import json
import re
import shlex
from pathlib import Path

import pytest

from trm_engine.cli import main

README = Path(__file__).resolve().parents[2] / "README.md"

# flag -> small value, for every line that has the flag
SIZES = {"--train": "12", "--test": "4", "--seeds": "1", "--minutes": "0.03", "--batch": "2"}
MODEL = ["hidden_size=16", "num_heads=2", "puzzle_emb_ndim=16", "l_cycles=1", "halt_max_steps=2",
         "global_batch_size=8", "lr_warmup_steps=1", "eval_interval=0", "threads=1"]
SETS = [a for item in MODEL for a in ("--set", item)]
# command -> flags appended to keep it seconds-long
EXTRA = {
    ("data", "build"): ["--quiet"],
    ("model", "info"): SETS[:10],
    ("train",): SETS + ["--quiet"],
    ("train", "--resume"): ["--quiet"],  # a resumed run keeps its stored (tiny) config
    ("eval",): ["--limit", "6", "--quiet"],
    ("trace",): ["--steps", "3", "--quiet"],
    ("experiments", "run"): ["--budget", "2steps", "--threads", "1", "--quiet", "--recipe", "sudoku9-lab.train=16",
                             "--recipe", "sudoku9-lab.test=4"] + [a for item in MODEL[:-1] for a in ("--set", item)],
    ("bench", "model"): SETS[:10] + ["--repeats", "1", "--inference-repeats", "1", "--inference-steps", "2",
                                     "--threads", "1", "--quiet"],
    ("bench", "train"): SETS[:10] + ["--batch", "2", "--repeats", "1", "--threads", "1"],
    ("bench", "learn"): SETS[:10] + ["--train-puzzles", "8", "--test-per-level", "2", "--threads", "1"],
    ("bench", "data"): ["--sudoku", "8", "--maze", "2", "--no-arc", "--no-cold", "--quiet"],
}


def tour() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The command line: `trm`", 1)[1]
    block = section.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


def small(argv: list[str]) -> list[str]:
    """The line's own arguments with small sizes, and the flags that keep it short appended."""
    out = list(argv)
    for i, arg in enumerate(out[:-1]):
        if arg in SIZES:
            out[i + 1] = SIZES[arg]
        elif arg == "--steps" and out[0] == "train":  # 1500, 2000, 3000, 5000 -> 2, 2, 3, 5
            out[i + 1] = str(max(2, int(out[i + 1]) // 1000))
    key = ("train", "--resume") if out[0] == "train" and "--resume" in out else \
        next((k for k in EXTRA if tuple(out[:len(k)]) == k), None)
    return out + EXTRA.get(key, [])


def run_line(line: str, capsys) -> str:
    echo = re.fullmatch(r'echo "([^"]*)" > (\S+)', line.split("  #")[0].strip())
    if echo:
        Path(echo.group(2)).write_text(echo.group(1) + "\n")
        return ""
    argv = shlex.split(line, comments=True)
    assert argv[0] == "trm", f"the tour may hold only trm and echo lines: {line!r}"
    code = main(small(argv[1:]))
    out = capsys.readouterr()
    assert code == 0, f"{line}\n-> {' '.join(small(argv[1:]))}\nexit {code}: {out.err[-2000:]}"
    return out.out


def test_the_tour_reads_as_a_tour():
    lines = tour()
    assert len(lines) >= 25 and all(line.startswith(("trm ", "echo ")) for line in lines)
    assert "trm train --run-dir runs/s9 --resume --steps 5000" in "\n".join(lines)
    assert small(["train", "--run-dir", "runs/s9", "--resume", "--steps", "5000"]) == \
        ["train", "--run-dir", "runs/s9", "--resume", "--steps", "5", "--quiet"]


def test_the_readme_tour_runs_as_written(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRM_LAB_RUNS", str(tmp_path / "default-root"))
    outputs = {}
    for line in tour():
        outputs[line] = run_line(line, capsys)
    listed = next(out for line, out in outputs.items() if line.startswith("trm runs list runs"))
    assert {row.split()[0] for row in listed.splitlines()} == {"first", "s9", "arc"}
    status = json.loads((tmp_path / "runs" / "s9" / "status.json").read_text())
    assert status["state"] == "finished" and status["step"] == 5  # extended from 3 to 5 by the resume
    config = json.loads((tmp_path / "runs" / "s9" / "config.json").read_text())["config"]
    assert config["train"]["lr"] == 3e-4 and config["data"]["path"] == str(tmp_path / "sudoku.h5")
    assert json.loads((tmp_path / "submission.json").read_text())
    for made in ("s9.trace.h5", "s9.gif", "results/mlp-vs-attention/report.md", "maze.h5", "arc10.h5"):
        assert (tmp_path / made).is_file(), made
    assert not (tmp_path / "default-root").exists()  # the tour keeps to its folder


@pytest.mark.parametrize("line", [
    "trm data build sudoku --train 1000 --test 1000 --out sudoku.h5",
    "trm bench model --preset sudoku-mlp --batch 32",
])
def test_small_keeps_the_line_and_appends_only_sizes(line):
    argv = shlex.split(line)[1:]
    out = small(argv)
    assert [a for a in out[:len(argv)] if not a.isdigit()] == [a for a in argv if not a.isdigit()]
