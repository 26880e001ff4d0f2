"""`python -m trm_lab.bench_startup`: how long people wait when they start things, each measured in a
fresh process, min and median over repeats (JSON on stdout; progress on stderr).

- window: `trm-lab` until its window has painted once (targets <= 3 s on an idle 2-core machine);
- self_test: `trm-lab --self-test` (<= 20 s);
- first_solve / later_solve: `trm puzzle solve` (a hard 9x9 Sudoku) and `trm puzzle check` (a 30x30
  maze) right after a fresh install, then again (<= 3 s);
- first_generate_cold: one generated Sudoku in a fresh install whose numba cache was never filled
  (what a dataset build pays before the app's background warm-up has run: the kernel path);
- first_generate_auto_*: the editors' Generate (engine="auto", which is plain Python while the kernels
  are cold) in a fresh install: a Medium and a Hard 9x9 Sudoku, a Hard 10x10 maze (the editor's default
  size) and a 30x30 Maze-Hard maze, each in a new process (<= 3 s);
- warming: `python -m trm_engine.puzzles.warm`, what the app runs in the background;
- first_generate / later_generate: one 9x9 Sudoku and one 15x15 maze after that (<= 3 s).

A "fresh install" is a copy of trm_engine, trm_lab and trm_resources without any __pycache__ (so no
bytecode and no numba cache) in a temporary folder put first on PYTHONPATH, with NUMBA_CACHE_DIR unset
and settings in an empty temporary home. The load average is recorded before and after: on a shared
machine the figures are only as good as it was idle, so each one also comes with the CPU seconds its process
used (user + system, from getrusage): roughly what an idle machine would take.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# The child for "window": trm-lab's own start-up (build_window), then the time of the first paint.
_WINDOW_PROBE = """
import time
from PySide6.QtCore import QEvent, QObject, QTimer
from trm_lab.app import build_window
window = build_window([])
from PySide6.QtWidgets import QApplication
app = QApplication.instance()

