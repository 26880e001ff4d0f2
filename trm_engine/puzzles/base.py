"""The small interface every puzzle family implements (get_family, the registry, is in __init__.py).

A grid is a 2-D numpy array of small non-negative ints in the family's *grid alphabet*:
- sudoku: 0 = blank, 1..N = digits (N = box*box; 9x9 by default, 4x4 with box=2);
- maze:   index into the charset "# SGo" (0 wall, 1 open, 2 start, 3 goal, 4 path);
- arc:    colours 0..9.
Tokens are the official HRM/TRM encoding (a 1-D uint8 array of length seq_len, PAD = 0):
sudoku digit d -> d+1 (blank 1); maze char index i -> i+1; arc colour c -> c+2 with EOS = 1.

Problem.cells are 0-based (row, col) pairs; messages name cells 1-based as r<row>c<col>, the way
Sudoku players write them, so a GUI can both show the text and highlight the cells.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import PuzzleError

PAD = 0
IGNORE_LABEL = -100  # label value the losses skip (the official IGNORE_LABEL_ID)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a grid, with the cells it concerns as (row, col) pairs."""

    message: str
    cells: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class SolveResult:
    """What a classical solver found. `count` is 0, 1 or 2 (2 means 'two or more')."""

    count: int
    solution: np.ndarray | None = None
    backtracks: int = 0
    extra: dict = field(default_factory=dict)


class Family(ABC):
    """A puzzle family: encoding, validation, solving and text formats for one kind of grid."""

    name: str
    vocab_size: int

    @abstractmethod
    def seq_len(self, shape: tuple[int, int] | None = None) -> int:
        """Length of the token sequence for grids of `shape` (the family's canvas if None)."""

    @abstractmethod
    def encode(self, grid: np.ndarray) -> np.ndarray:
        """Grid -> 1-D uint8 tokens in the official encoding."""

    @abstractmethod
    def decode(self, tokens: np.ndarray, shape: tuple[int, int] | None = None) -> np.ndarray:
        """Tokens (inputs or predicted) -> grid. `shape` crops where the family needs it."""

    @abstractmethod
    def validate(self, grid: np.ndarray) -> list[Problem]:
        """Problems that make `grid` not a well-formed puzzle of this family ([] if none)."""

    @abstractmethod
    def solve(self, grid: np.ndarray) -> SolveResult:
        """Run the classical solver on a puzzle grid."""

    @abstractmethod
    def parse(self, text: str, source: str = "<string>") -> np.ndarray:
        """Parse the family's text format; raise PuzzleError naming `source` on bad input."""

    @abstractmethod
    def format(self, grid: np.ndarray) -> str:
        """Grid -> the family's text format (parse(format(g)) == g)."""

    @property
    def options(self) -> dict:
        """Keyword options that rebuild this family with get_family(name, **options)."""
        return {}

    def check_solution(self, puzzle: np.ndarray, answer: np.ndarray) -> list[Problem]:
        """Problems that make `answer` not a correct solution of `puzzle` ([] if it is one)."""
        raise PuzzleError(f"{self.name}: checking a solution is not supported")

    def label(self, grid: np.ndarray) -> np.ndarray:
        """The target grid the model is trained to output for puzzle `grid`."""
        raise PuzzleError(f"{self.name}: no classical label for a single grid")

    def load(self, path: str | Path) -> np.ndarray:
        """Parse a puzzle file; PuzzleError names the file on any problem."""
        return self.parse(read_text(path), source=str(path))


def cell_name(r: int, c: int) -> str:
    """1-based r<row>c<col> name of a 0-based cell, as used in every message."""
    return f"r{r + 1}c{c + 1}"


def read_text(path: str | Path, limit: int = 64 << 20) -> str:
    """Read a UTF-8 text file, turning every failure into a PuzzleError that names the file."""
    path = Path(path)
    try:
        if path.stat().st_size > limit:
            raise PuzzleError(f"{path}: file is larger than {limit >> 20} MB; not a puzzle file")
        data = path.read_bytes()
    except OSError as exc:
        raise PuzzleError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PuzzleError(f"{path}: not UTF-8 text (byte {exc.start})") from None


def as_int_grid(grid, what: str = "grid") -> np.ndarray:
    """A 2-D int64 array from anything array-like; PuzzleError if it is not a 2-D grid of integers."""
    try:
        arr = np.asarray(grid)
    except (ValueError, TypeError) as exc:
        raise PuzzleError(f"{what}: not a rectangular grid ({exc})") from None
    if arr.ndim != 2:
        raise PuzzleError(f"{what}: expected a 2-D grid, got {arr.ndim} dimension(s)")
    if arr.size and arr.dtype.kind not in "iub":
        if arr.dtype.kind == "f" and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise PuzzleError(f"{what}: cells must be integers, got {arr.dtype}")
    return arr.astype(np.int64, copy=False)
