"""Shared pieces of the Train-area tests: one tiny 4x4 Sudoku dataset per session and a training
config that runs a step in a fraction of a second on a CPU."""

from __future__ import annotations

from pathlib import Path

from trm_engine.config import RunConfig, apply_overrides, load_preset
from trm_lab.areas.train.dialog import LaunchPlan
from trm_lab.areas.train.runs import new_run_dir

_DATASET: list[Path] = []


def sudoku4_dataset(tmp_path_factory) -> Path:
    """48 training and 16 test 4x4 puzzles (built once per session)."""
    if not _DATASET or not _DATASET[0].exists():
        from trm_engine.data.build import SudokuBuild, build_sudoku
        from trm_engine.puzzles.generate import SudokuSettings

        path = tmp_path_factory.mktemp("train-data") / "sudoku4.h5"
        build_sudoku(SudokuBuild(train=48, test=16, seed=0, settings=SudokuSettings(box=2))).save(path)
        _DATASET[:] = [path]
    return _DATASET[0]


def tiny_config(data: Path, *overrides: str) -> RunConfig:
    """D=32, T=2, n=1, batch 8, a train event every step, one thread."""
    base = ["hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1", "halt_max_steps=4",
            "global_batch_size=8", "steps=6", "log_interval=1", "eval_interval=3", "lr_warmup_steps=2",
            "threads=1", f"data.path={data}"]
    return apply_overrides(load_preset("sudoku4-mlp-lab"), base + list(overrides))


def plan(cfg: RunConfig, name: str = "test", processes: int = 1) -> LaunchPlan:
    return LaunchPlan(cfg, new_run_dir(name), processes)
