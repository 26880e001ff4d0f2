"""Offline, seeded generators for the two procedural benchmarks: rated unique-solution Sudoku (in the
spirit of Sudoku-Extreme) and Maze-Hard (the Searchformer procedure). Both drive numba kernels in
fixed-size chunks, each with its own seed derived from (seed, chunk index), so the output depends only
on the settings, the seed and the engine, and a progress callback can run between chunks.

`engine` picks who generates: "kernel" (the default: numba, for datasets and anything that must be
reproducible whatever the cache holds), "python" (`plain_generate`: the same procedures in plain
Python, about 15-30 ms per Sudoku attempt, 0.1-0.3 ms per 30x30 maze layout), or "auto": Python for up to
PLAIN_MAX_COUNT puzzles while the kernels are cold (no warm-up stamp, see kernels.py, and not compiled
in this process), else the kernel. The editors' Generate uses "auto", so the first one after an install
does not wait 15-30 s for the compiler. Each path is deterministic for a seed, but the two draw
different (equally valid) puzzles; `Generated.settings["engine"]` says which path made them.

The settings dataclasses are what dataset files record as their generator settings.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from ..errors import PuzzleError

Progress = Callable[[int, int], None]  # (done, total)

MAZE_HARD_MIN_PATH = 110  # Maze-Hard: shortest path longer than 110 steps on 30x30
MAZE_HARD_SIDE = 30
ENGINES = ("kernel", "python", "auto")
PLAIN_MAX_COUNT = 4  # "auto" generates at most this many puzzles in plain Python while the kernels are cold


@dataclass(frozen=True)
class SudokuSettings:
    box: int = 3  # 3 -> 9x9, 2 -> 4x4 (fast CPU demos)
    min_rating: int = 0  # keep puzzles whose rating (dead ends of a full search) is >= this
    max_rating: int = -1  # ... and <= this; -1 = no upper bound
    min_clues: int = 0  # stop removing clues at this many; 0 = remove until minimal
    max_attempts_per_puzzle: int = 20000  # give up (PuzzleError) if a chunk needs more than this


@dataclass(frozen=True)
class MazeSettings:
    height: int = 30
    width: int = 30
    wall_lo: float = 0.3  # wall fraction drawn uniformly from [wall_lo, wall_hi] (Searchformer)
    wall_hi: float = 0.5
    min_path: int = -1  # keep mazes whose shortest path has MORE steps than this; -1 = scaled default
    goal_draws: int = 100  # random goals tried per layout (Searchformer tries 100 pairs)
    unique_path: bool = False  # keep only mazes with one shortest path (their label is then the answer)
    max_layouts_per_maze: int = 1_000_000  # give up (PuzzleError) beyond this

    def resolved_min_path(self) -> int:
        return self.min_path if self.min_path >= 0 else maze_hard_threshold(self.height, self.width)


@dataclass
class Generated:
    """Generator output: grids as (count, side*side) int8 rows plus what it cost."""

    puzzles: np.ndarray
    solutions: np.ndarray
    ratings: np.ndarray  # Sudoku: rating; maze: shortest-path length in steps
    attempts: int  # candidate puzzles (Sudoku) or wall layouts (maze) drawn
    seconds: float
    settings: dict


def maze_hard_threshold(height: int, width: int) -> int:
    """Path-length threshold that accepts about the same share of random layouts as "> 110" does on
    30x30 (about 1 in 3,700): 110 * (side / 30) ** 1.15 with side = sqrt(h * w), fitted to measured
    acceptance rates at sides 5-30 (e.g. 9x9 -> 28, 15x15 -> 50, 20x20 -> 70)."""
    side = (height * width) ** 0.5
    return int(round(MAZE_HARD_MIN_PATH * (side / MAZE_HARD_SIDE) ** 1.15))


def chunk_seed(seed: int, chunk: int) -> int:
    """Independent 31-bit seed for one chunk of a generator run."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, chunk]).generate_state(1)[0] >> 1)


