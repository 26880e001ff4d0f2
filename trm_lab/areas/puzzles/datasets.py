"""Dataset files in the library: open one off the GUI thread and list its puzzles (one row per Sudoku or
maze, one per ARC task), decoding grids only when a row is drawn or opened."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np

from trm_engine.data.dataset import PuzzleDataset, Split

from .library import LibraryEntry
from .sudoku_editor import grids_for


def _input_grid(ds: PuzzleDataset, family, split: Split, example: int) -> np.ndarray:
    tokens = split.inputs[example]
    if split.shapes is not None:
        h, w = (int(v) for v in split.shapes[example, :2])
        return family.decode(tokens, shape=(h, w))
    return family.decode(tokens)


def _output_grid(family, split: Split, example: int) -> np.ndarray | None:
    if split.shapes is None:
        return family.decode(split.labels[example])
    h, w = (int(v) for v in split.shapes[example, 2:])
    return family.decode(split.labels[example], shape=(h, w)) if h and w else None


def _arc_task_grids(ds: PuzzleDataset, family, pid: int) -> dict[str, np.ndarray]:
    """A task's pairs: examples of puzzle `pid` in 'train' as demonstrations, in 'test' as tests
    (a task without test rows shows its last demonstration as the test)."""
    pairs = {"train": [], "test": []}
    for name in ("train", "test"):
        if name not in ds.splits:
            continue
        split = ds[name]
        for p in np.flatnonzero(split.puzzle_identifiers == pid):
            for e in range(int(split.puzzle_indices[p]), int(split.puzzle_indices[p + 1])):
                pairs[name].append((_input_grid(ds, family, split, e), _output_grid(family, split, e)))
    if not pairs["test"] and len(pairs["train"]) > 1:
        pairs["test"].append(pairs["train"].pop())
    grids = {}
    for section, items in pairs.items():
        for i, (inp, out) in enumerate(items):
            grids[f"{section}/{i}/input"] = inp
            if out is not None:
                grids[f"{section}/{i}/output"] = out
    return grids


def dataset_entries(ds: PuzzleDataset, source: str) -> list[LibraryEntry]:
    """One entry per puzzle (Sudoku, maze) or per ARC task, in split order."""
    family = ds.get_family()
    entries: list[LibraryEntry] = []
    seen_tasks: dict[int, LibraryEntry] = {}
    for name in sorted(ds.splits, key=lambda n: (n != "train", n)):  # HDF5 lists groups alphabetically
        split = ds[name]
        for p in range(split.num_puzzles):
            first = int(split.puzzle_indices[p])
            if split.shapes is not None:
                shape = (int(split.shapes[first, 0]), int(split.shapes[first, 1]))
            else:
                side = int(round(ds.seq_len ** 0.5))
                shape = (side, side)
            rating = float(split.ratings[p]) if split.ratings is not None else -1.0
            thumb = partial(_input_grid, ds, family, split, first)
            if ds.family == "arc":
                pid = int(split.puzzle_identifiers[p])
                if pid in seen_tasks:  # the task's test rows (after its demonstrations): a test-split task
                    seen_tasks[pid].split = name
                    continue
                entry = LibraryEntry(ds.identifier_name(pid), "arc", shape, name, source,
                                     f"{int(split.puzzle_indices[p + 1]) - first} pairs", rating,
                                     load=lambda pid=pid: _arc_task_grids(ds, family, pid), thumbnail=thumb)
                seen_tasks[pid] = entry
            else:
                what = "rating" if ds.family == "sudoku" else "path"
                load = (lambda t=thumb: grids_for(t())) if ds.family == "sudoku" else \
                    (lambda t=thumb: {"maze": t()})
                entry = LibraryEntry(f"{Path(source).stem} {name} #{p + 1}", ds.family, shape, name, source,
                                     f"{what} {int(rating)}" if rating >= 0 else "", rating, load=load,
                                     thumbnail=thumb)
            entries.append(entry)
    return entries


def read_dataset(path: Path) -> tuple[PuzzleDataset, list[LibraryEntry]]:
    """Open a dataset and list its entries (runs in a worker thread)."""
    ds = PuzzleDataset.open(path)
    return ds, dataset_entries(ds, Path(path).name)

