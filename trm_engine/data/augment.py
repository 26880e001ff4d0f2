"""On-the-fly augmentation of stored token rows, vectorised over a batch, for the sampler and evaluation.

One augmentation is drawn per sampled puzzle (all its examples share it, as in the official
precomputed builds):
- "sudoku": a random SudokuShuffle (digits, transpose, bands/stacks and lines within them); id stays 0.
  With `sudoku_shuffles` = N > 0, the official scheme instead: each puzzle has N fixed shuffles (a pure
  function of the dataset seed, the puzzle and k = 1..N) besides itself, and a draw picks one of the N+1
  uniformly, as the official sampler picks one puzzle of a group built with `--num-aug N`.
- "dihedral" (mazes): one of the 8 dihedral transforms; the maze is re-placed at the canvas's top-left.
- "arc": stored spec k of the task (k uniform over the identity and the task's distinct specs);
  id = base id + k. In the train split every example except one random one per puzzle is also moved to
  a random offset where its augmented input and output both fit (the official translation), drawn afresh
  each time, or fixed per (example, version) as the official build stores it (`fixed_translation`).

Every augmentation of a row is a gather plus a token relabelling: out = tmap[ext[idx]], where ext is
the stored row followed by [PAD, EOS]. The source maps for (shape, transform) are cached, so a batch of
768 rows costs a few milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from ..errors import DataError
from ..puzzles.arc import EOS, ArcAugment
from ..puzzles.sudoku import SudokuShuffle
from ..puzzles.transforms import dihedral, dihedral_shape, inverse_dihedral
from .dataset import PuzzleDataset, Split


@dataclass
class Draws:
    """Augmentations for a batch of puzzles (row i of each array belongs to puzzle i)."""

    kind: str  # "none", "sudoku", "dihedral", "arc"
    k: np.ndarray  # (n,) ARC spec index / maze dihedral id / 0
    tmaps: np.ndarray  # (n, vocab) token relabelling
    dihedral: np.ndarray  # (n,) dihedral id applied to the grid (maze, ARC; 0 otherwise)
    cells: np.ndarray | None = None  # (n, seq_len) Sudoku cell gather
    arcs: list[ArcAugment] | None = None
    shuffles: list[SudokuShuffle] | None = None

    def describe(self, i: int):
        """Plain description of puzzle i's augmentation: ArcAugment, SudokuShuffle, dihedral id or None."""
        if self.kind == "arc":
            return self.arcs[i]
        if self.kind == "sudoku":
            return self.shuffles[i]
        return int(self.k[i]) if self.kind == "dihedral" else None


