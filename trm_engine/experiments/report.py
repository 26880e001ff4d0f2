"""The Markdown report of an experiment: the claim, the scale it was measured at, the exact commands,
a table (variant, measured mean +- std over seeds, the paper's figure, runs), a verdict per claim,
PNG plots and a table of every run. Measured accuracies are shown in %, like the paper's."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config import load_preset
from .costs import budget_line, load_note, throughput
from .plots import PALETTE, Bar, Series, bar_chart, lighten, line_chart
from .results import SuiteResults, find_suite_dirs, read_suite_results
from .stats import difference, no_worse_verdict, scaled, summarize, summary_text, to_settle, verdict
from .suites import METRICS

REPORT_FILE = "report.md"
RULE = ("Verdict rule: *direction reproduced* only if the variant the paper finds better has the better mean "
        "**and** the 95% confidence intervals of the two means (Student's t over seeds, shown as mean [low, high]) "
        "do not overlap; *not reproduced* if the other variant is better without overlap; otherwise "
        "*inconclusive*, with the reason and what would settle it.")
MARGIN_RULE = ("A claim with a margin says that dropping something loses nothing: *reproduced: no worse within "
               "the margin* only if the 95% interval of the difference of the means (Welch's t) stays above minus "
               "the margin, *not reproduced* if it lies below.")


def write_reports(path: str | Path, dest: str | Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Report every suite folder at `path` (an --out folder or one suite folder); returns the report files."""
    dirs = find_suite_dirs(path)
    out = []
    for d in dirs:
        target = Path(dest) / d.name if dest and len(dirs) > 1 else Path(dest or d)
        out.append(write_report(read_suite_results(d), target, command))
    return out


def scale_line(res: SuiteResults) -> str:
    """What 'lab scale' (or 'paper scale') meant for these runs, and the paper's scale beside it."""
    if not res.configs:
        return f"{res.scale} scale (no runs yet)"
    first = next(v.name for v in res.suite.variants if v.name in res.configs) if any(
        v.name in res.configs for v in res.suite.variants) else next(iter(res.configs))
    cfg = res.configs[first]
    m, t = cfg["model"], cfg["train"]
    steps = sorted({r.result["steps"] for r in res.runs if r.measured})
    ended = sorted({r.result["ended_by"] for r in res.runs if r.measured})
    minutes = res.manifest.get("budget", {}).get("minutes")
    length = (f"{min(steps)}-{max(steps)} optimizer steps per run" if len(steps) > 1 else
              f"{steps[0]} optimizer steps per run" if steps else "")
    if "time" in ended and minutes:
        length += f" (a {minutes:g}-minute budget per run)"
    datasets = "; ".join(_dataset_text(res, name) for name in
                         dict.fromkeys(res.suite.spec(v, res.scale).data for v in res.suite.variants))
    line = (f"**{res.scale} scale**: D={m['hidden_size']}, {m['num_layers']} layers, T={m['h_cycles']}, "
            f"n={m['l_cycles']}, N_sup={m['halt_max_steps']} (variant {first}), batch {t['global_batch_size']}, "
            f"{t['optimizer']} lr {t['lr']:g}, {length}, {_count(len(res.manifest.get('seeds', [])), 'seed')}; "
            f"data: {datasets}.")
    if res.scale == "lab":
        paper = _paper_scale(res)
        line += f" **This is not the paper's scale** ({paper}); compare directions, not absolute numbers."
    return line + "\n\n" + budget_line(res)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _dataset_text(res: SuiteResults, name: str) -> str:
    d = res.suite.datasets.get(name)
    if d is None:
        return name
    params = ", ".join(f"{k}={v}" for k, v in d.params.items())
    return f"`{name}` ({params}): {d.description}" if params else f"`{name}`: {d.description}"


def _paper_scale(res: SuiteResults) -> str:
    specs = [res.suite.spec(v, "paper") for v in res.suite.variants]
    presets = list(dict.fromkeys(s.preset for s in specs if s.preset))
    if len(presets) != 1:
        data = ", ".join(dict.fromkeys(s.data for s in specs if s.data))
        return f"paper: the presets {', '.join(presets)} on the official datasets {data}"
    spec = specs[0]
    cfg = load_preset(spec.preset)
    m, t = cfg.model, cfg.train
    return (f"paper: D={m.hidden_size}, T={m.h_cycles}, n={m.l_cycles}, N_sup={m.halt_max_steps}, batch "
            f"{t.global_batch_size}, {t.epochs} epochs, "
            f"{res.suite.datasets[spec.data].description if spec.data in res.suite.datasets else spec.data}")


