"""The training sampler: official-style group sampling with on-the-fly augmentation, identical on every
rank, resumable bit-for-bit.

Each epoch visits the groups in a fresh random order (seeded by (seed, epoch)). For each group one
puzzle is picked at random, one augmentation is drawn for it, and its examples are appended to the
global batch in random order, truncated to fill the batch (the rest of that puzzle is dropped, as in
the official `_sample_batch`). Batches run on across epoch boundaries instead of dropping the last
partial batch, so tiny datasets and big batches never stall. All randomness inside a batch comes from
a generator seeded by (seed, batch number), so the state is a handful of ints.

The whole global batch is planned on every rank (cheap), and only this rank's rows are materialised:
2 ranks together see exactly the rows that 1 rank sees at the same global batch size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import DataError
from ..puzzles.base import IGNORE_LABEL
from .augment import Augmenter, Draws
from .dataset import PuzzleDataset

STATE_VERSION = 1


def collate(inputs: np.ndarray, labels: np.ndarray, ids: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """The batch dict every consumer gets: inputs int32, labels int64 with IGNORE_LABEL where the stored
    label is 0 (PAD), puzzle_identifiers int32; padded to `size` rows (PAD / IGNORE_LABEL / id 0)."""
    n, seq_len = inputs.shape
    x = np.zeros((size, seq_len), np.int32)
    y = np.full((size, seq_len), IGNORE_LABEL, np.int64)
    pid = np.zeros(size, np.int32)
    x[:n] = inputs
    y[:n] = np.where(labels == 0, IGNORE_LABEL, labels.astype(np.int64))
    pid[:n] = ids
    return {"inputs": x, "labels": y, "puzzle_identifiers": pid}


class TrainSampler:
    """Infinite stream of training batches for one rank."""

    def __init__(self, dataset: PuzzleDataset, split: str = "train", global_batch_size: int = 768,
                 seed: int = 0, rank: int = 0, world_size: int = 1, augment: bool = True,
                 translate: bool = True, sudoku_shuffles: int = 0, fixed_translation: bool = False):
        if world_size < 1 or not 0 <= rank < world_size:
            raise DataError(f"sampler: rank {rank} is not in 0..{world_size - 1}")
        if global_batch_size < 1 or global_batch_size % world_size:
            raise DataError(f"sampler: global batch size {global_batch_size} must be a positive multiple "
                            f"of the world size {world_size}")
        self.dataset = dataset
        self.split_name = split
        self.split = dataset.split(split)
        if self.split.num_examples == 0 or self.split.num_groups == 0:
            raise DataError(f"{dataset.path or 'dataset'}: split '{split}' has no examples to sample")
        self.global_batch_size = global_batch_size
        self.local_batch_size = global_batch_size // world_size
        self.seed, self.rank, self.world_size = int(seed), rank, world_size
        self.augment = augment and dataset.augmentation != "none"
        self.translate = translate and dataset.augmentation == "arc"
        self.fixed_translation = fixed_translation
        self.augmenter = Augmenter(dataset, sudoku_shuffles)
        self._group_start = np.asarray(self.split.group_indices, np.int64)
        self._puzzle_start = np.asarray(self.split.puzzle_indices, np.int64)
        self._ids = np.asarray(self.split.puzzle_identifiers, np.int64)
        self.epoch_index, self.cursor, self.batches, self.examples = 0, 0, 0, 0
        self._orders: dict[int, np.ndarray] = {}

    # -- progress and state ----------------------------------------------------------------------
    @property
    def examples_per_epoch(self) -> float:
        """Official epoch size: groups x mean examples per puzzle."""
        return self.split.num_groups * self.split.mean_puzzle_examples

    @property
    def epoch(self) -> float:
        return self.examples / self.examples_per_epoch

    def state_dict(self) -> dict:
        return {"version": STATE_VERSION, "seed": self.seed, "split": self.split_name,
                "global_batch_size": self.global_batch_size, "epoch_index": self.epoch_index,
                "cursor": self.cursor, "batches": self.batches, "examples": self.examples}

    def load_state_dict(self, state: dict) -> None:
        try:
            if int(state["version"]) != STATE_VERSION:
                raise DataError(f"sampler state version {state['version']}; expected {STATE_VERSION}")
            for key, mine in (("seed", self.seed), ("global_batch_size", self.global_batch_size)):
                if int(state[key]) != mine:
                    raise DataError(f"sampler state has {key} {int(state[key])}, this sampler {mine}")
            if str(state["split"]) != self.split_name:
                raise DataError(f"sampler state is for split '{state['split']}', not '{self.split_name}'")
            values = [int(state[k]) for k in ("epoch_index", "cursor", "batches", "examples")]
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"sampler state is malformed ({exc!r})") from None
        self.epoch_index, self.cursor, self.batches, self.examples = values

    # -- batches ---------------------------------------------------------------------------------
    def __iter__(self):
        while True:
            yield self.next_batch()

    def next_batch(self) -> dict[str, np.ndarray]:
        plan = self._plan()
        lo, hi = self.rank * self.local_batch_size, (self.rank + 1) * self.local_batch_size
        x, y = self.augmenter.apply(self.split, plan.examples[lo:hi], plan.draws, plan.slot[lo:hi],
                                    None if plan.offsets is None else plan.offsets[lo:hi])
        return collate(x, y, plan.ids[lo:hi], self.local_batch_size)

    def _order(self, epoch: int) -> np.ndarray:
        if epoch not in self._orders:
            rng = np.random.default_rng([self.seed & 0xFFFFFFFF, 0, epoch])
            self._orders = {e: o for e, o in self._orders.items() if e >= self.epoch_index}
            self._orders[epoch] = rng.permutation(self.split.num_groups)
        return self._orders[epoch]

    def _peek_groups(self, count: int) -> np.ndarray:
        """The next `count` groups of the stream (crossing epochs), without consuming them."""
        out, epoch, cursor = [], self.epoch_index, self.cursor
        while count > 0:
            order = self._order(epoch)
            if cursor >= len(order):
                epoch, cursor = epoch + 1, 0
                continue
            take = order[cursor:cursor + count]
            out.append(take)
            count -= len(take)
            cursor += len(take)
        return np.concatenate(out)

    def _advance(self, count: int) -> None:
        groups = self.split.num_groups
        total = self.cursor + count
        self.epoch_index += total // groups
        self.cursor = total % groups

    def _plan(self) -> _Plan:
        """Examples, ids, augmentations and offsets of every row of the next global batch."""
        rng = np.random.default_rng([self.seed & 0xFFFFFFFF, 1, self.batches])
        size = self.global_batch_size
        puzzles, sizes, filled = [], [], 0
        while filled < size:
            groups = self._peek_groups(size - filled)
            lo, hi = self._group_start[groups], self._group_start[groups + 1]
            picked = lo + np.floor(rng.random(len(groups)) * (hi - lo)).astype(np.int64)
            counts = self._puzzle_start[picked + 1] - self._puzzle_start[picked]
            used = int(np.searchsorted(filled + np.cumsum(counts), size)) + 1  # groups needed to fill
            used = min(used, len(groups))
            self._advance(used)
            puzzles.append(picked[:used])
            sizes.append(counts[:used])
            filled += int(counts[:used].sum())
        puzzles, sizes = np.concatenate(puzzles), np.concatenate(sizes)
        # Each puzzle's examples in random order, puzzles one after another; the last is cut to fit.
        seg = np.repeat(np.arange(len(puzzles)), sizes)
        local = np.arange(len(seg)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        local = local[np.lexsort((rng.random(len(seg)), seg))]
        slot = seg[:size]
        examples = (self._puzzle_start[puzzles[slot]] + local[:size]).astype(np.int64)
        base_ids = self._ids[puzzles]
        draws = self.augmenter.draw(rng, base_ids, self.augment, puzzles)
        offsets = None
        if self.translate and self.augment:
            offsets = self.augmenter.translations(rng, self.split, examples, slot, draws,
                                                  puzzles if self.fixed_translation else None)
        ids = base_ids[slot] + (draws.k[slot] if draws.kind == "arc" else 0)
        self.batches += 1
        self.examples += size
        return _Plan(examples, ids, slot, draws, offsets)


@dataclass
class _Plan:
    examples: np.ndarray  # (B,) example index per row
    ids: np.ndarray  # (B,) puzzle identifier per row (augmented for ARC)
    slot: np.ndarray  # (B,) index of the row's puzzle in `draws`
    draws: Draws
    offsets: np.ndarray | None  # (B, 2) ARC translation
