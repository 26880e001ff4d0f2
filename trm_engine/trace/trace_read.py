"""Reading the trace file (`*.trace.h5`, docs/trace_format.md) written by trace_file.py.

Every reader of a trace file (the CLI's `trm trace info` and `render`, the app) comes through here, so
any file at all - foreign, truncated, damaged, hand-edited - gives back a `TraceError` that names the
file and the field, never a Python exception: each attribute and dataset is checked for presence, type
and shape before it is used, and whatever slips past the checks is still turned into a TraceError.
"""

from __future__ import annotations

import json
from pathlib import Path

import h5py
import numpy as np

from ..errors import TraceError
from ..puzzles import FAMILY_NAMES
from .recorder import LEVELS, StateRecord
from .render import canvas_shape
from .trace_file import CELLS, FORMAT, HALTING, KINDS, SCALARS, VERSION, prefix_len
from .tracer import INTERVENTION_FIELDS, HaltRecord, Trace

CONFIG_INTS = ("seq_len", "vocab_size", "h_cycles", "l_cycles", "hidden_size")  # what a reader relies on
_KIND_NAMES = {v: k for k, v in KINDS.items()}
_INTS, _NUMBERS = "iub", "iubf"  # numpy dtype kinds


class _Damage(Exception):
    """A field that is missing or not what the format says (turned into a TraceError naming the file)."""


def _where(obj: h5py.HLObject, name: str) -> str:
    base = obj.name.rstrip("/")
    return f"{base}/{name}" if base else name


def _attr(obj, name: str, default=None):
    if name not in obj.attrs:
        if default is not None:
            return default
        raise _Damage(f"attribute {_where(obj, name)} is missing")
    return obj.attrs[name]


def _str(obj, name: str, default: str | None = None) -> str:
    value = _attr(obj, name, default)
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if not isinstance(value, str):
        raise _Damage(f"attribute {_where(obj, name)} is {value!r}, not a string")
    return value


def _int(value, what: str) -> int:
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise _Damage(f"{what} is {value!r}, not an integer")
    return int(value)


def _json(obj, name: str, default: str | None = None) -> dict:
    text = _str(obj, name, default)
    try:
        value = json.loads(text)
    except ValueError:
        raise _Damage(f"attribute {_where(obj, name)} is not JSON ({text[:40]!r})") from None
    if not isinstance(value, dict):
        raise _Damage(f"attribute {_where(obj, name)} is {value!r}, not a JSON object")
    return value


def _data(group: h5py.Group, name: str, kinds: str, shape: tuple) -> np.ndarray:
    """The dataset `name` read whole, checked: numeric of `kinds`, of `shape` (None = any length)."""
    if name not in group or not isinstance(group[name], h5py.Dataset):
        raise _Damage(f"dataset {_where(group, name)} is missing")
    ds = group[name]
    if ds.dtype.kind not in kinds:
        raise _Damage(f"dataset {_where(group, name)} holds {ds.dtype}, not numbers")
    if len(ds.shape) != len(shape) or any(want is not None and got != want for got, want in zip(ds.shape, shape)):
        want = "(" + ", ".join("any" if w is None else str(w) for w in shape) + ")"
        raise _Damage(f"dataset {_where(group, name)} has shape {ds.shape}, expected {want}")
    return ds[()]


def _config(f: h5py.File) -> dict:
    cfg = _json(f, "model_config")
    for key in CONFIG_INTS:
        if key not in cfg:
            raise _Damage(f"attribute model_config lacks {key!r}")
        if isinstance(cfg[key], bool) or not isinstance(cfg[key], int) or cfg[key] < 1:
            raise _Damage(f"attribute model_config has {key} = {cfg[key]!r}, not a positive integer")
    if cfg["vocab_size"] > 256 or cfg["seq_len"] > 1 << 20:
        raise _Damage(f"attribute model_config has vocab_size {cfg['vocab_size']}, seq_len {cfg['seq_len']}: "
                      "out of range")
    for key in ("puzzle_emb_ndim", "puzzle_emb_len"):
        if key in cfg and (isinstance(cfg[key], bool) or not isinstance(cfg[key], int) or cfg[key] < 0):
            raise _Damage(f"attribute model_config has {key} = {cfg[key]!r}, not a whole number")
    return cfg


def _check_version(path: Path, f: h5py.File) -> None:
    fmt = f.attrs.get("format")
    if isinstance(fmt, bytes):
        fmt = fmt.decode("utf-8", "replace")
    if not isinstance(fmt, str) or fmt != FORMAT:
        raise TraceError(f"{path}: not a TRM Lab trace file (format {fmt!r})")
    try:
        version = _int(_attr(f, "format_version"), "attribute format_version")
    except _Damage as exc:
        raise TraceError(f"{path}: damaged trace file: {exc}") from None
    if version != VERSION:
        raise TraceError(f"{path}: trace format version {version} is not supported; this TRM Lab reads "
                         f"version {VERSION} (a newer TRM Lab wrote it?)")


