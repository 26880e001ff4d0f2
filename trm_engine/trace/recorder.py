"""Turning the model's intermediate states into inspectable records (the logit lens of TRM, paper Fig. 6).

The model calls a recorder with every y and z it computes (model/trm.py). `StateRecorder` decodes each
through lm_head as the paper does for both variables, and keeps small per-state facts: the argmax
grid, per-cell confidence, cells changed since the previous state of the same variable, RMS norm and
RMS step-to-step distance, correctness against the solution when known, and (at level "full") the
state itself. Records are plain numpy, ready for a viewer thread or the trace file.

Levels: "step" keeps the last z and the last y of each supervision step; "inner" keeps every update
(T(n+1) per step); "full" is "inner" plus the (L, D) tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..model.trm import RecursiveModel

LEVELS = ("step", "inner", "full")


@dataclass
class StateRecord:
    """One recorded state, in recursion order."""

    index: int  # position in the trace
    sup_step: int  # supervision step, from 1
    cycle: int  # 0..T-1
    inner: int  # 0..n-1 for z-updates, n for the y-update
    kind: str  # "z" or "y"
    tokens: np.ndarray  # (seq_len,) uint8 argmax of lm_head(state)
    confidence: np.ndarray  # (seq_len,) float16 max softmax probability
    changed: int  # cells whose argmax differs from the previous state of the same kind
    norm: float  # RMS of the state over puzzle positions
    delta: float  # RMS distance to the previous state of the same kind (0 for the first)
    cell_accuracy: float = float("nan")  # against the solution, NaN when unknown
    exact: bool = False
    state: np.ndarray | None = None  # (L, D) float16 at level "full"
    features: np.ndarray | None = field(default=None, repr=False)  # (seq_len, D) for the projection fit
    projection: np.ndarray | None = None  # (seq_len, 3) float16, filled by Trace.fit_projection()
    cell_norm: np.ndarray | None = None  # (seq_len,) float16 RMS of each cell's vector
    cell_delta: np.ndarray | None = None  # (seq_len,) float16 RMS of each cell's change since the previous state

    @property
    def name(self) -> str:
        """A stable name, TransformerLens style: step3.cycle1.z2 / step3.cycle2.y."""
        tail = "y" if self.kind == "y" else f"z{self.inner}"
        return f"step{self.sup_step}.cycle{self.cycle}.{tail}"


class StateRecorder:
    """The recorder for ONE puzzle (row `row` of the batch). Calls keep each state; `take()` decodes
    the states kept since the last take in one batch (one lm_head call and one copy to numpy for all
    of them, instead of ~25 small operations and, on a GPU, a synchronisation per state) and returns
    their records."""

    def __init__(self, model: RecursiveModel, level: str = "inner", labels: np.ndarray | None = None, row: int = 0,
                 start_index: int = 0, previous: dict[str, StateRecord] | None = None,
                 previous_states: dict[str, torch.Tensor] | None = None):
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        self.model = model
        self.level = level
        self.row = row
        self.labels = None if labels is None else torch.as_tensor(labels.astype(np.int64))
        self.index = start_index
        self.previous: dict[str, StateRecord] = dict(previous or {})
        self.prev_state: dict[str, torch.Tensor] = dict(previous_states or {})
        self.pending: list[tuple[str, int, int, int, torch.Tensor]] = []

    def __call__(self, kind: str, sup_step: int, cycle: int, inner: int, state: torch.Tensor) -> None:
        cfg = self.model.cfg
        if self.level == "step":
            last_z = kind == "z" and inner == cfg.l_cycles - 1 and cycle == cfg.h_cycles - 1
            last_y = kind == "y" and cycle == cfg.h_cycles - 1
            if not (last_z or last_y):
                return
        self.pending.append((kind, sup_step, cycle, inner, state[self.row].detach().clone()))

    def take(self) -> list[StateRecord]:
        """The records of the states kept since the last take, in order."""
        batch, self.pending = self.pending, []
        return self._decode(batch) if batch else []

    @torch.no_grad()
    def _decode(self, batch: list[tuple[str, int, int, int, torch.Tensor]]) -> list[StateRecord]:
        P = self.model.cfg.prefix_len
        stacked = torch.stack([b[4] for b in batch])  # (k, prefix + seq_len, D)
        states = stacked[:, P:]
        puzzle = states.float()
        logits = self.model.lm_head(states.to(self.model.compute_dtype)).float()
        conf, pred = logits.softmax(-1).max(-1)
        # Each state's predecessor of the same kind (itself when it has none: distance 0).
        before, prev_state = [], dict(self.prev_state)
        for i, (kind, *_rest) in enumerate(batch):
            before.append(prev_state.get(kind, puzzle[i]))
            prev_state[kind] = puzzle[i]
        diff = puzzle - torch.stack(before)
        cell_delta = diff.pow(2).mean(-1).sqrt()
        delta = diff.pow(2).mean((1, 2)).sqrt()
        norm = puzzle.pow(2).mean((1, 2)).sqrt()
        cell_norm = puzzle.pow(2).mean(-1).sqrt()
        tokens = pred.to(torch.uint8).cpu().numpy()
        numpy = {name: t.to(torch.float16).cpu().numpy() for name, t in
                 (("confidence", conf), ("cell_norm", cell_norm), ("cell_delta", cell_delta), ("features", puzzle))}
        full = stacked.to(torch.float16).cpu().numpy() if self.level == "full" else None
        delta, norm = delta.tolist(), norm.tolist()
        if self.labels is not None:
            mask = self.labels != -100
            right = ((pred.cpu() == self.labels) & mask).sum(-1).tolist()
            scored = int(mask.sum())
        out = []
        for i, (kind, sup_step, cycle, inner, _state) in enumerate(batch):
            prev = self.previous.get(kind)
            rec = StateRecord(
                index=self.index, sup_step=sup_step, cycle=cycle, inner=inner, kind=kind, tokens=tokens[i],
                confidence=numpy["confidence"][i], changed=int((tokens[i] != prev.tokens).sum()) if prev is not None else 0,
                norm=norm[i], delta=delta[i],
                cell_norm=numpy["cell_norm"][i], cell_delta=numpy["cell_delta"][i],
                state=None if full is None else full[i], features=numpy["features"][i])
            if self.labels is not None:
                rec.cell_accuracy = right[i] / max(1, scored)
                rec.exact = right[i] == scored
            self.index += 1
            self.previous[kind] = rec
            self.prev_state[kind] = puzzle[i]
            out.append(rec)
        return out


def fit_projection(records: list[StateRecord]) -> None:
    """Fit a 3-component PCA on every z state's per-cell vectors and project every state with it.

    The same axes for all states, so colours are comparable along the trace; components are scaled to
    [0, 1] over the whole trace for display as RGB.
    """
    zs = [r.features for r in records if r.kind == "z" and r.features is not None]
    if not zs:
        zs = [r.features for r in records if r.features is not None]
    if not zs:
        return
    X = np.concatenate(zs).astype(np.float32)  # (states * seq_len, D)
    mean = X.mean(0)
    sample = X if len(X) <= 20000 else X[np.random.default_rng(0).choice(len(X), 20000, replace=False)]
    centred = (sample - mean).astype(np.float64)
    # The top eigenvectors of the (D, D) covariance are the SVD's right singular vectors, at a fraction of
    # the cost (an SVD of 20000 x 512 takes seconds on a busy 2-core CPU; this, a few hundred ms).
    _, vectors = np.linalg.eigh(centred.T @ centred)
    axes = vectors[:, ::-1][:, :3].astype(np.float32)  # (D, 3), largest variance first
    projected = [(r.features.astype(np.float32) - mean) @ axes for r in records if r.features is not None]
    lo = np.min([p.min(0) for p in projected], axis=0)
    hi = np.max([p.max(0) for p in projected], axis=0)
    scale = np.where(hi > lo, hi - lo, 1.0)
    for r, p in zip([r for r in records if r.features is not None], projected):
        r.projection = ((p - lo) / scale).astype(np.float16)
