"""Preparing a puzzle (a grid, a file or a string) for a given model: the family options that fit its
sequence length, the input tokens, and the solution tokens when they can be known (the classical
solver supplies them for drawn Sudoku and mazes; ARC needs the task's output)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..config import ModelConfig
from ..errors import PuzzleError, TraceError
from ..puzzles import ArcTask, get_family
from ..puzzles.files import text_or_file


@dataclass
class PreparedPuzzle:
    family: str
    family_options: dict
    grid: np.ndarray  # the puzzle in the family's grid alphabet
    inputs: np.ndarray  # (seq_len,) tokens
    labels: np.ndarray | None  # (seq_len,) int64, -100 where not scored; None when unknown
    solution: np.ndarray | None  # grid
    source: str
    note: str = ""  # why there is no solution, if there is none


def family_options_for(family: str, cfg: ModelConfig) -> dict:
    side = int(round(cfg.seq_len ** 0.5))
    if side * side != cfg.seq_len:
        raise TraceError(f"a model with {cfg.seq_len} puzzle tokens does not hold a square grid")
    if family == "sudoku":
        box = int(round(side ** 0.5))
        if box * box != side:
            raise TraceError(f"a {side}x{side} grid is not a Sudoku size")
        return {"box": box}
    return {"canvas": side}


def prepare_grid(family: str, grid: np.ndarray, cfg: ModelConfig, solution: np.ndarray | None = None,
                 source: str = "<grid>") -> PreparedPuzzle:
    """Encode `grid` for the model and find its solution when none is given."""
    options = family_options_for(family, cfg)
    fam = get_family(family, **options)
    grid = np.asarray(grid)
    inputs = fam.encode(grid)
    note = ""
    if solution is None and family in ("sudoku", "maze"):
        try:
            solution = fam.label(grid)
        except PuzzleError as exc:
            note = str(exc)
    labels = None
    if solution is not None:
        raw = fam.encode(np.asarray(solution)).astype(np.int64)
        labels = np.where(raw == 0, -100, raw)
    return PreparedPuzzle(family, options, grid, inputs, labels, solution, source, note)


def prepare_text(family: str, value: str, cfg: ModelConfig, test_index: int = 0) -> PreparedPuzzle:
    """A puzzle given as a file path or as text (Sudoku string, maze text, ARC task JSON)."""
    text, source = text_or_file(value)
    options = family_options_for(family, cfg)
    fam = get_family(family, **options)
    if family == "arc":
        task = ArcTask.loads(text, source=source)
        if not 0 <= test_index < len(task.test):
            raise TraceError(f"{source}: the task has {len(task.test)} test inputs; no test input {test_index}")
        pair = task.test[test_index]
        return prepare_grid(family, pair.input, cfg, pair.output, source)
    return prepare_grid(family, fam.parse(text, source), cfg, None, source)