def read_traces(path: str | Path) -> list[Trace]:
    """The trace in a file and then each of its branches (/branches), or a TraceError saying why not."""
    path = Path(path)
    if not path.is_file():
        raise TraceError(f"{path}: no such trace file")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise TraceError(f"{path}: not a readable HDF5 file; truncated or not a trace ({exc})") from None
    with f:
        _check_version(path, f)
        try:
            return _read_file(f)
        except _Damage as exc:
            raise TraceError(f"{path}: damaged trace file: {exc}") from None
        except (KeyError, ValueError, TypeError, IndexError, OverflowError, AttributeError, OSError) as exc:
            # A check this module lacks: still a typed error that names the file.
            raise TraceError(f"{path}: damaged trace file ({type(exc).__name__}: {exc})") from None


def read_trace(path: str | Path) -> Trace:
    """The trace in a file (without its branches), or a TraceError saying why not."""
    return read_traces(path)[0]


def _read_file(f: h5py.File) -> list[Trace]:
    cfg = _config(f)
    family = _str(f, "family")
    if family not in FAMILY_NAMES:
        raise _Damage(f"attribute family is {family!r}, not one of {', '.join(FAMILY_NAMES)}")
    level = _str(f, "level")
    if level not in LEVELS:
        raise _Damage(f"attribute level is {level!r}, not one of {', '.join(LEVELS)}")
    complete = _attr(f, "complete", False)
    if not isinstance(complete, (bool, np.bool_)):
        raise _Damage(f"attribute complete is {complete!r}, not true or false")
    checkpoint = {}
    for key in (k for k in f.attrs if k.startswith("checkpoint_")):
        value = f.attrs[key]
        if key == "checkpoint_step":
            checkpoint[key] = _int(value, "attribute checkpoint_step")
        else:
            checkpoint[key] = _str(f, key)
    root = _read_group(f, family, _json(f, "family_options", "{}"), cfg, level, None)
    root.meta.update({"complete": bool(complete), **checkpoint})
    traces = [root]
    if "branches" in f:
        if not isinstance(f["branches"], h5py.Group):
            raise _Damage("/branches is not a group")
        for name, group in f["branches"].items():
            if not isinstance(group, h5py.Group):
                raise _Damage(f"/branches/{name} is not a group")
            branch = _read_group(group, family, root.family_options, cfg, level, root.labels)
            branch.meta["complete"] = bool(complete)
            traces.append(branch)
    return traces


def _read_group(g: h5py.Group, family: str, options: dict, cfg: dict, level: str,
                labels: np.ndarray | None) -> Trace:
    """The trace in `g` (the file, or a branch group that shares the file's puzzle labels)."""
    seq_len, vocab = cfg["seq_len"], cfg["vocab_size"]
    H, W = canvas_shape(seq_len)
    for name in ("puzzle", "steps", "halting"):
        if name not in g or not isinstance(g[name], h5py.Group):
            raise _Damage(f"group {_where(g, name)} is missing")
    inputs = _tokens(g["puzzle"], "inputs", (H, W), vocab).reshape(-1)
    if labels is None and "labels" in g["puzzle"]:
        raw = _tokens(g["puzzle"], "labels", (H, W), vocab).reshape(-1).astype(np.int64)
        labels = np.where(raw == 0, -100, raw)
    # What the file's own attributes say (complete, checkpoint_*) is not taken from the free-form meta.
    meta = {k: v for k, v in _json(g, "meta", "{}").items() if k != "complete" and not k.startswith("checkpoint_")}
    _check_branch_meta(meta, _where(g, "meta"))
    trace = Trace(family, options, inputs, labels, cfg, level, meta=meta)
    trace.states = _read_states(g["steps"], cfg, level)
    trace.halting = _read_halting(g["halting"], len(trace.states))
    return trace


def _check_branch_meta(meta: dict, where: str) -> None:
    """The branch keys of a meta, when present, hold what docs/trace_format.md says (readers rely on it)."""
    def whole(value) -> bool:
        return isinstance(value, int) and not isinstance(value, bool) and value >= 0

    for key in ("branch_id", "branch_parent", "branch_of_step"):
        if key in meta and not whole(meta[key]):
            raise _Damage(f"attribute {where} has {key} = {meta[key]!r}, not a whole number")
    if not isinstance(meta.get("branch_note", ""), str):
        raise _Damage(f"attribute {where} has branch_note = {meta['branch_note']!r}, not a string")
    lists = [("interventions", meta.get("interventions", []))]
    chain = meta.get("intervention_chain", [])
    if not isinstance(chain, list):
        raise _Damage(f"attribute {where} has intervention_chain = {chain!r}, not a list")
    for k, link in enumerate(chain):
        if not isinstance(link, dict) or not all(whole(link.get(name)) for name in ("branch", "parent", "after_step")):
            raise _Damage(f"attribute {where} has intervention_chain[{k}] = {link!r}: not "
                          "{branch, parent, after_step, interventions}")
        lists.append((f"intervention_chain[{k}].interventions", link.get("interventions", [])))
    for name, items in lists:
        if not isinstance(items, list):
            raise _Damage(f"attribute {where} has {name} = {items!r}, not a list")
        for iv in items:
            ok = isinstance(iv, dict) and set(iv) <= set(INTERVENTION_FIELDS) and iv.get("what") in ("input", "y", "z")
            ok = ok and all(isinstance(iv[k], (int, float) if t is float else t) and not isinstance(iv[k], bool)
                            for k, t in INTERVENTION_FIELDS.items() if k in iv)
            if not ok:
                raise _Damage(f"attribute {where} has in {name} {iv!r}: not an intervention "
                              f"({', '.join(INTERVENTION_FIELDS)})")


