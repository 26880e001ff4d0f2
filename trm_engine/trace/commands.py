"""`trm trace CHECKPOINT --puzzle ...`, `trm trace info FILE`, `trm trace render FILE --out ...`."""

from __future__ import annotations

import argparse
import sys

from ..cli import count
from ..errors import TraceError

USAGE = """trm trace CHECKPOINT --puzzle FILE_OR_STRING [--family F] [--steps N] [--level step|inner|full] --out FILE.trace.h5
       trm trace info FILE [--json]
       trm trace render FILE --out FILE.gif|FILE.png [--kind y|z|all] [--state I]"""


def register(sub, bench_sub) -> None:
    p = sub.add_parser("trace", help="record a model's recursion on a puzzle; inspect or render trace files",
                       usage=USAGE, description="Record every y and z state of a checkpoint's recursion on one "
                       "puzzle into an HDF5 trace file (format: docs/trace_format.md), summarise one, or draw it.",
                       formatter_class=argparse.RawDescriptionHelpFormatter,
                       epilog="Examples:\n  trm trace run/checkpoints/step_0001000.pt --puzzle resources/examples/"
                              "sudoku/easy.txt --out easy.trace.h5\n  trm trace info easy.trace.h5 --json\n"
                              "  trm trace render easy.trace.h5 --out easy.gif")
    p.add_argument("target", metavar="CHECKPOINT|info|render",
                   help="a checkpoint or a run directory (its best checkpoint) to trace, or the word info or render followed by a trace FILE")
    p.add_argument("file", nargs="?", metavar="FILE", help="the trace file (for info and render)")
    p.add_argument("--puzzle", metavar="FILE_OR_STRING", help="the puzzle: a file or the text itself")
    p.add_argument("--family", choices=("sudoku", "maze", "arc"), help="puzzle family (default: the model's)")
    p.add_argument("--test-index", type=count(0), default=0, help="ARC: which test input of the task")
    p.add_argument("--steps", type=count(0), default=0, help="supervision steps (default N_sup; more is allowed)")
    p.add_argument("--level", choices=("step", "inner", "full"), default="inner",
                   help="step: last y and z per supervision step; inner: every update; full: + the tensors")
    p.add_argument("--weights", choices=("model", "raw_model"), default="model",
                   help="model = the EMA weights when the run used EMA; raw_model = the trained weights")
    p.add_argument("--out", metavar="FILE", help="the trace file to write, or the .gif/.png to render")
    p.add_argument("--kind", choices=("y", "z", "all"), default="y", help="render: which states to animate")
    p.add_argument("--state", type=int, help="render PNG: which state (default the last)")
    p.add_argument("--json", action="store_true", help="info: print one JSON object")
    p.add_argument("--quiet", action="store_true", help="no progress lines while recording")
    p.set_defaults(func=_trace)


def _trace(args) -> int:
    if args.target == "info":
        return _info(args)
    if args.target == "render":
        return _render(args)
    return _record(args)


def _need_file(args) -> str:
    if not args.file:
        raise TraceError(f"trm trace {args.target}: give the trace FILE")
    return args.file


def _info(args) -> int:
    from ..cli import print_json
    from .trace_read import trace_info

    info = trace_info(_need_file(args))
    if args.json:
        print_json(info)
        return 0
    print(f"{info['path']}: {info['family']} puzzle, level {info['level']}, {info['states']} states over "
          f"{info['supervision_steps']} supervision steps (T={info['T']}, n={info['n']}), "
          f"{'complete' if info['complete'] else 'INCOMPLETE (recording stopped early)'}, {info['bytes']:,} bytes")
    if info["final_cell_accuracy"] is not None and info["final_cell_accuracy"] == info["final_cell_accuracy"]:
        print(f"final answer: {info['final_cell_accuracy']:.1%} of cells right, exact {info['final_exact']}")
    print(f"q_halt per step: {info['q_halt']}; first 'halt' at step {info['first_halt_step']}")
    if info["checkpoint"]:
        print(f"checkpoint {info['checkpoint']} sha256 {info['checkpoint_sha256'][:16]}")
    return 0


def _render(args) -> int:
    from .render import render_gif, render_state
    from .trace_read import read_trace

    trace = read_trace(_need_file(args))
    if not args.out or not args.out.lower().endswith((".gif", ".png")):
        raise TraceError("trm trace render: --out must name a .gif or .png file")
    if args.out.lower().endswith(".gif"):
        if not any(args.kind == "all" or s.kind == args.kind for s in trace.states):
            raise TraceError(f"{args.file}: no {args.kind} states to animate ({len(trace.states)} states in all)")
        frames = render_gif(trace, args.out, args.kind)
        print(f"wrote {args.out} ({frames} frames)")
    else:
        index = len(trace.states) - 1 if args.state is None else args.state
        if not 0 <= index < len(trace.states):
            raise TraceError(f"--state {index}: the trace has states 0..{len(trace.states) - 1}")
        render_state(trace, index).save(args.out)
        print(f"wrote {args.out} (state {index})")
    return 0


def _record(args) -> int:
    from ..config import preset_family
    from ..eval.commands import resolve_checkpoint
    from ..model.checkpoint import file_sha256, load_model
    from ..progress import Progress
    from .puzzle_input import prepare_text
    from .trace_file import TraceWriter
    from .tracer import HaltRecord, Tracer

    if not args.puzzle or not args.out:
        raise TraceError("trm trace CHECKPOINT needs --puzzle FILE_OR_STRING and --out FILE.trace.h5")
    path = resolve_checkpoint(args.target)
    model, cfg, body = load_model(path, weights=args.weights)
    family = args.family or preset_family(cfg.preset) if cfg.preset else args.family
    if not family:
        raise TraceError(f"{path}: say which puzzle family the model is for with --family")
    puzzle = prepare_text(family, args.puzzle, cfg.model, args.test_index)
    steps = args.steps or cfg.model.halt_max_steps
    tracer = Tracer(model, family, puzzle.inputs, puzzle.labels, args.level, family_options=puzzle.family_options,
                    meta={"puzzle_source": puzzle.source, "no_solution_because": puzzle.note})
    checkpoint = {"path": str(path), "sha256": file_sha256(path), "step": int(body.get("step", 0))}
    writer = TraceWriter(args.out, tracer.trace, checkpoint)
    progress = Progress(f"tracing {path.name} on {puzzle.source}", unit="supervision steps", quiet=args.quiet)
    progress(0, steps)
    try:
        for item in tracer.run(steps):
            if isinstance(item, HaltRecord):
                writer.append_halt(item)
                progress(item.sup_step, steps)
            else:
                writer.append_state(item)
        writer.close(tracer.finish())
    except BaseException:
        writer.abandon()
        print(f"trm trace: stopped; what was recorded is in {writer.partial} (a trace already at {args.out} "
              "is kept)",
              file=sys.stderr)
        raise
    finally:
        progress.close()
    final = tracer.trace.states[-1] if tracer.trace.states else None
    right = "" if final is None or final.cell_accuracy != final.cell_accuracy else \
        f"; final y: {final.cell_accuracy:.1%} cells right{' (exact)' if final.exact else ''}"
    print(f"wrote {args.out}: {len(tracer.trace.states)} states over {steps} supervision steps{right}")
    return 0
