"""Where the Inspect area finds models (no Qt here): the demo models shipped in resources/models, the
checkpoints of training runs, and any checkpoint file; and which puzzle family a model is for.

A demo model is a folder resources/models/<name>/ with `model.pt` (a TRM Lab checkpoint) and
`model.json`: {"name", "title", "family", "family_options", "preset", "recipe" (the trm commands that
made it), "accuracy" {...}, "description"}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from trm_engine.config import ModelConfig, RunConfig, preset_family
from trm_engine.errors import ConfigError, RunError

DEMO_ORDER = ("sudoku4", "sudoku9", "maze9", "arc")  # the order a new user meets them in


@dataclass(frozen=True)
class ModelChoice:
    """A model the user can pick: where its checkpoint is and what to call it."""

    title: str
    checkpoint: Path
    kind: str  # "demo", "run" or "file"
    family: str = ""  # known up front for demos; otherwise read from the checkpoint's config
    description: str = ""
    accuracy: dict = field(default_factory=dict)
    recipe: tuple[str, ...] = ()
    name: str = ""


def demo_models_root() -> Path:
    """resources/models in a checkout, or the installed trm_resources package's copy."""
    return Path(str(resources.files("trm_resources") / "models"))


def list_demo_models(root: Path | None = None) -> list[ModelChoice]:
    """Every demo model found (a folder with model.json and model.pt), in DEMO_ORDER then by name;
    a folder whose model.json is unreadable is skipped."""
    root = demo_models_root() if root is None else Path(root)
    if not root.is_dir():
        return []
    found = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        info_path, checkpoint = folder / "model.json", folder / "model.pt"
        if not (info_path.is_file() and checkpoint.is_file()):
            continue
        try:
            info = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue
        recipe = info.get("recipe", ())
        found.append(ModelChoice(
            title=str(info.get("title") or folder.name), checkpoint=checkpoint, kind="demo",
            family=str(info.get("family", "")), description=str(info.get("description", "")),
            accuracy=dict(info.get("accuracy") or {}), name=str(info.get("name") or folder.name),
            recipe=tuple(recipe) if isinstance(recipe, list) else (str(recipe),)))
    rank = {name: i for i, name in enumerate(DEMO_ORDER)}
    return sorted(found, key=lambda m: (rank.get(m.name, len(rank)), m.name))


def run_models(runs_root: Path) -> list[ModelChoice]:
    """The best (else the latest) checkpoint of every training run under `runs_root`, newest run first."""
    from trm_engine.train.run_dir import list_runs, read_best  # no torch: the window starts without it

    out = []
    for run in list_runs(runs_root):
        try:
            best, acc = read_best(run.checkpoints)
        except RunError:  # a damaged best.json: offer the run's latest checkpoint instead
            best, acc = None, float("-inf")
        path = best if best is not None and best.is_file() else run.latest_checkpoint()
        if path is None:
            continue
        what = f"best, exact {acc:.1%}" if path == best else path.stem.replace("_", " ")
        out.append(ModelChoice(f"{run.run_id} ({what})", path, "run"))
    return out


def model_family(cfg: RunConfig) -> str:
    """The puzzle family a checkpoint's model is for: from its preset, else from its vocabulary."""
    if cfg.preset:
        try:
            return preset_family(cfg.preset)
        except ConfigError:
            pass
    return family_from_shape(cfg.model)


def family_from_shape(m: ModelConfig) -> str:
    if m.vocab_size == 12:
        return "arc"
    if m.vocab_size == 6 and m.seq_len != 16:
        return "maze"
    return "sudoku"


def accuracy_text(accuracy: dict) -> str:
    """A demo model's measured accuracy in one line, e.g. "exact accuracy 100.0%, cell accuracy 100.0%,
    supervision steps 8 (test, 200 held-out puzzles)": shares as percentages, the split at the end."""
    parts, split = [], ""
    for key, value in accuracy.items():
        name = key.replace("_", " ")
        if key == "split":
            split = f" ({value})"
        elif isinstance(value, float) and ("accuracy" in key or key in ("exact", "cells")):
            parts.append(f"{name} {value:.1%}")
        elif isinstance(value, (int, float)):
            parts.append(f"{name} {value:g}")
        elif isinstance(value, str):
            parts.append(f"{name} {value}")
    return ", ".join(parts) + split
