"""Reading what an experiment measured: result.json of each run, its curves, and per-variant statistics.

A run's result.json (written by the runner) holds the final metrics, how the run ended (steps or time),
its optimizer steps, training seconds and wall clock. Training seconds count only optimizer steps
(the trainer's `elapsed`, evaluation excluded), summed over resumed sessions.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RunError
from ..model.flops import step_flops
from ..train.events import EvalResult, RunStarted, TrainMetrics
from ..train.run_dir import RunDirectory, read_json
from .plan import MANIFEST_FILE, RESULT_FILE, PlannedRun
from .stats import Summary, summarize
from .suites import Suite, suite_from_dict
from .suites import _dataset as dataset_from_dict


@dataclass(frozen=True)
class Timing:
    train_seconds: float  # optimizer-step time, evaluation excluded, all sessions
    timed_steps: int  # the steps train_seconds covers (up to each session's last train-metrics line)
    wall_seconds: float  # from each session's start to its last event, all sessions
    cpu_seconds: float = 0.0  # CPU seconds of the training thread in optimizer steps, all sessions

    @property
    def seconds_per_step(self) -> float:
        return self.train_seconds / self.timed_steps if self.timed_steps else float("nan")


def read_timing(rd: RunDirectory) -> Timing:
    """Sum the sessions of a run: each starts with RunStarted; TrainMetrics.elapsed restarts at 0."""
    train = wall = cpu = 0.0
    steps = 0
    start = None
    last_train = None
    last_time = None

    def close() -> None:
        nonlocal train, wall, steps, cpu
        if start is not None:
            if last_train is not None:
                train += last_train.elapsed
                cpu += last_train.cpu_elapsed
                steps += last_train.step - start.step
            wall += (last_time or start.time) - start.time

    for ev in rd.events()[0]:
        if isinstance(ev, RunStarted):
            close()
            start, last_train, last_time = ev, None, ev.time
            continue
        if isinstance(ev, TrainMetrics):
            last_train = ev
        last_time = ev.time
    close()
    return Timing(train, steps, wall, cpu)


def build_result(run: PlannedRun, rd: RunDirectory, final_eval: EvalResult | None, ended_by: str,
                 valid: dict | None = None, session_cpu: float | None = None) -> dict:
    """result.json of one run: metrics (fractions), timing, evaluation, and what the run was.
    `session_cpu`: the run's CPU seconds as the runner knows them (all sessions, up to the last step,
    which metrics.jsonl may not have logged yet)."""
    cfg = RunDirectory(rd.path).config()
    model = cfg["model"]
    timing = read_timing(rd)
    step = int(rd.status().get("step", 0))
    cpu = max(timing.cpu_seconds, session_cpu or 0.0)
    metrics: dict[str, float] = {"nfp": 2.0 if model["act_continue"] else 1.0,
                                 "seconds_per_step": timing.seconds_per_step, "steps": float(step),
                                 "train_cpu_minutes": cpu / 60}
    if valid is not None:
        metrics["valid_accuracy"] = valid["valid_accuracy"]
    evaluation = None
    if final_eval is not None:
        metrics["exact_accuracy"] = final_eval.exact_accuracy
        metrics["cell_accuracy"] = final_eval.accuracy
        if "2" in final_eval.pass_at:
            metrics["pass_at_2"] = final_eval.pass_at["2"]
        evaluation = {"step": final_eval.step, "count": final_eval.count, "sup_steps": final_eval.sup_steps,
                      "per_step_exact": list(final_eval.per_step_exact), "weights": final_eval.weights,
                      "pass_at": dict(final_eval.pass_at)}
    from ..config import ModelConfig, from_dict

    flops = step_flops(from_dict(ModelConfig, model, "model"))
    return {"suite": run.suite, "variant": run.variant, "seed": run.seed, "scale": run.scale,
            "budget": run.budget.to_dict(), "ended_by": ended_by, "steps": step, "metrics": metrics,
            "train_seconds": timing.train_seconds, "timed_steps": timing.timed_steps,
            "wall_seconds": timing.wall_seconds, "train_cpu_seconds": cpu, "validity": valid,
            "evaluation": evaluation, "dataset": run.dataset.name,
            "train_flops_per_example_step": flops["train"], "batch": cfg["train"]["global_batch_size"],
            "device": rd.status().get("device", ""), "threads": cfg["train"]["threads"],
            "measured": time.time()}


@dataclass
class RunResult:
    variant: str
    seed: int
    run_dir: Path
    state: str  # the run directory's state (finished, stopped, running, crashed, ...)
    result: dict | None  # result.json; None while not measured
    eval_curve: list[tuple[int, float]] = field(default_factory=list)  # (step, eval exact accuracy)
    loss_curve: list[tuple[int, float]] = field(default_factory=list)  # (step, train loss)
    eval_cpu_curve: list[tuple[float, float]] = field(default_factory=list)  # (training CPU min, eval exact)

    @property
    def measured(self) -> bool:
        return self.result is not None

    def metric(self, name: str) -> float | None:
        return (self.result or {}).get("metrics", {}).get(name)


@dataclass
class SuiteResults:
    suite: Suite
    scale: str
    suite_dir: Path
    manifest: dict
    runs: list[RunResult]
    configs: dict[str, dict]  # variant -> the resolved config of its first run (for the scale line)

    def by_variant(self) -> dict[str, list[RunResult]]:
        out: dict[str, list[RunResult]] = {v.name: [] for v in self.suite.variants}
        for r in self.runs:
            out.setdefault(r.variant, []).append(r)
        return out

    def values(self, variant: str, metric: str) -> list[float]:
        vals = [r.metric(metric) for r in self.by_variant().get(variant, []) if r.measured]
        return [v for v in vals if v is not None and v == v]  # drop missing and NaN

    def summary(self, variant: str, metric: str) -> Summary:
        return summarize(self.values(variant, metric))


def read_suite_results(suite_dir: str | Path) -> SuiteResults:
    """Everything under <out>/<suite>: the manifest written by the runner and each run directory."""
    suite_dir = Path(suite_dir)
    manifest = read_json(suite_dir / MANIFEST_FILE)
    if not manifest:
        raise RunError(f"{suite_dir}: no {MANIFEST_FILE}; not an experiment folder (run `trm experiments run` first)")
    body = dict(manifest["suite"])
    name = body.pop("name")
    datasets = {k: dataset_from_dict(k, v, f"{suite_dir / MANIFEST_FILE}: datasets.{k}")
                for k, v in manifest.get("datasets", {}).items()}
    suite = suite_from_dict(name, body, datasets, str(suite_dir / MANIFEST_FILE))
    runs, configs = [], {}
    for variant_dir in sorted(p for p in suite_dir.iterdir() if p.is_dir() and not p.name.startswith("_")):
        for seed_dir in sorted(variant_dir.glob("seed*"), key=lambda p: int(p.name[4:] or 0)):
            rd = RunDirectory(seed_dir)
            if not rd.exists() or not seed_dir.name[4:].isdigit():
                continue
            configs.setdefault(variant_dir.name, rd.config())
            runs.append(_read_run(variant_dir.name, int(seed_dir.name[4:]), rd))
    return SuiteResults(suite, manifest.get("scale", ""), suite_dir, manifest, runs, configs)


def _read_run(variant: str, seed: int, rd: RunDirectory) -> RunResult:
    result = read_json(rd.path / RESULT_FILE) or None
    run = RunResult(variant, seed, rd.path, rd.summary()["state"], result)
    offset = cpu = 0.0  # CPU seconds of earlier sessions; this session's so far
    for ev in rd.events()[0]:
        if isinstance(ev, RunStarted):
            offset, cpu = offset + cpu, 0.0
        elif isinstance(ev, EvalResult):
            run.eval_curve.append((ev.step, ev.exact_accuracy))
            run.eval_cpu_curve.append(((offset + cpu) / 60, ev.exact_accuracy))
        elif isinstance(ev, TrainMetrics):
            run.loss_curve.append((ev.step, ev.loss))
            cpu = ev.cpu_elapsed
    # a resumed run may have evaluated the same step twice (trainer, then the runner): keep the last
    run.eval_curve = sorted(dict(run.eval_curve).items())
    run.loss_curve = sorted(dict(run.loss_curve).items())
    run.eval_cpu_curve = sorted(dict(run.eval_cpu_curve).items())
    return run


def find_suite_dirs(path: str | Path) -> list[Path]:
    """`path` itself if it is a suite folder, else the suite folders directly under it."""
    path = Path(path)
    if (path / MANIFEST_FILE).is_file():
        return [path]
    if not path.is_dir():
        raise RunError(f"{path}: no such folder")
    found = sorted(p for p in path.iterdir() if (p / MANIFEST_FILE).is_file())
    if not found:
        raise RunError(f"{path}: no experiment here (no */{MANIFEST_FILE}); run `trm experiments run` first")
    return found
