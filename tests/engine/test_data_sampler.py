"""The training sampler: deterministic, identical across ranks, resumable bit-for-bit, and every
augmented row is still a valid puzzle with its answer."""

import io
import json

import numpy as np
import pytest
import torch

from trm_engine.data.arc_build import build_arc
from trm_engine.data.arc_sources import ArcSubset
from trm_engine.data.build import MazeBuild, SudokuBuild, build_maze, build_sudoku
from trm_engine.data.sampler import TrainSampler
from trm_engine.errors import DataError
from trm_engine.puzzles import ArcAugment, ArcTask
from trm_engine.puzzles.generate import MazeSettings, SudokuSettings


def _arc_tasks(n, seed, prefix="task"):
    rng = np.random.default_rng(seed)
    tasks = []
    for i in range(n):
        pairs = []
        for _ in range(int(rng.integers(2, 5))):
            h, w = (int(v) for v in rng.integers(1, 12, 2))
            grid = rng.integers(0, 10, (h, w))
            pairs.append({"input": grid.tolist(), "output": np.rot90(grid).tolist()})
        tasks.append(ArcTask.from_json({"train": pairs[:-1], "test": pairs[-1:]}, name=f"{prefix}{i:03d}"))
    return tasks


@pytest.fixture(scope="module")
def datasets():
    sudoku = build_sudoku(SudokuBuild(train=30, test=5, seed=1))
    sudoku4 = build_sudoku(SudokuBuild(train=30, test=0, seed=1, settings=SudokuSettings(box=2, min_clues=8)))
    maze = build_maze(MazeBuild(train=8, test=2, seed=1, canvas=10, settings=MazeSettings(8, 6)))
    arc = build_arc([ArcSubset("training", _arc_tasks(12, 0)), ArcSubset("evaluation", _arc_tasks(5, 1, "eval"))],
                    ["evaluation"], augmentations=6, seed=3)
    return {"sudoku": sudoku, "sudoku4": sudoku4, "maze": maze, "arc": arc}


KINDS = ["sudoku", "sudoku4", "maze", "arc"]


def _batches(sampler, n):
    return [sampler.next_batch() for _ in range(n)]


def _same(a, b):
    return all(np.array_equal(x[k], y[k]) for x, y in zip(a, b) for k in x)


@pytest.mark.parametrize("kind", KINDS)
def test_deterministic_and_seeded(datasets, kind):
    ds = datasets[kind]
    a = _batches(TrainSampler(ds, global_batch_size=16, seed=5), 4)
    b = _batches(TrainSampler(ds, global_batch_size=16, seed=5), 4)
    c = _batches(TrainSampler(ds, global_batch_size=16, seed=6), 4)
    assert _same(a, b) and not _same(a, c)
    batch = a[0]
    assert batch["inputs"].dtype == np.int32 and batch["labels"].dtype == np.int64
    assert batch["puzzle_identifiers"].dtype == np.int32
    assert batch["inputs"].shape == (16, ds.seq_len)


@pytest.mark.parametrize("kind", KINDS)
def test_two_ranks_see_what_one_rank_sees(datasets, kind):
    ds = datasets[kind]
    one = _batches(TrainSampler(ds, global_batch_size=12, seed=2), 5)
    r0 = _batches(TrainSampler(ds, global_batch_size=12, seed=2, rank=0, world_size=2), 5)
    r1 = _batches(TrainSampler(ds, global_batch_size=12, seed=2, rank=1, world_size=2), 5)
    for full, a, b in zip(one, r0, r1):
        for key in full:
            assert np.array_equal(full[key], np.concatenate([a[key], b[key]])), key


@pytest.mark.parametrize("kind", KINDS)
def test_resume_is_bit_for_bit(datasets, kind):
    ds = datasets[kind]
    s = TrainSampler(ds, global_batch_size=10, seed=4)
    _batches(s, 7)
    state = s.state_dict()
    expected = _batches(s, 5)
    buf = io.BytesIO()
    torch.save(state, buf)
    buf.seek(0)
    for restored in (json.loads(json.dumps(state)), torch.load(buf, weights_only=True)):
        t = TrainSampler(ds, global_batch_size=10, seed=4)
        t.load_state_dict(restored)
        assert _same(_batches(t, 5), expected)


