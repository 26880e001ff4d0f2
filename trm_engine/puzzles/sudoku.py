"""Sudoku: text formats, validation with precise messages, the counting solver, and the validity-
preserving shuffles the official build uses for augmentation.

Grids are (N, N) ints with 0 = blank and 1..N digits, N = box*box (9x9 by default, 4x4 with box=2,
16x16 with box=4). Tokens: blank 1, digit d -> d+1, PAD 0 unused; 81 tokens and vocab 11 for 9x9.
Text: one line of N*N characters ('.' or '0' for blanks, like the Sudoku-Extreme CSV) or N lines of
N characters; spaces and the separators '|', '-', '+' are ignored. 16x16 uses 1-9 then A-G.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import PuzzleError
from . import sudoku_solver
from .base import Family, Problem, SolveResult, as_int_grid, cell_name

_DIGITS = "123456789ABCDEFG"
_IGNORED = set(" \t|+-=")


@dataclass(frozen=True)
class SudokuShuffle:
    """One validity-preserving relabelling: optional transpose, then rows[i] / cols[j] say which old
    row / column lands at position i / j, then digit d becomes digits[d] (digits[0] == 0 keeps blanks).
    Row (column) permutations move whole bands (stacks) and rows (columns) within them."""

    digits: tuple[int, ...]
    transpose: bool
    rows: tuple[int, ...]
    cols: tuple[int, ...]

    @classmethod
    def random(cls, rng: np.random.Generator, box: int = 3) -> SudokuShuffle:
        n = box * box

        def lines():
            return tuple(int(b * box + r) for b in rng.permutation(box) for r in rng.permutation(box))

        digits = (0, *(int(d) + 1 for d in rng.permutation(n)))
        return cls(digits, bool(rng.random() < 0.5), lines(), lines())

    @property
    def box(self) -> int:
        return int(round(len(self.rows) ** 0.5))

    def cell_index(self) -> np.ndarray:
        """Flat source index of every output cell: out.flat[i] = grid.flat[cell_index()[i]]."""
        n = len(self.rows)
        r = np.asarray(self.rows)[:, None]
        c = np.asarray(self.cols)[None, :]
        return (c * n + r if self.transpose else r * n + c).ravel()

    def apply(self, grid: np.ndarray) -> np.ndarray:
        g = np.asarray(grid)
        return np.asarray(self.digits)[g.ravel()[self.cell_index()]].reshape(g.shape).astype(g.dtype)

    def invert(self, grid: np.ndarray) -> np.ndarray:
        g = np.asarray(grid)
        out = np.empty(g.size, dtype=g.dtype)
        out[self.cell_index()] = np.argsort(self.digits)[g.ravel()]
        return out.reshape(g.shape)

    def token_map(self) -> np.ndarray:
        """The digit relabelling on tokens (PAD 0 and blank 1 stay)."""
        return np.concatenate([[0], np.asarray(self.digits) + 1]).astype(np.uint8)


class SudokuFamily(Family):
    name = "sudoku"

    def __init__(self, box: int = 3):
        if box not in (2, 3, 4):
            raise PuzzleError(f"sudoku: box size must be 2, 3 or 4 (4x4, 9x9, 16x16 grids), got {box}")
        self.box = box
        self.n = box * box
        self.vocab_size = self.n + 2

    @property
    def options(self) -> dict:
        return {"box": self.box}

    def __repr__(self) -> str:
        return f"SudokuFamily(box={self.box})"

    # -- tokens ----------------------------------------------------------------------------------
    def seq_len(self, shape=None) -> int:
        return self.n * self.n

    def encode(self, grid: np.ndarray) -> np.ndarray:
        g = self._checked(grid)
        return (g.ravel() + 1).astype(np.uint8)

    def decode(self, tokens: np.ndarray, shape=None) -> np.ndarray:
        t = np.asarray(tokens).ravel().astype(np.int64)
        if t.size != self.n * self.n:
            raise PuzzleError(f"sudoku: expected {self.n * self.n} tokens, got {t.size}")
        if t.size and (t.min() < 0 or t.max() >= self.vocab_size):
            raise PuzzleError(f"sudoku: tokens must be 0..{self.vocab_size - 1}")
        return np.maximum(t - 1, 0).reshape(self.n, self.n)  # PAD and blank both read as blank

    # -- text ------------------------------------------------------------------------------------
    def parse(self, text: str, source: str = "<string>") -> np.ndarray:
        n = self.n
        lines = []
        for line in str(text).splitlines():
            kept = "".join(ch for ch in line if ch not in _IGNORED)
            if kept:
                lines.append(kept)
        if len(lines) == 1:
            chars = lines[0]
            if len(chars) != n * n:
                raise PuzzleError(f"{source}: a one-line {n}x{n} Sudoku has {n * n} characters, "
                                  f"got {len(chars)}")
        elif len(lines) == n:
            for i, line in enumerate(lines):
                if len(line) != n:
                    raise PuzzleError(f"{source}: row {i + 1} has {len(line)} cells, expected {n}")
            chars = "".join(lines)
        else:
            raise PuzzleError(f"{source}: expected one line of {n * n} characters or {n} lines of {n}, "
                              f"got {len(lines)} non-empty lines")
        lookup = {ch: d + 1 for d, ch in enumerate(_DIGITS[:n])}
        lookup.update({ch.lower(): d for ch, d in lookup.items()})
        lookup.update({".": 0, "0": 0})
        values = []
        for i, ch in enumerate(chars):
            if ch not in lookup:
                raise PuzzleError(f"{source}: {cell_name(i // n, i % n)}: unknown character {ch!r} "
                                  f"(digits 1-{_DIGITS[n - 1]}, '.' or '0' for blank)")
            values.append(lookup[ch])
        return np.array(values, dtype=np.int64).reshape(n, n)

    def format(self, grid: np.ndarray) -> str:
        g = self._checked(grid)
        return "\n".join("".join("." if v == 0 else _DIGITS[v - 1] for v in row) for row in g) + "\n"

    def format_line(self, grid: np.ndarray) -> str:
        """The one-line form used by the Sudoku-Extreme CSV ('.' for blanks)."""
        return self.format(grid).replace("\n", "")

    # -- validity --------------------------------------------------------------------------------
    def validate(self, grid: np.ndarray) -> list[Problem]:
        try:
            g = as_int_grid(grid, "sudoku")
        except PuzzleError as exc:
            return [Problem(str(exc))]
        n, box = self.n, self.box
        if g.shape != (n, n):
            return [Problem(f"grid is {g.shape[0]}x{g.shape[1]}, expected {n}x{n}")]
        bad = [(int(r), int(c)) for r, c in zip(*np.nonzero((g < 0) | (g > n)))]
        problems = [Problem(f"{cell_name(r, c)}: value {g[r, c]} is not a digit 1-{n} or 0 (blank)",
                            ((r, c),)) for r, c in bad]
        if problems:
            return problems
        units = [(f"row {r + 1}", [(r, c) for c in range(n)]) for r in range(n)]
        units += [(f"column {c + 1}", [(r, c) for r in range(n)]) for c in range(n)]
        units += [(f"box {b + 1}", [((b // box) * box + k // box, (b % box) * box + k % box)
                                    for k in range(n)]) for b in range(n)]
        for unit, cells in units:
            where: dict[int, list[tuple[int, int]]] = {}
            for r, c in cells:
                if g[r, c]:
                    where.setdefault(int(g[r, c]), []).append((r, c))
            for d, at in sorted(where.items()):
                if len(at) > 1:
                    names = ", ".join(cell_name(r, c) for r, c in at)
                    problems.append(Problem(f"{unit}: digit {d} appears {len(at)} times ({names})",
                                            tuple(at)))
        return problems

    def check(self, grid: np.ndarray, require_unique: bool = True) -> list[Problem]:
        """validate() plus the solver: no solution, or (if required) more than one, is a problem."""
        problems = self.validate(grid)
        if problems:
            return problems
        result = self.solve(grid)
        if result.count == 0:
            return [Problem("the puzzle has no solution")]
        if result.count > 1 and require_unique:
            return [Problem("the puzzle has more than one solution")]
        return []

    def check_solution(self, puzzle: np.ndarray, answer: np.ndarray) -> list[Problem]:
        p, a = self._checked(puzzle), as_int_grid(answer, "answer")
        if a.shape != p.shape:
            return [Problem(f"answer is {a.shape[0]}x{a.shape[1]}, puzzle is {p.shape[0]}x{p.shape[1]}")]
        problems = self.validate(a)
        if any(not p.message.startswith(("row", "column", "box")) for p in problems):
            return problems  # not a grid of digits: comparing cells would say nothing more
        blanks = [(int(r), int(c)) for r, c in zip(*np.nonzero(a == 0))]
        if blanks:
            problems.append(Problem(f"{len(blanks)} cell(s) still blank: "
                                    + ", ".join(cell_name(r, c) for r, c in blanks[:10]), tuple(blanks)))
        for r, c in zip(*np.nonzero((p != 0) & (a != p))):
            problems.append(Problem(f"{cell_name(r, c)}: the puzzle gives {p[r, c]} but the answer has "
                                    f"{a[r, c]}", ((int(r), int(c)),)))
        return problems

    # -- solving ---------------------------------------------------------------------------------
    def solve(self, grid: np.ndarray) -> SolveResult:
        """Count solutions (0, 1 or 2 = 'two or more'); the rating is the dead ends of a full search."""
        g = self._checked(grid)
        count, dead_ends, guesses, solution = sudoku_solver.solve_one(g.ravel(), self.box, 2)
        extra = {"guesses": int(guesses), "rating": int(dead_ends), "rater": sudoku_solver.RATER,
                 "rater_version": sudoku_solver.RATER_VERSION}
        sol = solution.reshape(self.n, self.n).astype(np.int64) if count else None
        return SolveResult(int(count), sol, int(dead_ends), extra)

    def label(self, grid: np.ndarray) -> np.ndarray:
        result = self.solve(grid)
        if result.count != 1:
            raise PuzzleError("sudoku: the puzzle has " + ("no solution" if result.count == 0
                                                           else "more than one solution"))
        return result.solution

    def random_shuffle(self, rng: np.random.Generator) -> SudokuShuffle:
        return SudokuShuffle.random(rng, self.box)

    def _checked(self, grid) -> np.ndarray:
        g = as_int_grid(grid, "sudoku")
        if g.shape != (self.n, self.n):
            raise PuzzleError(f"sudoku: grid is {g.shape[0]}x{g.shape[1]}, expected {self.n}x{self.n}")
        if g.size and (g.min() < 0 or g.max() > self.n):
            raise PuzzleError(f"sudoku: values must be 0 (blank) or digits 1-{self.n}")
        return g
