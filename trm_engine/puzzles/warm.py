"""`python -m trm_engine.puzzles.warm`: compile (or load from numba's cache) every generator kernel
once, then write the stamp that says the cache is filled (see kernels.py, which starts this module in
a background process). Its own module because it drives the generators, which wait on kernels.py."""

from __future__ import annotations

import os
import sys
import time

from .generate import MazeSettings, SudokuSettings, generate_mazes, generate_sudoku
from .kernels import cache_dir, stamp_path


def warm_up() -> float:
    """Compile (or load from the cache) every generator kernel, then write the stamp; returns seconds."""
    import numpy as np

    from .sudoku_search import solve_many

    start = time.perf_counter()
    generate_sudoku(1, 0, SudokuSettings())
    generate_sudoku(1, 0, SudokuSettings(box=2))
    generate_mazes(1, 0, MazeSettings(5, 5))
    rows, out = np.zeros((1, 81), np.int8), np.zeros(1, np.int64)
    solve_many(rows, 3, 2, out, out.copy(), out.copy(), rows.copy())
    seconds = time.perf_counter() - start
    try:
        path = stamp_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{seconds:.1f} s\n")
    except OSError:
        pass  # a read-only install: numba then caches per user, and warming runs again next time
    return seconds


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if "--nice" in argv and hasattr(os, "nice"):
        os.nice(19)  # only idle CPU: it must never slow what the user is doing
    print(f"generator kernels ready in {warm_up():.1f} s ({cache_dir()})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
