"""Input embeddings: tokens, the optional learned positions, and the sparse puzzle-embedding table.

The puzzle table is a buffer, not a Parameter (as in the official code): it stays out of the
parameter count, the EMA and AdamATan2, and is trained by sign-SGD on the rows a batch touched
(train/optim.py). In training mode each forward copies the touched rows into a fresh leaf tensor
that requires grad and remembers (ids, rows) for that optimizer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..config import ModelConfig
from .layers import trunc_normal_


class PuzzleEmbedding(nn.Module):
    """A (num_ids, ndim) table, zero-initialised; rows are read per example."""

    def __init__(self, num_ids: int, ndim: int):
        super().__init__()
        self.register_buffer("table", torch.zeros(num_ids, ndim), persistent=True)
        self.touched: list[tuple[torch.Tensor, torch.Tensor]] = []  # (ids, leaf rows) since last optimizer step

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        rows = self.table[ids]
        if self.training and torch.is_grad_enabled():
            rows = rows.detach().requires_grad_(True)
            self.touched.append((ids, rows))
        return rows


class InputEmbedding(nn.Module):
    """x = sqrt(D) * [puzzle prefix ; token embeddings] (+ learned positions / sqrt 2)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        D = cfg.hidden_size
        self.hidden_size = D
        self.prefix_len = cfg.prefix_len
        self.scale = math.sqrt(D)
        self.tokens = nn.Parameter(trunc_normal_(torch.empty(cfg.vocab_size, D), 1.0 / self.scale))
        self.positions = (nn.Parameter(trunc_normal_(torch.empty(cfg.full_seq_len, D), 1.0 / self.scale))
                          if cfg.pos_encodings == "learned" else None)
        self.puzzle = PuzzleEmbedding(cfg.num_puzzle_identifiers, cfg.puzzle_emb_ndim) if self.prefix_len else None

    def forward(self, inputs: torch.Tensor, puzzle_ids: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
        x = F.embedding(inputs.long(), self.tokens.to(dtype))  # (B, seq_len, D)
        if self.puzzle is not None:
            p = self.puzzle(puzzle_ids.long()).to(dtype)  # (B, ndim)
            pad = self.prefix_len * self.hidden_size - p.shape[-1]
            if pad > 0:
                p = F.pad(p, (0, pad))  # only the first slot(s) carry content
            x = torch.cat((p.view(-1, self.prefix_len, self.hidden_size), x), dim=1)  # (B, L, D)
        if self.positions is not None:
            x = (x + self.positions.to(dtype)) * (1.0 / math.sqrt(2.0))
        return self.scale * x
