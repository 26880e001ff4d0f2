"""What an experiment will cost before it starts: the training time left in every run not done yet.

A run with a CPU-time (or wall-clock) budget costs what is left of it. A run with a step budget (or a
FLOPs budget, the steps that reach it) costs its remaining steps times a seconds-per-step: measured
where this folder already holds a run of the same variant (its CPU seconds per step), else from the step's FLOPs (model/flops.py) at a rate of
`MODEL_FRACTION` of this CPU's dense matmul rate on one thread, measured in a fraction of a second.
Evaluation and dataset building come on top; on a loaded machine the wall clock runs longer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ..model.flops import batch_train_flops
from ..train.run_dir import RunDirectory, read_json
from .plan import RESULT_FILE, TIME_BUDGET_STEPS, ExperimentPlan, PlannedRun, steps_to_reach
from .results import read_timing

MODEL_FRACTION = 0.4  # a -lab model's training step reaches ~0.4 of the matmul rate (trm bench train, 1 thread)


@dataclass(frozen=True)
class Estimate:
    seconds: float  # training time left over the runs to do (CPU seconds of one thread, or wall for minutes)
    runs: int  # runs left to train (pending or resumable)
    rough: bool  # some run's cost came from FLOPs, not from a measured run

    def describe(self) -> str:
        if not self.runs:
            return "nothing left to train"
        hours = self.seconds / 3600
        size = f"{hours:.1f} h" if hours >= 1 else f"{self.seconds / 60:.0f} min"
        how = " (rough for step and FLOPs budgets: from FLOPs at this CPU's matmul rate)" if self.rough else ""
        return (f"estimate: {self.runs} run(s) to train, about {size} of training on one thread{how}, "
                "plus evaluation; a loaded machine stretches the wall clock")


def estimate(plan: ExperimentPlan, rate: float | None = None) -> Estimate:
    """The cost of what `plan` still has to train; `rate` (FLOP/s) skips measuring the matmul rate."""
    todo = plan.todo()
    measured = _measured_seconds_per_step(plan)
    seconds, rough = 0.0, False
    for run in todo:
        rd = RunDirectory(run.run_dir)
        timing = read_timing(rd) if rd.exists() else None
        left = []
        if run.budget.cpu_minutes:
            left.append(run.budget.cpu_minutes * 60 - (timing.cpu_seconds if timing else 0.0))
        if run.budget.minutes:
            left.append(run.budget.minutes * 60 - (timing.wall_seconds if timing else 0.0))
        step_cap = run.budget.steps if run.budget.steps < TIME_BUDGET_STEPS else 0
        if run.budget.flops:  # a FLOPs budget ends at the step that reaches it
            flops_steps = steps_to_reach(run.budget.flops, planned_step_flops(run))
            step_cap = min(step_cap, flops_steps) if step_cap else flops_steps
        if step_cap:
            steps_left = step_cap - int(rd.status().get("step", 0) if rd.exists() else 0)
            per_step = measured.get(run.variant)
            if per_step is None:
                rate = rate or matmul_rate_one_thread()
                per_step = planned_step_flops(run) / (rate * MODEL_FRACTION)
                rough = True
            left.append(steps_left * per_step)
        seconds += max(0.0, min(left)) if left else 0.0
    return Estimate(seconds, len(todo), rough)


def planned_step_flops(run: PlannedRun) -> float:
    """One optimizer step's training FLOPs: on the run folder's config where it has one (the trainer sets
    the sequence length and vocabulary from the dataset), else on the planned config (the preset's)."""
    saved = folder_step_flops(run.run_dir)
    return saved or batch_train_flops(run.config.model, run.config.train.global_batch_size)


def folder_step_flops(run_dir) -> float:
    """One optimizer step's training FLOPs on the config a run folder holds (0: no folder or config yet)."""
    from ..config import ModelConfig, from_dict
    from ..errors import TrmError

    rd = RunDirectory(run_dir)
    try:
        saved = rd.config() if rd.exists() else {}
        if not (isinstance(saved.get("model"), dict) and isinstance(saved.get("train"), dict)):
            return 0.0
        return batch_train_flops(from_dict(ModelConfig, saved["model"], "model"),
                                 int(saved["train"]["global_batch_size"]))
    except (TrmError, KeyError, TypeError, ValueError):  # not written yet, or damaged: the planned config stands
        return 0.0


def _measured_seconds_per_step(plan: ExperimentPlan) -> dict[str, float]:
    """CPU seconds per optimizer step of each variant: the mean over its runs of this plan already
    measured (one run's figure can be off by a fifth on a loaded machine)."""
    seen: dict[str, list[float]] = {}
    for run in plan.runs:
        result = read_json(run.run_dir / RESULT_FILE)
        if result and result.get("train_cpu_seconds") and result.get("steps"):
            seen.setdefault(run.variant, []).append(result["train_cpu_seconds"] / result["steps"])
    return {variant: sum(values) / len(values) for variant, values in seen.items()}


def matmul_rate_one_thread(n: int = 384, repeats: int = 6) -> float:
    """FLOP/s of an n x n float32 matmul on the calling thread, by its CPU time (load-independent)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b
        best = float("inf")
        for _ in range(repeats):
            c0 = time.thread_time()
            a @ b
            best = min(best, max(time.thread_time() - c0, 1e-6))
    finally:
        torch.set_num_threads(threads)
    return 2 * n**3 / best
