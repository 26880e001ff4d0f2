"""Stop inside a step: a stop request interrupts the training step or evaluation in flight.

`InFlight.watch(model)` hooks every reasoning block: a forward pre-hook, and a tensor hook on each
block's output so that the backward pass (a long stretch without forward calls) is checked too. While
`InFlight.run(work, save, restore)` runs `work`, the next checked block raises once stop is requested;
`restore(save())` then puts back what the work touched, so the caller can checkpoint the last whole step.
Only where nothing else must agree on the interruption (the trainer decides: one process, eager
networks, the streaming form); elsewhere `run` just calls `work`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from ..model.trm import RecursiveModel
from .control import Control


class Interrupted(Exception):
    """Raised by a block when a stop request interrupts the work in flight."""


class InFlight:
    """See the module docstring."""

    def __init__(self, control: Control, enabled: bool):
        self.control, self.enabled = control, enabled
        self.busy = False

    def watch(self, model: RecursiveModel) -> None:
        """Let a stop request interrupt `model` at its next block, forward or backward."""
        if self.enabled:
            for net in (model.net, model.net_y):
                for block in net.blocks if net is not None else ():
                    block.register_forward_pre_hook(self._check)
                    block.register_forward_hook(self._watch_backward)

    def run(self, work: Callable[[], Any], save: Callable[[], Any],
            restore: Callable[[Any], None]) -> tuple[Any, bool]:
        """`work()` under watch; returns (its result, False), or (None, True) after an interruption."""
        if not self.enabled:
            return work(), False
        state = save()
        self.busy = True
        try:
            return work(), False
        except Interrupted:
            restore(state)
            return None, True
        finally:
            self.busy = False

    def _check(self, *_args) -> None:
        if self.busy and self.control.stop_requested:
            raise Interrupted

    def _watch_backward(self, module, args, output) -> None:
        if self.busy and isinstance(output, torch.Tensor) and output.requires_grad:
            output.register_hook(self._check)
