"""Consistency checks of a dataset in memory, whatever wrote it: every size it declares must agree with
its arrays, every index must point inside them and every augmentation table must be usable, so that a
damaged or hostile file is refused with a DataError when it is opened, never later in the trainer,
the sampler or the evaluator as an IndexError, a TypeError or a request for terabytes.

The bounds: tokens are uint8, so vocab_size <= 256; num_puzzle_identifiers may not exceed what the
file's own arrays account for (the identifiers used, the identifier names it carries, the ARC
augmentation id space), so a few KB can never ask for a table of 1e12 rows.
"""

from __future__ import annotations

import numpy as np

from ..errors import DataError

MAX_VOCAB = 256  # tokens are stored as uint8
MAX_SEQ_LEN = 1 << 16


def check_split(split, name: str, seq_len: int, vocab_size: int, where: str) -> None:
    """DataError unless a split's arrays are consistent (ranks, shapes, CSR offsets, token range)."""

    def bad(msg):
        raise DataError(f"{where}: split '{name}': {msg}")

    for key in ("inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices", "ratings", "shapes"):
        value = getattr(split, key)
        if value is not None and (not isinstance(value, np.ndarray) or value.dtype.kind not in "iu"):
            bad(f"{key} must be an integer array, got {getattr(value, 'dtype', type(value).__name__)}")
    if split.inputs.ndim != 2 or split.inputs.shape[1] != seq_len or split.labels.shape != split.inputs.shape:
        bad(f"inputs {split.inputs.shape} / labels {split.labels.shape} do not match seq_len {seq_len}")
    for key in ("puzzle_identifiers", "puzzle_indices", "group_indices", "ratings"):
        value = getattr(split, key)
        if value is not None and value.ndim != 1:
            bad(f"{key} must be one-dimensional, got shape {value.shape}")
    if split.puzzle_indices.shape != (split.num_puzzles + 1,):
        bad(f"puzzle_indices must have one more entry than puzzle_identifiers ({split.num_puzzles})")
    for csr, total, what in ((split.puzzle_indices, split.num_examples, "puzzle_indices"),
                             (split.group_indices, split.num_puzzles, "group_indices")):
        if csr.size < 1 or csr[0] != 0 or csr[-1] != total or np.any(np.diff(csr.astype(np.int64)) < 0):
            bad(f"{what} must rise from 0 to {total}")
    if split.num_puzzles and int(split.puzzle_identifiers.min()) < 0:
        bad("puzzle identifiers must be >= 0")
    if split.ratings is not None and split.ratings.shape != (split.num_puzzles,):
        bad("ratings must have one value per puzzle")
    if split.shapes is not None and split.shapes.shape != (split.num_examples, 4):
        bad("shapes must be (examples, 4)")
    if split.num_examples and split.num_examples <= 200_000:  # cheap enough to check every token
        if int(split.inputs.max()) >= vocab_size or int(split.labels.max()) >= vocab_size:
            bad(f"tokens must be below the vocabulary size {vocab_size}")


