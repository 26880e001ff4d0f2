"""`trm eval RUN_OR_CHECKPOINT --data FILE ...`."""

from __future__ import annotations

import json
from pathlib import Path

from ..cli import count
from ..errors import RunError


def register(sub, bench_sub) -> None:
    ev = sub.add_parser("eval", help="evaluate a run's best (or latest) checkpoint, or a checkpoint file")
    ev.add_argument("target", metavar="RUN_OR_CHECKPOINT",
                    help="a run directory (its best checkpoint, else its latest) or a checkpoint file")
    ev.add_argument("--data", metavar="FILE", help="dataset file (default: the one the run trained on)")
    ev.add_argument("--split", default="test", help="dataset split to evaluate (default test)")
    ev.add_argument("--limit", type=count(0), default=0, help="evaluate the first N examples (0 = all)")
    ev.add_argument("--steps", type=count(0), default=0,
                    help="supervision steps (default N_sup; more = test-time depth scaling)")
    ev.add_argument("--augmentations", type=count(0), default=0,
                    help="ARC: evaluate this many augmented versions per test input and vote (pass@k)")
    ev.add_argument("--batch", type=count(1), default=256, help="puzzles per forward pass")
    ev.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    ev.add_argument("--weights", choices=("model", "raw_model"), default="model",
                    help="model = the EMA weights when the run used EMA; raw_model = the trained weights")
    ev.add_argument("--submission", metavar="FILE", help="ARC: write the top-2 predictions as submission JSON")
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.set_defaults(func=_eval)


def resolve_checkpoint(target: str) -> Path:
    """A checkpoint file, or a run directory's best checkpoint (its latest when none is marked best)."""
    from ..train.checkpoints import read_best
    from ..train.run_dir import RunDirectory

    path = Path(target)
    if path.is_file():
        return path
    if path.is_dir():
        rd = RunDirectory(path)
        best, _ = read_best(rd.checkpoints)
        if best is not None and best.exists():
            return best
        latest = rd.latest_checkpoint()
        if latest is not None:
            return latest
        raise RunError(f"{path}: no checkpoints in this run directory yet")
    raise RunError(f"{path}: no such checkpoint file or run directory")


def _eval(args) -> int:
    from ..cli import print_json
    from ..data.dataset import PuzzleDataset
    from ..device import resolve_device
    from ..model.checkpoint import load_model
    from .evaluate import evaluate

    path = resolve_checkpoint(args.target)
    model, cfg, body = load_model(path, resolve_device(args.device), weights=args.weights)
    data_path = args.data or cfg.data.path
    if not data_path:
        raise RunError(f"{path}: the checkpoint names no dataset; give --data FILE")
    dataset = PuzzleDataset.open(data_path)
    report = evaluate(model, dataset, args.split, steps=args.steps, batch_size=args.batch, limit=args.limit,
                      augmentations=args.augmentations)
    if args.submission and report.submission is not None:
        Path(args.submission).write_text(json.dumps(report.submission))
    out = {"checkpoint": str(path), "step": body.get("step", 0), "data": str(data_path), "split": args.split,
           **{k: v for k, v in vars(report).items() if k not in ("submission", "predictions")}}
    if args.json:
        print_json(out)
        return 0
    print(f"{path} (step {out['step']}) on {data_path}:{args.split}, {report.count} puzzles, "
          f"{report.sup_steps} supervision steps, {report.seconds:.1f}s")
    print(f"  exact accuracy {report.exact_accuracy:.4f}   cell accuracy {report.accuracy:.4f}")
    print("  exact after each step: " + " ".join(f"{v:.3f}" for v in report.per_step_exact))
    print(f"  q_halt would halt at step {report.halt_step_mean:.2f} on average "
          f"(exact accuracy then {report.exact_if_halted:.4f})")
    for k, v in report.pass_at.items():
        print(f"  pass@{k} {v:.4f}")
    return 0
