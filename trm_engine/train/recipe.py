"""Where a run's config meets its dataset: the official units and counts of a paper recipe.

The official code counts evaluation intervals in epochs (an epoch = groups x mean examples per puzzle,
pretrain.py), votes over every stored augmentation of an ARC test input (evaluators/arc.py), and trains
ARC on a build with 1000 augmentations per task (dataset/build_arc_dataset.py). A run states what its
recipe expects (`data.arc_augmentations`, `data.eval_augmentations`, `train.eval_interval_epochs`);
these helpers turn that into steps and counts for a given dataset, and say when the dataset was built
another way than the recipe expects (the run goes on, with a warning in its RunStarted event).
"""

from __future__ import annotations

import numpy as np

from ..config import RunConfig
from ..data.dataset import PuzzleDataset


def eval_every_steps(cfg: RunConfig, examples_per_epoch: float) -> int:
    """Optimizer steps between evaluations (0 = only at the end). `train.eval_interval_epochs` converts
    as the official total-steps formula does: epochs x examples per epoch / global batch."""
    t = cfg.train
    if t.eval_interval_epochs > 0:
        return max(1, int(t.eval_interval_epochs * examples_per_epoch / t.global_batch_size))
    return t.eval_interval


def eval_augmentations(cfg: RunConfig, dataset: PuzzleDataset) -> int:
    """Augmented versions per test input that evaluation adds to the original (-1 = every stored one)."""
    want = cfg.data.eval_augmentations
    if want >= 0:
        return want  # more than the file stores is an error that names both counts (data/evaluation.py)
    return dataset.num_augmentations if dataset.augmentation == "arc" else 0


def built_augmentations(dataset: PuzzleDataset) -> int | None:
    """ARC versions per task (besides the original) the dataset was built with; None for other families.
    A TRM Lab build stores its specs; an imported official folder holds them on disk as puzzles of a
    group (the task), so its largest group says how many were asked for."""
    if dataset.family != "arc":
        return None
    if dataset.augmentation == "arc":
        return dataset.num_augmentations
    split = dataset.split_data.get("train") or next(iter(dataset.split_data.values()))
    if split.num_groups == 0:
        return 0
    return int(np.diff(np.asarray(split.group_indices)).max()) - 1


def recipe_warnings(cfg: RunConfig, dataset: PuzzleDataset) -> list[str]:
    """One line per way the dataset differs from what the run's recipe expects."""
    out = []
    expected = cfg.data.arc_augmentations
    built = built_augmentations(dataset)
    if expected and built is not None and built != expected:
        who = f"preset {cfg.preset}" if cfg.preset else "this run"
        out.append(f"{dataset.path or 'dataset'} was built with {built} augmentations per ARC task, but "
                   f"{who} follows the official recipe of {expected} (dataset/build_arc_dataset.py --num-aug); "
                   f"results will not be comparable with the paper's. Rebuild with `trm data build arc "
                   f"--augmentations {expected}`, or --set data.arc_augmentations=0 to train as it is.")
    if cfg.data.sudoku_shuffles and dataset.augmentation != "sudoku":
        out.append(f"data.sudoku_shuffles={cfg.data.sudoku_shuffles} has no effect on a "
                   f"{dataset.family} dataset with augmentation '{dataset.augmentation}'")
    return out