def check_dataset(ds) -> None:
    """DataError unless the whole dataset is consistent (see the module docstring)."""
    where = str(ds.path or "dataset")

    def bad(msg):
        raise DataError(f"{where}: {msg}")

    if not isinstance(ds.family_options, dict) or not isinstance(ds.metadata, dict):
        bad("family_options and metadata must be JSON objects")
    family = ds.get_family()  # PuzzleError for an unknown family or bad options
    if not 1 <= ds.vocab_size <= MAX_VOCAB:
        bad(f"vocab_size {ds.vocab_size} must be in [1, {MAX_VOCAB}] (tokens are bytes)")
    if not 1 <= ds.seq_len <= MAX_SEQ_LEN:
        bad(f"seq_len {ds.seq_len} must be in [1, {MAX_SEQ_LEN}]")
    for name, split in ds.split_data.items():
        check_split(split, name, ds.seq_len, ds.vocab_size, where)
    used = max((int(s.puzzle_identifiers.max()) + 1 for s in ds.split_data.values() if s.num_puzzles), default=1)
    if used > ds.num_puzzle_identifiers:
        bad(f"puzzle identifiers up to {used - 1} are used, beyond num_puzzle_identifiers = "
            f"{ds.num_puzzle_identifiers}")
    if ds.identifiers is not None and len(ds.identifiers) > ds.num_puzzle_identifiers:
        bad(f"{len(ds.identifiers)} identifier names for num_puzzle_identifiers = {ds.num_puzzle_identifiers}")
    _check_arc_tables(ds, bad)
    space = 1 + len(ds.tasks or []) * (ds.num_augmentations + 1) if ds.augmentation == "arc" else 0
    allowed = max(used, len(ds.identifiers or []), space, 1)
    if ds.num_puzzle_identifiers > allowed:
        bad(f"num_puzzle_identifiers = {ds.num_puzzle_identifiers} but the file accounts for {allowed} "
            f"(identifiers used, names, ARC augmentations); refusing to size a table from it")
    if ds.augmentation == "sudoku":
        box = ds.family_options.get("box", 3)
        if not isinstance(box, int) or box not in (2, 3, 4) or ds.seq_len != box ** 4 or ds.vocab_size < box * box + 2:
            bad(f"Sudoku augmentation needs box 2, 3 or 4 with seq_len box^4 and vocab box^2 + 2 "
                f"(box {box!r}, seq_len {ds.seq_len}, vocab {ds.vocab_size})")
    if ds.augmentation in ("dihedral", "arc"):
        side = int(round(ds.seq_len ** 0.5))
        if side * side != ds.seq_len:
            bad(f"{ds.augmentation} augmentation needs a square canvas, seq_len is {ds.seq_len}")
        for name, split in ds.split_data.items():
            if split.shapes is None:  # augmenting places each grid by its shape
                bad(f"split '{name}': {ds.augmentation} augmentation needs the shapes of its grids")
            if split.shapes is not None and split.num_examples and int(split.shapes.max()) > side:
                bad(f"split '{name}': grid shapes must fit the {side} x {side} canvas")
    del family


def _check_arc_tables(ds, bad) -> None:
    tables = (ds.tasks, ds.aug_specs, ds.aug_counts)
    if ds.augmentation != "arc" and all(t is None for t in tables):
        return
    if any(t is None for t in tables):
        bad("ARC tables go together: tasks, aug_specs and aug_counts")
    specs, counts = ds.aug_specs, ds.aug_counts
    n = len(ds.tasks)
    if not isinstance(specs, np.ndarray) or specs.dtype.kind not in "iu" or specs.ndim != 3 \
            or specs.shape[0] != n or specs.shape[1] < 1 or specs.shape[2] != 11:
        bad(f"aug_specs must be an integer (tasks={n}, K+1, 11) array, got "
            f"{getattr(specs, 'shape', type(specs).__name__)}")
    if not isinstance(counts, np.ndarray) or counts.dtype.kind not in "iu" or counts.shape != (n,):
        bad(f"aug_counts must be an integer ({n},) array")
    if n and (int(counts.min()) < 0 or int(counts.max()) > specs.shape[1] - 1):
        bad(f"aug_counts must be in [0, {specs.shape[1] - 1}]")
    if n and (int(specs[:, :, 0].max()) > 7 or int(specs[:, :, 1:].max()) > 9 or int(specs.min()) < 0):
        bad("aug_specs rows must be a dihedral 0..7 and ten colours 0..9")
    if ds.augmentation == "arc" and ds.vocab_size < 12:
        bad(f"an ARC set needs vocab_size >= 12, got {ds.vocab_size}")
    for name, split in ds.split_data.items():
        if split.num_puzzles and int(split.puzzle_identifiers.max()) > n * specs.shape[1]:
            bad(f"split '{name}': puzzle identifiers beyond the {n} tasks x {specs.shape[1]} augmentations")
