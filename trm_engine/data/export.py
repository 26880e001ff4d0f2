"""Export a dataset back to the official HRM/TRM folder format, so a set built here trains in the
official code (`<split>/dataset.json`, `<split>/all__*.npy`, `identifiers.json`, and for ARC
`test_puzzles.json`, which the official ARC evaluator reads).

The official format stores every augmentation, so export materialises them: ARC uses the K specs stored
per task (ids as in this file; train examples translated like the official build, one per puzzle left
in place), Sudoku adds `augmentations` random shuffles per training puzzle and mazes up to 7 dihedral
copies. Arrays are streamed into the .npy files group by group, so memory stays small even
for the official 1000-augmentation ARC set; the folder appears only once complete.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..puzzles.files import atomic_directory
from ..puzzles.generate import Progress
from .augment import Augmenter, Draws
from .dataset import PuzzleDataset, Split

_CHUNK = 256  # groups materialised at a time


def export_trm_folder(ds: PuzzleDataset, out: str | Path, augmentations: int | None = None, seed: int = 0,
                      progress: Progress | None = None) -> Path:
    """Write `ds` as an official dataset folder at `out` (which must not exist or be empty)."""
    out = Path(out)
    aug = Augmenter(ds)
    with atomic_directory(out, DataError) as tmp:
        for name in ds.splits:
            _write_split(ds, aug, name, tmp / name, augmentations, seed, progress)
        names = [ds.identifier_name(i) for i in range(ds.num_puzzle_identifiers)]
        if ds.augmentation == "arc":
            names = _mark_unused(ds, names)
        (tmp / "identifiers.json").write_text(json.dumps(names))
        if ds.family == "arc" and "test" in ds.splits and ds.tasks is not None:
            (tmp / "test_puzzles.json").write_text(json.dumps(_test_puzzles(ds)))
    return out


def _versions(ds: PuzzleDataset, split: Split, name: str, augmentations: int | None) -> np.ndarray:
    """(groups,) number of extra augmented versions per group."""
    n = split.num_groups
    if ds.augmentation == "arc":
        tasks = (split.puzzle_identifiers[split.group_indices[:-1]].astype(np.int64) - 1) \
            // (ds.num_augmentations + 1)
        counts = ds.aug_counts[tasks].astype(np.int64)
        return counts if augmentations is None else np.minimum(counts, augmentations)
    if name != "train" or not augmentations or ds.augmentation == "none":
        return np.zeros(n, np.int64)
    if ds.augmentation == "dihedral":
        return np.full(n, min(augmentations, 7))
    return np.full(n, augmentations)


def _write_split(ds, aug: Augmenter, name: str, folder: Path, augmentations, seed, progress) -> None:
    split = ds.split(name)
    folder.mkdir()
    extra = _versions(ds, split, name, augmentations)
    puzzles_per_group = np.diff(split.group_indices)
    examples_per_puzzle = np.diff(split.puzzle_indices)
    group_examples = np.add.reduceat(examples_per_puzzle, split.group_indices[:-1]) \
        if split.num_puzzles else np.zeros(split.num_groups, np.int64)
    # Every stored puzzle of a group gets the group's augmented versions.
    total_examples = int((group_examples * (extra + 1)).sum())
    total_puzzles = int((puzzles_per_group * (extra + 1)).sum())
    pids = np.zeros(total_puzzles, np.int32)
    puzzle_indices = np.zeros(total_puzzles + 1, np.int32)
    group_indices = np.zeros(split.num_groups + 1, np.int32)
    rng = np.random.default_rng([seed & 0xFFFFFFFF, zlib.crc32(name.encode())])
    translate = name == "train" and ds.augmentation == "arc"
    ex = pz = 0
    with _NpyWriter(folder / "all__inputs.npy", (total_examples, ds.seq_len)) as inputs, \
            _NpyWriter(folder / "all__labels.npy", (total_examples, ds.seq_len)) as labels:
        for lo in range(0, split.num_groups, _CHUNK):
            for g in range(lo, min(lo + _CHUNK, split.num_groups)):
                for p in range(split.group_indices[g], split.group_indices[g + 1]):
                    examples = np.arange(split.puzzle_indices[p], split.puzzle_indices[p + 1])
                    base = int(split.puzzle_identifiers[p])
                    versions = int(extra[g]) + 1
                    draws = _group_draws(ds, aug, rng, base, versions - 1)
                    rows = np.tile(examples, versions)
                    slot = np.repeat(np.arange(versions), len(examples))
                    offsets = aug.translations(rng, split, rows, slot, draws) if translate else None
                    x, y = aug.apply(split, rows, draws, slot, offsets)
                    inputs.write(x)
                    labels.write(y)
                    for k in range(versions):
                        pids[pz] = base + (k if ds.augmentation == "arc" else 0)
                        pz += 1
                        puzzle_indices[pz] = ex + (k + 1) * len(examples)
                    ex += len(rows)
                group_indices[g + 1] = pz
            if progress is not None:
                progress(min(lo + _CHUNK, split.num_groups), split.num_groups)
    for key, value in (("puzzle_identifiers", pids), ("puzzle_indices", puzzle_indices),
                       ("group_indices", group_indices)):
        np.save(folder / f"all__{key}.npy", value)
    meta = {"pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0, "vocab_size": ds.vocab_size,
            "seq_len": ds.seq_len, "num_puzzle_identifiers": ds.num_puzzle_identifiers,
            "total_groups": split.num_groups, "mean_puzzle_examples": total_examples / max(total_puzzles, 1),
            "total_puzzles": total_puzzles, "sets": ["all"]}
    (folder / "dataset.json").write_text(json.dumps(meta))


class _NpyWriter:
    """Appends uint8 rows to a .npy file whose shape is known up front (plain buffered writes: a
    memory map would count gigabytes of dirty pages against the process)."""

    def __init__(self, path: Path, shape: tuple[int, int]):
        self.path, self.shape, self.written = path, shape, 0

    def __enter__(self) -> _NpyWriter:
        self.file = open(self.path, "wb")  # noqa: SIM115 - closed in __exit__
        np.lib.format.write_array_header_2_0(self.file, {"descr": "|u1", "fortran_order": False,
                                                         "shape": self.shape})
        return self

    def write(self, rows: np.ndarray) -> None:
        data = np.ascontiguousarray(rows, np.uint8)
        self.file.write(data.tobytes())
        self.written += data.size

    def __exit__(self, kind, value, tb) -> None:
        self.file.close()
        if kind is None and self.written != self.shape[0] * self.shape[1]:
            raise DataError(f"{self.path}: wrote {self.written} tokens, planned {self.shape}")


def _group_draws(ds, aug: Augmenter, rng, base_id: int, extra: int) -> Draws:
    """Version 0 is the original; versions 1..extra the augmentations."""
    if ds.augmentation == "arc":
        task = int(aug.task_of([base_id])[0])
        return aug.specs(np.full(extra + 1, task), np.arange(extra + 1))
    if ds.augmentation == "dihedral":
        return aug.dihedrals(np.arange(extra + 1))
    if ds.augmentation == "sudoku" and extra:
        draws = aug.random_sudoku(rng, extra + 1)
        identity = aug.identity(1)
        draws.cells[0] = np.arange(ds.seq_len)
        draws.tmaps[0] = identity.tmaps[0]
        return draws
    return aug.identity(extra + 1)


def _mark_unused(ds: PuzzleDataset, names: list[str]) -> list[str]:
    """Ids reserved for augmentations a symmetric task does not have are never used."""
    stride = ds.num_augmentations + 1
    for t, count in enumerate(ds.aug_counts):
        for k in range(int(count) + 1, stride):
            names[1 + t * stride + k] = "<unused>"
    return names


def _test_puzzles(ds: PuzzleDataset) -> dict:
    """{task: {"train": demonstrations, "test": test pairs}} for the tasks of the test split."""
    family = ds.get_family()
    train, test = ds["train"], ds["test"]

    def pairs(split: Split, p: int) -> list[dict]:
        out = []
        for e in range(split.puzzle_indices[p], split.puzzle_indices[p + 1]):
            ih, iw, oh, ow = (int(v) for v in split.shapes[e])
            pair = {"input": family.decode(split.inputs[e], (ih, iw)).tolist()}
            if oh:
                pair["output"] = family.decode(split.labels[e], (oh, ow)).tolist()
            out.append(pair)
        return out

    train_puzzle = {int(pid): p for p, pid in enumerate(train.puzzle_identifiers)}
    result = {}
    for p, pid in enumerate(test.puzzle_identifiers):
        task = ds.tasks[(int(pid) - 1) // (ds.num_augmentations + 1)]
        demos = pairs(train, train_puzzle[int(pid)]) if int(pid) in train_puzzle else []
        result[task] = {"train": demos, "test": pairs(test, p)}
    return result
