"""The trace file (`*.trace.h5`): one puzzle's recursion, readable with plain h5py (docs/trace_format.md).

The one place that touches h5py for traces. The writer creates every dataset up front (resizable,
chunked one state per chunk, gzip + shuffle) and appends state by state, flushing as it goes, so a
viewer can follow a recording and a crash leaves a readable prefix. `complete` turns true on close.
"""

from __future__ import annotations

import json
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
_SCALARS = {  # name: (dtype, getter)
    "index": ("i4", lambda r: r.index), "sup_step": ("i2", lambda r: r.sup_step), "cycle": ("i2", lambda r: r.cycle),
    "inner": ("i2", lambda r: r.inner), "kind": ("u1", lambda r: KINDS[r.kind]), "changed": ("i4", lambda r: r.changed),
    "norm": ("f4", lambda r: r.norm), "delta": ("f4", lambda r: r.delta),
    "cell_accuracy": ("f4", lambda r: r.cell_accuracy), "exact": ("u1", lambda r: int(r.exact)),
}

_CELLS = ("cell_norm", "cell_delta")  # optional per-cell float16 maps, written when the records have them


class TraceWriter:
    """Append-while-recording writer. Use as a context manager or call close()."""

    def __init__(self, path: str | Path, trace: Trace, checkpoint: dict | None = None):
        self.path = Path(path)
        cfg = trace.model_config
        seq_len = int(cfg["seq_len"])
        self.shape = canvas_shape(seq_len)
        H, W = self.shape
        full = trace.level == "full"
        try:
            self.f = h5py.File(self.path, "w", track_order=True)
        except OSError as exc:
            raise TraceError(f"{self.path}: cannot write ({exc})") from None
        f = self.f
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
        f.attrs.update(attrs)
        p = f.create_group("puzzle")
        p.create_dataset("inputs", data=trace.inputs.reshape(self.shape).astype(np.uint8))
        if trace.labels is not None:
            labels = np.where(trace.labels < 0, 0, trace.labels).astype(np.uint8)
            p.create_dataset("labels", data=labels.reshape(self.shape))
        p.create_dataset("palette", data=token_palette(trace.family, int(cfg["vocab_size"])))
        s = f.create_group("steps")
        s.attrs.update({"signal": "cell_accuracy", "axes": ["index"]})
        opts = dict(compression="gzip", compression_opts=4, shuffle=True)
        for name, (dtype, _) in _SCALARS.items():
            s.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(1024,))
        s.create_dataset("tokens", shape=(0, H, W), maxshape=(None, H, W), dtype="u1", chunks=(1, H, W), **opts)
        s.create_dataset("confidence", shape=(0, H, W), maxshape=(None, H, W), dtype="f2", chunks=(1, H, W), **opts)
        s.create_dataset("projection", shape=(0, H, W, 3), maxshape=(None, H, W, 3), dtype="f2",
                         chunks=(1, H, W, 3), **opts)
        s["projection"].attrs["fitted"] = False
        for name in _CELLS:
            s.create_dataset(name, shape=(0, H, W), maxshape=(None, H, W), dtype="f2", chunks=(1, H, W), **opts)
        if full:
            L, D = int(cfg["seq_len"]) + _prefix_len(cfg), int(cfg["hidden_size"])
            s.create_dataset("state", shape=(0, L, D), maxshape=(None, L, D), dtype="f2", chunks=(1, L, D), **opts)
        h = f.create_group("halting")
        for name, dtype in (("sup_step", "i2"), ("q_halt", "f4"), ("q_continue", "f4"), ("state_index", "i4")):
            h.create_dataset(name, shape=(0,), maxshape=(None,), dtype=dtype, chunks=(256,))
        h.attrs.update({"signal": "q_halt", "axes": ["sup_step"]})

    def append_state(self, r: StateRecord) -> None:
        s = self.f["steps"]
        n = s["index"].shape[0]
        for name, (_, get) in _SCALARS.items():
            s[name].resize((n + 1,))
            s[name][n] = get(r)
        for name, value in (("tokens", r.tokens), ("confidence", r.confidence)):
            s[name].resize((n + 1,) + s[name].shape[1:])
            s[name][n] = value.reshape(self.shape)
        s["projection"].resize((n + 1,) + s["projection"].shape[1:])
        for name in _CELLS:
            if getattr(r, name) is not None:
                s[name].resize((n + 1,) + s[name].shape[1:])
                s[name][n] = getattr(r, name).reshape(self.shape)
        if "state" in s and r.state is not None:
            s["state"].resize((n + 1,) + s["state"].shape[1:])
            s["state"][n] = r.state
        self.f.flush()

    def append_halt(self, h: HaltRecord) -> None:
        g = self.f["halting"]
        n = g["sup_step"].shape[0]
        for name in ("sup_step", "q_halt", "q_continue", "state_index"):
            g[name].resize((n + 1,))
            g[name][n] = getattr(h, name)
        self.f.flush()

    def close(self, trace: Trace | None = None) -> None:
        """Write the fitted projection (from `trace`) and mark the file complete."""
        if self.f is None:
            return
        if trace is not None and trace.states and trace.states[0].projection is not None:
            proj = np.stack([r.projection.reshape(self.shape + (3,)) for r in trace.states])
            self.f["steps/projection"][: len(proj)] = proj
            self.f["steps/projection"].attrs["fitted"] = True
        self.f.attrs["complete"] = True
        self.f.close()
        self.f = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.f is not None:
            self.f.close()
            self.f = None


