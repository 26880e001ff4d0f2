"""Data parallelism under torchrun (one node or many), the way the official trainer does it: the global
batch is split over ranks, gradients are summed with all-reduce (the loss is already divided by the
global batch size, so the sum is the global mean), the sparse puzzle-embedding gradients are
all-gathered by the optimizer, and only rank 0 writes the run directory. Parameters start equal
because every rank seeds the same init and then takes rank 0's copy."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_from_env(device_type: str) -> DistContext:
    """Join the process group torchrun describes in the environment (or run alone when it does not)."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistContext()
    if not dist.is_initialized():
        dist.init_process_group(backend="nccl" if device_type == "cuda" else "gloo")
    return DistContext(rank=dist.get_rank(), world_size=dist.get_world_size(),
                       local_rank=int(os.environ.get("LOCAL_RANK", "0")))


def broadcast_model(model: nn.Module) -> None:
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            dist.broadcast(t, src=0)


def all_reduce_gradients(model: nn.Module) -> None:
    """Sum every parameter gradient over ranks, in one flat buffer."""
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    if not grads:
        return
    flat = torch.cat([g.reshape(-1) for g in grads])
    dist.all_reduce(flat)
    offset = 0
    for g in grads:
        g.copy_(flat[offset:offset + g.numel()].view_as(g))
        offset += g.numel()


def all_reduce_sum(t: torch.Tensor) -> torch.Tensor:
    dist.all_reduce(t)
    return t


def gather_rows(t: torch.Tensor, ctx: DistContext) -> torch.Tensor:
    """Concatenate every rank's rows (dim 0), in rank order."""
    if not ctx.enabled:
        return t
    parts = [torch.empty_like(t) for _ in range(ctx.world_size)]
    dist.all_gather(parts, t.contiguous())
    return torch.cat(parts)