class Augmenter:
    """Draws and applies augmentations for one dataset."""

    def __init__(self, dataset: PuzzleDataset, sudoku_shuffles: int = 0):
        self.ds = dataset
        self.kind = dataset.augmentation
        self.sudoku_shuffles = int(sudoku_shuffles)
        self.seed = int(dataset.metadata.get("seed") or 0)
        self.vocab = dataset.vocab_size
        self.seq_len = dataset.seq_len
        self.stride = dataset.num_augmentations + 1
        self.canvas = int(round(dataset.seq_len ** 0.5))
        if self.kind == "sudoku":
            self.box = int(dataset.family_options.get("box", 3))
        if self.kind in ("dihedral", "arc") and self.canvas * self.canvas != dataset.seq_len:
            raise DataError(f"{dataset.path}: {self.kind} augmentation needs a square canvas")

    def task_of(self, puzzle_ids) -> np.ndarray:
        return (np.asarray(puzzle_ids, np.int64) - 1) // self.stride

    # -- drawing ---------------------------------------------------------------------------------
    def draw(self, rng: np.random.Generator, puzzle_ids: np.ndarray, augment: bool = True,
             puzzles: np.ndarray | None = None) -> Draws:
        """Augmentations of n puzzles (`puzzles`: their stored indices, which fixed Sudoku shuffles need)."""
        n = len(puzzle_ids)
        if not augment or self.kind == "none":
            return self.identity(n)
        if self.kind == "sudoku" and self.sudoku_shuffles > 0:
            k = np.floor(rng.random(n) * (self.sudoku_shuffles + 1)).astype(np.int64)
            return self.fixed_sudoku(puzzles, k)
        if self.kind == "sudoku":
            return self.random_sudoku(rng, n)
        if self.kind == "dihedral":
            return self.dihedrals(rng.integers(0, 8, n))
        tasks = self.task_of(puzzle_ids)
        k = np.floor(rng.random(n) * (self.ds.aug_counts[tasks] + 1)).astype(np.int64)
        return self.specs(tasks, k)

    def identity(self, n: int) -> Draws:
        tmaps = np.tile(np.arange(self.vocab, dtype=np.uint8), (n, 1))
        return Draws("none", np.zeros(n, np.int64), tmaps, np.zeros(n, np.int64))

    def random_sudoku(self, rng: np.random.Generator, n: int) -> Draws:
        """n random SudokuShuffles, drawn as arrays (a Python object per puzzle would cost ~20 us)."""
        box, size = self.box, self.box * self.box

        def perms(*shape):
            return rng.permuted(np.broadcast_to(np.arange(shape[-1]), shape).copy(), axis=-1)

        digits = np.concatenate([np.zeros((n, 1), np.int64), perms(n, size) + 1], axis=1)
        rows = (perms(n, box)[:, :, None] * box + perms(n, box, box)).reshape(n, size)
        cols = (perms(n, box)[:, :, None] * box + perms(n, box, box)).reshape(n, size)
        transpose = rng.random(n) < 0.5
        r, c = rows[:, :, None], cols[:, None, :]
        cells = np.where(transpose[:, None, None], c * size + r, r * size + c).reshape(n, size * size)
        tmaps = np.concatenate([np.zeros((n, 1), np.int64), digits + 1], axis=1).astype(np.uint8)
        shuffles = _LazyShuffles(digits, transpose, rows, cols)
        return Draws("sudoku", np.zeros(n, np.int64), tmaps, np.zeros(n, np.int64), cells, shuffles=shuffles)

    def fixed_sudoku(self, puzzles, k) -> Draws:
        """Fixed shuffle k of each stored puzzle (k = 0: the puzzle itself). Shuffle k of puzzle p is drawn
        from uniforms that are a hash of (dataset seed, p, k), so it never changes and needs no storage."""
        puzzles, k = np.asarray(puzzles, np.int64), np.asarray(k, np.int64)
        n, box = len(k), self.box
        size = box * box
        u = keyed_uniforms(self.seed, puzzles, k, size + 1 + 2 * (box + box * box))

        def perms(offset, *shape):  # permutations along the last axis from the next prod(shape) uniforms
            count = int(np.prod(shape))
            return np.argsort(u[:, offset:offset + count].reshape(n, *shape), axis=-1)

        digits = np.concatenate([np.zeros((n, 1), np.int64), perms(0, size) + 1], axis=1)
        transpose = u[:, size] < 0.5
        at = size + 1
        rows = (perms(at, box)[:, :, None] * box + perms(at + box, box, box)).reshape(n, size)
        at += box + box * box
        cols = (perms(at, box)[:, :, None] * box + perms(at + box, box, box)).reshape(n, size)
        identity = k == 0
        digits[identity] = np.arange(size + 1)
        transpose[identity] = False
        rows[identity] = cols[identity] = np.arange(size)
        r, c = rows[:, :, None], cols[:, None, :]
        cells = np.where(transpose[:, None, None], c * size + r, r * size + c).reshape(n, size * size)
        tmaps = np.concatenate([np.zeros((n, 1), np.int64), digits + 1], axis=1).astype(np.uint8)
        return Draws("sudoku", k, tmaps, np.zeros(n, np.int64), cells,
                     shuffles=_LazyShuffles(digits, transpose, rows, cols))

    def sudoku(self, shuffles) -> Draws:
        shuffles = list(shuffles)
        n = len(shuffles)
        cells = np.stack([s.cell_index() for s in shuffles]) if n else np.zeros((0, self.seq_len), np.int64)
        tmaps = np.stack([s.token_map() for s in shuffles]) if n else np.zeros((0, self.vocab), np.uint8)
        return Draws("sudoku", np.zeros(n, np.int64), tmaps, np.zeros(n, np.int64), cells,
                     shuffles=shuffles)

    def dihedrals(self, t) -> Draws:
        t = np.asarray(t, np.int64)
        tmaps = np.tile(np.arange(self.vocab, dtype=np.uint8), (len(t), 1))
        return Draws("dihedral", t, tmaps, t.copy())

    def specs(self, tasks, k) -> Draws:
        """Stored ARC specs k of the given tasks."""
        rows = self.ds.aug_specs[np.asarray(tasks, np.int64), np.asarray(k, np.int64)]  # (n, 11)
        tmaps = np.concatenate([np.zeros((len(rows), 1), np.uint8), np.full((len(rows), 1), EOS, np.uint8),
                                rows[:, 1:] + 2], axis=1)
        return Draws("arc", np.asarray(k, np.int64), tmaps, rows[:, 0].astype(np.int64), arcs=_LazyArcs(rows))

    def translations(self, rng: np.random.Generator, split: Split, examples: np.ndarray,
                     slot: np.ndarray, draws: Draws, puzzles: np.ndarray | None = None) -> np.ndarray:
        """(n, 2) random offsets for ARC example rows where the augmented input and output both fit;
        one random row of each puzzle (slot) stays at (0, 0). With `puzzles` (the stored puzzle of each
        slot) the offsets are fixed: a function of (dataset seed, example, version k), and the example
        left in place a function of (puzzle, k), as in a build that stores its translated versions."""
        shapes = split.shapes[examples].astype(np.int64)
        swap = np.isin(draws.dihedral[slot], (1, 3, 6, 7))
        shapes[swap] = shapes[swap][:, [1, 0, 3, 2]]
        room = self.canvas - np.stack([shapes[:, [0, 2]].max(1), shapes[:, [1, 3]].max(1)], axis=1)
        if puzzles is not None:
            k = draws.k[slot]
            offsets = np.floor(keyed_uniforms(self.seed, examples, k, 2) * (room + 1)).astype(np.int64)
            first = np.asarray(split.puzzle_indices, np.int64)[puzzles[slot]]
            count = np.asarray(split.puzzle_indices, np.int64)[puzzles[slot] + 1] - first
            kept = np.floor(keyed_uniforms(self.seed, -1 - puzzles[slot], k, 1)[:, 0] * count).astype(np.int64)
            offsets[examples - first == kept] = 0
            return offsets
        offsets = np.floor(rng.random((len(examples), 2)) * (room + 1)).astype(np.int64)
        order = rng.permutation(len(examples))  # a random representative row per puzzle
        _, first = np.unique(slot[order], return_index=True)
        offsets[order[first]] = 0
        return offsets

    # -- applying --------------------------------------------------------------------------------
    def apply(self, split: Split, examples: np.ndarray, draws: Draws, slot: np.ndarray,
              offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(inputs, labels) uint8 token rows of `examples` under draws[slot] (and ARC offsets)."""
        examples = np.asarray(examples, np.int64)
        order = np.argsort(examples, kind="stable")  # sorted reads are faster on memory maps
        x = np.empty((len(examples), self.seq_len), np.uint8)
        y = np.empty_like(x)
        x[order] = split.inputs[examples[order]]
        y[order] = split.labels[examples[order]]
        if draws.kind == "none" or len(examples) == 0:
            return x, y
        tmaps = draws.tmaps[slot]
        if draws.kind == "sudoku":
            n, v = len(examples), tmaps.shape[1]
            idx = draws.cells[slot] + (np.arange(n) * self.seq_len)[:, None]
            base = (np.arange(n) * v)[:, None]
            return (np.take(tmaps, np.take(x, idx).astype(np.int64) + base),
                    np.take(tmaps, np.take(y, idx).astype(np.int64) + base))
        shapes = split.shapes[examples].astype(np.int64)
        t = draws.dihedral[slot]
        off = np.zeros((len(examples), 2), np.int64) if offsets is None else np.asarray(offsets, np.int64)
        eos = draws.kind == "arc"
        return (self._gather(x, tmaps, shapes[:, 0], shapes[:, 1], t, off, eos),
                self._gather(y, tmaps, shapes[:, 2], shapes[:, 3], t, off, eos))

    def _gather(self, rows, tmaps, heights, widths, t, off, eos) -> np.ndarray:
        """Place each row's (h, w) grid, transformed, at its offset: out = tmap[ext[idx]]."""
        n, c = len(rows), self.canvas
        idx = np.full((n, c, c), c * c, np.int64)
        if not off.any():  # evaluation, mazes: few distinct (h, w, t), so fill whole groups of rows
            keys = np.stack([heights, widths, t], axis=1)
            uniq, inverse = np.unique(keys, axis=0, return_inverse=True)
            for j, (h, w, tt) in enumerate(uniq):
                idx[inverse.ravel() == j] = _placed_map(c, int(h), int(w), int(tt), eos)
            return self._lookup(rows, tmaps, idx)
        for i in range(n):
            h, w, r0, c0 = int(heights[i]), int(widths[i]), int(off[i, 0]), int(off[i, 1])
            if h == 0 or w == 0:
                continue  # unknown ARC test output: all PAD
            src = _source_map(c, h, w, int(t[i]))
            hh, ww = src.shape
            idx[i, r0:r0 + hh, c0:c0 + ww] = src
            if eos:
                if r0 + hh < c:
                    idx[i, r0 + hh, c0:c0 + ww] = c * c + 1
                if c0 + ww < c:
                    idx[i, r0:r0 + hh, c0 + ww] = c * c + 1
        return self._lookup(rows, tmaps, idx)

    def _lookup(self, rows, tmaps, idx) -> np.ndarray:
        n, c = len(rows), self.canvas
        width = c * c + 2
        ext = np.zeros((n, width), np.uint8)
        ext[:, :c * c] = rows
        ext[:, -1] = EOS
        flat = idx.reshape(n, -1) + (np.arange(n) * width)[:, None]
        values = np.take(ext, flat)
        return np.take(tmaps, values.astype(np.int64) + (np.arange(n) * tmaps.shape[1])[:, None])

    # -- undoing ---------------------------------------------------------------------------------
    def invert_grid(self, grid: np.ndarray, aug) -> np.ndarray:
        """Map a decoded grid of an augmented example back to the original (aug from Draws.describe)."""
        grid = np.asarray(grid)
        if isinstance(aug, SudokuShuffle):
            return aug.invert(grid)
        if isinstance(aug, ArcAugment):
            return aug.invert(grid.astype(np.int64)).astype(np.int64)
        if isinstance(aug, int | np.integer):
            return inverse_dihedral(grid, int(aug))
        return grid


class _LazyArcs:
    """Sequence view that builds an ArcAugment only for the rows someone asks about."""

    def __init__(self, rows: np.ndarray):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> ArcAugment:
        return ArcAugment.from_array(self.rows[i])


class _LazyShuffles:
    """Sequence view that builds a SudokuShuffle only for the rows someone asks about."""

    def __init__(self, digits, transpose, rows, cols):
        self.digits, self.transpose, self.rows, self.cols = digits, transpose, rows, cols

    def __len__(self) -> int:
        return len(self.transpose)

    def __getitem__(self, i: int) -> SudokuShuffle:
        return SudokuShuffle(tuple(int(d) for d in self.digits[i]), bool(self.transpose[i]),
                             tuple(int(r) for r in self.rows[i]), tuple(int(c) for c in self.cols[i]))


_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def _splitmix(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, elementwise on uint64 (wrapping arithmetic): a cheap, well-mixed hash."""
    with np.errstate(over="ignore"):
        z = x + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def keyed_uniforms(seed: int, a: np.ndarray, b: np.ndarray, count: int) -> np.ndarray:
    """(n, count) floats in [0, 1) that depend only on (seed, a[i], b[i], column): fixed random draws
    without a generator per row."""
    with np.errstate(over="ignore"):
        key = _splitmix(np.uint64(seed & 0xFFFFFFFFFFFFFFFF) + np.zeros(len(a), np.uint64))
        key = _splitmix(key ^ np.asarray(a, np.int64).astype(np.uint64))
        key = _splitmix(key ^ (np.asarray(b, np.int64).astype(np.uint64) * _GOLDEN))
        bits = _splitmix(key[:, None] + np.arange(count, dtype=np.uint64)[None, :] * _GOLDEN)
    return (bits >> np.uint64(11)).astype(np.float64) / float(1 << 53)


@lru_cache(maxsize=8192)
def _source_map(canvas: int, h: int, w: int, t: int) -> np.ndarray:
    """Flat canvas index of the source cell for every cell of the top-left h x w grid transformed by
    dihedral t (at most 30*30*8 shapes, so the cache holds them all)."""
    src = dihedral(np.arange(h)[:, None] * canvas + np.arange(w)[None, :], t)
    src.flags.writeable = False
    return src


@lru_cache(maxsize=1024)
def _placed_map(canvas: int, h: int, w: int, t: int, eos: bool) -> np.ndarray:
    """(canvas, canvas) gather map of the transformed grid at the top-left: source index, PAD
    (canvas^2) elsewhere, EOS (canvas^2 + 1) on the strips after the grid when `eos`."""
    out = np.full((canvas, canvas), canvas * canvas, np.int64)
    if h and w:
        src = _source_map(canvas, h, w, t)
        hh, ww = src.shape
        out[:hh, :ww] = src
        if eos:
            out[hh:hh + 1, :ww] = canvas * canvas + 1
            out[:hh, ww:ww + 1] = canvas * canvas + 1
    out.flags.writeable = False
    return out


def augmented_shape(shape: tuple[int, int], aug) -> tuple[int, int]:
    """Shape of a grid after an augmentation from Draws.describe."""
    if isinstance(aug, ArcAugment):
        return dihedral_shape(shape, aug.dihedral)
    if isinstance(aug, int | np.integer):
        return dihedral_shape(shape, int(aug))
    return shape
