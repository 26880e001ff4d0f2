"""What each run of an experiment was given and what it got: the report's budget line (equal CPU time,
FLOPs, wall clock or steps, and why), and each run's training throughput in GFLOP per CPU-second, which
for one model on one machine measures the load it ran under."""

from __future__ import annotations

from .plan import flops_text
from .results import SuiteResults


def budget_line(res: SuiteResults) -> str:
    """Which budget the runs had (equal CPU time, wall clock or optimizer steps) and why, for this claim."""
    asked = res.manifest.get("budget", {})
    specs = {v.name: res.suite.spec(v, res.scale) for v in res.suite.variants} if res.scale else {}  # run or not
    asked_kind = next((k for k in ("flops", "cpu_minutes", "minutes", "steps") if asked.get(k)), "")
    if asked_kind:
        cpu_by_variant = {name: asked.get("cpu_minutes", 0) for name in specs}
    else:
        cpu_by_variant = {name: spec.cpu_minutes for name, spec in specs.items()}
    cpu = next(iter(cpu_by_variant.values()), 0)
    first = next(iter(specs.values()), None)
    steps = asked.get("steps") or (first.steps if first and not cpu and not asked.get("minutes") else 0)
    threads = next(iter(res.configs.values()), {}).get("train", {}).get("threads", 0)
    if asked.get("flops"):
        text = (f"**Budget: equal training FLOPs**, {flops_text(asked['flops'])} per run (the analytic matmul "
                "FLOPs of a training step, batch included, on the dataset's shapes); a run stops at the step "
                f"that reaches it{_steps_by_variant(res)}. Load-proof and the same on any machine, but blind "
                "to how efficiently each model's operations run here (see the GFLOP per CPU-s column).")
    elif cpu:
        text = (f"**Budget: equal training CPU time**, {_cpu_minutes_text(cpu_by_variant)}, counted as the CPU "
                f"time of the training thread in optimizer steps (`time.thread_time`, {threads or '?'} torch "
                "thread; evaluation excluded; resumed sessions add up); runs take as many steps as fit. A "
                "shared machine slows the wall clock, and also makes each CPU-second do less work: the runs "
                "table gives each run's GFLOP per CPU-second, and the notes name runs whose load or machine "
                "differed.")
    elif asked.get("minutes"):
        text = f"**Budget: equal wall clock**, {asked['minutes']:g} minutes per run on one machine."
    else:
        text = f"**Budget: equal optimizer steps**, {steps or 'the preset’s'} per run."
    if not res.suite.budget_note:
        return text
    default_kind = "cpu_minutes" if any(spec.cpu_minutes for spec in specs.values()) else "steps"
    if asked_kind and asked_kind != default_kind:  # the suite's reason is for its own budget, not this one
        return text + f" (The suite's own budget is of another kind, chosen for this reason: {res.suite.budget_note}.)"
    return text + f" Why: {res.suite.budget_note}."


def _steps_by_variant(res: SuiteResults) -> str:
    """': trm 2,000 steps, hrm 1,200' from the measured runs (every seed of a variant takes the same)."""
    steps: dict[str, set[int]] = {}
    for r in res.runs:
        if r.measured and r.result:
            steps.setdefault(r.variant, set()).add(int(r.result["steps"]))
    if not steps:
        return ""
    parts = [f"{v.name} {'/'.join(f'{n:,}' for n in sorted(steps[v.name]))}" for v in res.suite.variants
             if v.name in steps]
    return " (optimizer steps: " + "; ".join(parts) + ")"


def _cpu_minutes_text(cpu_by_variant: dict[str, float]) -> str:
    """"10 CPU-minutes per run", or where variants differ (each claim's pair still equal) which has which."""
    groups: dict[float, list[str]] = {}
    for name, minutes in cpu_by_variant.items():
        groups.setdefault(minutes, []).append(name)
    if len(groups) == 1:
        return f"{next(iter(groups)):g} CPU-minutes per run"
    return "; ".join(f"{minutes:g} CPU-minutes per run of {', '.join(names)}" for minutes, names in groups.items())


def throughput(result: dict) -> float | None:
    """A run's analytic training GFLOP per CPU-second of its training thread (None for an older result).
    For one model on one machine it measures load: a shared core does less work per CPU-second."""
    flops, batch = result.get("train_flops_per_example_step"), result.get("batch")
    steps, cpu = result.get("timed_steps"), result.get("train_cpu_seconds")
    if not (flops and batch and steps and cpu):
        return None
    return flops * batch * steps / cpu / 1e9


def load_note(res: SuiteResults) -> str:
    """How far load (or the machine) moved what a CPU-minute bought: the seeds of one variant run the same
    model, so their GFLOP per CPU-second differ only by the load and machine they ran on; runs far from
    their variant's median are named, since a CPU-time budget gave them more (or fewer) steps than their
    sister seeds."""
    text = ("- CPU time is not independent of load or machine: on a busy machine a step costs more CPU time "
            "(shared caches, memory bandwidth, cores), and a sitting on another (virtual) machine may run "
            "slower or faster, so the runs go seed by seed, every variant's seed k before seed k+1, to share "
            "conditions; the steps and GFLOP per CPU-s columns show what each run got.")
    spread, outliers = [], []
    for name, runs in res.by_variant().items():
        rates = {r.seed: throughput(r.result) for r in runs if r.measured and r.result}
        rates = {seed: rate for seed, rate in rates.items() if rate}
        if len(rates) < 2:
            continue
        ordered = sorted(rates.values())
        spread.append(ordered[-1] / ordered[0])
        middle = (ordered[(len(ordered) - 1) // 2] + ordered[len(ordered) // 2]) / 2
        outliers += [f"{name} seed {seed} ({rate / middle:.0%} of its variant's median)"
                     for seed, rate in sorted(rates.items()) if not 0.8 <= rate / middle <= 1.25]
    if spread:
        text += f" Within a variant, the fastest seed did {max(spread):.2f} times the slowest's work per CPU-second."
    if outliers:
        text += (" Runs whose load or machine differed from their sister seeds' by more than a quarter, so their "
                 f"budget bought them more or fewer steps: {'; '.join(outliers)}.")
    return text
