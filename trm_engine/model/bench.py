"""`trm bench model`: speed of one supervision step against the device's own dense matmul rate.

Numbers on a shared machine are noisy, so every figure is a ratio measured in the same process
(achieved FLOP/s over a large same-dtype matmul's FLOP/s), repeated, and reported as min/median.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
import torch.nn.functional as F

from ..config import ModelConfig
from .flops import step_flops
from .losses import act_loss
from .trm import RecursiveModel, compile_networks


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def time_call(fn: Callable[[], object], device: torch.device, repeats: int, warmup: int = 1) -> list[float]:
    """Wall-clock seconds of `repeats` calls of fn after `warmup` untimed calls."""
    for _ in range(warmup):
        fn()
    sync(device)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return times


def matmul_rate(dtype: torch.dtype, device: torch.device, repeats: int = 3) -> float:
    """Best FLOP/s of a large dense x @ W^T (the op the model's layers use) in `dtype` on `device`."""
    n = 4096 if device.type == "cuda" else (2048 if dtype == torch.float32 else 1024)
    a = torch.randn(n, n, device=device, dtype=dtype)
    w = torch.randn(n, n, device=device, dtype=dtype)
    times = time_call(lambda: F.linear(a, w), device, repeats)
    return 2 * n**3 / min(times)


def rates_against_matmul(fn: Callable[[], object], work: float, dtype: torch.dtype, device: torch.device,
                         repeats: int, after_call: Callable[[], None] | None = None
                         ) -> tuple[list[float], list[float], list[float]]:
    """Time fn `repeats` times, measuring the matmul rate right before and after each call, so each
    ratio compares the model with the matmul under the same load. Returns (seconds, rates, fractions).
    `after_call()` runs after the warm-up call and after each timed one, outside the timing."""
    after_call = after_call or (lambda: None)
    fn()  # warm-up
    sync(device)
    after_call()
    seconds, rates, fractions = [], [], []
    before = matmul_rate(dtype, device)
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync(device)
        dt = time.perf_counter() - t0
        after = matmul_rate(dtype, device)
        seconds.append(dt)
        rates.append(work / dt)
        fractions.append(work / dt / ((before + after) / 2))
        before = after
        after_call()
    return seconds, rates, fractions


def random_batch(cfg: ModelConfig, batch: int, device: torch.device) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return {
        "inputs": torch.randint(1, cfg.vocab_size, (batch, cfg.seq_len), generator=g).to(device),
        "labels": torch.randint(1, cfg.vocab_size, (batch, cfg.seq_len), generator=g).to(device),
        "puzzle_identifiers": torch.zeros(batch, dtype=torch.int32).to(device),
    }


def bench_model(cfg: ModelConfig, batch: int, device: torch.device, dtype: torch.dtype,
                repeats: int = 5, inference_steps: int = 16, inference_repeats: int = 2,
                compile: bool = False, progress: Callable[..., None] | None = None) -> dict:
    """Forward+backward of one supervision step and a full inference pass, as rates and fractions
    (`compile`: torch.compile the networks first; the untimed warm-up call pays for the compilation).
    `progress(done, total, fraction, note)` hears of each timed call (warm-ups included); the fraction
    weighs the calls by their FLOPs, as an inference pass costs many training steps."""
    model = RecursiveModel(cfg).to(device)
    model.set_compute_dtype(dtype)
    if compile:
        compile_networks(model)
    data = random_batch(cfg, batch, device)
    flops = step_flops(cfg)

    model.train()

    def train_step():
        carry = model.initial_carry(data)
        carry, out = model.step(carry, data)
        loss, _ = act_loss(out, carry.data["labels"], carry.halted, carry.steps, cfg.loss)
        (loss / batch).backward()
        model.zero_grad(set_to_none=True)
        if model.embed.puzzle is not None:
            model.embed.puzzle.touched.clear()

    model.eval()

    def inference():
        with torch.inference_mode():
            carry = model.initial_carry(data)
            for _ in range(inference_steps):
                carry, _ = model.step(carry, data, max_steps=inference_steps)

    calls = [("train step", flops["train"])] * (repeats + 1) + \
        [("inference pass", flops["forward"] * inference_steps)] * (max(1, inference_repeats) + 1)
    total_work, done = sum(w for _, w in calls), [0, 0.0]

    def tick() -> None:
        done[1] += calls[done[0]][1]
        done[0] += 1
        if progress is not None:
            label = calls[min(done[0], len(calls) - 1)][0]
            progress(done[0], len(calls), done[1] / total_work, f"next: {label}" if done[0] < len(calls) else "")

    if progress is not None:
        progress(0, len(calls), 0.0, "next: train step (warm-up)")
    model.train()
    tr = rates_against_matmul(train_step, flops["train"] * batch, dtype, device, repeats, tick)
    model.eval()
    inf = rates_against_matmul(inference, flops["forward"] * batch * inference_steps, dtype, device,
                               max(1, inference_repeats), tick)
    peak = matmul_rate(dtype, device)

    def summary(result) -> dict:
        seconds, rates, fractions = result
        return {"seconds_min": min(seconds), "seconds_median": statistics.median(seconds),
                "examples_per_s": batch / min(seconds), "flops_per_s": max(rates),
                "fraction_of_matmul_min": min(fractions), "fraction_of_matmul_median": statistics.median(fractions),
                "fraction_of_matmul_best": max(fractions), "repeats": len(seconds)}

    return {
        "batch": batch, "device": str(device), "dtype": str(dtype).replace("torch.", ""), "compiled": compile,
        "threads": torch.get_num_threads(), "matmul_flops_per_s": peak,
        "flops_train_per_example_step": flops["train"], "flops_forward_per_example_step": flops["forward"],
        "train_step": summary(tr),
        "inference": {**summary(inf), "steps": inference_steps},
    }
