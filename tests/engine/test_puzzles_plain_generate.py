"""The generators in plain Python (`plain_generate`), and the switch that uses them for a few puzzles
while the numba kernels are cold: valid, unique, minimal, rated in the band, seeded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from trm_engine.errors import PuzzleError
from trm_engine.puzzles import generate as gen_module
from trm_engine.puzzles import get_family, kernels
from trm_engine.puzzles.generate import MazeSettings, SudokuSettings, generate_mazes, generate_sudoku
from trm_engine.puzzles.maze import GOAL, START, WALL, shortest_paths
from trm_engine.puzzles.sudoku_solver import solve_one

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("box, lo, hi", [(3, 1, 10), (3, 0, 0), (2, 0, -1)])
def test_python_sudoku_is_unique_minimal_and_rated_in_the_band(box, lo, hi):
    family = get_family("sudoku", box=box)
    n = box * box
    gen = generate_sudoku(2, seed=5, settings=SudokuSettings(box=box, min_rating=lo, max_rating=hi),
                          engine="python")
    assert gen.settings["engine"] == "python" and gen.settings["rater_version"] >= 1
    for puzzle, solution, rating in zip(gen.puzzles, gen.solutions, gen.ratings):
        p, s = puzzle.reshape(n, n).astype(int), solution.reshape(n, n).astype(int)
        assert family.check_solution(p, s) == [] and family.validate(s) == []
        count, dead_ends, _, found = solve_one(puzzle, box, 2)
        assert count == 1 and (found == solution).all() and dead_ends == rating
        assert lo <= rating and (hi < 0 or rating <= hi)
        for cell in np.flatnonzero(puzzle):  # minimal: every clue is needed
            q = puzzle.copy()
            q[cell] = 0
            assert solve_one(q, box, 2)[0] == 2


def test_python_sudoku_is_seeded_and_honours_the_clue_floor_and_attempt_budget():
    a = generate_sudoku(3, seed=7, engine="python")
    b = generate_sudoku(3, seed=7, engine="python")
    assert (a.puzzles == b.puzzles).all() and (a.solutions == b.solutions).all() and (a.ratings == b.ratings).all()
    assert not (generate_sudoku(3, seed=8, engine="python").puzzles == a.puzzles).all()
    assert len({p.tobytes() for p in a.puzzles}) == 3  # chunks and attempts draw different grids
    loose = generate_sudoku(2, seed=1, settings=SudokuSettings(min_clues=40), engine="python")
    assert ((loose.puzzles > 0).sum(axis=1) >= 40).all()
    with pytest.raises(PuzzleError, match="lower the minimum rating"):
        generate_sudoku(1, seed=1, settings=SudokuSettings(box=2, min_rating=50, max_attempts_per_puzzle=20),
                        engine="python")


def test_random_search_and_excluded_digit_in_the_python_solver():
    import random

    full = [solve_one(np.zeros(81, np.int8), 3, 1, rng=random.Random(seed))[3] for seed in (1, 2)]
    sudoku = get_family("sudoku")
    assert all(sudoku.validate(g.reshape(9, 9).astype(int)) == [] and g.min() == 1 for g in full)
    assert not (full[0] == full[1]).all()
    puzzle = generate_sudoku(1, seed=3, engine="python").puzzles[0]
    _, _, _, solution = solve_one(puzzle, 3, 2)
    cell = int(np.flatnonzero(puzzle == 0)[0])
    assert solve_one(puzzle, 3, 2, exclude=(cell, int(solution[cell])))[0] == 0  # unique: nothing else
    assert solve_one(puzzle, 3, 2, exclude=(cell, 1 + int(solution[cell]) % 9))[0] == 1


def test_python_mazes_follow_the_searchformer_procedure_and_are_seeded():
    s = MazeSettings(height=9, width=11, wall_lo=0.3, wall_hi=0.5, min_path=20)
    gen = generate_mazes(3, seed=4, settings=s, engine="python")
    assert gen.settings["engine"] == "python" and gen.settings["min_path"] == 20
    n = s.height * s.width
    for grid, label, length in zip(gen.puzzles, gen.solutions, gen.ratings):
        assert (grid == START).sum() == 1 and (grid == GOAL).sum() == 1
        assert int(0.3 * n) <= (grid == WALL).sum() <= int(0.5 * n)
        start, goal = int(np.flatnonzero(grid == START)[0]), int(np.flatnonzero(grid == GOAL)[0])
        steps, _, marked = shortest_paths(grid, s.height, s.width, start, goal)
        assert steps == length > 20 and (marked == label).all()
    again = generate_mazes(3, seed=4, settings=s, engine="python")
    assert (again.puzzles == gen.puzzles).all() and (again.solutions == gen.solutions).all()
    assert not (generate_mazes(3, seed=5, settings=s, engine="python").puzzles == gen.puzzles).all()
    with pytest.raises(PuzzleError, match="lower --min-path"):
        generate_mazes(1, seed=1, settings=MazeSettings(5, 5, min_path=20, max_layouts_per_maze=30),
                       engine="python")


def test_auto_uses_python_only_for_a_few_puzzles_while_the_kernels_are_cold(monkeypatch):
    monkeypatch.setattr(kernels, "is_warm", lambda: False)
    monkeypatch.delitem(sys.modules, "trm_engine.puzzles.sudoku_search", raising=False)
    assert gen_module.plain_python("auto", 1, "sudoku_search", "_kernel")
    assert gen_module.plain_python("auto", gen_module.PLAIN_MAX_COUNT, "sudoku_search", "_kernel")
    assert not gen_module.plain_python("auto", gen_module.PLAIN_MAX_COUNT + 1, "sudoku_search", "_kernel")
    assert not gen_module.plain_python("kernel", 1, "sudoku_search", "_kernel")
    assert gen_module.plain_python("python", 1000, "sudoku_search", "_kernel")
    assert generate_sudoku(1, seed=2, settings=SudokuSettings(box=2), engine="auto").settings["engine"] == "python"
    with pytest.raises(PuzzleError, match="engine must be one of"):
        generate_sudoku(1, engine="numba")

    class Compiled:  # a kernel compiled earlier in this process: loading costs nothing more
        _kernel = type("Dispatcher", (), {"signatures": ["(int64,)"]})()

    monkeypatch.setitem(sys.modules, "trm_engine.puzzles.sudoku_search", Compiled)
    assert not gen_module.plain_python("auto", 1, "sudoku_search", "_kernel")
    monkeypatch.delitem(sys.modules, "trm_engine.puzzles.sudoku_search")
    monkeypatch.setattr(kernels, "is_warm", lambda: True)
    assert not gen_module.plain_python("auto", 1, "sudoku_search", "_kernel")
    warm = generate_mazes(1, seed=2, settings=MazeSettings(5, 5), engine="auto")
    assert warm.settings["engine"] == "kernel"


def test_a_cold_install_generates_without_importing_numba(tmp_path):
    """The editors' first Generate in a fresh process with an empty numba cache: no compiler at all."""
    code = ("import json, sys; from trm_engine.puzzles.generate import MazeSettings, generate_mazes, "
            "generate_sudoku; a = generate_sudoku(1, 3, engine='auto'); "
            "b = generate_mazes(1, 3, MazeSettings(9, 9), engine='auto'); "
            "print(json.dumps([a.settings['engine'], b.settings['engine'], 'numba' in sys.modules]))")
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == ["python", "python", False]