def write_report(res: SuiteResults, dest: str | Path, command: list[str] | None = None) -> Path:
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    suite = res.suite
    lines = [f"# {suite.title} (`{suite.name}`)", ""] + _partial(res) + [
             f"**The paper's claim** (arXiv 2510.04871, {suite.ref}): {suite.claim}", "", scale_line(res), "",
             "Produced by:", "", "```"]
    seen = []
    for c in res.manifest.get("commands", []):
        if c["command"] not in seen:
            seen.append(c["command"])
    report_cmd = shlex.join(command) if command else f"trm experiments report {res.suite_dir}"
    lines += seen + [report_cmd, "```", ""]
    rule = RULE + (" " + MARGIN_RULE if any(c.margin is not None for c in res.suite.claims) else "")
    lines += _results_table(res) + [""] + _verdicts(res) + ["", rule, ""]
    lines += ["## Plots", ""] + [f"![{alt}]({name})" for alt, name in _plots(res, dest)] + [""]
    lines += _runs_table(res) + [""] + _notes(res)
    path = dest / REPORT_FILE
    path.write_text("\n".join(lines) + "\n")
    return path


def _partial(res: SuiteResults) -> list[str]:
    """A banner when not every planned run is measured: what is missing and the command that resumes."""
    variants, seeds = _asked_runs(res)
    planned = len(variants) * len(seeds)
    measured = sum(r.measured for r in res.runs if r.variant in variants and r.seed in seeds)
    if not planned or measured >= planned:
        return []
    command = (res.manifest.get("commands") or [{}])[-1].get("command", "trm experiments run ...")
    return [f"> **PARTIAL RESULTS: {measured} of {planned} runs measured.** The verdicts below judge only what "
            f"is measured. Resume (measured runs are skipped, a stopped run continues from its checkpoint and "
            f"keeps its budget):", ">", f"> `{command}`", ""]


