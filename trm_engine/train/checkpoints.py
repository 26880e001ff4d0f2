"""Training checkpoints: what a run needs to continue bit-for-bit, and which files to keep.

On top of the model checkpoint (model/checkpoint.py: format, config, step, "model" = the weights to
evaluate, EMA when on) a training checkpoint holds the raw weights, the optimizer, the EMA counter,
the sampler position, the global streaming carry (every slot's y, z, step count and puzzle), and the
RNG states. All tensors and plain data: torch.load(weights_only=True) reads it.
"""

from __future__ import annotations

from pathlib import Path

import torch

from ..config import RunConfig, diff_configs
from ..errors import RunError, TrmError
from ..model.checkpoint import atomic_torch_save, checkpoint_config, read_checkpoint
from ..model.trm import Carry
from .distributed import DistContext, gather_rows
from .run_dir import RunDirectory, read_best, write_best  # noqa: F401 - best.json: torch-free in run_dir

# Fields a resumed run may change: how long it runs, where, and how it reports.
RESUMABLE_CHANGES = {
    "train.steps", "train.epochs", "train.device", "train.threads", "train.eval_interval", "train.eval_steps",
    "train.log_interval", "train.checkpoint_interval", "train.keep_last", "train.keep_best",
    "train.probe_traces", "train.compile", "data.eval_limit", "data.path", "name",
    "train.eval_interval_epochs", "data.eval_augmentations", "data.eval_pool_votes",
}


def checkpoint_path(directory: Path, step: int) -> Path:
    return directory / f"step_{step:07d}.pt"


def save_training_checkpoint(path: Path, body: dict) -> None:
    atomic_torch_save(body, path)


def load_training_checkpoint(path: Path, cfg: RunConfig) -> dict:
    """Read a checkpoint and refuse it, naming the fields, if its config does not match `cfg`."""
    body = read_checkpoint(path)
    saved = checkpoint_config(body, path)
    check_config_matches(saved, cfg, str(path))
    if "optimizer" not in body:
        raise RunError(f"{path}: a model-only checkpoint; a run can only resume from a training checkpoint")
    return body


def non_finite(tensors: dict[str, torch.Tensor]) -> str:
    """"" when every floating tensor is finite, else how many are not and the first few names."""
    bad = [k for k, v in tensors.items() if v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if not bad:
        return ""
    floating = sum(1 for v in tensors.values() if v.is_floating_point())
    return f"{len(bad)} of {floating} tensors hold NaN or inf: {', '.join(bad[:3])}{', ...' if len(bad) > 3 else ''}"


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """The evaluation and raw weights of a checkpoint, prefixed "model." and "raw_model."."""
    body = read_checkpoint(path)
    return {f"{part}.{k}": v for part in ("model", "raw_model") for k, v in (body.get(part) or {}).items()
            if isinstance(v, torch.Tensor)}


def last_good_note(files: list[Path]) -> str:
    """"; the last good checkpoint is X" for a failure message: the newest whose weights are finite."""
    for path in reversed(files):
        try:
            if not non_finite(read_weights(path)):
                return f"; the last good checkpoint is {path.name}"
        except TrmError:
            continue
    return "; no good checkpoint was written yet"


def check_config_matches(saved: RunConfig, requested: RunConfig, source: str) -> None:
    differing = [d for d in diff_configs(saved.to_dict(), requested.to_dict())
                 if d.split(" ", 1)[0] not in RESUMABLE_CHANGES and not d.startswith("preset ")]
    if differing:
        raise RunError(f"{source}: the checkpoint was trained with a different config: {'; '.join(differing)}")


def prune(directory: Path, keep_last: int, best: Path | None) -> list[Path]:
    """Delete all step_*.pt but the newest `keep_last` and the best one; returns what was deleted."""
    files = sorted(directory.glob("step_*.pt"))
    keep = set(files[-keep_last:]) if keep_last > 0 else set()
    if best is not None:
        keep.add(best)
    removed = [f for f in files if f not in keep]
    for f in removed:
        f.unlink(missing_ok=True)
    return removed


def pack_carries(carries: list[Carry], ctx: DistContext) -> dict[str, torch.Tensor]:
    """The GLOBAL streaming carry (every rank's slots, in rank order) as CPU tensors, so a run can
    resume on any number of ranks."""
    c = {
        "y": torch.cat([x.y for x in carries]), "z": torch.cat([x.z for x in carries]),
        "steps": torch.cat([x.steps for x in carries]),
        "halted": torch.cat([x.halted for x in carries]).to(torch.uint8),  # gloo gathers no bool
    }
    for k in carries[0].data:
        c["data." + k] = torch.cat([x.data[k] for x in carries])
    return {k: gather_rows(v, ctx).detach().cpu() for k, v in c.items()}


def unpack_carries(c: dict[str, torch.Tensor], first_row: int, rows: int, micro: int, device,
                   dtype: torch.dtype) -> list[Carry]:
    """This rank's slots of a packed global carry, split into micro-batch carries."""
    out = []
    for start in range(first_row, first_row + rows, micro):
        sl = slice(start, start + micro)
        data = {k[5:]: v[sl].to(device) for k, v in c.items() if k.startswith("data.")}
        out.append(Carry(y=c["y"][sl].to(device, dtype), z=c["z"][sl].to(device, dtype),
                         steps=c["steps"][sl].to(device), halted=c["halted"][sl].bool().to(device), data=data))
    return out


def prepare_run_dir(rd: RunDirectory, cfg: RunConfig, resume: bool) -> dict | None:
    """Rank 0 before training: take the run's lock, then create its directory or check that it can be
    resumed with `cfg`; returns the training checkpoint to continue from (None: start at step 0)."""
    existed = rd.path.is_dir()
    rd.acquire()
    if resume and existed and not rd.exists() and rd.unstarted():
        rd.create(cfg.to_dict())  # killed while creating its folder: resume it from nothing
        return None
    if rd.exists():
        if not resume:
            raise RunError(f"{rd.path} already holds a run; resume it with --resume or choose a new --run-dir")
        saved = RunConfig.from_dict(rd.config(), where=f"{rd.config_path}")
        check_config_matches(saved, cfg, str(rd.config_path))
        latest = rd.latest_checkpoint()
        return load_training_checkpoint(latest, cfg) if latest is not None else None
    if resume:
        raise RunError(f"{rd.path}: nothing to resume (no run there)")
    rd.create(cfg.to_dict())
    return None
