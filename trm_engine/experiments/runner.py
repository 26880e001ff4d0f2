"""Running a plan: each run is a normal training run (resumed where it stopped), then measured.

    plan = plan_experiment("halting", "lab", seeds=3, out="experiments")
    control = Control()                       # request_stop / pause / resume, from any thread
    for event in run_experiment(plan, control):
        ...                                   # ExperimentStarted, RunBegan, RunProgress, RunMeasured, ...

A run whose result.json matches the plan is skipped; a stopped or crashed one resumes from its
latest checkpoint. A step budget ends a run as the trainer's own length; a minutes budget stops it
(checkpoint) when its time is used, counting the time of earlier sessions. Either way the runner then
evaluates the final weights if the trainer has not, and writes result.json into the run directory.
Stop interrupts the run in progress (its last whole step is checkpointed); pause acts between steps.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator

import numpy as np

from ..data.dataset import PuzzleDataset
from ..errors import ConfigError, DataError, RunError, TrmError
from ..eval.evaluate import evaluate
from ..model.checkpoint import load_model
from ..model.flops import batch_train_flops
from ..train.control import Control
from ..train.events import EvalResult, RunFailed, RunStopped
from ..train.recipe import eval_augmentations
from ..train.run_dir import RunDirectory, read_json, write_json_atomic
from ..train.trainer import Trainer
from .datasets import ensure_dataset
from .events import (
    DatasetBuilding,
    ExperimentEvent,
    ExperimentFinished,
    ExperimentStarted,
    ExperimentStopped,
    RunBegan,
    RunMeasured,
    RunNotMeasured,
    RunProgress,
    RunSkipped,
)
from .plan import MANIFEST_FILE, RESULT_FILE, ExperimentPlan, PlannedRun, refresh, refresh_run
from .results import build_result, read_timing
from .suites import suites_document


class RunControl(Control):
    """The trainer's control for one run: the experiment's stop and pause, plus the budgets the runner
    watches. The CPU budget compares `cpu_spent()` (the trainer's step CPU seconds this session, updated
    after each whole step) with what is left of it, and the FLOPs budget `flops_spent()` (whole steps
    times one step's FLOPs) with the run's, so neither interrupts a step."""

    def __init__(self, parent: Control, seconds_left: float | None = None, cpu_seconds_left: float | None = None,
                 flops: float | None = None):
        super().__init__()
        self.parent = parent
        self.deadline = time.monotonic() + seconds_left if seconds_left is not None else None
        self.cpu_left = cpu_seconds_left
        self.cpu_spent: Callable[[], float] = lambda: 0.0
        self.flops = flops  # the run's FLOPs budget, all sessions
        self.flops_spent: Callable[[], float] = lambda: 0.0  # the run's training FLOPs so far, all sessions
        self.budget_reached = False
        self.ended_by = ""  # "time" (wall clock or CPU) or "flops" once a budget is reached

    @property
    def stop_requested(self) -> bool:
        if self._stop.is_set() or self.parent.stop_requested:
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            self._reached("time")
        if self.cpu_left is not None and self.cpu_spent() >= self.cpu_left:
            self._reached("time")
        if self.flops is not None and self.flops_spent() >= self.flops:
            self._reached("flops")
        return self.budget_reached

    def _reached(self, what: str) -> None:
        self.budget_reached = True
        self.ended_by = self.ended_by or what

    @property
    def paused(self) -> bool:
        return self.parent.paused

    def wait_while_paused(self, timeout: float = 0.2) -> None:
        t0 = time.monotonic()
        self.parent.wait_while_paused(timeout)
        if self.deadline is not None:  # paused time is not training time
            self.deadline += time.monotonic() - t0


def run_experiment(plan: ExperimentPlan, control: Control | None = None,
                   eval_progress: Callable[[int], Callable] | None = None) -> Iterator[ExperimentEvent]:
    """Train and measure every run of the plan that is not done yet, yielding events. `eval_progress(step)`
    (optional) makes the `progress(done, total, fraction)` callable of each evaluation (trainer.eval_progress)."""
    control = control or Control()
    refresh(plan)
    blocked = [r for r in plan.runs if r.state in ("conflict", "needs-data")]
    if blocked:
        kind = DataError if blocked[0].state == "needs-data" else RunError
        raise kind(f"{plan.suite.name}: {blocked[0].key}: {blocked[0].detail}"
                   + (f" (and {len(blocked) - 1} more)" if len(blocked) > 1 else ""))
    write_manifest(plan)
    todo = plan.todo()
    yield ExperimentStarted(plan.suite.name, scale=plan.scale, total=len(plan.runs), todo=len(todo),
                            out=str(plan.out), command=plan.command())
    datasets: dict[str, PuzzleDataset] = {}
    measured = skipped = failed = 0
    total = len(plan.runs)
    for index, run in enumerate(plan.runs):
        if control.stop_requested:
            yield ExperimentStopped(plan.suite.name, message=f"stopped before {run.key}")
            return
        if run in todo:  # looked at again: another runner may have taken or finished it meanwhile
            refresh_run(run)
        if run.state not in ("pending", "resumable"):
            skipped += 1
            yield RunSkipped(plan.suite.name, index=index, total=total, variant=run.variant, seed=run.seed,
                             run_dir=str(run.run_dir), reason="done" if run.state == "done" else run.detail)
            continue
        key = str(run.data_path)
        if key not in datasets:
            if not run.dataset.official and not run.data_path.is_file():
                yield DatasetBuilding(plan.suite.name, dataset=run.dataset.name, path=key)
            datasets[key] = PuzzleDataset.open(ensure_dataset(run.dataset, plan.out, plan.data_paths))
        outcome = yield from run_one(run, datasets[key], control, index, total, eval_progress)
        if outcome == "stopped":
            yield ExperimentStopped(plan.suite.name, message=f"stopped during {run.key}; run again to resume")
            return
        measured += outcome == "measured"
        failed += outcome == "failed"
    yield ExperimentFinished(plan.suite.name, measured=measured, skipped=skipped, failed=failed,
                             message=f"{measured} measured, {skipped} skipped, {failed} failed")


def run_one(run: PlannedRun, dataset: PuzzleDataset, control: Control, index: int = 0, total: int = 1,
            eval_progress: Callable[[int], Callable] | None = None) -> Iterator[ExperimentEvent]:
    """Train (or resume) one run and measure it; returns "measured", "stopped" or "failed"."""
    rd = RunDirectory(run.run_dir)
    resumed = rd.exists()
    seconds_left = cpu_left = None
    before = read_timing(rd) if resumed else None
    if run.budget.minutes:
        seconds_left = max(0.0, run.budget.minutes * 60 - (before.wall_seconds if before else 0.0))
    if run.budget.cpu_minutes:
        cpu_left = max(0.0, run.budget.cpu_minutes * 60 - (before.cpu_seconds if before else 0.0))
    rc = RunControl(control, seconds_left, cpu_left, run.budget.flops or None)
    common = {"index": index, "total": total, "variant": run.variant, "seed": run.seed}
    yield RunBegan(run.suite, run_dir=str(rd.path), resumed=resumed, budget=run.budget.describe(), **common)
    trainer = Trainer(run.config, rd.path, resume=resumed, control=rc, dataset=dataset)
    trainer.eval_progress = eval_progress
    rc.cpu_spent = lambda: getattr(trainer, "step_cpu", 0.0)
    per_step: list[float] = []  # one step's FLOPs, once the trainer has its config (the dataset's shapes)

    def flops_spent() -> float:  # polled at every block of a step: the FLOPs of a step are counted once
        if not per_step:
            cfg = getattr(trainer, "cfg", None)
            if cfg is None:
                return 0.0
            per_step.append(batch_train_flops(cfg.model, cfg.train.global_batch_size))
        return trainer.step * per_step[0]

    rc.flops_spent = flops_spent
    last = None
    final_eval: EvalResult | None = None
    try:
        for event in trainer.run():
            last = event
            if isinstance(event, EvalResult):
                final_eval = event
            yield RunProgress(run.suite, event=event, **common)
    except TrmError as exc:  # refused before training (a lock, a config mismatch): next run
        yield RunNotMeasured(run.suite, run_dir=str(rd.path), message=str(exc), **common)
        return "failed"
    if isinstance(last, RunFailed):
        yield RunNotMeasured(run.suite, run_dir=str(rd.path), message=last.message, **common)
        return "failed"
    if isinstance(last, RunStopped) and not rc.budget_reached:
        return "stopped"
    if final_eval is None or final_eval.step != trainer.step:
        final_eval = evaluate_final(rd, dataset, eval_progress(trainer.step) if eval_progress else None)
        if final_eval is not None:
            yield RunProgress(run.suite, event=final_eval, **common)
    valid = measure_validity(rd, dataset) if dataset.family in VALIDITY_FAMILIES else None
    result = build_result(run, rd, final_eval, ended_by=rc.ended_by if rc.budget_reached else "steps", valid=valid,
                          session_cpu=(before.cpu_seconds if before else 0.0) + getattr(trainer, "step_cpu", 0.0))
    write_json_atomic(rd.path / RESULT_FILE, result)
    yield RunMeasured(run.suite, run_dir=str(rd.path), result=result, **common)
    return "measured"


def evaluate_final(rd: RunDirectory, dataset: PuzzleDataset,
                   progress: Callable[[int, int, float], None] | None = None) -> EvalResult | None:
    """Evaluate the latest checkpoint (its evaluation weights: EMA where on); appended to metrics.jsonl."""
    latest = rd.latest_checkpoint()
    if latest is None:
        return None
    for ev in reversed(rd.events()[0]):  # a previous session may have evaluated it already
        if isinstance(ev, EvalResult) and f"step_{ev.step:07d}" in latest.name:
            return ev
    model, cfg, body = load_model(latest)
    report = evaluate(model, dataset, cfg.data.eval_split, steps=cfg.train.eval_steps, limit=cfg.data.eval_limit,
                      augmentations=eval_augmentations(cfg, dataset), progress=progress)  # ARC votes as trained
    event = EvalResult(step=int(body["step"]), exact_accuracy=report.exact_accuracy, accuracy=report.accuracy,
                       count=report.count, sup_steps=report.sup_steps, per_step_exact=tuple(report.per_step_exact),
                       halt_step_mean=report.halt_step_mean, pass_at=report.pass_at, seconds=report.seconds,
                       weights="ema" if cfg.train.ema else "raw")
    rd.append_event(event)
    return event


VALIDITY_FAMILIES = ("sudoku", "maze")  # families whose answers can be right without equalling the label


def measure_validity(rd: RunDirectory, dataset: PuzzleDataset) -> dict | None:
    """The fraction of test answers that are right by the family's own check ("valid": for Sudoku a legal
    full grid keeping the givens, for a maze any shortest path from S to G marked), and of answers equal
    to the label, from the latest checkpoint's evaluation weights. With unique solutions (or unique
    shortest paths) valid equals exact; the check guards the labels, and shows a model that finds another
    right answer where there are several."""
    latest = rd.latest_checkpoint()
    if latest is None:
        return None
    model, cfg, _ = load_model(latest)
    split = cfg.data.eval_split
    report = evaluate(model, dataset, split, steps=cfg.train.eval_steps, limit=cfg.data.eval_limit, collect=True)
    family = dataset.get_family()
    inputs, labels = dataset.split(split).inputs, dataset.split(split).labels
    valid = exact = 0
    for row, pred in report.predictions:
        answer = family.decode(pred)
        valid += not family.check_solution(family.decode(inputs[row.example]), answer)
        exact += bool(np.array_equal(pred, labels[row.example]))
    n = max(1, len(report.predictions))
    return {"valid_accuracy": valid / n, "exact_accuracy": exact / n, "count": len(report.predictions)}


def write_manifest(plan: ExperimentPlan) -> None:
    """<out>/<suite>/experiment.json: the suite as run (edited variants included), scale, seeds, budget,
    and every command that worked on this directory, so a report can be made from the folder alone."""
    path = plan.suite_dir / MANIFEST_FILE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # an unwritable folder, or a file where a folder should be
        raise RunError(f"{plan.suite_dir}: cannot create the experiment folder ({exc.strerror or exc}); "
                       "choose another --out") from None
    old = read_json(path)
    if old and old.get("scale") not in (None, plan.scale):
        raise ConfigError(f"{plan.suite_dir} holds a {old['scale']}-scale experiment; use another --out "
                          f"for {plan.scale} scale")
    datasets = suites_document([plan.suite])["datasets"]  # every scale's, so the suite reads back whole
    commands = old.get("commands", [])
    entry = {"command": plan.command(), "time": time.time(), "python": sys.version.split()[0]}
    body = {"suite": {"name": plan.suite.name, **plan.suite.to_dict()}, "datasets": datasets, "scale": plan.scale,
            "seeds": sorted(set(old.get("seeds", [])) | set(plan.seeds)), "budget": plan.budget.to_dict(),
            "overrides": list(plan.overrides), "commands": commands + [entry]}
    write_json_atomic(path, body)
