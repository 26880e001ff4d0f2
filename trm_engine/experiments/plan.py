"""Planning an experiment: a suite at a scale, K seeds and a budget become run configs and run directories.

Every run is a normal run directory at `<out>/<suite>/<variant>/seed<k>`. Planning only reads the disk:
it says which runs are done (their result.json matches the plan), which can be resumed (stopped,
crashed, or a shorter finished run), which another process is running, and which conflict (the
directory holds a run of a different config: choose another --out).
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from ..config import RunConfig, apply_overrides, diff_configs, load_preset
from ..errors import ConfigError
from ..train.checkpoints import RESUMABLE_CHANGES
from ..train.run_dir import RunDirectory, read_json
from .datasets import dataset_path
from .suites import DatasetSpec, Suite, check_scale, get_suite, with_recipe_overrides

RESULT_FILE = "result.json"  # written into a run directory when the experiment has measured it
MANIFEST_FILE = "experiment.json"  # <out>/<suite>/experiment.json: the suite, scale, seeds, budget, commands
TIME_BUDGET_STEPS = 10**8  # the step cap of a run that ends by its minutes budget
# Fields that may differ between a run directory and the plan without making it a different experiment:
# those the trainer accepts on resume, plus what it takes from the dataset.
_SAME_RUN = RESUMABLE_CHANGES | {"model.vocab_size", "model.seq_len", "model.num_puzzle_identifiers", "preset"}


@dataclass(frozen=True)
class Budget:
    """How long each run trains: optimizer steps, minutes of wall clock, CPU minutes of the training
    thread, training FLOPs, or a mix (whichever ends first). CPU time is fairer than a wall clock on a
    shared machine, though a loaded core does less work per CPU-second; FLOPs (the analytic count of
    model/flops.py, batch included) are load-proof and machine-independent, but blind to how efficiently
    each model's operations run on the machine."""

    steps: int = 0  # 0 = the suite's default budget at this scale (or the preset's length)
    minutes: float = 0.0  # 0 = no wall-clock limit
    cpu_minutes: float = 0.0  # 0 = no CPU-time limit (time.thread_time of the training thread, steps only)
    flops: float = 0.0  # 0 = no FLOPs limit (training FLOPs per run; the run stops at the step that reaches it)

    @property
    def timed(self) -> bool:
        """Ends by something other than a step count fixed at planning (the runner watches it)."""
        return bool(self.minutes or self.cpu_minutes or self.flops)

    def describe(self) -> str:
        parts = ([f"{self.steps} steps"] if self.steps and self.steps < TIME_BUDGET_STEPS else [])
        parts += ([f"{self.minutes:g} min"] if self.minutes else [])
        parts += ([f"{self.cpu_minutes:g} CPU-min"] if self.cpu_minutes else [])
        parts += ([flops_text(self.flops)] if self.flops else [])
        return " or ".join(parts) or "the preset's length"

    def to_arg(self) -> str:
        return ",".join(([f"{self.steps}steps"] if self.steps else []) + ([f"{self.minutes:g}m"] if self.minutes else [])
                        + ([f"{self.cpu_minutes:g}cpu-min"] if self.cpu_minutes else [])
                        + ([f"{self.flops:.12g}flop"] if self.flops else []))

    def to_dict(self) -> dict:
        return {"steps": self.steps, "minutes": self.minutes} | (
            {"cpu_minutes": self.cpu_minutes} if self.cpu_minutes else {}) | ({"flops": self.flops} if self.flops else {})


_PART = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(steps?|s|sec|m|min|h|cpu-?s|cpu-?sec|cpu-?m|cpu-?min|cpu-?h)?\s*$")
_FLOP_PART = re.compile(r"^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kmgtpe]?)\s*flops?\s*$", re.IGNORECASE)
_SECONDS = {"s": 1 / 60, "sec": 1 / 60, "m": 1, "min": 1, "h": 60}
_FLOP_PREFIX = {"": 1.0, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15, "e": 1e18}  # m is mega: no budget is < 1


