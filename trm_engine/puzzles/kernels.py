"""The generator kernels' numba cache: fill it ahead of time in a background process, so the first
Generate after an install does not wait for the compiler.

Compiling the Sudoku and maze generator kernels costs about 20-45 s of CPU on a 2-core machine (once;
numba caches the machine code beside the sources, or under NUMBA_CACHE_DIR); loading them from the
cache costs about 2 s. Single puzzles are solved without numba (`sudoku_solver`, `maze.shortest_paths`),
so only generating and bulk checks need the kernels. The app calls `start_warming()` a few seconds
after its window is up; `python -m trm_engine.puzzles.warm` does the warm-up in the foreground (for
an installer or a desktop bundle's first run).

A stamp file beside the cache, keyed by the numba version and the kernel sources, says the cache is
filled, so a warm install starts no process at all.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

_SOURCES = ("sudoku_search.py", "maze_search.py")
WARM_MODULE = "trm_engine.puzzles.warm"  # run with -m: drives the generators once, then stamps
_started: subprocess.Popen | None = None


def cache_dir() -> Path:
    """Where numba writes this package's kernels: NUMBA_CACHE_DIR, else __pycache__ beside them."""
    override = os.environ.get("NUMBA_CACHE_DIR")
    return Path(override) if override else Path(__file__).resolve().parent / "__pycache__"


def stamp_path() -> Path:
    """The stamp for this numba version and these kernel sources (any change: a new stamp)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        numba_version = version("numba")
    except PackageNotFoundError:
        numba_version = "none"
    key = hashlib.sha1(numba_version.encode())
    here = Path(__file__).resolve().parent
    for name in _SOURCES:
        st = (here / name).stat()
        key.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return cache_dir() / f"trm-kernels-{key.hexdigest()[:16]}.ok"


def is_warm() -> bool:
    return stamp_path().exists()


def start_warming() -> subprocess.Popen | None:
    """Warm the kernels in a low-priority background process, unless they are warm or a warm-up
    started by this process is still running. Returns the process, or None."""
    global _started
    if getattr(sys, "frozen", False):
        return None  # a desktop bundle: sys.executable is the app itself, not a Python to run -m with
    if is_warm() or (_started is not None and _started.poll() is None):
        return None
    _started = subprocess.Popen([sys.executable, "-m", WARM_MODULE, "--nice"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    return _started


def wait_for_warming() -> None:
    """If this process started a warm-up that is still compiling, wait for it: loading its cache
    afterwards is quicker than compiling the same kernels beside it on a 2-core machine."""
    if _started is not None and _started.poll() is None:
        _started.wait()
