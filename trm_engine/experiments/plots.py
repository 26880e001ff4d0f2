"""PNG charts for experiment reports, drawn with Pillow (no matplotlib): bars of mean +- std per variant
with each seed as a dot and the paper's figure marked, and learning curves (one colour per variant,
thin lines per seed, a thick line for the mean over seeds)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C",
           "#CCB974", "#64B5CD", "#2F4B7C", "#A05195", "#F95D6A", "#665191")
PAPER = "#D62728"
INK, GRID, BG = "#222222", "#E3E3E3", "white"
SCALE = 2  # draw at 2x for crisp text, then keep: PNGs stay small because they are flat colours


@dataclass
class Bar:
    label: str
    mean: float  # NaN: not measured
    std: float = 0.0
    values: list[float] = field(default_factory=list)
    paper: float | None = None


@dataclass
class Series:
    label: str
    points: list[tuple[float, float]]
    color: str = INK
    width: int = 2


def _font(size: int):
    return ImageFont.load_default(size=size * SCALE)


TICK_SLACK = 0.02  # of a step: how far data may pass the last tick


def nice_ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). A range that
    overshoots a round value by at most 2% of a step ends there (a 10-CPU-minute budget ends at 10.01
    minutes: its axis stops at 10, not 15)."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        hi = lo + 1.0
    raw = (hi - lo) / max(1, count)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag * (1 + TICK_SLACK) >= raw)
    first = math.floor(lo / step) * step
    ticks = []
    t = first
    while t <= hi + step * 1e-9:
        ticks.append(round(t, 10))
        t += step
    if ticks[-1] < hi - TICK_SLACK * step:
        ticks.append(round(ticks[-1] + step, 10))
    return ticks


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 and abs(v) >= 1 else f"{v:.3g}"


class _Canvas:
    def __init__(self, width: int, height: int, left: int, right: int, top: int, bottom: int):
        self.img = Image.new("RGB", (width * SCALE, height * SCALE), BG)
        self.d = ImageDraw.Draw(self.img)
        self.x0, self.x1 = left * SCALE, (width - right) * SCALE
        self.y0, self.y1 = top * SCALE, (height - bottom) * SCALE  # y0 top of the plot area

    def text(self, xy, s: str, size: int = 12, fill: str = INK, anchor: str = "la") -> None:
        self.d.text(xy, s, font=_font(size), fill=fill, anchor=anchor)

    def vtext(self, xy, s: str, size: int = 12) -> None:
        """Text turned 90 degrees, centred on xy (y-axis title)."""
        font = _font(size)
        box = self.d.textbbox((0, 0), s, font=font)
        tmp = Image.new("RGBA", (box[2] + 4, box[3] + 4), (255, 255, 255, 0))
        ImageDraw.Draw(tmp).text((2, 2), s, font=font, fill=INK)
        tmp = tmp.rotate(90, expand=True)
        self.img.paste(tmp, (int(xy[0] - tmp.width / 2), int(xy[1] - tmp.height / 2)), tmp)

    def axes(self, title: str, ylabel: str, yticks: list[float], ymap) -> None:
        for t in yticks:
            y = ymap(t)
            self.d.line([(self.x0, y), (self.x1, y)], fill=GRID, width=SCALE)
            self.text((self.x0 - 6 * SCALE, y), _fmt(t), 11, anchor="rm")
        self.d.line([(self.x0, self.y0), (self.x0, self.y1), (self.x1, self.y1)], fill=INK, width=SCALE)
        self.text(((self.x0 + self.x1) / 2, 10 * SCALE), title, 15, anchor="ma")
        self.vtext((14 * SCALE, (self.y0 + self.y1) / 2), ylabel, 12)

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.img.quantize(colors=64).save(path, optimize=True)
        return path


def bar_chart(path: str | Path, title: str, ylabel: str, bars: list[Bar], note: str = "") -> Path:
    """Bars of mean +- std, one dot per seed, the paper's figure as a red dash."""
    width = max(520, 110 + 90 * len(bars))
    long_labels = any(len(b.label) > 11 for b in bars) and len(bars) > 4
    c = _Canvas(width, 430 + (50 if long_labels else 0), 70, 45, 60, 70 + (50 if long_labels else 0))
    tops = [v for b in bars for v in ([b.mean + b.std] + b.values + ([b.paper] if b.paper is not None else []))
            if v is not None and math.isfinite(v)]
    ticks = nice_ticks(0.0, max(tops) * 1.08 if tops and max(tops) > 0 else 1.0)
    lo, hi = ticks[0], ticks[-1]

    def ymap(v: float) -> float:
        return c.y1 - (v - lo) / (hi - lo) * (c.y1 - c.y0)

    c.axes(title, ylabel, ticks, ymap)
    slot = (c.x1 - c.x0) / max(1, len(bars))
    for i, b in enumerate(bars):
        cx = c.x0 + slot * (i + 0.5)
        half = min(slot * 0.32, 45 * SCALE)
        color = PALETTE[i % len(PALETTE)]
        if math.isfinite(b.mean):
            c.d.rectangle([cx - half, ymap(b.mean), cx + half, ymap(lo)], fill=color)
            if b.std > 0:
                top, bottom = ymap(b.mean + b.std), ymap(max(lo, b.mean - b.std))
                c.d.line([(cx, top), (cx, bottom)], fill=INK, width=2 * SCALE)
                for y in (top, bottom):
                    c.d.line([(cx - 8 * SCALE, y), (cx + 8 * SCALE, y)], fill=INK, width=2 * SCALE)
            c.text((cx, ymap(b.mean + b.std) - 4 * SCALE), f"{b.mean:.3g}", 11, anchor="md")
        else:
            c.text((cx, ymap(lo) - 4 * SCALE), "not run", 11, fill="#888888", anchor="md")
        n = len(b.values)
        for j, v in enumerate(b.values):
            dx = (j - (n - 1) / 2) * 7 * SCALE
            r = 3.5 * SCALE
            c.d.ellipse([cx + dx - r, ymap(v) - r, cx + dx + r, ymap(v) + r], fill="white", outline=INK, width=SCALE)
        if b.paper is not None:
            y = ymap(b.paper)
            c.d.line([(cx - half - 6 * SCALE, y), (cx + half + 6 * SCALE, y)], fill=PAPER, width=3 * SCALE)
            c.text((cx + half + 8 * SCALE, y), "paper", 10, fill=PAPER, anchor="lm")
        if long_labels:
            _label_rotated(c, cx, c.y1 + 6 * SCALE, b.label)
        else:
            c.text((cx, c.y1 + 8 * SCALE), b.label, 12, anchor="ma")
    y = c.img.height - 14 * SCALE
    c.text((c.x0, y), "bar: mean ± std over seeds", 10, fill="#555555", anchor="ls")
    x = c.x0 + 175 * SCALE
    r = 3.5 * SCALE
    c.d.ellipse([x - r, y - 4 * SCALE - r, x + r, y - 4 * SCALE + r], fill="white", outline=INK, width=SCALE)
    c.text((x + 8 * SCALE, y), "one seed", 10, fill="#555555", anchor="ls")
    x += 75 * SCALE
    c.d.line([(x - 8 * SCALE, y - 4 * SCALE), (x + 8 * SCALE, y - 4 * SCALE)], fill=PAPER, width=3 * SCALE)
    c.text((x + 14 * SCALE, y), "the paper's figure" + (f"   {note}" if note else ""), 10, fill="#555555",
           anchor="ls")
    return c.save(path)


