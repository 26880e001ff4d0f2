"""How the Inspect area draws a family's tokens with the app's grid widgets: Sudoku digits with box
lines (givens bold), maze walls / S / G / path, the ARC palette; PAD and ARC's end-of-grid marker get
greys of their own. Also what each view shows for a state: the decoded grid, confidence shading,
cells changed since the previous state of the same kind, right / wrong against the solution.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...widgets.grid_paint import GridState
from ...widgets.palette import ARC_PALETTE, MAZE_PALETTE, CellPalette, digit_palette
from .data import TraceData

PAD_FILL, EOS_FILL = "#C8C8C8", "#E8E8E8"


@dataclass(frozen=True)
class FamilyLook:
    """Display values for tokens: value = value_of_token[token]; token = token_of_value[value]."""

    family: str
    palette: CellPalette
    value_of_token: np.ndarray
    token_of_value: np.ndarray
    box: tuple[int, int] | None = None
    digit_keys: str = "pick"  # how a GridEditor takes digits: "enter" (Sudoku) or "pick"
    user_values: tuple[int, ...] = field(default=())  # the values a user may put in a cell

    def values(self, tokens: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
        t = np.clip(np.asarray(tokens, dtype=np.int64).reshape(-1), 0, len(self.value_of_token) - 1)
        return self.value_of_token[t].reshape(shape)

    def token(self, value: int) -> int:
        return int(self.token_of_value[int(value)])


def _extend(p: CellPalette, extra: tuple[tuple[str, str], ...]) -> CellPalette:
    """`p` with more values (fill, name) after its own, unlabelled."""
    return CellPalette(p.name, p.fills + tuple(f for f, _ in extra), p.labels + ("",) * len(extra),
                       p.names + tuple(n for _, n in extra), p.labels_always)


def family_look(family: str, vocab_size: int, shape: tuple[int, int]) -> FamilyLook:
    """The look for a model's family and canvas. Tokens follow the official encodings."""
    if family == "sudoku":
        n = shape[0]
        box = int(round(n ** 0.5))
        palette = _extend(digit_palette(n), ((PAD_FILL, "pad"),))
        pad = n + 1  # token 0 (PAD) -> its own value; blank token 1 -> 0; digit d (token d+1) -> d
        v = np.array([pad, 0] + list(range(1, vocab_size - 1)), dtype=np.int64)
        v = np.minimum(v, pad)
        t = np.array(list(range(1, n + 2)) + [0], dtype=np.int64)
        return FamilyLook(family, palette, v, t, (box, box) if box * box == n else None, "enter",
                          tuple(range(0, n + 1)))
    if family == "maze":
        palette = _extend(MAZE_PALETTE, ((PAD_FILL, "pad"),))
        v = np.array([5] + list(range(0, vocab_size - 1)), dtype=np.int64)
        v = np.minimum(v, 5)
        t = np.array([1, 2, 3, 4, 5, 0], dtype=np.int64)
        return FamilyLook(family, palette, v, t, None, "pick", (0, 1, 2, 3, 4))
    palette = _extend(ARC_PALETTE, ((PAD_FILL, "pad"), (EOS_FILL, "end of grid")))
    v = np.array([10, 11] + list(range(0, vocab_size - 2)), dtype=np.int64)
    v = np.minimum(v, 11)
    t = np.array(list(range(2, 12)) + [0, 1], dtype=np.int64)
    return FamilyLook("arc", palette, v, t, None, "pick", tuple(range(10)))


def input_state(data: TraceData, look: FamilyLook) -> GridState:
    shape = data.shape
    grid = look.values(data.input_tokens(), shape)
    fixed = (grid > 0) & (grid < len(look.palette) - 1) if look.family == "sudoku" else None
    return GridState(grid=grid, palette=look.palette, box=look.box, fixed=fixed)


def decoded_state(data: TraceData, index: int | None, look: FamilyLook, verdicts: bool) -> GridState:
    """State `index` decoded: confidence as shading (faded = unsure), changed cells outlined and, when
    `verdicts`, right / wrong marks where it matters (see `verdict_layer`)."""
    shape = data.shape
    if index is None:
        return GridState(grid=np.zeros(shape, dtype=np.int64), palette=look.palette, box=look.box)
    r = data.records[index]
    inputs = data.input_tokens()
    grid = look.values(r.tokens, shape)
    state = GridState(grid=grid, palette=look.palette, box=look.box,
                      shading=np.clip(1.0 - r.confidence.astype(np.float32), 0.0, 1.0).reshape(shape) * 0.8)
    if look.family == "sudoku":
        state.fixed = (inputs >= 2).reshape(shape) & (r.tokens == inputs).reshape(shape)
    prev = data.previous_same(index)
    if prev is not None:
        state.outline = (data.records[prev].tokens != r.tokens).reshape(shape)
    labels = data.label_tokens()
    if verdicts and labels is not None:
        state.verdict = verdict_layer(r.tokens, inputs, labels).reshape(shape)
    return state


def verdict_layer(tokens: np.ndarray, inputs: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """+1 right / -1 wrong / 0 unmarked. Every wrong cell is marked; right ones only where the answer
    differs from the input or the model changed the cell (a tick on every Sudoku given, maze wall or
    unchanged ARC cell would hide the cells that matter)."""
    tokens, inputs, labels = (np.asarray(a).reshape(-1).astype(np.int64) for a in (tokens, inputs, labels))
    scored = labels != -100
    right = tokens == labels
    matters = (labels != inputs) | (tokens != inputs)
    return np.where(scored & ~right, -1, np.where(scored & right & matters, 1, 0))


def projection_colors(data: TraceData, index: int | None) -> np.ndarray | None:
    """(H, W, 3) floats: state `index`'s 3-component projection as RGB (None before it is fitted)."""
    if index is None:
        return None
    proj = data.records[index].projection
    return None if proj is None else proj.astype(np.float32).reshape(data.shape + (3,))
