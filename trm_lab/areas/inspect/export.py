"""What the Inspect area exports: the trace (HDF5, the engine's trace file, written in a job), the views
as shown (PNG, or SVG drawn by the same painters), the recursion as an animated GIF (frames of the strip
as the app draws it, saved with Pillow: Qt cannot write GIF), and the per-state scalars as CSV.
"""

from __future__ import annotations

import csv
import re
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QPoint
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QWidget

if TYPE_CHECKING:  # the tracer imports torch: not at start-up
    from trm_engine.trace.tracer import Trace

from ...export import write_svg
from .data import TraceData

EXPORTS = {  # kind: (dialog title, filter, suffix)
    "trace": ("Export trace", "Trace files (*.trace.h5)", ".trace.h5"),
    "picture": ("Export view", "PNG image (*.png);;SVG vector image (*.svg)", ".png"),
    "gif": ("Export recursion as GIF", "Animated GIF (*.gif)", ".gif"),
    "csv": ("Export per-state scalars", "CSV table (*.csv)", ".csv"),
}


def with_suffix(path: Path, suffix: str) -> Path:
    """`path` ending in `suffix` (.trace.h5 counts as one suffix); a .svg stays .svg for pictures."""
    name = Path(path).name
    if suffix == ".png" and name.lower().endswith((".png", ".svg")):
        return Path(path)
    return Path(path) if name.lower().endswith(suffix) else Path(path).with_name(name + suffix)


def trace_of(data: TraceData) -> Trace:
    """The trace as recorded so far, as one engine Trace (for writing), its meta saying exactly where it
    sits in the branch tree (and nothing about other branches)."""
    from trm_engine.trace.tracer import BRANCH_KEYS  # torch: loaded by now (a trace exists)

    meta = {k: v for k, v in data.trace.meta.items() if k not in BRANCH_KEYS}
    meta.update(data.branch_meta())
    return replace(data.trace, states=list(data.records), halting=list(data.halting), meta=meta,
                   inputs=data.input_tokens().astype(data.trace.inputs.dtype))


def export_stem(traces: list[TraceData], data: TraceData, all_of: bool = False) -> str:
    """The default file name (without suffix) for exporting `data`: the main trace's title, then which
    trace it is ("_branch_2") or "_main_and_3_branches" for all of them."""
    main = traces[0] if traces else data
    stem = re.sub(r"[^\w.-]+", "_", main.title.removesuffix(" (not run yet)")).strip("_")[:60] or "trace"
    if all_of:
        return f"{stem}_main_and_{len(traces) - 1}_branch{'es' if len(traces) > 2 else ''}"
    return stem if data.branch_step is None else f"{stem}_branch_{data.branch_id}"


def write_trace_file(path: Path, trace: Trace, checkpoint: Path | None, step: int,
                     branches: list[Trace] = ()) -> Path:
    """Write the trace file, with `branches` of it in /branches (runs in a job: hashing the checkpoint
    and compressing take a moment)."""
    from trm_engine.model.checkpoint import file_sha256
    from trm_engine.trace.trace_file import write_trace

    info = {}
    if checkpoint is not None and Path(checkpoint).is_file():
        info = {"path": str(checkpoint), "sha256": file_sha256(checkpoint), "step": int(step)}
    write_trace(path, trace, info, list(branches))
    return Path(path)


@contextmanager
def picture_mode(widget: QWidget):
    """While drawing `widget` for a picture: its trace strips show captions, not their choosers."""
    strips = [s for s in widget.findChildren(QWidget) if hasattr(s, "set_picture_mode")]
    if hasattr(widget, "set_picture_mode"):
        strips.append(widget)
    for strip in strips:
        strip.set_picture_mode(True)
    try:
        yield
    finally:
        for strip in strips:
            strip.set_picture_mode(False)


def export_picture(widget: QWidget, path: Path) -> None:
    """The widget as it is on screen, without its controls: PNG at the screen's resolution, or SVG
    (vector cells and text)."""
    path = Path(path)
    size = widget.size()
    with picture_mode(widget):
        if path.suffix.lower() == ".svg":
            write_svg(path, size, lambda painter: widget.render(painter, QPoint()),
                      description="Exported from TRM Lab's Inspect area")
        elif not widget.grab().save(str(path), "PNG"):
            raise OSError(f"could not write {path}")


def qimage_to_pil(image: QImage):
    from PIL import Image

    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = bytes(image.constBits())[: image.sizeInBytes()]
    return Image.frombuffer("RGBA", (image.width(), image.height()), data, "raw", "RGBA",
                            image.bytesPerLine(), 1).convert("RGB")


def export_gif(frames: list[QImage], path: Path, frame_ms: int) -> int:
    """Save frames (QImages of the views) as an animated GIF that loops; returns the frame count."""
    if not frames:
        raise ValueError("no states to animate")
    pictures = [qimage_to_pil(f) for f in frames]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=max(20, frame_ms), loop=0)
    return len(pictures)


def export_csv(data: TraceData, path: Path) -> int:
    """One row per state: index, name, step, cycle, inner, kind, changed, norm, delta, accuracy,
    exact, and the step's q_halt / p_halt / q_continue on its last state; returns the row count."""
    rows = data.scalar_rows()
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]) if rows else ["index"])
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)
