"""Shared engine fixtures: one tiny generated 4x4 Sudoku dataset file per test session."""

import pytest

from trm_engine.config import RunConfig, apply_overrides, load_preset


@pytest.fixture(scope="session")
def sudoku4_path(tmp_path_factory):
    from trm_engine.data.build import SudokuBuild, build_sudoku
    from trm_engine.puzzles.generate import SudokuSettings

    path = tmp_path_factory.mktemp("data") / "sudoku4.h5"
    build_sudoku(SudokuBuild(train=48, test=16, seed=0, settings=SudokuSettings(box=2))).save(path)
    return path


@pytest.fixture(scope="session")
def sudoku4(sudoku4_path):
    from trm_engine.data.dataset import PuzzleDataset

    return PuzzleDataset.open(sudoku4_path)


def tiny_run_config(data_path, *overrides: str) -> RunConfig:
    """A seconds-long training config on the 4x4 set: D=32, T=2, n=1, batch 8."""
    base = ["hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1", "halt_max_steps=4",
            "global_batch_size=8", "steps=6", "log_interval=2", "eval_interval=3", "lr_warmup_steps=2",
            f"data.path={data_path}"]
    return apply_overrides(load_preset("sudoku4-mlp-lab"), base + list(overrides))


@pytest.fixture(scope="session")
def tiny_run(sudoku4_path, tmp_path_factory):
    """A finished 6-step run on the 4x4 set (its directory)."""
    from trm_engine.train.trainer import Trainer

    run_dir = tmp_path_factory.mktemp("runs") / "tiny"
    for _ in Trainer(tiny_run_config(sudoku4_path, "probe_traces=2"), run_dir).run():
        pass
    return run_dir
