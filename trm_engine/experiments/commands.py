"""`trm experiments list | plan | run | report | data`: the paper's claims as runnable suites."""

from __future__ import annotations

import signal
import sys
import time

from ..cli import count

SCALE_HELP = "lab (small presets, generated data, minutes per run on a CPU) or paper (the paper's presets and datasets)"


def register(sub, bench_sub) -> None:
    exp = sub.add_parser("experiments", help="the paper's claims as experiment suites: list, plan, run, report",
                         description="Each claim of the TRM paper as a suite of runs (variants x seeds) with the "
                                     "paper's figures beside the measured ones.")
    esub = exp.add_subparsers(dest="experiments_command", metavar="ACTION")
    esub.required = True

    ls = esub.add_parser("list", help="suites, variants and the paper's figures")
    ls.add_argument("--json", action="store_true", help="the suites in suites.json's layout (edit and pass back "
                                                        "with --suite-file)")
    ls.add_argument("--suite-file", metavar="FILE", help="a JSON file of edited or extra suites")
    ls.set_defaults(func=_list)

    for name, helptext in (("plan", "show the runs a suite makes and which are done, without training"),
                           ("run", "train and measure every run not done yet (resumable), then write the report")):
        p = esub.add_parser(name, help=helptext)
        p.add_argument("suite", help="suite name (see `trm experiments list`)")
        p.add_argument("--scale", choices=("lab", "paper"), default="lab", help=SCALE_HELP)
        p.add_argument("--seeds", type=count(1), default=None, help="seeds 0..K-1 (default 3 at lab scale, 1 at paper)")
        p.add_argument("--budget", metavar="B", help="per run: optimizer steps (300, 300steps), wall clock "
                                                     "(20m, 90s, 1h), CPU time of the training thread "
                                                     "(10cpu-min, 600cpu-s; needs --threads 1), training "
                                                     "FLOPs (20Pflop, 2e16flop: load-proof) or several "
                                                     "(300steps,20m); default: the suite's")
        p.add_argument("--out", metavar="DIR", help="experiment folder (default: the app's data dir)/experiments")
        p.add_argument("--data", action="append", metavar="NAME=PATH",
                       help="an official dataset file for paper scale, e.g. sudoku-extreme=data/sudoku.h5")
        p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", dest="overrides",
                       help="config override applied to every run, e.g. model.hidden_size=96 (changes the runs)")
        p.add_argument("--recipe", action="append", default=[], metavar="DATASET.KEY=VALUE",
                       help="edit a lab dataset recipe, e.g. sudoku9-lab.train=200 (builds a new cached file)")
        p.add_argument("--variant", action="append", metavar="NAME", help="only these variants (repeatable)")
        p.add_argument("--threads", type=count(0), default=0, help="torch threads per run (0 = torch's default)")
        p.add_argument("--device", default="", help="auto, cpu, cuda, cuda:N or mps (default: the preset's)")
        p.add_argument("--suite-file", metavar="FILE", help="a JSON file of edited or extra suites")
        if name == "plan":
            p.add_argument("--json", action="store_true", help="the plan as JSON: the suite, scale, command and every run with its state")
            p.set_defaults(func=_plan)
        else:
            p.add_argument("--no-report", action="store_true", help="do not write the report at the end")
            p.add_argument("--quiet", action="store_true", help="no progress lines")
            p.set_defaults(func=_run)

    dp = esub.add_parser("data", help="build (or find) a lab dataset of the suites and print its path",
                         description="The lab datasets are recipes (`trm experiments list --json`, 'datasets'), "
                                     "built on first use into OUT/_data; this builds one without running a suite, "
                                     "to train or inspect on the same puzzles.")
    dp.add_argument("name", help="a lab dataset, e.g. sudoku9-lab or maze9u-lab")
    dp.add_argument("--out", metavar="DIR", help="experiment folder (default: the app's data dir)/experiments")
    dp.add_argument("--suite-file", metavar="FILE", help="a JSON file of edited or extra suites")
    dp.set_defaults(func=_data)

    rp = esub.add_parser("report", help="write report.md and PNG plots for an experiment folder")
    rp.add_argument("dir", help="an --out folder, or one suite folder in it")
    rp.add_argument("--dest", metavar="DIR", help="write the report and plots here (default: the suite folder)")
    rp.set_defaults(func=_report)


def _list(args) -> int:
    from ..cli import print_json
    from .suites import SCALES, list_suites, suites_document

    suites = list_suites(args.suite_file)
    if args.json:
        print_json(suites_document(suites))
        return 0
    for s in suites:
        print(f"{s.name}: {s.title} [{s.ref}]")
        print(f"  {s.claim}")
        for v in s.variants:
            paper = ", ".join(f"{k} {'OOM' if x is None else f'{x:g}'}" for k, x in v.paper.items()) or "-"
            presets = " / ".join(f"{sc}: {s.spec(v, sc).preset}" for sc in SCALES)
            print(f"    {v.name:20s} paper {paper:24s} ({presets})")
        for c in s.claims:
            print(f"    claim: {c.better} > {c.worse} on {c.metric}" + (f" ({c.text})" if c.text else ""))
    return 0


