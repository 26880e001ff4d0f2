"""Losses and metrics of one supervision step (trm_spec.md 3, the official ACTLossHead).

lm_loss     = sum over sequences of the per-sequence mean cross-entropy over labelled positions
q_halt_loss = sum of BCE(q_halt, "the whole sequence is right now")
total       = lm_loss + 0.5 * (q_halt_loss + q_continue_loss)   (q_continue_loss only with act_continue)
The caller divides `total` by the global batch size before backward.

Cross-entropy is stablemax by default (Prieto et al. 2025): s(x) = x + 1 for x >= 0, 1 / (1 - x) for
x < 0, p_c = s(x_c) / sum_j s(x_j). It is computed in float64 with each branch fed only the inputs it
applies to, so the unused branch can never produce an inf (x = 1 in 1/(1-x)) that poisons gradients.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from ..puzzles.base import IGNORE_LABEL
from .trm import StepOutput


def _stablemax_s(x: torch.Tensor) -> torch.Tensor:
    pos = x >= 0
    return torch.where(pos, x.clamp(min=0) + 1.0, 1.0 / (1.0 - x.clamp(max=0)))


def stablemax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-position stablemax CE in float64; 0 where labels == IGNORE_LABEL. Shapes (..., V), (...)."""
    s = _stablemax_s(logits.double())
    log_p = torch.log(s / s.sum(-1, keepdim=True))
    valid = labels != IGNORE_LABEL
    safe = torch.where(valid, labels, 0).long()
    nll = -log_p.gather(-1, safe.unsqueeze(-1)).squeeze(-1)
    return torch.where(valid, nll, torch.zeros_like(nll))


def softmax_cross_entropy(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-position softmax CE in float32; 0 where labels == IGNORE_LABEL."""
    flat = F.cross_entropy(logits.float().flatten(0, -2), labels.long().flatten(), ignore_index=IGNORE_LABEL,
                           reduction="none")
    return flat.view(labels.shape)


CROSS_ENTROPY = {"stablemax": stablemax_cross_entropy, "softmax": softmax_cross_entropy}


def act_loss(out: StepOutput, labels: torch.Tensor, halted: torch.Tensor, steps: torch.Tensor,
             kind: str = "stablemax", active: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Total loss (summed over the batch) and metric sums; metrics count only halted slots.

    `active` (B,) bool restricts the loss to some slots (the pseudocode-form trainer uses it for
    samples that already halted); by default every slot contributes, as in the official code.
    """
    mask = labels != IGNORE_LABEL  # (B, S)
    count = mask.sum(-1)  # (B,)
    divisor = count.clamp(min=1).unsqueeze(-1)
    with torch.no_grad():
        pred = out.logits.argmax(-1)
        correct = mask & (pred == labels)
        seq_correct = correct.sum(-1) == count  # the whole sequence right (q_halt's target)

    ce = CROSS_ENTROPY[kind](out.logits, labels)  # (B, S)
    per_seq = (ce / divisor).sum(-1)  # per-sequence mean CE
    q_halt_bce = F.binary_cross_entropy_with_logits(out.q_halt, seq_correct.to(out.q_halt.dtype), reduction="none")
    q_cont_bce = None
    if out.target_q_continue is not None:
        q_cont_bce = F.binary_cross_entropy_with_logits(out.q_continue, out.target_q_continue, reduction="none")
    if active is not None:
        w = active.to(per_seq.dtype)
        per_seq = per_seq * w
        q_halt_bce = q_halt_bce * active.to(q_halt_bce.dtype)
        if q_cont_bce is not None:
            q_cont_bce = q_cont_bce * active.to(q_cont_bce.dtype)
    lm_loss = per_seq.sum()
    q_halt_loss = q_halt_bce.sum()
    q_continue_loss = q_cont_bce.sum() if q_cont_bce is not None else torch.zeros((), device=labels.device)
    total = lm_loss.float() + 0.5 * (q_halt_loss + q_continue_loss)

    with torch.no_grad():
        valid = halted & (count > 0)
        metrics = {
            "count": valid.sum(),
            "accuracy": torch.where(valid, correct.sum(-1) / count.clamp(min=1), 0.0).sum(),
            "exact_accuracy": (valid & seq_correct).sum(),
            "q_halt_accuracy": (valid & ((out.q_halt >= 0) == seq_correct)).sum(),
            "steps": torch.where(valid, steps, 0).sum(),
            "lm_loss": lm_loss.detach().float(),
            "q_halt_loss": q_halt_loss.detach(),
            "q_continue_loss": q_continue_loss.detach(),
        }
    return total, metrics
