"""Where library entries come from: puzzle files in a folder (bundled examples, the user's puzzles) and
rows of dataset files. Also tells a puzzle file's family from its name and content."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from trm_engine.errors import TrmError
from trm_engine.puzzles import ArcTask, get_family
from trm_engine.puzzles.base import read_text

from .library import LibraryEntry

PUZZLE_PATTERNS = ("*.sudoku", "*.maze", "*.json", "*.txt")
_SUFFIX_FAMILY = {".sudoku": "sudoku", ".maze": "maze", ".json": "arc"}


def examples_folder() -> Path:
    """resources/examples in a checkout, or the installed trm_resources package's copy."""
    import trm_resources
    return Path(trm_resources.__file__).resolve().parent / "examples"


def sniff_family(path: Path, text: str | None = None) -> str:
    """'sudoku', 'maze' or 'arc' for a puzzle file: by suffix, and for .txt by its characters."""
    family = _SUFFIX_FAMILY.get(Path(path).suffix.lower())
    if family:
        return family
    text = read_text(path) if text is None else text
    if text.lstrip().startswith(("{", "[")):
        return "arc"
    return "maze" if set(text) & set("#SGo") else "sudoku"


def read_puzzle_file(path: Path) -> tuple[str, np.ndarray | ArcTask]:
    """(family, puzzle) from a file; the engine's PuzzleError on any problem."""
    from .sudoku_editor import parse_sudoku

    text = read_text(path)
    family = sniff_family(path, text)
    if family == "arc":
        return family, ArcTask.loads(text, name=Path(path).stem, source=str(path))
    if family == "maze":
        return family, get_family("maze").parse(text, str(path), strict=False)
    return family, parse_sudoku(text, str(path))


def _file_entry(path: Path, split: str, source: str) -> LibraryEntry | None:
    try:
        family, puzzle = read_puzzle_file(path)
    except TrmError:
        return None  # not a puzzle (a README, a broken file): the library skips it
    if isinstance(puzzle, ArcTask):
        grid = np.asarray(puzzle.train[0].input, dtype=np.int64)
        difficulty = f"{len(puzzle.train)} demos"
        rating = float(len(puzzle.train))
    else:
        grid = puzzle
        difficulty = ""
        rating = -1.0
        if family == "sudoku":
            rating = float(81 - int((grid > 0).sum())) if grid.shape == (9, 9) else -1.0
            difficulty = f"{int((grid > 0).sum())} givens"
    return LibraryEntry(name=path.stem, family=family, shape=grid.shape, split=split, source=source,
                        difficulty=difficulty, rating=rating, path=path, thumbnail=lambda g=grid: g)


def scan_folder(folder: Path, split: str, source: str) -> list[LibraryEntry]:
    """Every puzzle file under `folder` (recursively), sorted by family then name."""
    if not folder.is_dir():
        return []
    paths = sorted({p for pattern in PUZZLE_PATTERNS for p in folder.rglob(pattern) if p.is_file()})
    entries = [e for e in (_file_entry(p, split, source) for p in paths) if e is not None]
    return sorted(entries, key=lambda e: (e.family, e.name))