def make_plan(args):
    from .datasets import parse_data_paths
    from .plan import default_out, parse_budget, plan_experiment

    seeds = args.seeds if args.seeds is not None else (3 if args.scale == "lab" else 1)
    return plan_experiment(args.suite, args.scale, seeds, parse_budget(args.budget), args.out or default_out(),
                           parse_data_paths(args.data), args.overrides, args.threads, args.device, args.variant,
                           args.recipe, args.suite_file)


def _plan(args) -> int:
    from ..cli import print_json

    plan = make_plan(args)
    if args.json:
        print_json(plan.to_dict())
        return 0
    print(f"{plan.suite.name} at {plan.scale} scale: {len(plan.runs)} runs in {plan.suite_dir}")
    print(f"  {plan.command()}")
    for r in plan.runs:
        print(f"  {r.variant:20s} seed {r.seed}  {r.config.preset:16s} {r.budget.describe():18s} {r.state:10s} "
              f"{r.detail}")
    counts = ", ".join(f"{n} {state}" for state, n in plan.counts().items())
    print(f"  {counts}")
    from .estimate import estimate

    print(f"  {estimate(plan).describe()}")
    return 0


def _run(args) -> int:
    from ..progress import Progress
    from ..train.control import Control
    from ..train.events import EvalResult, TrainMetrics
    from .estimate import estimate
    from .events import (
        ExperimentFinished,
        ExperimentStopped,
        RunBegan,
        RunMeasured,
        RunNotMeasured,
        RunProgress,
    )
    from .plan import TIME_BUDGET_STEPS
    from .report import write_reports
    from .runner import run_experiment

    plan = make_plan(args)
    print(f"{plan.suite.name}: {estimate(plan).describe()}", flush=True)  # before anything starts, even --quiet
    print(f"  resume (or extend) with: {plan.command()}", flush=True)
    control = Control()
    signal.signal(signal.SIGINT, lambda *_: control.request_stop())  # Ctrl+C: checkpoint, stop; rerun resumes
    signal.signal(signal.SIGTERM, lambda *_: control.request_stop())
    say = (lambda *_: None) if args.quiet else (lambda text: print(text, flush=True))
    started = time.time()
    last = None
    eval_progress = None if args.quiet else \
        (lambda step: Progress(f"evaluating at step {step}", unit="puzzles", delay=2.0))
    for ev in run_experiment(plan, control, eval_progress):
        last = ev
        tag = f"[{getattr(ev, 'index', 0) + 1}/{getattr(ev, 'total', 0)}] {getattr(ev, 'variant', '')} " \
              f"seed {getattr(ev, 'seed', '')}"
        if isinstance(ev, RunBegan):
            say(f"{tag}: {'resuming' if ev.resumed else 'training'} for {ev.budget} -> {ev.run_dir}")
        elif isinstance(ev, RunProgress) and isinstance(ev.event, TrainMetrics) and ev.event.step % 50 == 0:
            e = ev.event
            of = f"/{e.total_steps}" if e.total_steps < TIME_BUDGET_STEPS else ""  # a time budget has no last step
            say(f"{tag}: step {e.step}{of}  loss {e.loss:.4f}  train exact {e.exact_accuracy:.3f}")
        elif isinstance(ev, RunProgress) and isinstance(ev.event, EvalResult):
            say(f"{tag}: eval at step {ev.event.step}: exact {ev.event.exact_accuracy:.4f}  "
                f"cells {ev.event.accuracy:.4f}")
        elif isinstance(ev, RunMeasured):
            m = ev.result["metrics"]
            say(f"{tag}: measured: exact {m.get('exact_accuracy', float('nan')):.4f}, "
                f"{ev.result['steps']} steps, {m['seconds_per_step']:.3f} s/step")
        elif isinstance(ev, RunNotMeasured):
            say(f"{tag}: FAILED: {ev.message}")
        elif isinstance(ev, (ExperimentFinished, ExperimentStopped)):
            say(f"{plan.suite.name}: {ev.message} in {(time.time() - started) / 60:.1f} min")
        elif hasattr(ev, "reason"):
            say(f"{tag}: skipped ({ev.reason})")
        elif hasattr(ev, "dataset"):
            say(f"building dataset {ev.dataset} -> {ev.path}")
    if isinstance(last, ExperimentFinished) and not args.no_report:
        for path in write_reports(plan.suite_dir):
            say(f"report: {path}")
    return 0 if isinstance(last, ExperimentFinished) and not last.failed else 1


def _data(args) -> int:
    from pathlib import Path

    from ..errors import ConfigError
    from .datasets import ensure_dataset
    from .plan import default_out
    from .suites import list_suites, load_suite_file

    specs = {}
    for suite in list_suites() + (list(load_suite_file(args.suite_file).values()) if args.suite_file else []):
        specs.update(suite.datasets)  # a suite file's recipes win
    spec = specs.get(args.name)
    if spec is None or spec.official:
        lab = sorted(n for n, s in specs.items() if not s.official)
        raise ConfigError(f"no lab dataset {args.name!r}; lab datasets: {', '.join(lab)}")
    print(ensure_dataset(spec, Path(args.out or default_out()), {}, log=lambda text: print(text, file=sys.stderr)))
    return 0


def _report(args) -> int:
    from .report import write_reports

    command = ["trm", "experiments", "report", args.dir] + (["--dest", args.dest] if args.dest else [])
    for path in write_reports(args.dir, args.dest, command):
        print(path)
    return 0
