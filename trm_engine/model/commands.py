"""`trm model info|import` and `trm bench model`. Heavy imports (torch) happen inside the commands, so that
building the `trm` parser stays fast for commands that never touch a model."""

from __future__ import annotations

import argparse
import dataclasses

from ..cli import count
from ..config import apply_overrides, load_preset, preset_description, preset_names


def add_preset_args(p: argparse.ArgumentParser, required: bool = True) -> None:
    p.add_argument("--preset", required=required, metavar="NAME", help=f"one of: {', '.join(preset_names())}")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config field, e.g. --set h_cycles=2 --set train.lr=3e-4 (repeatable)")


def resolved_config(args):
    return apply_overrides(load_preset(args.preset), args.overrides)


def register(sub, bench_sub) -> None:
    model = sub.add_parser("model", help="model configs, parameter counts, FLOPs, official checkpoint import")
    msub = model.add_subparsers(dest="model_command", metavar="ACTION")
    msub.required = True

    info = msub.add_parser("info", help="resolved config, parameter counts and FLOPs per supervision step")
    add_preset_args(info)
    info.add_argument("--json", action="store_true", help="print one JSON object")
    info.set_defaults(func=_info)

    imp = msub.add_parser("import", help="convert an official TRM/HRM checkpoint into a TRM Lab checkpoint")
    imp.add_argument("checkpoint", metavar="OFFICIAL.pt",
                     help="an official TRM or HRM checkpoint (a state dict, or a dict with 'model')")
    add_preset_args(imp)
    imp.add_argument("--out", required=True, metavar="FILE", help="TRM Lab checkpoint to write")
    imp.set_defaults(func=_import)

    export = msub.add_parser("export", help="write a run's best (or any) checkpoint as a small model-only file",
                             description="Keep only the weights to evaluate (the EMA weights when the run used "
                                         "EMA), optionally in float16: what the demo models in resources/ are.")
    export.add_argument("source", metavar="RUN_OR_CHECKPOINT", help="a run directory or a checkpoint file")
    export.add_argument("--out", required=True, metavar="FILE", help="model file to write")
    export.add_argument("--half", action="store_true", help="store float16 weights (half the size)")
    export.set_defaults(func=_export)

    presets = msub.add_parser("presets", help="list the presets",
                              description="Every preset; --json gives each one fully resolved (model, data "
                                          "pipeline, evaluation and training), as `trm train` would run it.")
    presets.add_argument("--json", action="store_true", help="print one JSON object: name -> family, "
                                                             "description, scale and the resolved config")
    presets.set_defaults(func=_presets)

    bench = bench_sub.add_parser("model", help="forward+backward of one supervision step and 16-step inference, "
                                               "as a fraction of the measured matmul rate")
    add_preset_args(bench)
    bench.add_argument("--batch", type=count(1), default=32, help="examples per step (default 32)")
    bench.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N or mps")
    bench.add_argument("--dtype", default="auto", help="auto, float32 or bfloat16 (several: float32,bfloat16)")
    bench.add_argument("--repeats", type=count(1), default=5, help="timed training steps")
    bench.add_argument("--inference-steps", type=count(1), default=16, help="supervision steps of the inference pass")
    bench.add_argument("--inference-repeats", type=count(1), default=2, help="timed inference passes")
    bench.add_argument("--threads", type=count(0), default=0, help="torch threads (0 = torch's default)")
    bench.add_argument("--json", action="store_true", help="print one JSON object")
    bench.add_argument("--quiet", action="store_true", help="no progress lines")
    bench.set_defaults(func=_bench)


def _info(args) -> int:
    from ..cli import print_json
    from .flops import step_flops
    from .trm import RecursiveModel

    cfg = resolved_config(args)
    counts = RecursiveModel(cfg.model).num_parameters()
    flops = step_flops(cfg.model)
    report = {
        "preset": cfg.preset, "config": cfg.to_dict(),
        "params_nonembedding": counts["nonembedding"], "params_embedding": counts["embedding"],
        "flops_forward_per_step": flops["forward"], "flops_train_per_step": flops["train"],
        "sequence_length": cfg.model.full_seq_len,
        "layer_applications_per_step": cfg.model.h_cycles * (cfg.model.l_cycles + 1) * cfg.model.num_layers,
    }
    if args.json:
        print_json(report)
        return 0
    m = cfg.model
    print(f"preset {cfg.preset}: {preset_description(cfg.preset)}")
    for section in ("model", "data", "train"):
        print(f"[{section}]")
        for f in dataclasses.fields(getattr(cfg, section)):
            print(f"  {f.name} = {getattr(getattr(cfg, section), f.name)!r}")
    print(f"parameters: {counts['nonembedding']:,} non-embedding, {counts['embedding']:,} in the puzzle table")
    print(f"sequence length L = {m.full_seq_len} ({m.prefix_len} prefix + {m.seq_len} puzzle tokens)")
    print(f"FLOPs per example and supervision step: forward {flops['forward']:.3e}, "
          f"train (fwd+bwd) {flops['train']:.3e}")
    return 0