def steps_to_reach(flops: float, per_step: float) -> int:
    """The optimizer steps a FLOPs budget allows: the first whole step whose FLOPs reach it."""
    return int(-(-flops // per_step))


def flops_text(flops: float) -> str:
    """'20 PFLOP', '1.5 TFLOP': the largest prefix that leaves a number of at least 1."""
    for prefix, size in (("E", 1e18), ("P", 1e15), ("T", 1e12), ("G", 1e9), ("M", 1e6), ("k", 1e3)):
        if flops >= size:
            return f"{flops / size:.4g} {prefix}FLOP"
    return f"{flops:.4g} FLOP"


def parse_budget(text: str | None) -> Budget:
    """'300' or '300steps' (optimizer steps), '20m', '90s', '1.5h' (wall clock), '10cpu-min', '600cpu-s'
    (CPU time of the training thread), '20Pflop', '2e16flops' (training FLOPs), or several joined by
    commas: '300steps,20m'."""
    if not text:
        return Budget()
    steps, minutes, cpu, flops = 0, 0.0, 0.0, 0.0
    for part in text.split(","):
        f = _FLOP_PART.match(part)
        if f:
            flops = float(f.group(1)) * _FLOP_PREFIX[f.group(2).lower()]
            if not 1 <= flops < float("inf"):
                raise ConfigError(f"--budget {text!r}: a FLOPs budget must be at least 1 FLOP")
            continue
        m = _PART.match(part)
        if not m:
            raise ConfigError(f"--budget {text!r}: expected e.g. 300 (steps), 300steps, 20m, 90s, 1h, 10cpu-min, "
                              "20Pflop or 300steps,20m")
        value, unit = float(m.group(1)), (m.group(2) or "steps")
        if unit.startswith("step"):
            if not value.is_integer() or value < 1:
                raise ConfigError(f"--budget {text!r}: steps must be a whole number >= 1")
            steps = int(value)
            continue
        if value <= 0:
            raise ConfigError(f"--budget {text!r}: a time budget must be positive")
        if unit.startswith("cpu"):
            cpu = value * _SECONDS[unit[3:].lstrip("-")]
        else:
            minutes = value * _SECONDS[unit]
    return Budget(steps, minutes, cpu, flops)


@dataclass
class PlannedRun:
    suite: str
    variant: str
    seed: int
    scale: str
    run_dir: Path
    config: RunConfig
    dataset: DatasetSpec
    data_path: Path | None  # None: an official dataset no path was given for
    budget: Budget  # resolved: steps is the run's length unless it ends by minutes
    state: str = "pending"  # pending | done | resumable | running | conflict | needs-data
    detail: str = ""

    @property
    def key(self) -> str:
        return f"{self.suite}/{self.variant}/seed{self.seed}"

    def result(self) -> dict | None:
        """What the run's result.json says was measured (None until the runner has measured it)."""
        return read_json(self.run_dir / RESULT_FILE) or None

    def to_dict(self) -> dict:
        return {"suite": self.suite, "variant": self.variant, "seed": self.seed, "scale": self.scale,
                "run_dir": str(self.run_dir), "dataset": self.dataset.name,
                "data_path": str(self.data_path) if self.data_path else None, "budget": self.budget.to_dict(),
                "state": self.state, "detail": self.detail, "preset": self.config.preset,
                "config": self.config.to_dict()}


@dataclass
class ExperimentPlan:
    suite: Suite
    scale: str
    seeds: tuple[int, ...]
    budget: Budget  # as asked (0 = defaults)
    out: Path
    runs: list[PlannedRun]
    overrides: tuple[str, ...] = ()
    data_paths: dict[str, str] = field(default_factory=dict)
    threads: int = 0
    device: str = ""
    recipe_overrides: tuple[str, ...] = ()  # DATASET.KEY=VALUE edits of lab recipes (already in suite.datasets)
    variants: tuple[str, ...] = ()  # the variants chosen (empty: all)
    suite_file: str = ""  # where an edited suite came from

    @property
    def suite_dir(self) -> Path:
        return self.out / self.suite.name

    def todo(self) -> list[PlannedRun]:
        return [r for r in self.runs if r.state in ("pending", "resumable")]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.runs:
            out[r.state] = out.get(r.state, 0) + 1
        return out

    def command(self) -> str:
        """The `trm experiments run` command line that makes (or resumes) this plan."""
        args = ["trm", "experiments", "run", self.suite.name, "--scale", self.scale, "--seeds", str(len(self.seeds)),
                "--out", str(self.out)]
        if self.budget.steps or self.budget.timed:
            args += ["--budget", self.budget.to_arg()]
        for name, path in self.data_paths.items():
            args += ["--data", f"{name}={path}" if name else path]
        for item in self.overrides:
            args += ["--set", item]
        for item in self.recipe_overrides:
            args += ["--recipe", item]
        for name in self.variants:
            args += ["--variant", name]
        if self.suite_file:
            args += ["--suite-file", self.suite_file]
        if self.threads:
            args += ["--threads", str(self.threads)]
        if self.device:
            args += ["--device", self.device]
        return shlex.join(args)

    def to_dict(self) -> dict:
        return {"suite": self.suite.name, "scale": self.scale, "seeds": list(self.seeds),
                "budget": self.budget.to_dict(), "out": str(self.out), "overrides": list(self.overrides),
                "command": self.command(), "counts": self.counts(), "runs": [r.to_dict() for r in self.runs]}


def plan_experiment(suite: Suite | str, scale: str = "lab", seeds: int | list[int] = 3, budget: Budget | None = None,
                    out: str | Path = "experiments", data_paths: dict[str, str] | None = None,
                    overrides: list[str] | tuple[str, ...] = (), threads: int = 0, device: str = "",
                    variants: list[str] | None = None, recipe_overrides: list[str] | tuple[str, ...] = (),
                    suite_file: str | Path | None = None) -> ExperimentPlan:
    """Every run of `suite` at `scale`: its config, run directory and state on disk.

    `suite` is a Suite or a name (looked up in the built-in suites and `suite_file`); `overrides` are
    `key=value` config edits for every run; `recipe_overrides` edit lab dataset recipes."""
    suite = get_suite(suite, suite_file) if isinstance(suite, str) else suite
    suite = with_recipe_overrides(suite, recipe_overrides)
    check_scale(scale)
    seed_list = list(range(seeds)) if isinstance(seeds, int) else list(seeds)
    if not seed_list or any(s < 0 for s in seed_list):
        raise ConfigError(f"--seeds: need at least one seed (>= 0), got {seeds!r}")
    budget = budget or Budget()
    out = Path(out)
    data_paths = dict(data_paths or {})
    chosen = [suite.variant(v) for v in variants] if variants else list(suite.variants)
    _resolve_bare_path(suite, scale, chosen, data_paths)
    runs = []
    for v in chosen:
        spec = suite.spec(v, scale)
        if not spec.preset or not spec.data:
            raise ConfigError(f"suite {suite.name}: variant {v.name} names no preset or dataset at {scale} scale")
        ds = suite.dataset(spec.data)
        path = dataset_path(ds, out, data_paths)
        given = budget if (budget.steps or budget.timed) else Budget(spec.steps, 0.0, spec.cpu_minutes)
        steps = given.steps or (TIME_BUDGET_STEPS if given.timed else 0)
        extra = ["train.seed={seed}", f"name={suite.name}/{v.name}/seed{{seed}}"]
        if steps:
            extra += [f"train.steps={steps}", "train.epochs=0"]
        if threads or given.cpu_minutes:  # a CPU-time budget counts one thread: run on one unless told otherwise
            extra.append(f"train.threads={threads or 1}")
        if device:
            extra.append(f"train.device={device}")
        for seed in seed_list:
            items = list(spec.overrides) + list(overrides) + [e.format(seed=seed) for e in extra]
            if path is not None:
                items.append(f"data.path={path}")
            try:
                cfg = apply_overrides(load_preset(spec.preset), items)
            except ConfigError as exc:
                raise ConfigError(f"suite {suite.name}, variant {v.name} ({scale}): {exc}") from None
            if given.cpu_minutes and cfg.train.threads != 1:
                raise ConfigError(f"suite {suite.name}: a CPU-time budget ({given.describe()}) counts the training "
                                  f"thread's CPU time, so it needs one torch thread: give --threads 1 "
                                  f"(train.threads is {cfg.train.threads})")
            run = PlannedRun(suite.name, v.name, seed, scale, out / suite.name / v.name / f"seed{seed}", cfg, ds,
                             path, Budget(cfg.train.steps if steps else 0, given.minutes, given.cpu_minutes,
                                          given.flops))
            _set_state(run)
            runs.append(run)
    # seed by seed (every variant's seed 0, then seed 1, ...): a suite cut short still compares variants
    runs.sort(key=lambda r: seed_list.index(r.seed))
    return ExperimentPlan(suite, scale, tuple(seed_list), budget, out, runs, tuple(overrides), data_paths,
                          threads, device, tuple(recipe_overrides), tuple(variants or ()), str(suite_file or ""))


def default_out() -> Path:
    """Where experiments go unless told otherwise: $TRM_LAB_EXPERIMENTS, else the app's data dir."""
    import os

    import platformdirs

    override = os.environ.get("TRM_LAB_EXPERIMENTS")
    if override:
        return Path(override)
    return Path(platformdirs.user_data_dir("trm-lab", "TRM Lab")) / "experiments"


def _resolve_bare_path(suite: Suite, scale: str, variants, data_paths: dict[str, str]) -> None:
    """A bare `--data PATH` names the one official dataset the chosen variants use."""
    if "" not in data_paths:
        return
    official = sorted({suite.spec(v, scale).data for v in variants
                       if suite.dataset(suite.spec(v, scale).data).official})
    if len(official) != 1:
        raise ConfigError(f"--data PATH: say which dataset it is (NAME=PATH); this plan uses "
                          f"{', '.join(official) or 'no official dataset'}")
    data_paths[official[0]] = data_paths.pop("")


def _set_state(run: PlannedRun) -> None:
    rd = RunDirectory(run.run_dir)
    if run.data_path is None:
        run.state, run.detail = "needs-data", f"give --data {run.dataset.name}=FILE"
    if not rd.exists():
        return
    saved = rd.config()
    differing = [d for d in diff_configs(saved, run.config.to_dict()) if d.split(" ", 1)[0] not in _SAME_RUN]
    if differing:
        run.state, run.detail = "conflict", f"{rd.path} holds a different run: {'; '.join(differing)}"
        return
    summary = rd.summary()
    if summary["state"] in ("running", "paused"):
        run.state, run.detail = "running", f"{rd.path} is in use by another process"
        return
    result = read_json(rd.path / RESULT_FILE)
    if result and result.get("budget") == run.budget.to_dict():
        run.state, run.detail = "done", f"{summary['state']} at step {result.get('steps')}"
        return
    if run.state != "needs-data":
        run.state, run.detail = "resumable", f"{summary['state']} at step {summary['step']}"


def refresh_run(run: PlannedRun) -> PlannedRun:
    """Re-read one run's state from the disk."""
    run.state, run.detail = "pending", ""
    _set_state(run)
    return run


def refresh(plan: ExperimentPlan) -> ExperimentPlan:
    """Re-read every run's state from the disk (a plan made earlier, e.g. in a GUI, may be stale)."""
    for run in plan.runs:
        refresh_run(run)
    return plan
