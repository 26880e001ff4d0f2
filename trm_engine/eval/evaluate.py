"""Evaluation as the official code does it (trm_spec.md 2.4): every puzzle runs all N_sup supervision
steps (or any other number: test-time depth scaling), predictions are the argmax after the last step.

Besides exact accuracy (every labelled cell right) and cell accuracy, it reports the curve of both
after each supervision step and the step at which q_halt would have halted each puzzle. For ARC the
predictions of all augmented versions vote (eval/arc.py) and pass@k is reported.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.distributed as dist

from ..data.dataset import PuzzleDataset
from ..data.evaluation import eval_row_count, iter_eval
from ..model.trm import RecursiveModel
from ..puzzles.base import IGNORE_LABEL
from .arc import ArcVotes


@dataclass
class EvalReport:
    exact_accuracy: float  # fraction of evaluated rows with every labelled cell right, after the last step
    accuracy: float  # fraction of labelled cells right
    count: int  # rows evaluated (augmented versions included)
    sup_steps: int
    per_step_exact: list[float] = field(default_factory=list)
    per_step_accuracy: list[float] = field(default_factory=list)
    halt_step_mean: float = 0.0  # first step with q_halt > 0 (sup_steps when it never says halt)
    halt_step_histogram: list[int] = field(default_factory=list)  # index s-1: puzzles that would halt at s
    exact_if_halted: float = 0.0  # exact accuracy had each puzzle stopped where q_halt said
    pass_at: dict[str, float] = field(default_factory=dict)  # ARC only
    seconds: float = 0.0
    submission: dict | None = None  # ARC: task -> [{"attempt_1": grid, "attempt_2": grid}, ...]
    predictions: list | None = None  # with collect=True: (row, predicted tokens) per row
    votes: ArcVotes | None = None  # ARC: this evaluation's votes (a run pools them with data.eval_pool_votes)


def evaluate(model: RecursiveModel, dataset: PuzzleDataset, split: str = "test", steps: int = 0,
             batch_size: int = 256, limit: int = 0, augmentations: int = 0, rank: int = 0, world_size: int = 1,
             collect: bool = False, progress: Callable[[int, int, float], None] | None = None) -> EvalReport:
    """Evaluate `model` on a split. `steps` = 0 means the model's N_sup. `progress(done, total, fraction)`
    is called before the first batch and after every supervision step: rows done (whole batches, all
    ranks) of `total`, and the fraction of the work done counting the steps of the batch in flight."""
    t0 = time.perf_counter()
    steps = steps or model.cfg.halt_max_steps
    device = model.y_init.device
    was_training = model.training
    model.eval()
    arc = dataset.augmentation == "arc" or dataset.family == "arc"
    votes = ArcVotes(dataset, split) if arc else None
    exact = torch.zeros(steps, dtype=torch.float64)
    cells = torch.zeros(steps, dtype=torch.float64)
    halt_hist = torch.zeros(steps, dtype=torch.float64)
    exact_if_halted = 0.0
    rows_total, cells_total = 0, 0
    collected = [] if collect else None
    total_rows = eval_row_count(dataset, split, limit, augmentations)
    done = 0
    if progress is not None:
        progress(0, total_rows, 0.0)
    with torch.inference_mode():
        for eb in iter_eval(dataset, split, batch_size, limit, rank, world_size, augmentations):
            batch = {k: torch.from_numpy(v).to(device) for k, v in eb.batch.items()}
            n = eb.count
            labels = batch["labels"][:n]
            mask = labels != IGNORE_LABEL
            carry = model.initial_carry(batch)
            first_halt = torch.full((n,), steps, dtype=torch.long, device=device)
            halted_right = torch.zeros(n, dtype=torch.bool, device=device)
            for s in range(steps):
                carry, out = model.step(carry, batch, max_steps=steps)
                pred = out.logits[:n].argmax(-1)
                right = (pred == labels) & mask
                seq_right = right.sum(-1) == mask.sum(-1)
                exact[s] += float(seq_right.sum())
                cells[s] += float(right.sum())
                newly = (out.q_halt[:n] > 0) & (first_halt == steps) if s < steps - 1 else first_halt == steps
                halted_right |= newly & seq_right
                first_halt = torch.where((out.q_halt[:n] > 0) & (first_halt == steps), s + 1, first_halt)
                if progress is not None and s < steps - 1:  # a batch's supervision steps count as part of it
                    share = (done + n * (s + 1) / steps) * world_size
                    progress(min(int(share), total_rows), total_rows, share / max(total_rows, 1))
            exact_if_halted += float(halted_right.sum())
            halt_hist += torch.bincount(first_halt.cpu() - 1, minlength=steps).double()[:steps]
            rows_total += n
            cells_total += int(mask.sum())
            if votes is not None:
                votes.add(eb.rows, pred.cpu().numpy(), torch.sigmoid(out.q_halt[:n]).cpu().numpy())
            if collected is not None:
                collected += list(zip(eb.rows, pred.cpu().numpy()))
            done += n
            if progress is not None:
                progress(min(done * world_size, total_rows), total_rows, min(done * world_size / max(total_rows, 1), 1.0))

    sums = torch.cat([exact, cells, halt_hist, torch.tensor([exact_if_halted, rows_total, cells_total], dtype=torch.float64)])
    if world_size > 1:
        sums = sums.to(device)
        dist.all_reduce(sums)
        sums = sums.cpu()
    exact, cells, halt_hist = sums[:steps], sums[steps:2 * steps], sums[2 * steps:3 * steps]
    exact_if_halted, rows_total, cells_total = (float(v) for v in sums[3 * steps:])
    rows_total_i = max(1, int(rows_total))
    report = EvalReport(
        exact_accuracy=float(exact[-1]) / rows_total_i, accuracy=float(cells[-1]) / max(1, int(cells_total)),
        count=int(rows_total), sup_steps=steps,
        per_step_exact=[float(v) / rows_total_i for v in exact],
        per_step_accuracy=[float(v) / max(1, int(cells_total)) for v in cells],
        halt_step_mean=float((halt_hist * torch.arange(1, steps + 1, dtype=torch.float64)).sum()) / rows_total_i,
        halt_step_histogram=[int(v) for v in halt_hist], exact_if_halted=exact_if_halted / rows_total_i,
    )
    if votes is not None:
        if world_size > 1:
            votes.gather()
        report.pass_at = votes.pass_at()
        report.submission = votes.submission()
        report.votes = votes
    report.predictions = collected
    report.seconds = time.perf_counter() - t0
    model.train(was_training)
    return report
