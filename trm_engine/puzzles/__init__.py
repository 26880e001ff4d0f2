"""Puzzle families: one module per family (grid <-> tokens, validate, solve, text formats, augmentation),
numba kernels for solving and generating (imported lazily), and the registry `get_family`.

    from trm_engine.puzzles import get_family
    sudoku = get_family("sudoku", box=2)          # 4x4
    grid = sudoku.parse("1.3.\\n..2.\\n.1..\\n4...")
    sudoku.validate(grid), sudoku.solve(grid).count, sudoku.encode(grid)
"""

from __future__ import annotations

from ..errors import PuzzleError
from .arc import ArcAugment, ArcFamily, ArcPair, ArcTask
from .base import IGNORE_LABEL, PAD, Family, Problem, SolveResult
from .maze import CHARSET as MAZE_CHARSET
from .maze import MazeFamily
from .sudoku import SudokuFamily, SudokuShuffle
from .transforms import DIHEDRAL_INVERSE, DIHEDRAL_NAMES, dihedral, inverse_dihedral

FAMILY_NAMES = ("sudoku", "maze", "arc")
_FAMILIES: dict[str, type[Family]] = {"sudoku": SudokuFamily, "maze": MazeFamily, "arc": ArcFamily}


def get_family(name: str, **options) -> Family:
    """The family called `name` ("sudoku", "maze", "arc") built with its options (box=, canvas=)."""
    cls = _FAMILIES.get(str(name).lower())
    if cls is None:
        raise PuzzleError(f"unknown puzzle family {name!r}; choose one of {', '.join(FAMILY_NAMES)}")
    try:
        return cls(**options)
    except TypeError as exc:
        raise PuzzleError(f"{name}: bad family options {options} ({exc})") from None


__all__ = [
    "ArcAugment", "ArcFamily", "ArcPair", "ArcTask", "DIHEDRAL_INVERSE", "DIHEDRAL_NAMES", "FAMILY_NAMES",
    "Family", "IGNORE_LABEL", "MAZE_CHARSET", "MazeFamily", "PAD", "Problem", "SolveResult",
    "SudokuFamily", "SudokuShuffle", "dihedral", "get_family", "inverse_dihedral",
]
