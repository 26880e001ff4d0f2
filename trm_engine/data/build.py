"""Build benchmark-style datasets offline: rated unique-solution Sudoku (Sudoku-Extreme style) and
Maze-Hard, from the seeded generators in trm_engine.puzzles.generate. (ARC builds are in arc_build.py.)

Both are stored un-augmented, one puzzle per group and one example per puzzle as in the official
builds; the sampler augments on the fly (Sudoku shuffles, maze dihedral transforms).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from .. import __version__
from ..errors import DataError
from ..puzzles import get_family
from ..puzzles.generate import (
    Generated,
    MazeSettings,
    Progress,
    SudokuSettings,
    generate_mazes,
    generate_sudoku,
)
from .dataset import PuzzleDataset, Split


@dataclass(frozen=True)
class SudokuBuild:
    train: int = 1000  # Sudoku-Extreme trains on a 1k subset
    test: int = 1000  # the original test set has 423k puzzles; a desktop needs far fewer
    seed: int = 0
    settings: SudokuSettings = SudokuSettings()


@dataclass(frozen=True)
class MazeBuild:
    train: int = 1000  # Maze-Hard: 1000 train and 1000 test mazes
    test: int = 1000
    seed: int = 0
    canvas: int | None = None  # token canvas side; None = the maze's own larger side
    settings: MazeSettings = MazeSettings()


def single_example_split(inputs: np.ndarray, labels: np.ndarray, ratings=None, shapes=None,
                         identifiers=None) -> Split:
    """A split where every puzzle is its own group with one example (Sudoku, mazes)."""
    n = len(inputs)
    ids = np.zeros(n, np.int32) if identifiers is None else np.asarray(identifiers, np.int32)
    offsets = np.arange(n + 1, dtype=np.int32)
    return Split(np.asarray(inputs, np.uint8), np.asarray(labels, np.uint8), ids, offsets, offsets.copy(),
                 None if ratings is None else np.asarray(ratings, np.int32),
                 None if shapes is None else np.asarray(shapes, np.uint8))


def provenance(source: str, seed: int | None, **extra) -> dict:
    """The metadata every dataset records about where it came from."""
    return {"source": source, "seed": seed, "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "trm_lab_version": __version__, **extra}


def _unique_rows(rows: np.ndarray) -> np.ndarray:
    """Indices of the first occurrence of each distinct row, in order."""
    _, first = np.unique(rows, axis=0, return_index=True)
    return np.sort(first)


def _concat(a: Generated, b: Generated) -> Generated:
    return Generated(np.concatenate([a.puzzles, b.puzzles]), np.concatenate([a.solutions, b.solutions]),
                     np.concatenate([a.ratings, b.ratings]), a.attempts + b.attempts, a.seconds + b.seconds,
                     a.settings)


def build_sudoku(cfg: SudokuBuild = SudokuBuild(), progress: Progress | None = None) -> PuzzleDataset:
    """Generate train + test puzzles (distinct puzzles; train and test never share one)."""
    if cfg.train < 0 or cfg.test < 0 or cfg.train + cfg.test == 0:
        raise DataError("sudoku build: need a positive number of puzzles")
    total = cfg.train + cfg.test
    gen = generate_sudoku(total, cfg.seed, cfg.settings, progress)
    keep = _unique_rows(gen.puzzles)
    # Small boards (4x4) repeat puzzles by chance: draw more, from further seeds, until enough are distinct.
    for extra_round in range(1, 9):
        if len(keep) >= total:
            break
        more = generate_sudoku(2 * (total - len(keep)) + 16, cfg.seed + 7919 * extra_round, cfg.settings)
        gen = _concat(gen, more)
        keep = _unique_rows(gen.puzzles)
    if len(keep) < total:
        raise DataError(f"sudoku build: only {len(keep)} distinct puzzles found for {total} asked; "
                        "ask for fewer (4x4 has few distinct minimal puzzles) or allow more clues (--clues)")
    keep = keep[:total]
    gen = Generated(gen.puzzles[keep], gen.solutions[keep], gen.ratings[keep], gen.attempts,
                    gen.seconds, gen.settings)
    family = get_family("sudoku", box=cfg.settings.box)
    enc_p = gen.puzzles.astype(np.uint8) + 1
    enc_s = gen.solutions.astype(np.uint8) + 1
    parts = {"train": slice(0, cfg.train), "test": slice(cfg.train, total)}
    splits = {name: single_example_split(enc_p[sl], enc_s[sl], gen.ratings[sl])
              for name, sl in parts.items() if sl.stop > sl.start}
    meta = provenance("generated", cfg.seed, generator="trm_engine.puzzles.generate.generate_sudoku",
                      generator_settings=gen.settings, generation_seconds=round(gen.seconds, 3),
                      attempts=gen.attempts,
                      note="ratings are dead ends of this rater's full search, not tdoku backtracks")
    return PuzzleDataset("sudoku", family.options, family.vocab_size, family.seq_len(), 1, splits,
                         augmentation="sudoku", metadata=meta)


def build_maze(cfg: MazeBuild = MazeBuild(), progress: Progress | None = None) -> PuzzleDataset:
    """Generate train + test mazes; tokens in a square canvas (the official 30x30 for Maze-Hard)."""
    s = cfg.settings
    canvas = cfg.canvas or max(s.height, s.width)
    if canvas < max(s.height, s.width) or canvas > 30:
        raise DataError(f"maze build: canvas {canvas} must be between the maze side and 30")
    total = cfg.train + cfg.test
    if cfg.train < 0 or cfg.test < 0 or total == 0:
        raise DataError("maze build: need a positive number of mazes")
    gen = generate_mazes(total, cfg.seed, s, progress)
    if len(_unique_rows(gen.puzzles)) < total:
        raise DataError("maze build: duplicate mazes generated; use a larger size or fewer mazes")
    family = get_family("maze", canvas=canvas)
    h, w = s.height, s.width
    inputs = np.stack([family.encode(p.reshape(h, w)) for p in gen.puzzles])
    labels = np.stack([family.encode(q.reshape(h, w)) for q in gen.solutions])
    shapes = np.tile(np.array([h, w, h, w], np.uint8), (total, 1))
    parts = {"train": slice(0, cfg.train), "test": slice(cfg.train, total)}
    splits = {name: single_example_split(inputs[sl], labels[sl], gen.ratings[sl], shapes[sl])
              for name, sl in parts.items() if sl.stop > sl.start}
    meta = provenance("generated", cfg.seed, generator="trm_engine.puzzles.generate.generate_mazes",
                      generator_settings=gen.settings, generation_seconds=round(gen.seconds, 3),
                      attempts=gen.attempts, ratings="shortest-path length in steps")
    return PuzzleDataset("maze", family.options, family.vocab_size, family.seq_len(), 1, splits,
                         augmentation="dihedral", metadata=meta)
