"""The one place that reads and writes checkpoint files.

A checkpoint is a dict of tensors and plain data, loadable with `torch.load(weights_only=True)`:
    format "trm-lab-checkpoint", version, config (the RunConfig as a JSON string), step,
    model (the weights to evaluate: the EMA shadow when EMA is on), plus, for training checkpoints,
    raw_model, optimizers, sampler, rng, ... (train/checkpoints.py decides those).
Writes are atomic: a temp file in the same directory, then os.replace.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch

from ..config import RunConfig
from ..errors import CheckpointError, ConfigError
from ..puzzles.files import atomic_output
from .trm import RecursiveModel

FORMAT = "trm-lab-checkpoint"
VERSION = 1


def atomic_torch_save(obj: dict, path: str | os.PathLike) -> None:
    """torch.save to a temp file beside `path`, then rename over it (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_output(path, CheckpointError) as tmp:
        with open(tmp, "wb") as fh:
            torch.save(obj, fh)
            fh.flush()
            os.fsync(fh.fileno())


def save_model(path: str | os.PathLike, model: RecursiveModel, cfg: RunConfig, step: int = 0,
               extra: dict | None = None, dtype: torch.dtype | None = None) -> None:
    """Write a model-only checkpoint (what `trm model import` and the demo models produce); `dtype`
    (e.g. float16) stores floating weights smaller; loading casts them back to the model's dtype."""

    def cast(t: torch.Tensor) -> torch.Tensor:
        t = t.detach().cpu()
        return t.to(dtype) if dtype is not None and t.is_floating_point() else t

    body = {"format": FORMAT, "version": VERSION, "config": cfg.to_json(), "step": int(step),
            "model": {k: cast(v) for k, v in model.state_dict().items()}}
    body.update(extra or {})
    atomic_torch_save(body, path)


def read_checkpoint(path: str | os.PathLike) -> dict:
    """Load a TRM Lab checkpoint dict safely (weights_only), or raise CheckpointError naming the file."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        body = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds (pickle, zip, runtime) for a bad file
        raise CheckpointError(f"{path}: not a readable checkpoint ({type(exc).__name__}: {exc})") from exc
    if not isinstance(body, dict) or body.get("format") != FORMAT:
        raise CheckpointError(f"{path}: not a TRM Lab checkpoint (for an official TRM/HRM checkpoint use "
                              f"`trm model import`)")
    if body.get("version") != VERSION:
        raise CheckpointError(f"{path}: checkpoint version {body.get('version')!r} is not supported "
                              f"(this TRM Lab reads version {VERSION})")
    step = body.get("step", 0)
    if not isinstance(step, int) or isinstance(step, bool) or step < 0:
        raise CheckpointError(f"{path}: field 'step' is {repr(step)[:40]}; expected a count")
    if not isinstance(body.get("config"), str):
        raise CheckpointError(f"{path}: field 'config' must be the run config as JSON text")
    model = body.get("model")
    if not isinstance(model, dict) or not all(isinstance(k, str) and isinstance(v, torch.Tensor)
                                              for k, v in model.items()):
        raise CheckpointError(f"{path}: field 'model' must map weight names to tensors")
    return body


def checkpoint_config(body: dict, path: str | os.PathLike = "<checkpoint>") -> RunConfig:
    try:
        return RunConfig.from_dict(json.loads(body["config"]), where=f"{path}: config")
    except (KeyError, TypeError, json.JSONDecodeError, RecursionError, ConfigError) as exc:
        raise CheckpointError(f"{path}: checkpoint config is unreadable: {exc}") from exc


def load_model(path: str | os.PathLike, device: str | torch.device = "cpu",
               weights: str = "model") -> tuple[RecursiveModel, RunConfig, dict]:
    """Build the model a checkpoint describes and load its weights ("model" = EMA, or "raw_model")."""
    body = read_checkpoint(path)
    cfg = checkpoint_config(body, path)
    state = body.get(weights) or body.get("model")
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise CheckpointError(f"{path}: field '{weights}' is not a dict of tensors")
    with torch.device("meta"):  # the shapes the config declares, without allocating them
        load_state(RecursiveModel(cfg.model), state, str(path), check_only=True)
    bad = [k for k, v in state.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise CheckpointError(f"{path}: {len(bad)} of {len(state)} weight tensors hold NaN or inf "
                              f"({', '.join(bad[:3])}); it cannot be evaluated")
    model = RecursiveModel(cfg.model)
    load_state(model, state, str(path))
    model.to(device).eval()
    return model, cfg, body


def load_state(model: RecursiveModel, state: dict, source: str, check_only: bool = False) -> None:
    """load_state_dict with an error that names missing/unexpected keys and shape mismatches
    (`check_only`: compare only, e.g. against a model built on the meta device)."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k} (file {tuple(state[k].shape)}, model {tuple(own[k].shape)})"
              for k in sorted(set(own) & set(state)) if tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        parts = []
        if missing:
            parts.append(f"missing keys: {', '.join(missing)}")
        if unexpected:
            parts.append(f"unexpected keys: {', '.join(unexpected)}")
        if shapes:
            parts.append(f"shape mismatches: {', '.join(shapes)}")
        raise CheckpointError(f"{source}: weights do not fit the model; " + "; ".join(parts))
    if check_only:
        return
    model.load_state_dict({k: v.to(own[k].dtype) for k, v in state.items()})


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
