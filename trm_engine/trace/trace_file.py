"""Writing the trace file (`*.trace.h5`): one puzzle's recursion, readable with plain h5py
(docs/trace_format.md); trace_read.py reads it. These two modules are the only ones that touch h5py for
traces.

The writer creates every dataset up front (resizable, chunked one state per chunk, gzip + shuffle) and
appends state by state, flushing as it goes, so a viewer can follow a recording and a crash leaves a
readable prefix. `complete` turns true on close. Branches of the trace (an intervention, then more
steps) may ride along in the same file, each in its own group `/branches/<id>` laid out like the root.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import h5py
import numpy as np

from .. import __version__
from ..errors import TraceError
from .recorder import StateRecord
from .render import canvas_shape, token_palette
from .tracer import HaltRecord, Trace

FORMAT = "trm-lab.trace"
VERSION = 1
KINDS = {"z": 0, "y": 1}
SCALARS = {  # name: (dtype, getter)
    "index": ("i4", lambda r: r.index), "sup_step": ("i2", lambda r: r.sup_step), "cycle": ("i2", lambda r: r.cycle),
    "inner": ("i2", lambda r: r.inner), "kind": ("u1", lambda r: KINDS[r.kind]), "changed": ("i4", lambda r: r.changed),
    "norm": ("f4", lambda r: r.norm), "delta": ("f4", lambda r: r.delta),
    "cell_accuracy": ("f4", lambda r: r.cell_accuracy), "exact": ("u1", lambda r: int(r.exact)),
}

CELLS = ("cell_norm", "cell_delta")  # optional per-cell float16 maps, written when the records have them
HALTING = {"sup_step": "i2", "q_halt": "f4", "q_continue": "f4", "state_index": "i4"}


class _GroupWriter:
    """The `puzzle`, `steps` and `halting` groups of one trace inside `parent` (the file or a branch group)."""

    def __init__(self, parent: h5py.Group, trace: Trace, shape: tuple[int, int]):
        self.shape = shape
        H, W = shape
        cfg = trace.model_config
        p = parent.create_group("puzzle")
        p.create_dataset("inputs", data=trace.inputs.reshape(shape).astype(np.uint8))
        if trace.labels is not None:
            labels = np.where(trace.labels < 0, 0, trace.labels).astype(np.uint8)
            p.create_dataset("labels", data=labels.reshape(shape))
        p.create_dataset("palette", data=token_palette(trace.family, int(cfg["vocab_size"])))
        s = self.steps = parent.create_group("steps")
        s.attrs.update({"signal": "cell_accuracy", "axes": ["index"]})
        opts = dict(compression="gzip", compression_opts=4, shuffle=True)
        for name, (dtype, _) in SCALARS.items():
            s.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(1024,))
        s.create_dataset("tokens", shape=(0, H, W), maxshape=(None, H, W), dtype="u1", chunks=(1, H, W), **opts)
        s.create_dataset("confidence", shape=(0, H, W), maxshape=(None, H, W), dtype="f2", chunks=(1, H, W), **opts)
        s.create_dataset("projection", shape=(0, H, W, 3), maxshape=(None, H, W, 3), dtype="f2",
                         chunks=(1, H, W, 3), **opts)
        s["projection"].attrs["fitted"] = False
        for name in CELLS:
            s.create_dataset(name, shape=(0, H, W), maxshape=(None, H, W), dtype="f2", chunks=(1, H, W), **opts)
        if trace.level == "full":
            L, D = int(cfg["seq_len"]) + prefix_len(cfg), int(cfg["hidden_size"])
            s.create_dataset("state", shape=(0, L, D), maxshape=(None, L, D), dtype="f2", chunks=(1, L, D), **opts)
        h = self.halting = parent.create_group("halting")
        for name, dtype in HALTING.items():
            h.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(256,))
        h.attrs.update({"signal": "q_halt", "axes": ["sup_step"]})

    def append_state(self, r: StateRecord) -> None:
        s = self.steps
        n = s["index"].shape[0]
        for name, (_, get) in SCALARS.items():
            s[name].resize((n + 1,))
            s[name][n] = get(r)
        for name, value in (("tokens", r.tokens), ("confidence", r.confidence)):
            s[name].resize((n + 1,) + s[name].shape[1:])
            s[name][n] = value.reshape(self.shape)
        s["projection"].resize((n + 1,) + s["projection"].shape[1:])
        for name in CELLS:
            if getattr(r, name) is not None:
                s[name].resize((n + 1,) + s[name].shape[1:])
                s[name][n] = getattr(r, name).reshape(self.shape)
        if "state" in s and r.state is not None:
            s["state"].resize((n + 1,) + s["state"].shape[1:])
            s["state"][n] = r.state

    def append_halt(self, h: HaltRecord) -> None:
        g = self.halting
        n = g["sup_step"].shape[0]
        for name in HALTING:
            g[name].resize((n + 1,))
            g[name][n] = getattr(h, name)

    def write_projection(self, trace: Trace) -> None:
        if trace.states and all(r.projection is not None for r in trace.states):
            proj = np.stack([r.projection.reshape(self.shape + (3,)) for r in trace.states])
            self.steps["projection"][: len(proj)] = proj
            self.steps["projection"].attrs["fitted"] = True

    def write_all(self, trace: Trace) -> None:
        for r in trace.states:
            self.append_state(r)
        for h in trace.halting:
            self.append_halt(h)
        self.write_projection(trace)


def partial_path(path: str | Path) -> Path:
    """Where a trace for `path` is recorded until it is complete: `NAME.partial` beside it."""
    path = Path(path)
    return path.with_name(path.name + ".partial")


class TraceWriter:
    """Append-while-recording writer. Use as a context manager or call close().

    The states go to `NAME.partial` (readable while recording, marked incomplete); close() renames it
    onto NAME. So a recording that is killed or fails never touches a trace already at NAME, and what it
    had recorded stays readable as NAME.partial (the next recording to NAME starts that file anew)."""

    def __init__(self, path: str | Path, trace: Trace, checkpoint: dict | None = None):
        self.path = Path(path)
        self.partial = partial_path(self.path)
        cfg = trace.model_config
        seq_len = int(cfg["seq_len"])
        self.shape = canvas_shape(seq_len)
        if self.path.is_dir():
            raise TraceError(f"{self.path}: is a folder, not a trace file name")
        try:
            self.f = h5py.File(self.partial, "w", track_order=True)
        except OSError as exc:
            raise TraceError(f"{self.path}: cannot write ({exc})") from None
        attrs = {
            "format": FORMAT, "format_version": VERSION, "creator": f"trm-lab {__version__}",
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "family": trace.family,
            "family_options": json.dumps(trace.family_options), "model_config": json.dumps(cfg, sort_keys=True),
            "T": int(cfg["h_cycles"]), "n": int(cfg["l_cycles"]), "level": trace.level,
            "vocab_size": int(cfg["vocab_size"]), "seq_len": seq_len, "canvas": list(self.shape),
            "meta": json.dumps(trace.meta, default=str), "complete": False, "default": "steps",
        }
        for key, value in (checkpoint or {}).items():
            attrs[f"checkpoint_{key}"] = value
        self.f.attrs.update(attrs)
        self.root = _GroupWriter(self.f, trace, self.shape)

    def append_state(self, r: StateRecord) -> None:
        self.root.append_state(r)
        self.f.flush()

    def append_halt(self, h: HaltRecord) -> None:
        self.root.append_halt(h)
        self.f.flush()

    def add_branch(self, trace: Trace, name: str) -> None:
        """Write a whole branch of this trace (recorded from the same puzzle by the same model) to
        /branches/<name>: its own inputs, states and halting, and its meta (parent, fork step, chain)."""
        group = self.f.require_group("branches").create_group(name)
        group.attrs["meta"] = json.dumps(trace.meta, default=str)
        _GroupWriter(group, trace, self.shape).write_all(trace)
        self.f.flush()

    def close(self, trace: Trace | None = None) -> None:
        """Write the fitted projection (from `trace`), mark the file complete and move it onto its name."""
        if self.f is None:
            return
        if trace is not None:
            self.root.write_projection(trace)
        self.f.attrs["complete"] = True
        self.f.close()
        self.f = None
        try:
            os.replace(self.partial, self.path)
        except OSError as exc:
            raise TraceError(f"{self.path}: cannot write ({exc.strerror or exc}); the trace is in "
                             f"{self.partial}") from None

    def abandon(self) -> None:
        """Stop without completing: the file stays as NAME.partial, marked incomplete."""
        if self.f is not None:
            self.f.close()
            self.f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.abandon()


def prefix_len(cfg: dict) -> int:
    """Positions before the puzzle's (the puzzle embedding's), from a stored model config."""
    if int(cfg.get("puzzle_emb_ndim", 0)) <= 0:
        return 0
    if int(cfg.get("puzzle_emb_len", 0)) > 0:
        return int(cfg["puzzle_emb_len"])
    return -(int(cfg["puzzle_emb_ndim"]) // -int(cfg["hidden_size"]))


def write_trace(path: str | Path, trace: Trace, checkpoint: dict | None = None,
                branches: list[Trace] = ()) -> None:
    """Write a whole trace (already recorded) to `path`, with `branches` of it (each named by its
    meta's branch_id, else its position from 1) in /branches."""
    with TraceWriter(path, trace, checkpoint) as w:
        w.root.write_all(trace)
        for k, branch in enumerate(branches, 1):
            w.add_branch(branch, str(branch.meta.get("branch_id", k)))
        w.close(trace)