def _import(args) -> int:
    from .checkpoint import save_model
    from .official import import_official, read_official

    cfg = resolved_config(args)
    state = read_official(args.checkpoint)
    model = import_official(state, cfg, source=args.checkpoint)
    save_model(args.out, model, cfg, extra={"imported_from": str(args.checkpoint)})
    counts = model.num_parameters()
    print(f"imported {args.checkpoint} as preset {cfg.preset}: {counts['nonembedding']:,} parameters, "
          f"{model.cfg.num_puzzle_identifiers:,} puzzle identifiers -> {args.out}")
    return 0


def _export(args) -> int:
    import torch

    from ..eval.commands import resolve_checkpoint
    from .checkpoint import load_model, save_model

    path = resolve_checkpoint(args.source)
    model, cfg, body = load_model(path)
    save_model(args.out, model, cfg, step=int(body.get("step", 0)),
               dtype=torch.float16 if args.half else None, extra={"exported_from": str(path)})
    print(f"wrote {args.out}: {cfg.preset} at step {body.get('step', 0)} from {path}"
          f"{' (float16)' if args.half else ''}")
    return 0


def _presets(args) -> int:
    from ..cli import print_json
    from ..config import preset_family

    rows = {n: {"family": preset_family(n), "description": preset_description(n)} for n in preset_names()}
    if args.json:
        full = {n: {**r, "scale": "lab" if n.endswith("-lab") else "paper", "config": load_preset(n).to_dict()}
                for n, r in rows.items()}
        print_json(full)
    else:
        for n, r in rows.items():
            print(f"{n:18s} {r['family']:7s} {r['description']}")
    return 0


def _bench(args) -> int:
    import torch

    from ..cli import print_json
    from ..device import resolve_device, resolve_dtype
    from ..progress import Progress
    from .bench import bench_model

    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = resolved_config(args)
    device = resolve_device(args.device)
    results = []
    for name in args.dtype.split(","):
        dtype = resolve_dtype(name.strip(), device)
        if device.type == "cpu" and not args.quiet:
            _warn_if_long(cfg.model, args, device, dtype)
        progress = Progress(f"bench model {cfg.preset} batch {args.batch} on {device} "
                            f"({str(dtype).replace('torch.', '')})", unit="timed calls", quiet=args.quiet)
        results.append(bench_model(cfg.model, args.batch, device, dtype, repeats=args.repeats,
                                   inference_steps=args.inference_steps, inference_repeats=args.inference_repeats,
                                   progress=progress))
        progress.close()
    report = {"preset": cfg.preset, "results": results}
    if args.json:
        print_json(report)
        return 0
    for r in results:
        t, i = r["train_step"], r["inference"]
        print(f"{cfg.preset} batch {r['batch']} on {r['device']} ({r['dtype']}, {r['threads']} threads); "
              f"matmul {r['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s")
        print(f"  train step: {t['seconds_min'] * 1e3:.1f} ms min, {t['examples_per_s']:.1f} examples/s, "
              f"{t['flops_per_s'] / 1e9:.1f} GFLOP/s = {t['fraction_of_matmul_best']:.2f} of matmul "
              f"(median {t['fraction_of_matmul_median']:.2f})")
        print(f"  inference ({i['steps']} steps): {i['seconds_min'] * 1e3:.1f} ms min, "
              f"{i['examples_per_s']:.1f} examples/s, {i['fraction_of_matmul_best']:.2f} of matmul "
              f"(median {i['fraction_of_matmul_median']:.2f})")
    return 0


def _warn_if_long(model_cfg, args, device, dtype) -> None:
    """On a CPU a paper-size model takes minutes per call: say how long at the least before starting."""
    import sys

    from .bench import matmul_rate
    from .flops import step_flops

    flops = step_flops(model_cfg)
    work = args.batch * (flops["train"] * (args.repeats + 1)
                         + flops["forward"] * args.inference_steps * (max(1, args.inference_repeats) + 1))
    seconds = work / matmul_rate(dtype, device, repeats=1)  # the model runs at most at the matmul rate
    if seconds > 60:
        print(f"bench model: at least {seconds / 60:.0f} min on this CPU ({work / 1e12:.1f} TFLOP at its matmul "
              f"rate); a smaller --batch or --inference-steps is quicker", file=sys.stderr, flush=True)
