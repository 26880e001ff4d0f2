"""ARC test-time voting and pass@k (trm_spec.md 5.5).

Every augmented version of a test input predicts a grid; each prediction is mapped back through the
inverse colour permutation and dihedral transform, and identical grids vote together. Candidates are
ranked by vote count, then mean sigmoid(q_halt); a test input counts as solved at K if its true output
is among the top K, for the official K = 1, 2, 5, 10, 100, 1000. A task scores the fraction of its test
inputs solved (fractional credit, as TRM); the benchmark is the mean over tasks.

Votes across evaluations (docs/paper_recipe.md): an evaluation's pass@k counts the votes of that
evaluation only, so it describes one checkpoint and `trm eval` of that checkpoint reproduces it. The
official evaluator (evaluators/arc.py, aggregated_voting=True) never clears its votes, so the pass@k it
logs at evaluation i pools the votes of evaluations 1..i, i.e. of i checkpoints. A run with
data.eval_pool_votes reports that pooled figure as well (`merge` below), beside the per-checkpoint one.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import torch.distributed as dist

from ..data.dataset import PuzzleDataset
from ..data.evaluation import EvalRow, expected_output, to_original

PASS_AT = (1, 2, 5, 10, 100, 1000)  # the official evaluator's pass_Ks


def _key(grid: np.ndarray) -> tuple:
    grid = np.asarray(grid)
    return (grid.shape, grid.astype(np.int8).tobytes())


def _grid(key: tuple) -> list:
    """The grid (nested lists) a candidate key stands for: the key holds it, so votes store no copy."""
    shape, data = key
    return np.frombuffer(data, np.int8).reshape(shape).astype(np.int64).tolist()


class ArcVotes:
    def __init__(self, dataset: PuzzleDataset, split: str = "test"):
        self.dataset = dataset
        self.split = split
        # example index -> candidate key -> [votes, sum of q]
        self.candidates: dict[int, dict[tuple, list]] = defaultdict(dict)
        self.meta: dict[int, tuple[str, int]] = {}  # example -> (task name, test index)
        self.truth: dict[int, tuple | None] = {}

    def add(self, rows: list[EvalRow], predictions: np.ndarray, q_halt_prob: np.ndarray) -> None:
        for row, tokens, q in zip(rows, predictions, q_halt_prob):
            grid = to_original(self.dataset, tokens, row, self.split)
            slot = self.candidates[row.example].setdefault(_key(grid), [0, 0.0])
            slot[0] += 1
            slot[1] += float(q)
            if row.example not in self.meta:
                self.meta[row.example] = (self._task_name(row), row.test_index)
                truth = expected_output(self.dataset, row, self.split)
                self.truth[row.example] = None if truth is None else _key(truth)

    def _task_name(self, row: EvalRow) -> str:
        if row.task is not None and self.dataset.tasks:
            return self.dataset.tasks[row.task]
        return f"group{row.group}"

    def gather(self) -> None:
        """Merge the votes of every rank (each evaluated a slice of the rows)."""
        mine = (dict(self.candidates), self.meta, self.truth)
        everyone = [None] * dist.get_world_size()
        dist.all_gather_object(everyone, mine)
        self.candidates, self.meta, self.truth = defaultdict(dict), {}, {}
        for cands, meta, truth in everyone:
            self._add_pool(cands, meta, truth)

    def merge(self, other: ArcVotes) -> None:
        """Add another evaluation's votes to these (the official aggregated voting across evaluations)."""
        self._add_pool(other.candidates, other.meta, other.truth)

    def _add_pool(self, cands: dict, meta: dict, truth: dict) -> None:
        self.meta.update(meta)
        self.truth.update(truth)
        for example, per in cands.items():
            for key, (votes, q) in per.items():
                slot = self.candidates[example].setdefault(key, [0, 0.0])
                slot[0] += votes
                slot[1] += q

    def ranked(self, example: int) -> list[tuple[tuple, list]]:
        """Candidates of one test input, best first: most votes, then highest mean q_halt."""
        return sorted(self.candidates[example].items(), key=lambda kv: (kv[1][0], kv[1][1] / kv[1][0]), reverse=True)

    def pass_at(self) -> dict[str, float]:
        per_task: dict[str, list[list[bool]]] = defaultdict(list)
        for example, (task, _) in self.meta.items():
            truth = self.truth.get(example)
            keys = [k for k, _ in self.ranked(example)]
            per_task[task].append([truth is not None and truth in keys[:k] for k in PASS_AT])
        if not per_task:
            return {}
        scores = {}
        for i, k in enumerate(PASS_AT):
            scores[str(k)] = float(np.mean([np.mean([hits[i] for hits in tests]) for tests in per_task.values()]))
        return scores

    def submission(self) -> dict:
        """The ARC Prize submission format: task -> one {attempt_1, attempt_2} per test input, in order
        (the top candidate repeated when there is only one)."""
        out: dict[str, list] = defaultdict(list)
        for example in sorted(self.meta, key=lambda e: self.meta[e]):
            task, _ = self.meta[example]
            ranked = [_grid(k) for k, _ in self.ranked(example)] or [[[0]]]
            out[task].append({"attempt_1": ranked[0], "attempt_2": ranked[1] if len(ranked) > 1 else ranked[0]})
        return dict(out)
