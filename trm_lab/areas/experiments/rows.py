"""The Experiments area's data, without Qt: what to launch (LaunchSettings), and a plan's runs as rows
that the runner's events update (RunRow, ExperimentRows), with the per-variant summary over seeds.

The engine's plan module imports torch, so it is imported where a plan is made (in a worker).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from trm_engine.experiments.events import (
    DatasetBuilding,
    ExperimentFinished,
    ExperimentStopped,
    RunBegan,
    RunMeasured,
    RunNotMeasured,
    RunProgress,
    RunSkipped,
)
from trm_engine.experiments.stats import summary_text
from trm_engine.experiments.suites import METRICS, Suite
from trm_engine.train.events import EvalResult, RunStarted, TrainMetrics

from ... import settings


def experiments_root() -> Path:
    """The default output folder: the app's data folder (Preferences), else the engine's default
    (TRM_LAB_EXPERIMENTS or the platform's data folder, where `trm experiments run` writes)."""
    if settings.value("paths/data", "", str) or not os.environ.get("TRM_LAB_EXPERIMENTS"):
        return settings.locations().data / "experiments"
    return Path(os.environ["TRM_LAB_EXPERIMENTS"])


@dataclass(frozen=True)
class LaunchSettings:
    """A suite launch as the form describes it: the arguments of `trm experiments run`."""

    suite: str
    scale: str = "lab"
    seeds: int = 3
    budget: str = ""  # per run: "300" (steps), "20m", "300steps,20m"; "" = the suite's default
    out: Path = Path("experiments")
    threads: int = 0  # torch threads per run (0: the preset's)
    device: str = ""  # "" = the preset's (auto)
    data_paths: tuple[tuple[str, str], ...] = ()  # (dataset, file) for the official datasets of paper scale
    suite_file: str = ""  # a JSON file of edited or extra suites

    def plan(self):
        """The engine's ExperimentPlan (reads the disk and imports torch: call it in a worker)."""
        from trm_engine.experiments.plan import parse_budget, plan_experiment

        return plan_experiment(self.suite, self.scale, self.seeds, parse_budget(self.budget), self.out,
                               dict(self.data_paths), threads=self.threads, device=self.device,
                               suite_file=self.suite_file or None)


@dataclass
class RunRow:
    """One run of the plan as the table shows it."""

    variant: str
    seed: int
    run_dir: Path
    state: str  # the plan's (pending, done, resumable, running, conflict, needs-data), then training / failed
    detail: str = ""
    step: int = 0
    total: int = 0  # the run's optimizer steps (0 until known)
    minutes: float = 0.0  # the run's time budget (0: none)
    cpu_minutes: float = 0.0  # the run's CPU-time budget (0: none)
    flops: float = 0.0  # the run's FLOPs budget (0: none)
    flops_steps: int = 0  # the steps that budget allows (0: no FLOPs budget)
    cpu_before: float = 0.0  # training CPU seconds of earlier sessions
    cpu: float = 0.0  # training CPU seconds of this session
    exact: float | None = None  # a fraction: the final measure once measured, else the latest evaluation
    cells: float | None = None
    seconds_per_step: float | None = None
    result: dict | None = None  # result.json once measured
    start_step: int = 0  # where this session's training began (a resumed run's checkpoint)
    elapsed: float = 0.0  # training seconds of this session

    def measure(self, result: dict) -> None:
        metrics = result.get("metrics", {})
        self.result, self.state = result, "done"
        self.step = self.total = int(result.get("steps", self.step))
        self.exact, self.cells = metrics.get("exact_accuracy"), metrics.get("cell_accuracy")
        self.seconds_per_step = metrics.get("seconds_per_step")

    def fraction(self) -> float:
        """How much of its budget this run has trained (0..1)."""
        if self.state == "done":
            return 1.0
        done = self.step / self.total if self.total else 0.0
        if self.minutes:
            done = max(done, self.elapsed / (self.minutes * 60))
        if self.cpu_minutes:
            done = max(done, (self.cpu_before + self.cpu) / (self.cpu_minutes * 60))
        if self.flops_steps:
            done = max(done, self.step / self.flops_steps)
        return min(1.0, max(0.0, done))

    def last_step(self) -> int:
        """The step the run ends at, where its budget fixes one (0: a time budget ends it)."""
        candidates = [n for n in (self.total, self.flops_steps) if 0 < n < 10**8]
        return min(candidates) if candidates else 0


@dataclass
class ExperimentRows:
    """A plan's runs as rows, and what the runner's events do to them (plain Python; no Qt)."""

    suite: Suite
    scale: str
    seeds: tuple[int, ...]
    suite_dir: Path
    command: str  # the `trm experiments run` line that makes (or resumes) this plan
    rows: list[RunRow]
    current: int | None = None  # the row training now
    message: str = ""  # what the experiment is doing ("building dataset ...")
    outcome: str = ""  # finished | stopped, once the runner has said so

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.rows:
            out[r.state] = out.get(r.state, 0) + 1
        return out

    def measured(self) -> bool:
        return any(r.result is not None for r in self.rows)

    def apply(self, ev) -> int | None:
        """Update the rows from one runner event; the index of the row it changed (None: none)."""
        if isinstance(ev, DatasetBuilding):
            self.message = f"building dataset {ev.dataset}\u2026"
            return None
        if isinstance(ev, (ExperimentFinished, ExperimentStopped)):
            self.outcome, self.message = ("finished" if isinstance(ev, ExperimentFinished) else "stopped"), ev.message
            row = self.rows[self.current] if self.current is not None else None
            if row is None or row.state != "training":
                return None
            row.state, row.detail = "resumable", f"stopped at step {row.step}"  # its checkpoint resumes it
            return self.current
        index = getattr(ev, "index", None)
        if index is None or not 0 <= index < len(self.rows):
            return None
        row = self.rows[index]
        if isinstance(ev, RunSkipped):
            if ev.reason != "done":
                row.detail = ev.reason
        elif isinstance(ev, RunBegan):
            self.current, self.message = index, ""
            row.state, row.detail = "training", ("resuming, " if ev.resumed else "") + ev.budget
            row.start_step, row.elapsed = row.step, 0.0
            row.cpu_before, row.cpu = row.cpu_before + row.cpu, 0.0
        elif isinstance(ev, RunProgress):
            inner = ev.event
            if isinstance(inner, RunStarted):
                row.step = row.start_step = inner.step
                row.total = inner.total_steps
                if row.flops:  # the folder's config now has the dataset's shapes, which set a step's FLOPs
                    from trm_engine.experiments.estimate import folder_step_flops
                    from trm_engine.experiments.plan import steps_to_reach

                    per_step = folder_step_flops(row.run_dir)
                    row.flops_steps = steps_to_reach(row.flops, per_step) if per_step else row.flops_steps
            elif isinstance(inner, TrainMetrics):
                row.step, row.total, row.elapsed = inner.step, inner.total_steps, inner.elapsed
                row.cpu = inner.cpu_elapsed
                if inner.step > row.start_step:
                    row.seconds_per_step = inner.elapsed / (inner.step - row.start_step)
            elif isinstance(inner, EvalResult):
                row.exact, row.cells = inner.exact_accuracy, inner.accuracy
            else:
                return None
        elif isinstance(ev, RunMeasured):
            row.measure(ev.result)
            row.detail = f"measured, ended by {ev.result.get('ended_by', 'steps')}"
        elif isinstance(ev, RunNotMeasured):
            row.state, row.detail = "failed", ev.message
        else:
            return None
        return index

    def progress(self) -> tuple[float, str]:
        """(fraction of the plan trained, a line saying where the experiment is)."""
        if not self.rows:
            return 0.0, ""
        total = sum(r.fraction() if r.state in ("training", "resumable", "done") else
                    1.0 if r.state == "failed" else 0.0 for r in self.rows) / len(self.rows)
        row = self.rows[self.current] if self.current is not None else None
        if self.message or row is None or row.state != "training":
            return total, self.message
        steps = f"step {row.step}" + (f" of {row.last_step()}" if row.last_step() else "")
        return total, (f"run {self.current + 1} of {len(self.rows)}: {row.variant}, seed {row.seed}, {steps}")

    def summary(self) -> tuple[list[str], list[list[str]]]:
        """The per-variant table: mean ± std over the measured seeds of each metric, the paper's figure."""
        metrics = list(self.suite.metrics)
        with_paper = {m for m in metrics if any(v.paper.get(m) is not None for v in self.suite.variants)}
        headers = ["variant"]
        for m in metrics:
            headers += [m] + (["paper"] if m in with_paper else [])
        headers.append("runs")
        rows = []
        for v in self.suite.variants:
            runs = [r for r in self.rows if r.variant == v.name]
            if not runs:
                continue
            values = {m: [r.result["metrics"][m] for r in runs if r.result and m in r.result.get("metrics", {})]
                      for m in metrics}
            cells = [v.name]
            for m in metrics:
                cells.append(summary_text(values[m], m))
                if m in with_paper:
                    paper = v.paper.get(m)
                    cells.append("\u2013" if paper is None else f"{paper:g}")
            cells.append(f"{sum(r.result is not None for r in runs)}/{len(runs)}")
            rows.append(cells)
        return headers, rows


def read_plan(launch: LaunchSettings) -> ExperimentRows:
    """Plan the launch and read each run's state (and result, once measured) from the disk."""
    return rows_of(launch.plan())


def rows_of(plan) -> ExperimentRows:
    """The rows of an ExperimentPlan: each run's state, its result once measured, its step if resumable."""
    from trm_engine.experiments.estimate import planned_step_flops
    from trm_engine.experiments.plan import steps_to_reach
    from trm_engine.experiments.results import read_timing
    from trm_engine.train.run_dir import RunDirectory

    rows = []
    for run in plan.runs:
        flops_steps = steps_to_reach(run.budget.flops, planned_step_flops(run)) if run.budget.flops else 0
        row = RunRow(run.variant, run.seed, run.run_dir, run.state, run.detail, total=run.budget.steps,
                     minutes=run.budget.minutes, cpu_minutes=run.budget.cpu_minutes, flops=run.budget.flops,
                     flops_steps=flops_steps)
        result = run.result() if run.state == "done" else None
        if result is not None:
            row.measure(result)
        elif run.state == "resumable":
            rd = RunDirectory(run.run_dir)
            row.step = row.start_step = int(rd.status().get("step", 0))
            row.cpu_before = read_timing(rd).cpu_seconds if run.budget.cpu_minutes else 0.0
        rows.append(row)
    return ExperimentRows(plan.suite, plan.scale, plan.seeds, plan.suite_dir, plan.command(), rows)


def metric_header(name: str) -> str:
    """A short column title for a metric ('exact %', 'NFP'); 'paper' and others pass through."""
    short = {"exact_accuracy": "exact %", "cell_accuracy": "cells %", "pass_at_2": "pass@2 %", "nfp": "NFP",
             "seconds_per_step": "s/step"}
    return short.get(name, name)


def metric_tip(name: str) -> str:
    metric = METRICS.get(name)
    return f"{metric.label}: {metric.note}" if metric else ""