def _label_rotated(c: _Canvas, cx: float, y: float, s: str) -> None:
    font = _font(11)
    box = c.d.textbbox((0, 0), s, font=font)
    tmp = Image.new("RGBA", (box[2] + 4, box[3] + 4), (255, 255, 255, 0))
    ImageDraw.Draw(tmp).text((2, 2), s, font=font, fill=INK)
    tmp = tmp.rotate(35, expand=True)
    c.img.paste(tmp, (int(cx - tmp.width), int(y)), tmp)


_LEGEND_W, _LEGEND_ROW = 200, 17  # px (before SCALE): the legend's width and its height per series


def _legend_corner(c: _Canvas, lines: list[list[tuple[float, float]]], rows: int) -> tuple[float, float]:
    """Top-left of the legend: the corner of the plot (top right first) whose box the lines cross least."""
    w, h = _LEGEND_W * SCALE, (_LEGEND_ROW * rows + 6) * SCALE
    corners = [(c.x1 - w, c.y0 + 6 * SCALE), (c.x1 - w, c.y1 - h - 6 * SCALE),
               (c.x0 + 12 * SCALE, c.y0 + 6 * SCALE), (c.x0 + 12 * SCALE, c.y1 - h - 6 * SCALE)]
    samples = []
    for pts in lines:  # each segment sampled every few pixels, so a line through a box counts
        for (x0, y0), (x1, y1) in zip(pts, pts[1:]):
            n = max(1, int(max(abs(x1 - x0), abs(y1 - y0)) / (4 * SCALE)))
            samples += [(x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(n + 1)]
        samples += pts[:1]

    def crossed(corner: tuple[float, float]) -> int:
        x, y = corner
        return sum(x - 6 * SCALE <= px <= x + w and y - 4 * SCALE <= py <= y + h for px, py in samples)

    return min(corners, key=crossed)  # min keeps the first of equals: top right


def line_chart(path: str | Path, title: str, xlabel: str, ylabel: str, series: list[Series]) -> Path:
    """Lines on shared axes with a legend of the labelled series (unlabelled ones are per-seed traces)."""
    c = _Canvas(760, 440, 70, 20, 60, 60)
    xs = [x for s in series for x, _ in s.points]
    ys = [y for s in series for _, y in s.points if math.isfinite(y)]
    xt = nice_ticks(0.0, max(xs) if xs else 1.0)
    yt = nice_ticks(min(0.0, min(ys)) if ys else 0.0, max(ys) * 1.05 if ys and max(ys) > 0 else 1.0)

    def xmap(v: float) -> float:
        return c.x0 + (v - xt[0]) / (xt[-1] - xt[0]) * (c.x1 - c.x0)

    def ymap(v: float) -> float:
        return c.y1 - (v - yt[0]) / (yt[-1] - yt[0]) * (c.y1 - c.y0)

    c.axes(title, ylabel, yt, ymap)
    for t in xt:
        c.text((xmap(t), c.y1 + 6 * SCALE), _fmt(t), 11, anchor="ma")
    c.text(((c.x0 + c.x1) / 2, c.img.height - 12 * SCALE), xlabel, 12, anchor="ms")
    for s in series:
        pts = [(xmap(x), ymap(y)) for x, y in s.points if math.isfinite(y)]
        if len(pts) >= 2:
            c.d.line(pts, fill=s.color, width=s.width * SCALE, joint="curve")
        for x, y in pts if len(pts) < 2 or s.width >= 3 else []:
            r = (s.width + 1) * SCALE
            c.d.ellipse([x - r, y - r, x + r, y + r], fill=s.color)
    labelled = [s for s in series if s.label]
    lx, ly = _legend_corner(c, [[(xmap(x), ymap(y)) for x, y in s.points if math.isfinite(y)] for s in series],
                            len(labelled))
    if labelled:
        c.d.rectangle([lx - 6 * SCALE, ly - 4 * SCALE, lx + (_LEGEND_W - 6) * SCALE,
                       ly + (_LEGEND_ROW * len(labelled) + 2) * SCALE], fill=BG)
    for i, s in enumerate(labelled):
        y = ly + i * _LEGEND_ROW * SCALE
        c.d.line([(lx, y + 7 * SCALE), (lx + 22 * SCALE, y + 7 * SCALE)], fill=s.color, width=3 * SCALE)
        c.text((lx + 28 * SCALE, y), s.label, 11)
    return c.save(path)


def lighten(color: str, amount: float = 0.55) -> str:
    """A paler tint of a #RRGGBB colour (for per-seed traces under the mean line)."""
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    r, g, b = (round(v + (255 - v) * amount) for v in (r, g, b))
    return f"#{r:02X}{g:02X}{b:02X}"
