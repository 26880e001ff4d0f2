"""Kill campaign (issue 19): start tiny `trm train` runs, SIGKILL them at random moments, resume each until it
finishes, and count what an interruption costs.

    PYTHONPATH=$PWD python scripts/kill_campaign.py --runs 10 --kills 3 [--seed 0] [--json]

For every run: up to --kills times, start (or resume) the run and SIGKILL it once it has logged a random
step (or, for a random target of 0, at a random moment of its start-up); then resume it to the end
without a kill. Figures:
    kills                 SIGKILLs delivered while the process was still running
    resumes / resumed_ok  resume attempts and how many exited 0 or were killed while running normally
    steps_lost            per kill: last step the killed process logged - the step its resume started from
    files_left            temporary files (.*.tmp) and run.lock left in the run folder after it finished
    temporaries_after_kills  .*.tmp files a kill left behind (the next resume removes them)
    duplicate_steps       train steps logged twice in the final metrics.jsonl (must be 0)
    torn_lines            lines of the final metrics.jsonl that are not whole JSON objects (must be 0)
    same_weights          runs whose final weights equal an uninterrupted run's, bit for bit
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SETTINGS = ("hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1", "halt_max_steps=4",
            "global_batch_size=8", "log_interval=1", "eval_interval=0", "checkpoint_interval=5",
            "lr_warmup_steps=2", "keep_last=2", "threads=1")


def train_command(data: Path, run_dir: Path, steps: int, resume: bool) -> list[str]:
    cmd = [sys.executable, "-m", "trm_engine.cli", "train", "--preset", "sudoku4-mlp-lab", "--data", str(data),
           "--run-dir", str(run_dir), "--steps", str(steps), "--quiet"]
    cmd += [f"--set={s}" for s in SETTINGS]
    return cmd + (["--resume"] if resume else [])


def metrics(run_dir: Path) -> tuple[list[dict], int]:
    """The whole JSON-object lines of metrics.jsonl, and how many lines were not."""
    path = run_dir / "metrics.jsonl"
    if not path.exists():
        return [], 0
    good, torn = [], 0
    for line in path.read_bytes().split(b"\n"):
        if not line:
            continue
        try:
            obj = json.loads(line.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            torn += 1
            continue
        if isinstance(obj, dict):
            good.append(obj)
        else:
            torn += 1
    return good, torn


def last_train_step(run_dir: Path) -> int:
    lines, _ = metrics(run_dir)
    return max((int(x["step"]) for x in lines if x.get("type") == "train"), default=0)


def litter(run_dir: Path) -> list[str]:
    found = [str(p.relative_to(run_dir)) for p in run_dir.rglob(".*.tmp")]
    if (run_dir / "run.lock").exists():
        found.append("run.lock")
    return found


def kill_when_reached(proc: subprocess.Popen, run_dir: Path, target: int, timeout: float) -> None:
    """SIGKILL `proc` once it has logged step `target` (target 0: at a random moment of its start-up,
    before its first step), whatever the machine's load."""
    deadline = time.time() + timeout
    if target == 0:
        time.sleep(random.uniform(0.5, 4.0))  # torch's import alone takes seconds
    while target and proc.poll() is None and time.time() < deadline and last_train_step(run_dir) < target:
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)


def final_weights(run_dir: Path):
    import torch

    files = sorted((run_dir / "checkpoints").glob("step_*.pt"))
    return torch.load(files[-1], weights_only=True)["raw_model"] if files else None


def campaign(runs: int, kills: int, steps: int, seed: int, log) -> dict:
    import torch

    from trm_engine.data.build import SudokuBuild, build_sudoku
    from trm_engine.puzzles.generate import SudokuSettings

    rng = random.Random(seed)
    work = Path(tempfile.mkdtemp(prefix="trm-kill-campaign-"))
    data = build_sudoku(SudokuBuild(train=48, test=16, seed=0, settings=SudokuSettings(box=2))).save(work / "s4.h5")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}

    started = time.perf_counter()
    straight = work / "straight"
    subprocess.run(train_command(data, straight, steps, False), env=env, check=True, timeout=600)
    full_run_s = time.perf_counter() - started
    reference = final_weights(straight)

    figures = {"runs": runs, "steps_per_run": steps, "kills": 0, "resumes": 0, "resumed_ok": 0, "resume_failures": [],
               "steps_lost": [], "files_left": {}, "temporaries_after_kills": 0, "duplicate_steps": 0, "torn_lines": 0, "same_weights": 0,
               "uninterrupted_run_s": round(full_run_s, 1)}
    for r in range(runs):
        run_dir = work / f"run{r}"
        for k in range(kills + 1):
            resume = k > 0 and run_dir.exists()  # a kill before the folder existed leaves nothing to resume
            if resume:
                figures["resumes"] += 1
            launched = time.time()
            proc = subprocess.Popen(train_command(data, run_dir, steps, resume), env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            logged = last_train_step(run_dir)  # the resume starts at or before this
            if k < kills and logged < steps - 1:
                target = rng.randint(logged, steps - 1)
                kill_when_reached(proc, run_dir, 0 if target == logged else target, 600)
            try:
                _, err = proc.communicate(timeout=600)
            except subprocess.TimeoutExpired:
                proc.kill()
                _, err = proc.communicate()
            killed = proc.returncode == -signal.SIGKILL
            if resume and (proc.returncode == 0 or killed):
                figures["resumed_ok"] += 1
            elif resume:
                figures["resume_failures"].append(err.decode(errors="replace").strip().splitlines()[-1:])
            starts = [x for x in metrics(run_dir)[0] if x.get("type") == "started" and x.get("time", 0) >= launched]
            start = starts[-1] if starts else None  # this attempt's (a resume first cuts the log back)
            if resume and start is not None and figures.get("_pending") is not None:
                figures["steps_lost"].append(figures.pop("_pending") - int(start["step"]))
            if killed:
                figures["kills"] += 1
                figures["_pending"] = last_train_step(run_dir)
                figures["temporaries_after_kills"] += len([p for p in litter(run_dir) if p != "run.lock"])
            log(f"run {r} attempt {k}: exit {proc.returncode}, logged up to step {last_train_step(run_dir)}")
            if proc.returncode == 0:
                break
        figures.pop("_pending", None)
        final, torn = metrics(run_dir)
        train_steps = [int(x["step"]) for x in final if x.get("type") == "train"]
        figures["duplicate_steps"] += len(train_steps) - len(set(train_steps))
        figures["torn_lines"] += torn
        left = litter(run_dir)
        if left:
            figures["files_left"][run_dir.name] = left
        weights = final_weights(run_dir)
        if weights is not None and reference is not None and all(torch.equal(weights[k], reference[k])
                                                                  for k in reference):
            figures["same_weights"] += 1
    lost = figures["steps_lost"]
    figures["steps_lost_total"] = sum(lost)
    figures["steps_lost_max"] = max(lost, default=0)
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--runs", type=int, default=10, help="runs to start (default 10)")
    p.add_argument("--kills", type=int, default=3, help="SIGKILLs per run before the last resume (default 3)")
    p.add_argument("--steps", type=int, default=150, help="optimizer steps per run (default 150)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    args = p.parse_args(argv)
    figures = campaign(args.runs, args.kills, args.steps, args.seed,
                       log=(lambda *_: None) if args.json else (lambda m: print(m, file=sys.stderr, flush=True)))
    print(json.dumps(figures, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
