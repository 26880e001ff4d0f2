"""Optimizers and the learning-rate schedule of the official trainer (trm_spec.md 4.1), in plain PyTorch.

- AdamATan2: decoupled weight decay p <- p (1 - lr wd), then p <- p - lr atan2(m_hat, sqrt(v_hat)).
  atan2 replaces Adam's epsilon. The official package is a CUDA-only kernel; this runs anywhere.
- SignSGD for the sparse puzzle-embedding table: on the rows a step touched (gathered across ranks),
  p <- p (1 - lr wd) - lr sign(sum of their gradients). Adam on so sparse a gradient is close to
  sign-SGD, which is the official code's argument for it.
- Schedule: linear warm-up over `warmup` steps, then constant (the official cosine with min ratio 1).
"""

from __future__ import annotations

import math

import torch
import torch.distributed as dist
from torch.optim import Optimizer

from ..model.embedding import PuzzleEmbedding


class AdamATan2(Optimizer):
    """Adam with atan2 instead of division by sqrt(v) + eps, and decoupled weight decay."""

    def __init__(self, params, lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.95), weight_decay: float = 0.0):
        if lr < 0 or weight_decay < 0:
            raise ValueError(f"invalid lr {lr} or weight_decay {weight_decay}")
        super().__init__(params, dict(lr=lr, betas=betas, weight_decay=weight_decay))

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            lr, wd = group["lr"], group["weight_decay"]
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = torch.zeros((), dtype=torch.float32)
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t = float(state["step"])
                m, v = state["exp_avg"], state["exp_avg_sq"]
                p.mul_(1 - lr * wd)
                m.lerp_(p.grad, 1 - beta1)
                v.mul_(beta2).addcmul_(p.grad, p.grad, value=1 - beta2)
                m_hat = m / (1 - beta1**t)
                v_hat_sqrt = v.sqrt() / math.sqrt(1 - beta2**t)
                p.add_(torch.atan2(m_hat, v_hat_sqrt), alpha=-lr)


class SparseSignSGD:
    """Sign-SGD with decoupled weight decay on the touched rows of a PuzzleEmbedding table.

    Not a torch Optimizer (the table is a buffer and the gradients live on per-forward leaf tensors);
    it has the two methods the trainer needs, and no state to save.
    """

    def __init__(self, embedding: PuzzleEmbedding, lr: float, weight_decay: float, world_size: int = 1):
        self.embedding = embedding
        self.lr = lr
        self.weight_decay = weight_decay
        self.world_size = world_size

    @torch.no_grad()
    def step(self) -> None:
        touched = [(ids, rows.grad) for ids, rows in self.embedding.touched if rows.grad is not None]
        self.embedding.touched.clear()
        if not touched:
            return
        ids = torch.cat([i for i, _ in touched])
        grads = torch.cat([g for _, g in touched]).to(self.embedding.table.dtype)
        if self.world_size > 1:  # every rank applies the same update to its copy of the table
            all_ids = [torch.empty_like(ids) for _ in range(self.world_size)]
            all_grads = [torch.empty_like(grads) for _ in range(self.world_size)]
            dist.all_gather(all_ids, ids)
            dist.all_gather(all_grads, grads)
            ids, grads = torch.cat(all_ids), torch.cat(all_grads)
        unique, inverse = ids.unique(return_inverse=True)
        summed = torch.zeros(len(unique), grads.shape[1], dtype=grads.dtype, device=grads.device)
        summed.index_add_(0, inverse, grads)
        table = self.embedding.table
        rows = table[unique]
        rows.mul_(1 - self.lr * self.weight_decay).add_(torch.sign(summed), alpha=-self.lr)
        table[unique] = rows

    def zero_grad(self) -> None:
        self.embedding.touched.clear()


def lr_at(step: int, base_lr: float, warmup: int) -> float:
    """Linear warm-up from 0 over `warmup` steps, then constant (step counts from 0 like the official)."""
    if step < warmup:
        return base_lr * step / max(1, warmup)
    return base_lr
