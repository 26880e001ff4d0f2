"""Evaluation iteration for Sudoku and mazes: order, padding, rank slices, augmented rows undone."""

import numpy as np
import pytest

from trm_engine.data.build import MazeBuild, SudokuBuild, build_maze, build_sudoku
from trm_engine.data.evaluation import expected_output, iter_eval, original_input, to_original
from trm_engine.puzzles.generate import MazeSettings


@pytest.fixture(scope="module")
def sudoku():
    return build_sudoku(SudokuBuild(train=4, test=7, seed=3))


@pytest.fixture(scope="module")
def maze():
    return build_maze(MazeBuild(train=2, test=3, seed=3, canvas=9, settings=MazeSettings(7, 5)))


def test_plain_evaluation_covers_the_split_in_order(sudoku):
    batches = list(iter_eval(sudoku, batch_size=4))
    assert [b.count for b in batches] == [4, 3]
    assert [r.example for b in batches for r in b.rows] == list(range(7))
    last = batches[-1].batch
    assert last["inputs"].shape == (4, 81) and (last["inputs"][3] == 0).all()
    assert (last["labels"][3] == -100).all() and last["puzzle_identifiers"][3] == 0
    assert np.array_equal(batches[0].batch["inputs"][0], sudoku["test"].inputs[0])
    assert list(iter_eval(sudoku, batch_size=4, limit=2))[0].count == 2


def test_ranks_split_each_global_batch(sudoku):
    one = [r.example for b in iter_eval(sudoku, batch_size=4) for r in b.rows]
    halves = [list(iter_eval(sudoku, batch_size=4, rank=r, world_size=2)) for r in (0, 1)]
    assert len(halves[0]) == len(halves[1])  # every rank runs the same number of steps
    merged = [r.example for pair in zip(*halves) for b in pair for r in b.rows]
    assert merged == one


@pytest.mark.parametrize("which", ["sudoku", "maze"])
def test_augmented_rows_undo_exactly(which, sudoku, maze):
    ds = {"sudoku": sudoku, "maze": maze}[which]
    rows = 0
    for eb in iter_eval(ds, batch_size=8, augmentations=3):
        for i, row in enumerate(eb.rows):
            perfect = np.maximum(eb.batch["labels"][i], 0)
            assert np.array_equal(to_original(ds, perfect, row), expected_output(ds, row))
            assert np.array_equal(to_original(ds, eb.batch["inputs"][i], row), original_input(ds, row))
            assert (row.augmentation is None) == (row.k == 0)
            rows += 1
    assert rows == ds["test"].num_examples * 4