def test_epoch_counts_official_examples(datasets):
    ds = datasets["arc"]
    split = ds["train"]
    s = TrainSampler(ds, global_batch_size=8, seed=0)
    _batches(s, 10)
    assert s.epoch == pytest.approx(80 / (split.num_groups * split.num_examples / split.num_puzzles))
    tiny = TrainSampler(datasets["sudoku"], global_batch_size=100, seed=0)  # batch > dataset
    tiny.next_batch()
    assert tiny.epoch == pytest.approx(100 / 30)


def test_sudoku_rows_are_valid_puzzles_with_their_solutions(datasets):
    for kind in ("sudoku", "sudoku4"):
        ds = datasets[kind]
        family = ds.get_family()
        batch = TrainSampler(ds, global_batch_size=30, seed=9).next_batch()
        stored = {bytes(r) for r in ds["train"].inputs}
        assert any(bytes(r.astype(np.uint8)) not in stored for r in batch["inputs"])  # augmented
        for x, y, pid in zip(batch["inputs"], batch["labels"], batch["puzzle_identifiers"]):
            puzzle, answer = family.decode(x), family.decode(y)
            assert pid == 0 and family.check_solution(puzzle, answer) == []
            assert family.solve(puzzle).count == 1


def test_maze_rows_keep_a_shortest_path(datasets):
    ds = datasets["maze"]
    family = ds.get_family()
    batch = TrainSampler(ds, global_batch_size=16, seed=1).next_batch()
    shapes = set()
    for x, y in zip(batch["inputs"], batch["labels"]):
        puzzle = family.decode(x)
        shapes.add(puzzle.shape)
        assert (y[x == 0] == -100).all()  # PAD outside the maze is not scored
        assert family.check_solution(puzzle, family.decode(np.maximum(y, 0), puzzle.shape)) == []
    assert shapes == {(8, 6), (6, 8)}  # rotations swap the sides; the rest of the canvas is PAD


def test_arc_rows_undo_to_stored_examples(datasets):
    ds = datasets["arc"]
    split = ds["train"]
    stride = ds.num_augmentations + 1
    stored = {}
    for p in range(split.num_puzzles):
        for e in range(split.puzzle_indices[p], split.puzzle_indices[p + 1]):
            stored.setdefault(int(split.puzzle_identifiers[p]), []).append(
                (split.inputs[e].tobytes(), split.labels[e].tobytes()))
    s = TrainSampler(ds, global_batch_size=40, seed=8)
    translated = 0
    for batch in _batches(s, 3):
        assert (batch["labels"] == -100).any() and batch["labels"].min() == -100
        for x, y, pid in zip(batch["inputs"], batch["labels"], batch["puzzle_identifiers"]):
            task, k = divmod(int(pid) - 1, stride)
            assert k <= ds.aug_counts[task]
            aug = ArcAugment.from_array(ds.aug_specs[task, k])
            back = []
            for row in (x, np.where(y < 0, 0, y)):
                canvas = row.reshape(30, 30)
                rows, cols = np.nonzero(canvas >= 2)
                r0, c0 = rows.min(), cols.min()
                translated += bool(r0 or c0)
                grid = canvas[r0:rows.max() + 1, c0:cols.max() + 1] - 2
                back.append(ds.get_family().encode(aug.invert(grid)).tobytes())
            assert tuple(back) in stored[1 + task * stride]
            assert ((y == -100) == (np.where(y < 0, 0, y) == 0)).all()
    assert translated > 0


def test_bad_arguments(datasets):
    with pytest.raises(DataError, match="multiple of the world size"):
        TrainSampler(datasets["sudoku"], global_batch_size=10, world_size=3)
    with pytest.raises(DataError, match="no split"):
        TrainSampler(datasets["sudoku4"], split="test")
    s = TrainSampler(datasets["sudoku"], global_batch_size=10, seed=1)
    with pytest.raises(DataError, match="seed"):
        s.load_state_dict({**s.state_dict(), "seed": 2})
    with pytest.raises(DataError, match="malformed"):
        s.load_state_dict({"version": 1})