def _prefix_len(cfg: dict) -> int:
    if int(cfg.get("puzzle_emb_ndim", 0)) <= 0:
        return 0
    if int(cfg.get("puzzle_emb_len", 0)) > 0:
        return int(cfg["puzzle_emb_len"])
    return -(int(cfg["puzzle_emb_ndim"]) // -int(cfg["hidden_size"]))


def write_trace(path: str | Path, trace: Trace, checkpoint: dict | None = None) -> None:
    """Write a whole trace (already recorded) to `path`."""
    with TraceWriter(path, trace, checkpoint) as w:
        for r in trace.states:
            w.append_state(r)
        for h in trace.halting:
            w.append_halt(h)
        w.close(trace)


def read_trace(path: str | Path) -> Trace:
    """Read a trace file, or raise TraceError saying why (missing, truncated, foreign, newer version)."""
    path = Path(path)
    if not path.is_file():
        raise TraceError(f"{path}: no such trace file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise TraceError(f"{path}: not a readable HDF5 file; truncated or not a trace ({exc})") from None
    with f:
        if f.attrs.get("format") != FORMAT:
            raise TraceError(f"{path}: not a TRM Lab trace file (format {f.attrs.get('format')!r})")
        version = int(f.attrs.get("format_version", -1))
        if version != VERSION:
            raise TraceError(f"{path}: trace format version {version} is not supported; this TRM Lab reads "
                             f"version {VERSION} (a newer TRM Lab wrote it?)")
        try:
            return _read(f)
        except (KeyError, ValueError, OSError) as exc:
            raise TraceError(f"{path}: damaged trace file ({exc})") from None


def _read(f: h5py.File) -> Trace:
    cfg = json.loads(f.attrs["model_config"])
    labels = None
    if "labels" in f["puzzle"]:
        raw = f["puzzle/labels"][()].reshape(-1).astype(np.int64)
        labels = np.where(raw == 0, -100, raw)
    trace = Trace(str(f.attrs["family"]), json.loads(f.attrs["family_options"]), f["puzzle/inputs"][()].reshape(-1),
                  labels, cfg, str(f.attrs["level"]), meta=json.loads(f.attrs.get("meta", "{}")))
    trace.meta["complete"] = bool(f.attrs["complete"])
    trace.meta.update({k: f.attrs[k] for k in f.attrs if k.startswith("checkpoint_")})
    s = f["steps"]
    n = s["index"].shape[0]
    cols = {name: s[name][()] for name in _SCALARS}
    tokens, conf = s["tokens"][()], s["confidence"][()]
    proj = s["projection"][()] if s["projection"].attrs.get("fitted", False) else None
    states = s["state"] if "state" in s else None
    cells = {name: s[name][()] for name in _CELLS if name in s and s[name].shape[0] == n}  # optional (added later)
    kinds = {v: k for k, v in KINDS.items()}
    for i in range(n):
        trace.states.append(StateRecord(
            index=int(cols["index"][i]), sup_step=int(cols["sup_step"][i]), cycle=int(cols["cycle"][i]),
            inner=int(cols["inner"][i]), kind=kinds[int(cols["kind"][i])], tokens=tokens[i].reshape(-1),
            confidence=conf[i].reshape(-1), changed=int(cols["changed"][i]), norm=float(cols["norm"][i]),
            delta=float(cols["delta"][i]), cell_accuracy=float(cols["cell_accuracy"][i]),
            exact=bool(cols["exact"][i]), state=None if states is None else states[i],
            projection=None if proj is None else proj[i].reshape(-1, 3),
            **{name: values[i].reshape(-1) for name, values in cells.items()}))
    h = f["halting"]
    for i in range(h["sup_step"].shape[0]):
        trace.halting.append(HaltRecord(int(h["sup_step"][i]), float(h["q_halt"][i]), float(h["q_continue"][i]),
                                        int(h["state_index"][i])))
    return trace


def trace_info(path: str | Path) -> dict:
    """A summary of a trace file (what `trm trace info` prints)."""
    t = read_trace(path)
    final = [s for s in t.states if s.kind == "y"]
    return {
        "path": str(path), "family": t.family, "level": t.level, "states": len(t.states),
        "supervision_steps": t.sup_steps, "T": t.model_config["h_cycles"], "n": t.model_config["l_cycles"],
        "complete": t.meta.get("complete", False), "checkpoint": t.meta.get("checkpoint_path", ""),
        "checkpoint_sha256": t.meta.get("checkpoint_sha256", ""),
        "final_cell_accuracy": final[-1].cell_accuracy if final else None,
        "final_exact": final[-1].exact if final else None,
        "first_halt_step": next((h.sup_step for h in t.halting if h.q_halt > 0), None),
        "q_halt": [round(h.q_halt, 4) for h in t.halting], "bytes": Path(path).stat().st_size,
    }
