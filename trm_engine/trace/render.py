"""Pictures of a trace without Qt (for `trm trace render`): one PNG of a state, or a GIF of them all.

Tokens are drawn in each family's colours: ARC uses the standard ARC palette, mazes walls/open/S/G/path,
Sudoku digits on white (givens black, predictions blue, wrong ones red when the solution is known).
Cells are shaded toward grey by (1 - confidence) so uncertain cells look faded.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

ARC_COLOURS = ["#000000", "#0074D9", "#FF4136", "#2ECC40", "#FFDC00", "#AAAAAA", "#F012BE", "#FF851B",
               "#7FDBFF", "#870C25"]
MAZE_COLOURS = ["#3A3A3A", "#FFFFFF", "#2ECC40", "#FF4136", "#FF851B"]  # wall, open, S, G, path
PAD_COLOUR, EOS_COLOUR = "#D8D8D8", "#F4F4F4"


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return tuple(int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))


def canvas_shape(seq_len: int) -> tuple[int, int]:
    """The (rows, cols) a sequence of `seq_len` tokens is drawn as: a square when it is one, else a row."""
    side = int(round(seq_len ** 0.5))
    return (side, side) if side * side == seq_len else (1, seq_len)


def token_palette(family: str, vocab_size: int) -> np.ndarray:
    """(vocab_size, 3) uint8 RGB colour of each token id (stored in trace files as /puzzle/palette)."""
    if family == "arc":
        colours = [PAD_COLOUR, EOS_COLOUR] + ARC_COLOURS
    elif family == "maze":
        colours = [PAD_COLOUR] + MAZE_COLOURS
    else:
        colours = [PAD_COLOUR] + ["#FFFFFF"] * (vocab_size - 1)
    colours = (colours + [PAD_COLOUR] * vocab_size)[:vocab_size]
    return np.array([_rgb(c) for c in colours], dtype=np.uint8)


def render_grid(tokens: np.ndarray, family: str, vocab_size: int, shape: tuple[int, int], cell: int = 24,
                confidence: np.ndarray | None = None, givens: np.ndarray | None = None,
                labels: np.ndarray | None = None, title: str = "") -> Image.Image:
    """One grid of tokens as an image; `givens` (Sudoku input tokens) and `labels` mark digits."""
    H, W = shape
    tokens = np.asarray(tokens).reshape(H, W)
    palette = token_palette(family, vocab_size).astype(np.float32)
    top = 18 if title else 0
    img = Image.new("RGB", (W * cell + 1, H * cell + 1 + top), "white")
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default(size=max(10, int(cell * 0.6)))
    if title:
        draw.text((2, 2), title, fill=(0, 0, 0), font=ImageFont.load_default(size=12))
    conf = None if confidence is None else np.asarray(confidence, np.float32).reshape(H, W)
    giv = None if givens is None else np.asarray(givens).reshape(H, W)
    lab = None if labels is None else np.asarray(labels).reshape(H, W)
    for r in range(H):
        for c in range(W):
            t = int(tokens[r, c])
            colour = palette[min(t, vocab_size - 1)]
            if conf is not None:  # fade toward grey where the model is unsure
                a = float(np.nan_to_num(np.clip(conf[r, c], 0, 1), nan=1.0))
                colour = colour * a + np.array([200, 200, 200]) * (1 - a)
            x0, y0 = c * cell, r * cell + top
            draw.rectangle([x0, y0, x0 + cell, y0 + cell], fill=tuple(int(v) for v in colour), outline=(150, 150, 150))
            if family == "sudoku" and t >= 2:
                given = giv is not None and int(giv[r, c]) >= 2
                wrong = lab is not None and int(lab[r, c]) >= 2 and int(lab[r, c]) != t
                ink = (0, 0, 0) if given else ((220, 30, 30) if wrong else (20, 70, 200))
                draw.text((x0 + cell / 2, y0 + cell / 2), str(t - 1), fill=ink, font=font, anchor="mm")
    if family == "sudoku":
        box = int(round(H ** 0.5))
        for k in range(0, H + 1, box):
            draw.line([(0, k * cell + top), (W * cell, k * cell + top)], fill=(0, 0, 0), width=2)
            draw.line([(k * cell, top), (k * cell, H * cell + top)], fill=(0, 0, 0), width=2)
    return img


def render_state(trace, index: int, cell: int = 24) -> Image.Image:
    """The input, the state's decoded grid (with confidence) and the target side by side."""
    cfg = trace.model_config
    shape = canvas_shape(int(cfg["seq_len"]))
    V = int(cfg["vocab_size"])
    s = trace.states[index]
    labels = None if trace.labels is None else np.where(trace.labels < 0, 0, trace.labels)
    panels = [render_grid(trace.inputs, trace.family, V, shape, cell, title="input"),
              render_grid(s.tokens, trace.family, V, shape, cell, s.confidence, trace.inputs, labels,
                          title=f"{s.name}: {s.kind} decoded")]
    if labels is not None:
        panels.append(render_grid(labels, trace.family, V, shape, cell, givens=trace.inputs, title="solution"))
    gap = 10
    width = sum(p.width for p in panels) + gap * (len(panels) - 1)
    out = Image.new("RGB", (width, max(p.height for p in panels) + 20), "white")
    x = 0
    for p in panels:
        out.paste(p, (x, 0))
        x += p.width + gap
    acc = "" if np.isnan(s.cell_accuracy) else f"  cells right {s.cell_accuracy:.0%}"
    ImageDraw.Draw(out).text((2, out.height - 16), f"state {index + 1}/{len(trace.states)}  changed {s.changed}"
                             f"  |dz|/|dy| {s.delta:.3f}{acc}", fill=(0, 0, 0), font=ImageFont.load_default(size=12))
    return out


def render_gif(trace, path, kind: str = "y", frame_ms: int = 250, cell: int = 24) -> int:
    """Animate the states of one kind ("y", "z" or "all"); returns the number of frames."""
    indices = [i for i, s in enumerate(trace.states) if kind == "all" or s.kind == kind]
    frames = [render_state(trace, i, cell) for i in indices]
    if not frames:
        return 0
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=frame_ms, loop=0)
    return len(frames)
