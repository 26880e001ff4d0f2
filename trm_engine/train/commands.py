"""`trm train`, `trm runs list`, `trm bench train`, `trm bench learn`."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from ..cli import count
from ..errors import ConfigError, RunError
from ..model.commands import add_preset_args, resolved_config
from ..progress import Progress, clock_text


def register(sub, bench_sub) -> None:
    train = sub.add_parser(
        "train", help="train TRM/HRM on a dataset file, writing a run directory",
        description="Train a model. Works unchanged under torchrun: "
                    "torchrun --nproc_per_node N -m trm_engine.cli train ... (rank 0 writes the run directory).")
    add_preset_args(train, required=False)
    train.add_argument("--data", metavar="FILE",
                       help="dataset file from `trm data build/import` (with --resume: the run's own by default)")
    train.add_argument("--run-dir", metavar="DIR", help="run directory (default: a new folder under the runs root)")
    length = train.add_mutually_exclusive_group()
    length.add_argument("--steps", type=count(1), help="optimizer steps")
    length.add_argument("--epochs", type=count(1), help="epochs in the official sense (groups x examples / batch)")
    train.add_argument("--device", help="auto, cpu, cuda, cuda:N or mps (default: the preset's, auto)")
    train.add_argument("--seed", type=count(0), help="random seed (default: the preset's, 0)")
    train.add_argument("--name", help="a name for the run, shown in the app's run list")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --run-dir from its latest checkpoint with its stored config "
                            "(also to extend a finished run: --resume --steps N); --preset, --data and --set may "
                            "be left out, and a --set that changes the model or the optimisation is refused")
    train.add_argument("--quiet", action="store_true", help="no progress lines")
    train.set_defaults(func=_train)

    runs = sub.add_parser("runs", help="list run directories")
    rsub = runs.add_subparsers(dest="runs_command", metavar="ACTION")
    rsub.required = True
    ls = rsub.add_parser("list", help="every run in a folder (default: the runs root): state, step, best eval")
    ls.add_argument("folder", nargs="?", metavar="FOLDER",
                    help="a folder of run directories (such as the runs/ of `--run-dir runs/NAME`) or one run "
                         "directory (default: the runs root, $TRM_LAB_RUNS or the platformdirs data dir)")
    ls.add_argument("--root", metavar="DIR", help="the same as FOLDER")
    ls.add_argument("--json", action="store_true", help="print one JSON list")
    ls.set_defaults(func=_runs_list)

    bt = bench_sub.add_parser("train", help="a whole training step (data, loss, optimizer, EMA) against the bare "
                                            "forward+backward and the matmul rate")
    add_preset_args(bt)
    bt.add_argument("--batch", type=count(0), default=0, help="global batch (default: the preset's, at most 32 on a CPU)")
    bt.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    bt.add_argument("--repeats", type=count(1), default=5, help="timed steps of each kind")
    bt.add_argument("--threads", type=count(0), default=0, help="torch threads (0 = torch's default)")
    bt.add_argument("--json", action="store_true", help="print one JSON object")
    bt.add_argument("--quiet", action="store_true", help="no progress lines")
    bt.set_defaults(func=_bench_train)

    bl = bench_sub.add_parser("learn", help="train from scratch on generated Sudoku for M minutes and report "
                                            "exact and valid accuracy by number of blanks")
    add_preset_args(bl)
    bl.set_defaults(preset="sudoku-mlp-lab")
    bl.add_argument("--minutes", type=float, default=10.0, help="training time budget (default 10)")
    bl.add_argument("--train-puzzles", type=count(1), default=1000, help="training puzzles, each from its own grid")
    bl.add_argument("--train-blanks", type=int, nargs=2, default=(20, 50), metavar=("LO", "HI"),
                    help="blanks of each training puzzle, drawn uniformly in [LO, HI] (default 20 50, the tested range)")
    bl.add_argument("--test-per-level", type=count(1), default=125,
                    help="held-out puzzles at each of 20, 30, 40 and 50 blanks")
    bl.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    bl.add_argument("--threads", type=count(0), default=0, help="torch threads (0 = torch's default)")
    bl.add_argument("--seed", type=count(0), default=0, help="seed of the data and the run")
    bl.add_argument("--json", action="store_true", help="print one JSON object")
    bl.set_defaults(func=_bench_learn)
    for action in bl._actions:  # --preset has a default here
        if action.dest == "preset":
            action.required = False


def _train(args) -> int:
    from ..config import apply_overrides
    from .events import RunFailed, RunStarted, TrainMetrics
    from .run_dir import default_runs_root
    from .trainer import Control, Trainer

    overrides = [f"data.path={args.data}"] if args.data else []
    for key in ("steps", "epochs", "device", "seed"):
        if getattr(args, key) is not None:
            overrides.append(f"train.{key}={getattr(args, key)}")
    if args.steps is not None:
        overrides.append("train.epochs=0")
    if args.name:
        overrides.append(f"name={args.name}")
    stored = stored_config(Path(args.run_dir)) if args.resume and args.run_dir else None
    if stored is not None:
        cfg = resumed_config(stored, Path(args.run_dir), args, overrides)
    else:
        if not args.preset or not args.data:
            raise ConfigError(f"trm train needs --preset NAME and --data FILE"
                              f"{'' if not args.resume else ' (there is no run to resume in --run-dir)'}")
        cfg = apply_overrides(resolved_config(args), overrides)
    if args.run_dir:
        run_dir = Path(args.run_dir)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        run_dir = default_runs_root() / f"{stamp}-{cfg.name or cfg.preset}"
    control = Control()
    signal.signal(signal.SIGINT, lambda *_: control.request_stop())  # Ctrl+C: checkpoint, then stop
    signal.signal(signal.SIGTERM, lambda *_: control.request_stop())
    trainer = Trainer(cfg, run_dir, resume=args.resume, control=control)
    if not args.quiet:  # an evaluation can take minutes (a CPU, ARC): show it when it takes more than a moment
        trainer.eval_progress = lambda step: Progress(f"evaluating at step {step}", unit="puzzles", delay=2.0)
    last = None
    started, first_step = time.time(), None  # the ETA counts only this process's steps (a resume starts late)
    for event in trainer.run():
        last = event
        main = getattr(trainer, "main", True)
        if args.quiet or not main:
            continue
        if isinstance(event, RunStarted):
            first_step = event.step
            print(f"{'resuming' if event.resumed else 'training'} {cfg.preset} on {event.device} "
                  f"({event.params:,} params, world size {event.world_size}) -> {event.run_dir}", flush=True)
            for line in event.warnings:
                print(f"warning: {line}", file=sys.stderr, flush=True)
        elif isinstance(event, TrainMetrics):
            eta = eta_seconds(time.time() - started, first_step, event.step, event.total_steps)
            print(f"step {event.step}/{event.total_steps}  loss {event.loss:.4f}  acc {event.accuracy:.3f}  "
                  f"exact {event.exact_accuracy:.3f}  {event.examples_per_s:.0f} ex/s  ETA {clock_text(eta)}", flush=True)
        else:
            print(_describe(event), flush=True)
    return 1 if isinstance(last, RunFailed) else 0


def stored_config(run_dir: Path):
    """The config a run directory was trained with, or None where there is no run yet."""
    from ..config import RunConfig
    from .run_dir import RunDirectory

    rd = RunDirectory(run_dir)
    if not rd.config_path.is_file():
        return None
    return RunConfig.from_dict(rd.config(), where=str(rd.config_path))


def resumed_config(stored, run_dir: Path, args, overrides: list[str]):
    """A resumed run keeps its stored config: the command line may change only what a resume may change
    (length, device, reporting, the dataset's place); anything else it sets differently is an error."""
    from ..config import apply_overrides, diff_configs
    from ..eval.commands import check_run_dataset
    from .checkpoints import RESUMABLE_CHANGES

    if args.preset and stored.preset and args.preset != stored.preset:
        raise RunError(f"{run_dir} was trained with preset {stored.preset}, not {args.preset}; "
                       "leave out --preset to continue it, or give a new --run-dir")
    cfg = apply_overrides(stored, [*args.overrides, *overrides])
    changed = [d for d in diff_configs(stored.to_dict(), cfg.to_dict()) if d.split(" ", 1)[0] not in RESUMABLE_CHANGES]
    if changed:
        raise RunError(f"{run_dir}: a resumed run keeps its stored config, but the command line changes "
                       f"{'; '.join(changed)} (stored vs given); leave that out, or give a new --run-dir")
    if not args.data:
        check_run_dataset(cfg.data.path, run_dir)
    return cfg


def _describe(event) -> str:
    from .events import CheckpointSaved, EvalResult

    if isinstance(event, EvalResult):
        extra = "".join(f"  pass@{k} {v:.3f}" for k, v in event.pass_at.items())
        if event.pass_at_pooled:
            extra += "  pooled over evaluations:" + "".join(f" pass@{k} {v:.3f}"
                                                            for k, v in event.pass_at_pooled.items())
        return (f"eval at step {event.step}: exact {event.exact_accuracy:.4f}  cells {event.accuracy:.4f}  "
                f"({event.count} puzzles, {event.sup_steps} steps, {event.seconds:.1f}s){extra}")
    if isinstance(event, CheckpointSaved):
        return f"checkpoint {event.path}{' (best)' if event.best else ''}"
    return f"{event.type}: {getattr(event, 'message', '') or f'step {event.step}'}"


def _runs_list(args) -> int:
    from ..cli import print_json
    from .run_dir import RunDirectory, default_runs_root, list_runs

    if args.folder and args.root and Path(args.folder) != Path(args.root):
        raise ConfigError(f"trm runs list: give the folder once ({args.folder} or --root {args.root})")
    folder = args.folder or args.root
    if folder and not Path(folder).is_dir():
        raise RunError(f"{folder}: no such folder")
    one = RunDirectory(Path(folder)) if folder else None
    runs = [one] if one is not None and one.config_path.is_file() else list_runs(folder)
    rows = [r.row() for r in runs]  # a damaged run is a row of its own, never an error
    if args.json:
        print_json(rows)
        return 0
    if not rows:
        print(f"no runs in {folder or default_runs_root()}")
    for r in rows:
        if r["state"] == "damaged":
            print(f"{r['id']:40s} damaged: {r['message']}")
            continue
        best = f"{r['best_eval']:.3f}" if isinstance(r["best_eval"], (int, float)) else "-"
        started = time.strftime("%Y-%m-%d %H:%M", time.localtime(r["started"])) if r["started"] else "-"
        print(f"{r['id']:40s} {r['state']:9s} {r['step']:>7}/{r['total_steps']:<7} best {best:6s} "
              f"{r['device']:8s} {started}")
    return 0


def _bench_train(args) -> int:
    from ..cli import print_json
    from .bench import bench_train, print_bench_train

    cfg = resolved_config(args)
    progress = Progress(f"bench train {cfg.preset}", unit="steps", quiet=args.quiet)
    report = bench_train(cfg, args.batch, args.device, args.repeats, args.threads, progress)
    progress.close()
    if args.json:
        print_json(report)
    else:
        print_bench_train(report)
    return 0


def _bench_learn(args) -> int:
    from ..cli import print_json
    from .bench import bench_learn

    report = bench_learn(resolved_config(args), args.minutes, args.train_puzzles, args.test_per_level,
                         args.device, args.threads, args.seed, log=None if args.json else print,
                         train_blanks=tuple(args.train_blanks))
    if args.json:
        print_json(report)
    return 0


def eta_seconds(elapsed: float, first_step: int | None, step: int, total: int) -> float:
    """Time left at this process's pace: `elapsed` seconds took it from `first_step` to `step`."""
    done = step - (first_step or 0)
    return elapsed / done * max(total - step, 0) if done > 0 else 0.0
