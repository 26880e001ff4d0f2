"""Analytic matmul FLOPs of one supervision step, per example (2 FLOPs per multiply-add).

Forward = T(n+1) network calls + the heads. Training = the forward, plus a backward of about twice the
forward of the part that gets gradients (the last cycle's n+1 calls, or 2 calls with the one-step
gradient), plus one more no-grad forward when the continue loss is on (NFP = 2).
"""

from __future__ import annotations

from ..config import ModelConfig
from .layers import swiglu_width


def block_flops(cfg: ModelConfig) -> int:
    """One block applied to one example of L = prefix + seq_len positions."""
    L, D = cfg.full_seq_len, cfg.hidden_size
    channel = 6 * L * D * swiglu_width(D, cfg.expansion)  # gate_up (2I) + down, 2 FLOPs each
    if cfg.mixer == "mlp_t":
        mixing = 6 * D * L * swiglu_width(L, cfg.expansion)
    else:
        mixing = 2 * L * D * 3 * D + 2 * L * D * D + 4 * L * L * D  # qkv, out, QK^T and AV
    return mixing + channel


def step_flops(cfg: ModelConfig) -> dict[str, int]:
    """FLOPs per example of one supervision step: forward and full training step."""
    T, n = cfg.h_cycles, cfg.l_cycles
    per_block = block_flops(cfg)
    z_call = cfg.num_layers * per_block
    y_call = (cfg.y_layers or cfg.num_layers) * per_block if cfg.separate_nets else z_call
    heads = 2 * cfg.seq_len * cfg.hidden_size * cfg.vocab_size + 2 * cfg.hidden_size * 2
    forward = T * (n * z_call + y_call) + heads
    graded = (n * z_call if cfg.gradient == "full" else z_call) + y_call + heads
    train = forward + 2 * graded
    if cfg.act_continue:
        train += forward  # the bootstrapped continue target's extra forward
    return {"forward": forward, "train": train, "graded_forward": graded}


def batch_train_flops(cfg: ModelConfig, batch: int) -> float:
    """Training FLOPs of one optimizer step of `batch` examples (what a FLOPs budget counts)."""
    return float(step_flops(cfg)["train"] * batch)
