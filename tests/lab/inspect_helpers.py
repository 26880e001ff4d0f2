"""Shared by the Inspect tests: a tiny 4x4 Sudoku model trained once per test session (seconds) and saved
in the demo-model layout (models/<name>/model.pt + model.json), and ways to drive the Inspect area."""

from __future__ import annotations

import functools
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from trm_engine.config import apply_overrides, load_preset

SUDOKU4 = "1..4\n..1.\n.1..\n4..1\n"  # one solution: 1234 / 3412 / 2143 / 4321


@functools.cache
def tiny_models_root() -> Path:
    """A folder with models/sudoku4 (a demo-layout 4x4 Sudoku model: D=32, T=2, n=1, N_sup=4), the 4x4
    dataset it is configured for, and runs/tiny/traces with probe traces at two "training steps".

    The weights are the engine's seeded initialisation, not trained: training even 6 steps costs tens of
    seconds on a loaded 2-core machine, and nothing these GUI tests check depends on trained weights."""
    import torch

    from trm_engine.data.build import SudokuBuild, build_sudoku
    from trm_engine.data.dataset import PuzzleDataset
    from trm_engine.model.checkpoint import save_model
    from trm_engine.model.trm import RecursiveModel
    from trm_engine.puzzles.generate import SudokuSettings
    from trm_engine.trace.probes import record_probes

    # One intra-op thread: tiny models are faster so, and on a busy 2-core machine torch's thread pool
    # otherwise waits milliseconds per operation for the other core.
    torch.set_num_threads(1)
    root = Path(tempfile.mkdtemp(prefix="trm-inspect-tests-"))
    data = root / "sudoku4.h5"
    build_sudoku(SudokuBuild(train=8, test=8, seed=0, settings=SudokuSettings(box=2))).save(data)
    cfg = apply_overrides(load_preset("sudoku4-mlp-lab"), [
        "hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1", "halt_max_steps=4",
        f"data.path={data}"])
    torch.manual_seed(0)
    model = RecursiveModel(cfg.model).eval()
    folder = root / "models" / "sudoku4"
    folder.mkdir(parents=True)
    save_model(folder / "model.pt", model, cfg, step=6)
    (folder / "model.json").write_text(json.dumps({
        "name": "sudoku4", "title": "Sudoku 4x4 (test)", "family": "sudoku", "family_options": {"box": 2},
        "preset": "sudoku4-mlp-lab", "recipe": ["trm train --preset sudoku4-mlp-lab steps=6"],
        "accuracy": {"exact": 0.25, "cells": 0.5, "puzzles": 16}, "description": "a tiny model for tests"}))
    dataset = PuzzleDataset.open(data)
    for step in (3, 6):
        record_probes(model, dataset, cfg, root / "runs" / "tiny" / "traces", step, 2)
    return root


def cleanup() -> None:
    if tiny_models_root.cache_info().currsize:
        shutil.rmtree(tiny_models_root(), ignore_errors=True)


def use_tiny_models(monkeypatch) -> Path:
    """Point the demo-model discovery at the tiny model; returns the models root's parent."""
    from trm_lab.areas.inspect import models as inspect_models

    root = tiny_models_root()
    monkeypatch.setattr(inspect_models, "demo_models_root", lambda: root / "models")
    return root


def solution4() -> np.ndarray:
    return np.array([[1, 2, 3, 4], [3, 4, 1, 2], [2, 1, 4, 3], [4, 3, 2, 1]])