def _asked_runs(res: SuiteResults) -> tuple[list[str], list[int]]:
    """The variants and seeds the latest run command asked for (its `--variant` choices, every variant when
    it named none; its `--seeds K`), the runs the banner's resume command trains: a suite run on purpose
    without some variants, or with more seeds for some, is whole once those runs are measured."""
    everything = [v.name for v in res.suite.variants]
    seeds = list(res.manifest.get("seeds", []))
    commands = res.manifest.get("commands") or [{}]
    try:
        args = shlex.split(commands[-1].get("command", ""))
    except ValueError:  # a hand-edited manifest: count every variant and seed rather than guess
        return everything, seeds
    named = {args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--variant"}
    count = next((args[i + 1] for i, arg in enumerate(args[:-1]) if arg == "--seeds"), "")
    asked = list(range(int(count))) if count.isdigit() else seeds
    return [name for name in everything if name in named] or everything, asked if set(asked) <= set(seeds) else seeds


def _results_table(res: SuiteResults) -> list[str]:
    metrics = [m for m in res.suite.metrics if any(res.values(v.name, m) for v in res.suite.variants)
               or any(v.paper.get(m) is not None for v in res.suite.variants)]
    has_paper = {m: any(v.paper.get(m) is not None for v in res.suite.variants) for m in metrics}
    head = (["variant"] + [x for m in metrics for x in ([f"{METRICS[m].label}, measured"] + (["paper"] if has_paper[m]
                                                                                           else []))]
            + ["runs measured"])
    rows = ["## Results", "", "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    groups = res.by_variant()
    for v in res.suite.variants:
        cells = [f"**{v.name}**" + (f" ({v.label})" if v.label else "")]
        for m in metrics:
            paper = v.paper.get(m)
            cells.append(summary_text(res.values(v.name, m), m))
            if has_paper[m]:
                cells.append("–" if paper is None else f"{paper:g}")
        runs = groups.get(v.name, [])
        cells.append(f"{sum(r.measured for r in runs)}/{len(res.manifest.get('seeds', [])) or len(runs)}")
        rows.append("| " + " | ".join(cells) + " |")
    notes = [f"{v.name}: {v.note}" for v in res.suite.variants if v.note]
    if notes:
        rows += ["", "Notes: " + "; ".join(notes) + "."]
    return rows


FLOOR_POINTS = 2.0  # accuracies (in %) both at or below this: neither variant has learnt the task


@dataclass(frozen=True)
class ClaimVerdict:
    """One claim of a suite judged on what was measured (a row of the report's Verdicts table)."""

    text: str  # the claim, e.g. "mlp_t beats self-attention on Sudoku"
    metric: str  # the metric's label
    better: str  # the variant the paper finds better, with its measured mean ± std, e.g. "mlp 81.2 ± 1.3"
    worse: str
    paper: str  # the paper's figures, "87.4 vs 74.7", or "–"
    verdict: str  # one of stats.VERDICTS
    settle: str = ""  # for an inconclusive verdict: what would settle it (stats.to_settle)


def claim_verdicts(res: SuiteResults) -> list[ClaimVerdict]:
    """The verdict on every claim of the suite, from the measured runs (the rule: stats.verdict)."""
    out = []
    for c in res.suite.claims:
        metric = METRICS[c.metric]
        a, b = res.values(c.better, c.metric), res.values(c.worse, c.metric)
        pa, pb = (res.suite.variant(c.better).paper.get(c.metric), res.suite.variant(c.worse).paper.get(c.metric))
        sa, sb = summarize([scaled(c.metric, x) for x in a]), summarize([scaled(c.metric, x) for x in b])
        worse = f"{c.worse} {summary_text(b, c.metric)}"
        if c.margin is None:
            said = verdict(sa, sb, metric.higher_is_better)
        else:
            said = no_worse_verdict(sa, sb, c.margin, metric.higher_is_better)
            if sa.n > 1 and sb.n > 1:
                d, low, high = difference(sa, sb) if metric.higher_is_better else difference(sb, sa)
                worse += f"; difference {d:+.1f} [{low:+.1f}, {high:+.1f}], margin {c.margin:g}"
        out.append(ClaimVerdict(c.text or f"{c.better} beats {c.worse}", metric.label,
                                f"{c.better} {summary_text(a, c.metric)}", worse,
                                f"{pa:g} vs {pb:g}" if pa is not None and pb is not None else "–", said,
                                to_settle(sa, sb, said, FLOOR_POINTS if metric.percent else None, c.margin,
                                          metric.higher_is_better)))
    return out


def _verdicts(res: SuiteResults) -> list[str]:
    rows = ["## Verdicts", "", "| claim | metric | measured (better vs worse) | paper | verdict | to settle |",
            "|---|---|---|---|---|---|"]
    rows += [f"| {v.text} | {v.metric} | {v.better} vs {v.worse} | {v.paper} | **{v.verdict}** | {v.settle or '–'} |"
             for v in claim_verdicts(res)]
    return rows


def _plots(res: SuiteResults, dest: Path) -> list[tuple[str, str]]:
    out = []
    names = [v.name for v in res.suite.variants]
    claimed = list(dict.fromkeys(c.metric for c in res.suite.claims))
    for m in claimed:
        if not any(res.values(n, m) for n in names):
            continue
        bars = []
        for v in res.suite.variants:
            vals = [scaled(m, x) for x in res.values(v.name, m)]
            s = summarize(vals)
            bars.append(Bar(v.name, s.mean, s.half, vals, v.paper.get(m)))  # error bar: the 95% interval
        file = f"{m}.png"
        bar_chart(dest / file, f"{res.suite.name}: {METRICS[m].label} ({res.scale} scale)", METRICS[m].label, bars)
        out.append((METRICS[m].label, file))
    groups = res.by_variant()
    for kind, label, file in (("eval", "test exact accuracy (%)", "curve_eval_exact.png"),
                              ("cpu", "test exact accuracy (%)", "curve_eval_exact_cpu.png"),
                              ("loss", "training loss", "curve_train_loss.png")):
        series = []
        for i, name in enumerate(names):
            color = PALETTE[i % len(PALETTE)]
            curves = [{"eval": r.eval_curve, "cpu": r.eval_cpu_curve, "loss": r.loss_curve}[kind]
                      for r in groups.get(name, [])]
            curves = [[(s, y if kind == "loss" else y * 100) for s, y in c] for c in curves if c]
            series += [Series("", c, lighten(color), 1) for c in curves]
            mean = _mean_by_index(curves) if kind == "cpu" else _mean_curve(curves)
            if mean:
                series.append(Series(name, mean, color, 3))
        if kind == "cpu" and not any(r.result and r.result.get("train_cpu_seconds") for r in res.runs):
            continue  # runs from before CPU time was recorded
        if series:
            x = "training CPU minutes (one thread)" if kind == "cpu" else "optimizer step"
            line_chart(dest / file, f"{res.suite.name}: {label} during training", x, label, series)
            out.append((f"{label} by {'CPU time' if kind == 'cpu' else 'step'}" if kind != "loss" else label, file))
    return out


def _mean_by_index(curves: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Mean over seeds of each run's i-th point (x and y both averaged): runs on a CPU budget evaluate at
    the same steps but reach them at slightly different CPU times."""
    if not curves:
        return []
    n = min(len(c) for c in curves)
    return [(sum(c[i][0] for c in curves) / len(curves), sum(c[i][1] for c in curves) / len(curves))
            for i in range(n)]


def _mean_curve(curves: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Mean over seeds at the steps every seed recorded."""
    if not curves:
        return []
    common = set.intersection(*(set(s for s, _ in c) for c in curves))
    return [(s, sum(dict(c)[s] for c in curves) / len(curves)) for s in sorted(common)]


def _runs_table(res: SuiteResults) -> list[str]:
    rows = ["## Runs", "", "| variant | seed | state | steps | ended by | exact % | valid % | cells % | training CPU min "
            "| training min | s/step | GFLOP per CPU-s | wall min |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    order = {v.name: i for i, v in enumerate(res.suite.variants)}
    for r in sorted(res.runs, key=lambda r: (order.get(r.variant, len(order)), r.seed)):
        if not r.measured:
            rows.append(f"| {r.variant} | {r.seed} | {r.state} | – | not measured | – | – | – | – | – | – | – | – |")
            continue
        x, m = r.result, r.result["metrics"]
        exact, valid, cells = (f"{m[k] * 100:.1f}" if k in m else "–"
                               for k in ("exact_accuracy", "valid_accuracy", "cell_accuracy"))
        cpu = f"{x['train_cpu_seconds'] / 60:.1f}" if x.get("train_cpu_seconds") else "–"
        rate = throughput(x)
        rows.append(f"| {r.variant} | {r.seed} | {r.state} | {x['steps']} | {x['ended_by']} | {exact} | {valid} | "
                    f"{cells} | {cpu} | {x['train_seconds'] / 60:.1f} | {m['seconds_per_step']:.3f} | "
                    f"{'–' if rate is None else f'{rate:.1f}'} | {x['wall_seconds'] / 60:.1f} |")
    return rows


def _notes(res: SuiteResults) -> list[str]:
    measured = [r for r in res.runs if r.measured]
    ev = next((r.result["evaluation"] for r in measured if r.result.get("evaluation")), None)
    cfg = next(iter(res.configs.values()), {})
    threads = cfg.get("train", {}).get("threads", 0)
    wall = sum(r.result["wall_seconds"] for r in measured) / 60
    notes = ["## Notes", ""]
    if ev:
        weights: dict[str, list[str]] = {}  # weights -> variants (a variant without EMA is evaluated raw)
        for r in measured:
            used = (r.result.get("evaluation") or {}).get("weights")
            if used and r.variant not in weights.setdefault(used, []):
                weights[used].append(r.variant)
        said = (f"{next(iter(weights))} weights" if len(weights) <= 1 else
                " and ".join(f"{w} weights ({', '.join(sorted(v))})" for w, v in sorted(weights.items())))
        notes.append(f"- Evaluation: {ev['count']} held-out test puzzles, {ev['sup_steps']} supervision steps, "
                     f"{said}; exact accuracy = every cell of the answer equals the dataset's label.")
    devices = sorted({r.result.get("device", "") for r in measured} - {""}) or ["?"]
    notes.append(f"- Seconds per optimizer step are training time only (evaluation excluded), measured on "
                 f"{', '.join(devices)} with {threads or 'default'} torch thread(s) on a machine "
                 "that may be shared; they compare variants run in the same session, not machines.")
    if any(r.result.get("budget", {}).get("cpu_minutes") for r in measured):
        notes.append(load_note(res))
    rising = []
    for name, runs in res.by_variant().items():
        curve = _mean_curve([r.eval_curve for r in runs if r.eval_curve])
        if len(curve) >= 2 and curve[-1][1] - curve[-2][1] > 0.01:
            rising.append(name)
    if rising:
        notes.append(f"- Test accuracy was still rising at the end of the budget ({', '.join(rising)}: more than one "
                     "point over the last evaluation interval), so this compares how far each variant got within "
                     "the budget, not converged accuracy as in the paper.")
    cpu = sum(r.result.get("train_cpu_seconds", 0.0) for r in measured) / 60
    notes.append(f"- Total training CPU time of the measured runs: {cpu:.0f} CPU-min (one thread; evaluation "
                 f"excluded); total wall clock: {wall:.0f} min. Python {sys.version.split()[0]}.")
    notes.append("- Every run is a normal run directory (config.json, metrics.jsonl, checkpoints/) under the "
                 "experiment folder; `trm experiments run` with the same arguments skips measured runs and resumes "
                 "stopped ones.")
    return notes
