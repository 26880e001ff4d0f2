"""`trm eval RUN_OR_CHECKPOINT --data FILE ...`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..cli import count
from ..errors import RunError, TrmError

GPU_BATCH, CPU_BATCH = 256, 32


def register(sub, bench_sub) -> None:
    ev = sub.add_parser("eval", help="evaluate a run's best (or latest) checkpoint, or a checkpoint file")
    ev.add_argument("target", metavar="RUN_OR_CHECKPOINT",
                    help="a run directory (its best checkpoint, else its latest) or a checkpoint file")
    ev.add_argument("--data", metavar="FILE", help="dataset file (default: the one the run trained on)")
    ev.add_argument("--split", default="test", help="dataset split to evaluate (default test)")
    ev.add_argument("--limit", type=count(0), default=0, help="evaluate the first N examples (0 = all)")
    ev.add_argument("--steps", type=count(0), default=0,
                    help="supervision steps (default N_sup; more = test-time depth scaling)")
    ev.add_argument("--augmentations", type=count(-1), default=None,
                    help="ARC: augmented versions per test input that vote with the original (pass@k); -1 = every "
                         "stored one, as the official evaluator (default: the run's data.eval_augmentations)")
    ev.add_argument("--batch", type=count(1), default=0,
                    help=f"puzzles per forward pass (default {GPU_BATCH} on a GPU, {CPU_BATCH} on a CPU, where a "
                         "bigger batch is no faster and shows progress less often)")
    ev.add_argument("--quiet", action="store_true", help="no progress lines")
    ev.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    ev.add_argument("--weights", choices=("model", "raw_model"), default="model",
                    help="model = the EMA weights when the run used EMA; raw_model = the trained weights")
    ev.add_argument("--submission", metavar="FILE", help="ARC: write the top-2 predictions as submission JSON")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.set_defaults(func=_eval)


def resolve_checkpoint(target: str) -> Path:
    """A checkpoint file, or a run directory's best checkpoint (its latest when none is marked best, or
    when the mark is damaged: said on stderr)."""
    from ..train.checkpoints import read_best
    from ..train.run_dir import RunDirectory

    path = Path(target)
    if path.is_file():
        return path
    if path.is_dir():
        rd = RunDirectory(path)
        try:
            best, _ = read_best(rd.checkpoints)
        except RunError as exc:
            print(f"warning: {exc}; using the latest checkpoint", file=sys.stderr)
            best = None
        if best is not None and best.exists():
            return best
        latest = rd.latest_checkpoint()
        if latest is not None:
            return latest
        raise RunError(f"{path}: no checkpoints in this run directory yet")
    raise RunError(f"{path}: no such checkpoint file or run directory")


def run_dataset(target: str) -> str:
    """The dataset a run directory names now (a resume with --data may have moved it since its best
    checkpoint was written); "" for a checkpoint file or a folder without a readable config."""
    from ..train.run_dir import RunDirectory

    rd = RunDirectory(Path(target))
    if not rd.config_path.is_file():
        return ""
    try:
        data = rd.config().get("data")
    except (TrmError, AttributeError, TypeError):
        return ""
    path = data.get("path") if isinstance(data, dict) else None
    return path if isinstance(path, str) else ""


def check_run_dataset(data_path: str, source: Path) -> None:
    """The dataset a run or checkpoint names must still be there; say which path when it is not."""
    if Path(data_path).is_file():
        return
    where = "" if Path(data_path).is_absolute() else \
        " (an older run names it relative to the folder it was trained from)"
    raise RunError(f"{source}: the dataset it was trained on, {data_path}, is not there{where}; it may have "
                   "moved or been deleted: give --data FILE")


def _eval(args) -> int:
    from ..cli import print_json
    from ..data.dataset import PuzzleDataset
    from ..device import resolve_device
    from ..model.checkpoint import load_model
    from ..progress import Progress
    from .evaluate import evaluate

    path = resolve_checkpoint(args.target)
    device = resolve_device(args.device)
    model, cfg, body = load_model(path, device, weights=args.weights)
    data_path = args.data or run_dataset(args.target) or cfg.data.path
    if not data_path:
        raise RunError(f"{path}: the checkpoint names no dataset; give --data FILE")
    if not args.data:
        check_run_dataset(data_path, path)
    dataset = PuzzleDataset.open(data_path)
    if args.augmentations is not None:
        cfg.data.eval_augmentations = args.augmentations
    cfg.validate()
    from ..train.recipe import eval_augmentations

    augmentations = eval_augmentations(cfg, dataset)
    batch = args.batch or (CPU_BATCH if device.type == "cpu" else GPU_BATCH)
    progress = Progress(f"eval {args.target} (batch {batch} on {device})", unit="puzzles", quiet=args.quiet)
    report = evaluate(model, dataset, args.split, steps=args.steps, batch_size=batch, limit=args.limit,
                      augmentations=augmentations, progress=progress)
    progress.close()
    if args.submission and report.submission is not None:
        Path(args.submission).write_text(json.dumps(report.submission))
    out = {"checkpoint": str(path), "step": body.get("step", 0), "data": str(data_path), "split": args.split,
           "augmentations": augmentations,
           **{k: v for k, v in vars(report).items() if k not in ("submission", "predictions", "votes")}}
    if args.json:
        print_json(out)
        return 0
    voting = f" (each input with up to {augmentations} augmented versions)" if augmentations else ""
    print(f"{path} (step {out['step']}) on {data_path}:{args.split}, {report.count} puzzles{voting}, "
          f"{report.sup_steps} supervision steps, {report.seconds:.1f}s")
    print(f"  exact accuracy {report.exact_accuracy:.4f}   cell accuracy {report.accuracy:.4f}")
    print("  exact after each step: " + " ".join(f"{v:.3f}" for v in report.per_step_exact))
    print(f"  q_halt would halt at step {report.halt_step_mean:.2f} on average "
          f"(exact accuracy then {report.exact_if_halted:.4f})")
    for k, v in report.pass_at.items():
        print(f"  pass@{k} {v:.4f}")
    return 0
