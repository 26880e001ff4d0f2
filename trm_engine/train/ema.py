"""Exponential moving average of the weights (trm_spec.md 4.1): shadow <- rate * shadow + (1 - rate) * param
after every optimizer step, for parameters only (the puzzle table and the init buffers are used live).

`warmup` uses rate_t = min(rate, (1 + t) / (10 + t)) so that a short run's EMA is not still mostly the
random init (at 0.999 a plain EMA scores ~0 for the first ~800 steps); at the paper's 65k steps the
two are the same. The paper presets turn warm-up off to be exact.
"""

from __future__ import annotations

import torch
from torch import nn


class EMA:
    def __init__(self, model: nn.Module, rate: float = 0.999, warmup: bool = True):
        self.rate = rate
        self.warmup = warmup
        self.updates = 0
        self.shadow = {name: p.detach().clone() for name, p in model.named_parameters() if p.requires_grad}

    def current_rate(self) -> float:
        if not self.warmup:
            return self.rate
        return min(self.rate, (1 + self.updates) / (10 + self.updates))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        rate = self.current_rate()
        names = list(self.shadow)
        params = dict(model.named_parameters())
        torch._foreach_lerp_([self.shadow[n] for n in names], [params[n].detach() for n in names], 1.0 - rate)
        self.updates += 1

    def state_dict_for(self, model: nn.Module) -> dict[str, torch.Tensor]:
        """The model's state dict with parameters replaced by their shadow (buffers taken live)."""
        state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        state.update({k: v.clone() for k, v in self.shadow.items()})
        return state

    def state_dict(self) -> dict:
        return {"rate": self.rate, "warmup": self.warmup, "updates": self.updates,
                "shadow": {k: v.clone() for k, v in self.shadow.items()}}

    def load_state_dict(self, state: dict) -> None:
        self.updates = int(state["updates"])
        for k, v in state["shadow"].items():
            self.shadow[k].copy_(v)
