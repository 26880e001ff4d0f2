"""The small interface every puzzle family implements, and the registry of families.

A grid is a 2-D numpy array of small non-negative ints in the family's *grid alphabet*:
- sudoku: 0 = blank, 1..N = digits (N = box*box; 9x9 by default, 4x4 with box=2);
- maze:   index into the charset "# SGo" (0 wall, 1 open, 2 start, 3 goal, 4 path);
- arc:    colours 0..9.
Tokens are the official HRM/TRM encoding (a 1-D uint8 array of length seq_len, PAD = 0):
sudoku digit d -> d+1 (blank 1); maze char index i -> i+1; arc colour c -> c+2 with EOS = 1.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import numpy as np

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
