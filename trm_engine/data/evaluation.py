"""Evaluation iteration: the examples of a split in order, optionally under several augmentations each
(ARC test-time voting, trm_spec.md 5.5), in global batches sliced by rank like the official
`_iter_test`, plus the helpers that map a predicted row back to the original grid.

Rows are (example, k) for k = 0..augmentations (k = 0 the identity). ARC uses the task's stored spec k
with puzzle identifier base + k (the id whose embedding training learned for that version; tasks with
fewer distinct specs get fewer rows). Mazes use dihedral k (k <= 7); Sudoku k >= 1 a random shuffle
seeded by (seed, example, k). No translation at evaluation, as in the official test split.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

import numpy as np

from ..errors import DataError, PuzzleError
from ..puzzles.arc import ArcAugment
from ..puzzles.sudoku import SudokuShuffle
from .augment import Augmenter, Draws, augmented_shape
from .dataset import PuzzleDataset
from .sampler import collate


@dataclass(frozen=True)
class EvalRow:
    """Where one evaluated row comes from."""

    example: int  # example index in the split
    puzzle: int  # stored puzzle index
    group: int  # group index (an original puzzle; for ARC builds, one per task)
    test_index: int  # position of the example within its puzzle (ARC: which test input of the task)
    k: int  # augmentation index, 0 = the original
    augmentation: object  # ArcAugment, SudokuShuffle, dihedral id (int) or None for the original
    puzzle_identifier: int
    task: int | None = None  # ARC task index into dataset.tasks (None for imported official folders)
    task_name: str | None = None  # ARC task name (the voting key with the de-augmented input)


@dataclass
class EvalBatch:
    batch: dict[str, np.ndarray]  # as TrainSampler batches, padded to the local batch size
    count: int  # valid (unpadded) rows
    rows: list[EvalRow]  # metadata of the valid rows


def iter_eval(dataset: PuzzleDataset, split: str = "test", batch_size: int = 768, limit: int = 0,
              rank: int = 0, world_size: int = 1, augmentations: int = 0,
              seed: int = 0) -> Iterator[EvalBatch]:
    """Batches of a split for evaluation. `batch_size` is the GLOBAL batch (as the official loader and
    TrainSampler): every rank gets the same number of batches of batch_size // world_size rows, its
    slice of each global batch, padded with PAD inputs / IGNORE_LABEL labels / id 0.
    `limit` keeps the first `limit` examples (0 = all)."""
    if world_size < 1 or not 0 <= rank < world_size or batch_size < 1 or batch_size % world_size:
        raise DataError(f"evaluation: batch size {batch_size} must be a positive multiple of world size "
                        f"{world_size}, and rank {rank} in 0..{world_size - 1}")
    if augmentations < 0:
        raise DataError("evaluation: augmentations must be >= 0")
    data = dataset.split(split)
    aug = Augmenter(dataset)
    items = _items(dataset, data, aug, augmentations, limit)
    # no batch larger than the work: padding rows cost as much as real ones (a --limit 2 evaluation at
    # batch 256 ran 256 rows); every rank sees the same item count, so all agree on the new size
    batch_size = min(batch_size, -(-max(len(items), 1) // world_size) * world_size)
    local = batch_size // world_size
    puzzle_of = data.puzzle_of_example()
    group_of = data.group_of_puzzle()
    for start in range(0, len(items), batch_size):
        chunk = items[start + rank * local: min(start + (rank + 1) * local, start + batch_size)]
        examples = chunk[:, 0] if len(chunk) else np.zeros(0, np.int64)
        ks = chunk[:, 1] if len(chunk) else np.zeros(0, np.int64)
        puzzles = puzzle_of[examples]
        base_ids = data.puzzle_identifiers[puzzles].astype(np.int64)
        draws = _draws(dataset, aug, examples, ks, base_ids, seed)
        x, y = aug.apply(data, examples, draws, np.arange(len(examples)))
        ids = base_ids + (ks if dataset.augmentation == "arc" else 0)
        tasks = aug.task_of(base_ids) if dataset.augmentation == "arc" else None
        rows = [EvalRow(int(e), int(p), int(group_of[p]), int(e - data.puzzle_indices[p]), int(k),
                        draws.describe(i) if k else None, int(pid),
                        None if tasks is None else int(tasks[i]),
                        None if tasks is None else dataset.tasks[int(tasks[i])])
                for i, (e, p, k, pid) in enumerate(zip(examples, puzzles, ks, ids))]
        if dataset.family == "arc" and dataset.augmentation == "none" and dataset.identifiers:
            rows = [_named(dataset, r) for r in rows]
        yield EvalBatch(collate(x, y, ids, local), len(rows), rows)


def eval_row_count(dataset: PuzzleDataset, split: str = "test", limit: int = 0, augmentations: int = 0) -> int:
    """How many rows `iter_eval` yields over all ranks (augmented versions included)."""
    return len(_items(dataset, dataset.split(split), Augmenter(dataset), augmentations, limit))


def _named(dataset: PuzzleDataset, row: EvalRow) -> EvalRow:
    """Imported official ARC data is augmented on disk; its puzzle names say how (official naming)."""
    try:
        task, aug = ArcAugment.parse_name(dataset.identifier_name(row.puzzle_identifier))
    except PuzzleError as exc:
        raise DataError(f"{dataset.path or 'dataset'}: {exc}") from None
    return replace(row, augmentation=None if aug.is_identity else aug, task_name=task)


def _items(dataset, data, aug: Augmenter, augmentations: int, limit: int) -> np.ndarray:
    """(rows, 2) array of (example, k) in evaluation order."""
    n = data.num_examples if limit <= 0 else min(limit, data.num_examples)
    examples = np.arange(n)
    kind = dataset.augmentation
    if kind == "none" or augmentations == 0:
        return np.stack([examples, np.zeros(n, np.int64)], axis=1)
    if kind == "dihedral":
        per = np.full(n, min(augmentations, 7))
    elif kind == "arc":
        if augmentations > dataset.num_augmentations:
            raise DataError(f"{dataset.path or 'dataset'}: {augmentations} evaluation augmentations "
                            f"asked for, the file stores {dataset.num_augmentations} per task")
        tasks = aug.task_of(data.puzzle_identifiers[data.puzzle_of_example()[:n]])
        per = np.minimum(augmentations, dataset.aug_counts[tasks])
    else:
        per = np.full(n, augmentations)
    rows_e = np.repeat(examples, per + 1)
    rows_k = np.arange(len(rows_e)) - np.repeat(np.cumsum(per + 1) - (per + 1), per + 1)
    return np.stack([rows_e, rows_k], axis=1).astype(np.int64)


def _draws(dataset, aug: Augmenter, examples, ks, base_ids, seed) -> Draws:
    kind = dataset.augmentation
    if kind == "arc":
        return aug.specs(aug.task_of(base_ids), ks)
    if kind == "dihedral":
        return aug.dihedrals(ks)
    if kind == "sudoku":
        box = aug.box
        size = box * box
        identity = SudokuShuffle(tuple(range(size + 1)), False, tuple(range(size)), tuple(range(size)))
        return aug.sudoku(SudokuShuffle.random(np.random.default_rng([seed, int(e), int(k)]), box)
                          if k else identity for e, k in zip(examples, ks))
    return aug.identity(len(examples))


def to_original(dataset: PuzzleDataset, tokens: np.ndarray, row: EvalRow, split: str = "test") -> np.ndarray:
    """Decode a predicted token row of `row` and undo its augmentation: the grid in the original
    puzzle's orientation and labels (ARC: the official crop rule, then inverse dihedral and colours)."""
    family = dataset.get_family()
    tokens = np.asarray(tokens).reshape(-1)
    tokens = np.clip(tokens, 0, dataset.vocab_size - 1)
    if dataset.family == "maze":
        data = dataset.split(split)
        shape = tuple(int(v) for v in data.shapes[row.example][2:]) if data.shapes is not None else None
        grid = family.decode(tokens, None if shape is None else augmented_shape(shape, row.augmentation))
    else:
        grid = family.decode(tokens)
    if row.augmentation is None:
        return grid
    if dataset.family == "arc" and dataset.augmentation == "none":  # official data: undo by the name
        return row.augmentation.invert(grid.astype(np.int64))
    return Augmenter(dataset).invert_grid(grid, row.augmentation)


def original_input(dataset: PuzzleDataset, row: EvalRow, split: str = "test") -> np.ndarray:
    """The un-augmented input grid of a row (ARC voting keys it by task and this grid)."""
    return _stored_grid(dataset, dataset.split(split).inputs[row.example], row, split, 0)


def expected_output(dataset: PuzzleDataset, row: EvalRow, split: str = "test") -> np.ndarray | None:
    """The un-augmented target grid of a row, or None if the answer is unknown (an ARC test output
    missing from the source)."""
    data = dataset.split(split)
    if not np.any(data.labels[row.example]):
        return None
    return _stored_grid(dataset, data.labels[row.example], row, split, 2)


def _stored_grid(dataset, tokens, row, split, col) -> np.ndarray:
    family = dataset.get_family()
    shapes = dataset.split(split).shapes
    if dataset.family == "arc" or shapes is None:
        grid = family.decode(np.asarray(tokens))
        if dataset.family == "arc" and dataset.augmentation == "none" and row.augmentation is not None:
            grid = row.augmentation.invert(grid.astype(np.int64))  # official data: augmented on disk
        return grid
    return family.decode(np.asarray(tokens), tuple(int(v) for v in shapes[row.example][col:col + 2]))
