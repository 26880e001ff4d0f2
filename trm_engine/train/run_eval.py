"""A training run's periodic evaluation: its evaluation model (built once, loaded with the weights that
evaluation uses: EMA where on), the official pooled ARC votes across evaluations, and the probe traces
recorded at each evaluation. The trainer decides when; this module does the evaluating."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..config import RunConfig
from ..data.dataset import PuzzleDataset
from ..eval.evaluate import evaluate
from ..model.trm import RecursiveModel
from .distributed import DistContext
from .events import EvalResult
from .recipe import eval_augmentations
from .run_dir import RunDirectory


class RunEvaluator:
    """Evaluates a run's weights on its dataset's evaluation split, as often as the trainer asks."""

    def __init__(self, cfg: RunConfig, dataset: PuzzleDataset, device: torch.device, dtype: torch.dtype,
                 ctx: DistContext, watch: Callable[[RecursiveModel], None]):
        self.cfg, self.dataset, self.device, self.dtype, self.ctx = cfg, dataset, device, dtype, ctx
        self.watch = watch  # makes the evaluation model interruptible by a stop, as the trained one
        self.model: RecursiveModel | None = None
        self.pooled_votes = None  # ARC votes of every evaluation so far (data.eval_pool_votes)

    def __call__(self, weights: dict[str, torch.Tensor], step: int, ema: bool, progress=None,
                 run_dir: RunDirectory | None = None) -> EvalResult:
        """Evaluate `weights` at `step`; with `run_dir` (rank 0 only) also record its probe traces."""
        if self.model is None:
            self.model = RecursiveModel(self.cfg.model).to(self.device)
            self.model.set_compute_dtype(self.dtype)
            self.watch(self.model)
        self.model.load_state_dict(weights)
        d, t = self.cfg.data, self.cfg.train
        report = evaluate(self.model, self.dataset, d.eval_split, steps=t.eval_steps,
                          batch_size=min(t.global_batch_size, 256 * self.ctx.world_size), limit=d.eval_limit,
                          augmentations=eval_augmentations(self.cfg, self.dataset), rank=self.ctx.rank,
                          world_size=self.ctx.world_size, progress=progress)
        if hasattr(progress, "close"):
            progress.close()
        pooled = {}
        if d.eval_pool_votes and report.votes is not None:  # the official aggregated voting
            if self.pooled_votes is None:
                self.pooled_votes = report.votes
            else:
                self.pooled_votes.merge(report.votes)
            pooled = self.pooled_votes.pass_at()
        if run_dir is not None and t.probe_traces:
            from ..trace.probes import record_probes  # trace -> model only; imported late: start-up

            record_probes(self.model, self.dataset, self.cfg, run_dir.traces, step, t.probe_traces)
        return EvalResult(step=step, exact_accuracy=report.exact_accuracy, accuracy=report.accuracy,
                          count=report.count, sup_steps=report.sup_steps,
                          per_step_exact=tuple(report.per_step_exact), halt_step_mean=report.halt_step_mean,
                          pass_at=report.pass_at, pass_at_pooled=pooled, seconds=report.seconds,
                          weights="ema" if ema else "raw")