class Probe(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and obj.isWidgetType() and obj.window() is window:
            app.removeEventFilter(self)
            QTimer.singleShot(0, lambda: (print(time.time(), flush=True), app.quit()))
        return False

probe = Probe()
app.installEventFilter(probe)
app.exec()
"""
_GENERATE = ("from trm_engine.puzzles.generate import MazeSettings, generate_mazes, generate_sudoku; "
             "generate_sudoku(1, 11); generate_mazes(1, 11, MazeSettings(15, 15))")
_GENERATE_SUDOKU = "from trm_engine.puzzles.generate import generate_sudoku; generate_sudoku(1, 11)"
_AUTO = "from trm_engine.puzzles.generate import *; assert {}.settings['engine'] == 'python'"
_FIRST_AUTO = {  # what the editors ask for (sudoku_editor / maze_editor DIFFICULTIES); seed: the round's
    "first_generate_auto_sudoku_s": "generate_sudoku(1, {}, SudokuSettings(min_rating=1, max_rating=10), engine='auto')",
    "first_generate_auto_hard_sudoku_s": "generate_sudoku(1, {}, SudokuSettings(min_rating=20), engine='auto')",
    "first_generate_auto_maze_s": "generate_mazes(1, {}, MazeSettings(10, 10), engine='auto')",
    "first_generate_auto_maze30_s": "generate_mazes(1, {}, MazeSettings(30, 30), engine='auto')",
}


def fresh_install(root: Path) -> Path:
    """Copy the three packages into `root/site` without bytecode or numba caches; returns the folder."""
    import trm_resources

    import trm_engine
    import trm_lab

    site = root / "site"
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc", "*.ok")
    for module, name in ((trm_engine, "trm_engine"), (trm_lab, "trm_lab"), (trm_resources, "trm_resources")):
        shutil.copytree(Path(module.__file__).resolve().parent, site / name, ignore=ignore)
    return site


def _env(site: Path, home: Path) -> dict[str, str]:
    dropped = ("NUMBA_CACHE_DIR", "PYTHONPYCACHEPREFIX", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    env.update(PYTHONPATH=str(site), XDG_CONFIG_HOME=str(home / "config"), XDG_DATA_HOME=str(home / "data"),
               XDG_CACHE_HOME=str(home / "cache"))
    if not env.get("DISPLAY") and not env.get("WAYLAND_DISPLAY"):
        env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def _cpu() -> float:
    """CPU seconds (user + system) of the finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one child: on a loaded machine the CPU time is what an idle one
    would take, give or take the child's own threads."""
    cpu, start = _cpu(), time.perf_counter()
    subprocess.run(args, env=env, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - start, _cpu() - cpu


def _window(env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """(seconds until the first paint, CPU seconds of the whole child, which quits right after it)."""
    cpu, start = _cpu(), time.time()
    out = subprocess.run([sys.executable, "-c", _WINDOW_PROBE], env=env, cwd=cwd, capture_output=True,
                         text=True, timeout=300)
    lines = out.stdout.strip().splitlines()
    if not lines:  # (a crash on the way out after the time was printed still counts as a start)
        raise RuntimeError(f"the window probe printed nothing (exit {out.returncode}): {out.stderr[-1000:]}")
    return float(lines[-1]) - start, _cpu() - cpu


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def measure_once(tmp: Path) -> dict[str, tuple[float, float]]:
    """One round of every figure, each install fresh where the figure says so."""
    py = sys.executable
    examples = Path(__import__("trm_resources").__file__).resolve().parent / "examples"
    sudoku = str(examples / "sudoku" / "hard-1.txt")
    maze = str(examples / "maze" / "hard-30x30.txt")
    solve = [[py, "-m", "trm_engine.cli", "puzzle", "solve", sudoku, "--family", "sudoku"],
             [py, "-m", "trm_engine.cli", "puzzle", "check", maze, "--family", "maze"]]
    row: dict[str, tuple[float, float]] = {}

    root = Path(tempfile.mkdtemp(dir=tmp))
    env = _env(fresh_install(root), root)
    row["window_first_start_s"] = _window(env, root)
    row["window_s"] = _window(env, root)
    row["self_test_s"] = _timed([py, "-m", "trm_lab.app", "--self-test"], env, root)

    root = Path(tempfile.mkdtemp(dir=tmp))
    env = _env(fresh_install(root), root)
    row["first_solve_sudoku_s"] = _timed(solve[0], env, root)
    row["first_check_maze_s"] = _timed(solve[1], env, root)
    row["later_solve_sudoku_s"] = _timed(solve[0], env, root)
    row["later_check_maze_s"] = _timed(solve[1], env, root)
    return row


def measure_first_auto(tmp: Path, seed: int) -> dict[str, tuple[float, float]]:
    """The editors' first Generate of each kind in a fresh install (plain Python: the kernels are cold).
    The seed changes per round: how long a search takes depends on it, so the rounds sample that."""
    py, row = sys.executable, {}
    root = Path(tempfile.mkdtemp(dir=tmp))
    env = _env(fresh_install(root), root)
    for name, call in _FIRST_AUTO.items():
        row[name] = _timed([py, "-c", _AUTO.format(call.format(seed))], env, root)
    return row


def measure_generate(tmp: Path, cold: bool) -> dict[str, tuple[float, float]]:
    py, row = sys.executable, {}
    if cold:
        root = Path(tempfile.mkdtemp(dir=tmp))
        env = _env(fresh_install(root), root)
        row["first_generate_cold_sudoku_s"] = _timed([py, "-c", _GENERATE_SUDOKU], env, root)
    root = Path(tempfile.mkdtemp(dir=tmp))
    env = _env(fresh_install(root), root)
    row["warming_s"] = _timed([py, "-m", "trm_engine.puzzles.warm"], env, root)
    row["first_generate_s"] = _timed([py, "-c", _GENERATE], env, root)
    row["later_generate_s"] = _timed([py, "-c", _GENERATE], env, root)
    return row


def _flat(row: dict[str, tuple[float, float]]) -> dict[str, float]:
    """{"x_s": (wall, cpu)} -> {"x_s": wall, "x_cpu_s": cpu}."""
    out = {}
    for name, (wall, cpu) in row.items():
        out[name] = wall
        out[name.removesuffix("_s") + "_cpu_s"] = cpu
    return out


def _summary(rows: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    keys = rows[0].keys()
    return {k: {"min": round(min(r[k] for r in rows), 2), "median": round(statistics.median(r[k] for r in rows), 2),
                "runs": [round(r[k], 2) for r in rows]} for k in keys}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trm_lab.bench_startup", description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="rounds of the window, self-test and solve figures")
    parser.add_argument("--generate-repeats", type=int, default=2, help="rounds of the generate figures")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold compile (30-60 s a round)")
    parser.add_argument("--auto-repeats", type=int, default=5,
                        help="rounds of the editors' first Generate in a fresh install (seeds 11, 12, ...)")
    args = parser.parse_args(argv)
    result: dict = {"cpu_count": os.cpu_count(), "platform": "xcb" if os.environ.get("DISPLAY") else "offscreen",
                    "load_before": _load()}
    with tempfile.TemporaryDirectory(prefix="trm-bench-startup-") as tmp:
        rows, gen_rows, auto_rows = [], [], []
        for k in range(args.repeats):
            rows.append(_flat(measure_once(Path(tmp))))
            print(f"round {k + 1}: {json.dumps({n: round(v, 2) for n, v in rows[-1].items()})} load {_load()}",
                  file=sys.stderr)
        for k in range(args.generate_repeats):
            gen_rows.append(_flat(measure_generate(Path(tmp), cold=not args.no_cold)))
            print(f"generate round {k + 1}: {json.dumps({n: round(v, 2) for n, v in gen_rows[-1].items()})} "
                  f"load {_load()}", file=sys.stderr)
        for k in range(args.auto_repeats):
            auto_rows.append(_flat(measure_first_auto(Path(tmp), 11 + k)))
            print(f"first-generate round {k + 1}: {json.dumps({n: round(v, 2) for n, v in auto_rows[-1].items()})} "
                  f"load {_load()}", file=sys.stderr)
    result |= _summary(rows) if rows else {}
    result |= _summary(auto_rows) if auto_rows else {}
    result |= _summary(gen_rows) if gen_rows else {}
    result["load_after"] = _load()
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
