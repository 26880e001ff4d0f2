"""TRM (and HRM, and the paper's ablations) as one recursive model with a step API.

One supervision step (trm_spec.md 2.1), with x the embedded puzzle, y the answer, z the latent:

    repeat T times (the first T-1 without gradient):
        repeat n times:  z <- f(z, y + x)      # latent recursion: the net sees the input
        y <- f(y, z)                           # answer update: no x, which tells f which job it does
    logits = lm_head(y) ; q_halt, q_continue = q_head(y[:, 0])

`initial_carry(batch)` marks every slot halted; `step(carry, batch)` first refills halted slots with
fresh (y_init, z_init) and that slot's row of `batch` (the official streaming carry, 2.2), runs one
supervision step, then decides which slots halt. A `recorder` sees every intermediate y and z.

Variants are switches of ModelConfig: `separate_nets` (f_H for y, f_L for z: 10M "separate f_H/f_L"),
`gradient="one_step"` (only the last z and y update get gradients), `single_z` (one latent:
z <- f(z, x) n times then z <- f(z), heads read z), `act_continue` (halt on q_halt > q_continue with
a bootstrapped continue target from an extra no-grad forward). HRM is separate 4-layer nets +
one-step gradient + act_continue, T=2, n=2.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import torch
from torch import nn

from ..config import ModelConfig
from ..device import resolve_dtype
from .embedding import InputEmbedding
from .layers import Linear, Network, Rotary, trunc_normal_

BATCH_KEYS = ("inputs", "labels", "puzzle_identifiers")


class Recorder(Protocol):
    """Receives every intermediate state of a supervision step, in recursion order.

    kind is "z" (a latent update, inner = 0..n-1) or "y" (the answer update, inner = n); cycle is
    0..T-1; sup_step counts supervision steps from 1; state is (B, L, D) and must not be modified.
    """

    def __call__(self, kind: str, sup_step: int, cycle: int, inner: int, state: torch.Tensor) -> None: ...


@dataclass
class Carry:
    """Per-slot state that persists across supervision steps (detached)."""

    y: torch.Tensor  # (B, L, D) answer state (z_H in the official code)
    z: torch.Tensor  # (B, L, D) latent state (z_L)
    steps: torch.Tensor  # (B,) int32 supervision steps taken by the current puzzle in each slot
    halted: torch.Tensor  # (B,) bool; a halted slot is refilled from the next batch
    data: dict[str, torch.Tensor]  # the batch rows each slot is working on


@dataclass
class StepOutput:
    logits: torch.Tensor  # (B, seq_len, V), puzzle positions only
    q_halt: torch.Tensor  # (B,) fp32 halting logit
    q_continue: torch.Tensor  # (B,) fp32
    target_q_continue: torch.Tensor | None = None  # (B,) only when act_continue and training


class RecursiveModel(nn.Module):
    """TRM / HRM with the paper's ablations as config switches."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        cfg.validate()
        self.cfg = cfg
        D, L = cfg.hidden_size, cfg.full_seq_len
        self.embed = InputEmbedding(cfg)
        self.rotary = Rotary(D // cfg.num_heads, L, cfg.rope_theta) if cfg.pos_encodings == "rope" else None

        def make_net(layers: int) -> Network:
            return Network(layers, D, cfg.num_heads, cfg.expansion, cfg.mixer, L, cfg.rms_norm_eps)

        self.net = make_net(cfg.num_layers)  # f (f_L, the z-update, when separate)
        self.net_y = make_net(cfg.y_layers or cfg.num_layers) if cfg.separate_nets else None  # f_H
        self.lm_head = Linear(D, cfg.vocab_size)
        self.q_head = Linear(D, 2, bias=True)
        with torch.no_grad():  # q starts near "continue": sigmoid(-5) ~ 0.007
            self.q_head.weight.zero_()
            self.q_head.bias.fill_(-5.0)
        # Fixed, not learned, initial states (persistent buffers, as the official code).
        self.register_buffer("y_init", trunc_normal_(torch.empty(D), 1.0))
        self.register_buffer("z_init", trunc_normal_(torch.empty(D), 1.0))
        self._dtype_override: torch.dtype | None = None
        self._matmul_set: torch.dtype | None = None

    # ------------------------------------------------------------------------------------- helpers
    @property
    def matmul_dtype(self) -> torch.dtype:
        """The dtype of the matrix products: the config's (or the forced) dtype."""
        if self._dtype_override is not None:
            return self._dtype_override
        return resolve_dtype(self.cfg.dtype, self.y_init.device)

    @property
    def compute_dtype(self) -> torch.dtype:
        """The dtype of the activations and the carry: the matmul dtype, except that bf16/fp16 on a CPU
        keeps the activations (norms, SiLU, residuals, RoPE) in fp32, as torch.autocast does on CPUs:
        there the elementwise work gains nothing in a half type and pays for conversions."""
        dtype = self.matmul_dtype
        if dtype in (torch.bfloat16, torch.float16) and self.y_init.device.type == "cpu":
            return torch.float32
        return dtype

    def set_compute_dtype(self, dtype: torch.dtype | None) -> None:
        """Force the compute dtype (None: back to the config's choice); see `compute_dtype`."""
        self._dtype_override = dtype

    def _sync_matmul_dtype(self) -> None:
        """Tell the Linear layers to run their products in `matmul_dtype` where it is not the activations'."""
        want = self.matmul_dtype if self.matmul_dtype != self.compute_dtype else None
        if want != self._matmul_set:
            for module in self.modules():
                if isinstance(module, Linear):
                    module.matmul_dtype = want
            self._matmul_set = want

    def num_parameters(self) -> dict[str, int]:
        """Non-embedding parameters (the paper's count, puzzle table excluded) and the puzzle table."""
        params = sum(p.numel() for p in self.parameters())
        table = self.embed.puzzle.table.numel() if self.embed.puzzle is not None else 0
        return {"nonembedding": params, "embedding": table}

    def f_y(self) -> Network:
        return self.net_y if self.net_y is not None else self.net

    # ---------------------------------------------------------------------------------- step API
    def initial_carry(self, batch: dict[str, torch.Tensor]) -> Carry:
        """A carry with every slot halted, so the next `step` loads `batch` into all of them."""
        B = batch["inputs"].shape[0]
        device = batch["inputs"].device
        shape = (B, self.cfg.full_seq_len, self.cfg.hidden_size)
        empty = torch.zeros(shape, dtype=self.compute_dtype, device=device)
        return Carry(
            y=empty, z=empty.clone(),
            steps=torch.zeros(B, dtype=torch.int32, device=device),
            halted=torch.ones(B, dtype=torch.bool, device=device),
            data={k: torch.zeros_like(batch[k]) for k in BATCH_KEYS if k in batch},
        )

    def step(self, carry: Carry, batch: dict[str, torch.Tensor], recorder: Recorder | None = None,
             max_steps: int | None = None,
             explore: tuple[torch.Tensor, torch.Tensor] | None = None) -> tuple[Carry, StepOutput]:
        """Run ONE supervision step. Halted slots are first reset and refilled from `batch`.

        In eval mode a slot halts after `max_steps` (default N_sup) steps; in training mode also when
        q says so, with exploration (trm_spec.md 2.3). `explore` = (explore mask, min steps) per slot
        lets the trainer draw exploration for the global batch (identical on every rank); by default
        it is drawn here.
        """
        dtype = self.compute_dtype
        reset = carry.halted
        y = torch.where(reset.view(-1, 1, 1), self.y_init.to(dtype), carry.y.to(dtype))
        z = torch.where(reset.view(-1, 1, 1), self.z_init.to(dtype), carry.z.to(dtype))
        steps = torch.where(reset, torch.zeros_like(carry.steps), carry.steps)
        data = {k: torch.where(reset.view((-1,) + (1,) * (v.ndim - 1)), batch[k], v) for k, v in carry.data.items()}

        sup_step = int(steps.max()) + 1 if recorder is not None else 0
        y, z, out = self.recurse(y, z, data, recorder, sup_step)
        steps = steps + 1

        with torch.no_grad():
            limit = max_steps or self.cfg.halt_max_steps
            is_last = steps >= limit
            halted = is_last
            if self.training and self.cfg.halt_max_steps > 1:
                if self.cfg.act_continue:
                    halted = halted | (out.q_halt > out.q_continue)
                else:
                    halted = halted | (out.q_halt > 0)
                # Exploration: with prob. p a slot must run at least U{2..N_sup} steps.
                if explore is None:
                    explore = (torch.rand_like(out.q_halt) < self.cfg.halt_exploration_prob,
                               torch.randint_like(steps, low=2, high=self.cfg.halt_max_steps + 1))
                min_steps = explore[0] * explore[1]
                halted = halted & (steps >= min_steps)
                if self.cfg.act_continue:
                    # Bootstrapped target from one more (no-grad) step on the new state: NFP = 2.
                    _, _, nxt = self.recurse(y, z, data, None, 0)
                    target = torch.where(is_last, nxt.q_halt, torch.maximum(nxt.q_halt, nxt.q_continue))
                    out.target_q_continue = torch.sigmoid(target)

        return Carry(y=y, z=z, steps=steps, halted=halted, data=data), out

    def forward(self, carry: Carry, batch: dict[str, torch.Tensor]) -> tuple[Carry, StepOutput]:
        return self.step(carry, batch)

    # ---------------------------------------------------------------------------- the recursion
    def recurse(self, y: torch.Tensor, z: torch.Tensor, data: dict[str, torch.Tensor],
                recorder: Recorder | None, sup_step: int) -> tuple[torch.Tensor, torch.Tensor, StepOutput]:
        """T cycles of (n z-updates, one y-update) from (y, z); returns detached states and outputs."""
        cfg = self.cfg
        T, n = cfg.h_cycles, cfg.l_cycles
        self._sync_matmul_dtype()
        x = self.embed(data["inputs"], data["puzzle_identifiers"], self.compute_dtype)  # (B, L, D)
        f_z, f_y, rot = self.net, self.f_y(), self.rotary
        grad_on = torch.is_grad_enabled()

        for cycle in range(T):
            last_cycle = cycle == T - 1
            for i in range(n):
                # Full gradient: the whole last cycle (n+1 calls); one-step: only its last z and y.
                with torch.set_grad_enabled(grad_on and last_cycle and (cfg.gradient == "full" or i == n - 1)):
                    if cfg.single_z:
                        y = f_z(y, x, rot)  # single latent: z <- f(z + x); kept in `y` for the heads
                    else:
                        z = f_z(z, y + x, rot)
                if recorder is not None:
                    recorder("z", sup_step, cycle, i, y if cfg.single_z else z)
            with torch.set_grad_enabled(grad_on and last_cycle):
                y = f_y(y, None if cfg.single_z else z, rot)
            if recorder is not None:
                recorder("y", sup_step, cycle, n, y)

        P = cfg.prefix_len
        logits = self.lm_head(y)[:, P:]  # (B, seq_len, V)
        q = self.q_head(y[:, 0]).float()  # (B, 2) read at prefix position 0
        out = StepOutput(logits=logits, q_halt=q[:, 0], q_continue=q[:, 1])
        if cfg.single_z:
            z = y
        return y.detach(), z.detach(), out


def compile_networks(model: RecursiveModel) -> RecursiveModel:
    """torch.compile the networks in place (state-dict keys unchanged); the recursion stays eager."""
    model.net.compile(dynamic=False)
    if model.net_y is not None:
        model.net_y.compile(dynamic=False)
    return model
