"""Dataset files: builders, atomic HDF5 writing, fast opening, and clear errors for bad files."""

import os

import h5py
import numpy as np
import pytest

from trm_engine.data.build import MazeBuild, SudokuBuild, build_maze, build_sudoku
from trm_engine.data.dataset import PuzzleDataset
from trm_engine.errors import DataError
from trm_engine.puzzles.generate import MazeSettings, SudokuSettings


@pytest.fixture(scope="module")
def sudoku_ds():
    return build_sudoku(SudokuBuild(train=40, test=10, seed=7))


@pytest.fixture(scope="module")
def maze_ds():
    return build_maze(MazeBuild(train=6, test=3, seed=7, canvas=12, settings=MazeSettings(9, 9)))


def test_sudoku_build_has_official_arrays(sudoku_ds):
    ds = sudoku_ds
    assert (ds.family, ds.vocab_size, ds.seq_len, ds.num_puzzle_identifiers) == ("sudoku", 11, 81, 1)
    assert ds.splits == ("train", "test") and ds.family_options == {"box": 3}
    train = ds["train"]
    assert train.inputs.shape == (40, 81) and train.inputs.dtype == np.uint8
    assert train.num_groups == train.num_puzzles == 40 and (train.puzzle_identifiers == 0).all()
    assert train.inputs.min() >= 1 and train.labels.min() >= 2  # labels: full solutions, never blank
    family = ds.get_family()
    for x, y in zip(train.inputs[:5], train.labels[:5]):
        assert family.check_solution(family.decode(x), family.decode(y)) == []
    assert ds.metadata["generator_settings"]["rater"] == "trm-lab-sudoku-rater"
    assert not set(map(bytes, ds["train"].inputs)) & set(map(bytes, ds["test"].inputs))


def test_maze_build_in_a_bigger_canvas(maze_ds):
    ds = maze_ds
    assert (ds.vocab_size, ds.seq_len, ds.family_options) == (6, 144, {"canvas": 12})
    family = ds.get_family()
    split = ds["train"]
    grid = family.decode(split.inputs[0])
    assert grid.shape == (9, 9) and family.validate(grid) == []
    assert family.check_solution(grid, family.decode(split.labels[0])) == []
    assert (split.ratings > 20).all() and split.shapes[0].tolist() == [9, 9, 9, 9]


def test_save_open_roundtrip_is_atomic(tmp_path, sudoku_ds):
    path = tmp_path / "s.h5"
    old = os.umask(0o022)
    try:
        sudoku_ds.save(path)
    finally:
        os.umask(old)
    assert [p.name for p in tmp_path.iterdir()] == ["s.h5"]
    assert path.stat().st_mode & 0o777 == 0o644  # not the 0600 of a temporary file
    ds = PuzzleDataset.open(path)
    for name in ("train", "test"):
        a, b = sudoku_ds[name], ds[name]
        for key in ("inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices", "ratings"):
            assert np.array_equal(getattr(a, key), getattr(b, key)), key
    assert ds.metadata["seed"] == 7 and ds.augmentation == "sudoku"


def test_failed_save_leaves_nothing_and_keeps_the_old_file(tmp_path, sudoku_ds):
    path = tmp_path / "s.h5"
    sudoku_ds.save(path)
    before = path.read_bytes()
    broken = PuzzleDataset(**{**sudoku_ds.__dict__, "vocab_size": 5, "path": None})
    with pytest.raises(DataError, match="vocabulary"):
        broken.save(path)
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["s.h5"]
    with pytest.raises(DataError, match="does not exist"):
        sudoku_ds.save(tmp_path / "missing" / "x.h5")


def test_large_arrays_are_memory_mapped_not_read(tmp_path):
    """Opening a big set reads no puzzle array (how fast that is: `trm bench data`, open_s)."""
    rng = np.random.default_rng(0)
    n = 20000
    from trm_engine.data.build import single_example_split

    split = single_example_split(rng.integers(1, 11, (n, 81)), rng.integers(2, 11, (n, 81)))
    ds = PuzzleDataset("sudoku", {"box": 3}, 11, 81, 1, {"train": split}, augmentation="sudoku")
    ds.save(tmp_path / "big.h5")
    opened = PuzzleDataset.open(tmp_path / "big.h5")
    assert isinstance(opened["train"].inputs, np.memmap) and isinstance(opened["train"].labels, np.memmap)
    assert np.array_equal(opened["train"].inputs[123], split.inputs[123])


@pytest.mark.parametrize("kind", ["truncated", "foreign", "garbage", "missing", "version"])
def test_bad_files_give_data_errors_naming_the_file(tmp_path, sudoku_ds, kind):
    path = tmp_path / "bad.h5"
    if kind == "truncated":
        big = build_sudoku(SudokuBuild(train=0, test=30, seed=2))
        big.save(path)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2])
    elif kind == "foreign":
        with h5py.File(path, "w") as f:
            f["x"] = np.arange(3)
    elif kind == "garbage":
        path.write_bytes(os.urandom(5000))
    elif kind == "version":
        sudoku_ds.save(path)
        with h5py.File(path, "a") as f:
            f.attrs["format_version"] = 99
    with pytest.raises(DataError) as err:
        PuzzleDataset.open(path)
    assert str(path) in str(err.value)


def test_truncated_memory_mapped_file_is_caught(tmp_path):
    rng = np.random.default_rng(0)
    from trm_engine.data.build import single_example_split

    split = single_example_split(rng.integers(1, 11, (30000, 81)), rng.integers(2, 11, (30000, 81)))
    ds = PuzzleDataset("sudoku", {"box": 3}, 11, 81, 1, {"train": split}, augmentation="sudoku")
    path = tmp_path / "t.h5"
    ds.save(path)
    size = path.stat().st_size
    with open(path, "r+b") as f:
        f.truncate(size - 100_000)
    with pytest.raises(DataError, match="t.h5"):
        PuzzleDataset.open(path)


def test_a_4x4_build_draws_more_until_its_puzzles_are_distinct():
    """4x4 boards repeat minimal puzzles by chance; the builder must still deliver distinct ones."""
    from trm_engine.data.build import SudokuBuild, build_sudoku

    ds = build_sudoku(SudokuBuild(train=600, test=150, seed=1, settings=SudokuSettings(box=2)))
    rows = np.concatenate([ds.split("train").inputs, ds.split("test").inputs])
    assert len(rows) == 750 and len(np.unique(rows, axis=0)) == 750