def _tokens(g: h5py.Group, name: str, shape: tuple, vocab: int) -> np.ndarray:
    values = _data(g, name, _INTS, shape)
    if values.size and (values.min() < 0 or values.max() >= vocab):
        raise _Damage(f"dataset {_where(g, name)} holds tokens outside 0..{vocab - 1}")
    return values.astype(np.uint8)


def _half(g: h5py.Group, name: str, values: np.ndarray) -> np.ndarray:
    """A map the trace stores in float16, as float16: in a dataset rewritten with another type, a finite
    value beyond float16's range is damage, not a number to turn into infinity (a float16 one is read as is)."""
    if values.dtype == np.float16:
        return values
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size and np.abs(finite).max() > np.finfo(np.float16).max:
        raise _Damage(f"dataset {_where(g, name)} holds values beyond float16's range")
    return values.astype(np.float16)


def _read_states(s: h5py.Group, cfg: dict, level: str) -> list[StateRecord]:
    H, W = canvas_shape(cfg["seq_len"])
    n = _data(s, "index", _INTS, (None,)).shape[0]
    cols = {name: _data(s, name, _NUMBERS if dtype[0] == "f" else _INTS, (n,))
            for name, (dtype, _) in SCALARS.items()}
    for name, low, high in (("kind", 0, 1), ("sup_step", 1, 1 << 15), ("cycle", 0, cfg["h_cycles"] - 1),
                            ("inner", 0, cfg["l_cycles"])):
        if n and (cols[name].min() < low or cols[name].max() > high):
            raise _Damage(f"dataset {_where(s, name)} holds values outside {low}..{high}")
    tokens = _tokens(s, "tokens", (n, H, W), cfg["vocab_size"])
    conf = _half(s, "confidence", _data(s, "confidence", _NUMBERS, (n, H, W)))
    proj = None
    fitted = s["projection"].attrs.get("fitted", False) if "projection" in s else False
    if isinstance(fitted, (bool, np.bool_)) and fitted:  # zeros until the recording ended
        proj = _half(s, "projection", _data(s, "projection", _NUMBERS, (n, H, W, 3)))
    cells = {name: _half(s, name, _data(s, name, _NUMBERS, (n, H, W))) for name in CELLS  # optional (added later)
             if name in s and isinstance(s[name], h5py.Dataset) and s[name].shape[:1] == (n,)}
    states = None
    if level == "full" and "state" in s:
        states = _half(s, "state", _data(s, "state", _NUMBERS, (n, cfg["seq_len"] + prefix_len(cfg),
                                                                 cfg["hidden_size"])))
    out = []
    for i in range(n):
        out.append(StateRecord(
            index=int(cols["index"][i]), sup_step=int(cols["sup_step"][i]), cycle=int(cols["cycle"][i]),
            inner=int(cols["inner"][i]), kind=_KIND_NAMES[int(cols["kind"][i])], tokens=tokens[i].reshape(-1),
            confidence=conf[i].reshape(-1), changed=int(cols["changed"][i]),
            norm=float(cols["norm"][i]), delta=float(cols["delta"][i]),
            cell_accuracy=float(cols["cell_accuracy"][i]), exact=bool(cols["exact"][i]),
            state=None if states is None else states[i],
            projection=None if proj is None else proj[i].reshape(-1, 3),
            **{name: values[i].reshape(-1) for name, values in cells.items()}))
    return out


def _read_halting(h: h5py.Group, states: int) -> list[HaltRecord]:
    m = _data(h, "sup_step", _INTS, (None,)).shape[0]
    cols = {name: _data(h, name, _NUMBERS if dtype[0] == "f" else _INTS, (m,)) for name, dtype in HALTING.items()}
    if m and (cols["state_index"].min() < -1 or cols["state_index"].max() >= states):
        raise _Damage(f"dataset {_where(h, 'state_index')} points past the {states} states")
    return [HaltRecord(int(cols["sup_step"][i]), float(cols["q_halt"][i]), float(cols["q_continue"][i]),
                       int(cols["state_index"][i])) for i in range(m)]


def trace_info(path: str | Path) -> dict:
    """A summary of a trace file (what `trm trace info` prints)."""
    traces = read_traces(path)
    t = traces[0]
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
        "branch_of": t.meta.get("branch_parent"), "branches": len(traces) - 1,
    }