def plain_python(engine: str, count: int, module: str, kernel: str) -> bool:
    """Whether a request for `count` puzzles is made in plain Python: engine "python", or "auto" with
    at most PLAIN_MAX_COUNT puzzles while the kernels are cold: no stamp from a warm-up, and the
    kernel `module.kernel` not compiled in this process either."""
    if engine not in ENGINES:
        raise PuzzleError(f"generator: engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine != "auto":
        return engine == "python"
    if count > PLAIN_MAX_COUNT:
        return False
    from .kernels import is_warm

    loaded = sys.modules.get(f"{__package__}.{module}")
    return not is_warm() and not (loaded is not None and getattr(loaded, kernel).signatures)


def _run_chunks(count: int, chunk_size: int, width: int, run, progress: Progress | None):
    puzzles = np.zeros((count, width), dtype=np.int8)
    solutions = np.zeros((count, width), dtype=np.int8)
    ratings = np.zeros(count, dtype=np.int32)
    attempts = 0
    start = time.perf_counter()
    if progress is not None:
        progress(0, count)  # shown at once: the first chunk may wait for numba to compile the kernels
    for k, lo in enumerate(range(0, count, chunk_size)):
        hi = min(count, lo + chunk_size)
        attempts += run(k, puzzles[lo:hi], solutions[lo:hi], ratings[lo:hi])
        if progress is not None:
            progress(hi, count)
    return puzzles, solutions, ratings, attempts, time.perf_counter() - start


def generate_sudoku(count: int, seed: int = 0, settings: SudokuSettings = SudokuSettings(),
                    progress: Progress | None = None, chunk_size: int = 50, engine: str = "kernel") -> Generated:
    """`count` unique-solution puzzles with their solutions and ratings (row-major, 0 = blank), made
    by `engine` (see the module docstring; settings["engine"] says which path made them)."""
    from .sudoku_solver import RATER, RATER_VERSION

    if plain_python(engine, count, "sudoku_search", "_kernel"):
        from .plain_generate import generate_sudoku as make
        used = "python"
    else:
        from .kernels import wait_for_warming

        wait_for_warming()
        from .sudoku_search import generate as make
        used = "kernel"
    s = settings
    if s.box not in (2, 3, 4):
        raise PuzzleError(f"sudoku generator: box must be 2, 3 or 4, got {s.box}")
    if s.max_rating >= 0 and s.max_rating < s.min_rating:
        raise PuzzleError(f"sudoku generator: max rating {s.max_rating} < min rating {s.min_rating}")
    n = s.box * s.box

    def run(chunk, puzzles, solutions, ratings):
        budget = len(puzzles) * s.max_attempts_per_puzzle
        got, tried = make(s.box, chunk_seed(seed, chunk), s.min_rating, s.max_rating, s.min_clues,
                                budget, puzzles, solutions, ratings)
        if got < len(puzzles):
            raise PuzzleError(f"sudoku generator: only {got} of {len(puzzles)} puzzles reached rating "
                              f">= {s.min_rating} after {tried} attempts; lower the minimum rating")
        return tried

    out = _run_chunks(count, chunk_size, n * n, run, progress)
    info = asdict(s) | {"rater": RATER, "rater_version": RATER_VERSION, "engine": used}
    return Generated(*out, settings=info)


def generate_mazes(count: int, seed: int = 0, settings: MazeSettings = MazeSettings(),
                   progress: Progress | None = None, chunk_size: int = 10, engine: str = "kernel") -> Generated:
    """`count` mazes (grids with S and G) with labels (shortest path marked) and path lengths, made by
    `engine` (see the module docstring; settings["engine"] says which path made them)."""
    if plain_python(engine, count, "maze_search", "generate"):
        from .plain_generate import generate_mazes as make
        used = "python"
    else:
        from .kernels import wait_for_warming

        wait_for_warming()
        from .maze_search import generate as make
        used = "kernel"
    s = settings
    if not (2 <= s.height <= 30 and 2 <= s.width <= 30):
        raise PuzzleError(f"maze generator: size must be 2x2 to 30x30, got {s.height}x{s.width}")
    if not 0.0 <= s.wall_lo <= s.wall_hi < 1.0:
        raise PuzzleError(f"maze generator: need 0 <= wall_lo <= wall_hi < 1, got {s.wall_lo}, {s.wall_hi}")
    min_path = s.resolved_min_path()
    if min_path >= s.height * s.width - 1:
        raise PuzzleError(f"maze generator: no {s.height}x{s.width} maze has a path longer than {min_path}")

    def run(chunk, grids, labels, lengths):
        budget = len(grids) * s.max_layouts_per_maze
        got, tried = make(len(grids), s.height, s.width, chunk_seed(seed, chunk), s.wall_lo,
                                s.wall_hi, min_path, s.goal_draws, budget, grids, labels, lengths, s.unique_path)
        if got < len(grids):
            raise PuzzleError(f"maze generator: only {got} of {len(grids)} mazes had a "
                              f"{'unique shortest ' if s.unique_path else ''}path longer than {min_path} steps "
                              f"after {tried} layouts; lower --min-path")
        return tried

    out = _run_chunks(count, chunk_size, s.height * s.width, run, progress)
    return Generated(*out, settings=asdict(s) | {"min_path": min_path, "procedure": "searchformer",
                                                       "engine": used})
