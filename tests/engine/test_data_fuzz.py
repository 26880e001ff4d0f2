"""Fuzz every data parser: random bytes and near-valid inputs to the CSV importers, the official folder
importer, ARC task files / Kaggle pairs and the HDF5 reader may only raise TrmError subclasses, and a
failed import through the CLI never leaves an output file."""

import json
import tempfile
from pathlib import Path

import h5py
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trm_engine.cli import main
from trm_engine.data.arc_sources import load_kaggle, load_task_path
from trm_engine.data.dataset import PuzzleDataset
from trm_engine.data.importers import import_maze_csv, import_sudoku_csv, import_trm_folder
from trm_engine.errors import TrmError
from trm_engine.puzzles import get_family
from trm_engine.puzzles.generate import MazeSettings, generate_mazes, generate_sudoku

FUZZ = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
_gen = generate_sudoku(2, 0)
_sud = get_family("sudoku")
SUDOKU_CSV = "source,question,answer,rating\n" + "".join(
    f"s,{_sud.format_line(p.reshape(9, 9).astype(int))},{_sud.format_line(a.reshape(9, 9).astype(int))},3\n"
    for p, a in zip(_gen.puzzles, _gen.solutions))
_mz = generate_mazes(1, 0, MazeSettings(5, 5))
_maze = get_family("maze")
MAZE_CSV = ("source,question,answer,rating\n"
            f'm,"{_maze.format_line(_mz.puzzles[0].reshape(5, 5).astype(int))}",'
            f'"{_maze.format_line(_mz.solutions[0].reshape(5, 5).astype(int))}",{_mz.ratings[0]}\n')
TASK = json.dumps({"train": [{"input": [[1, 2]], "output": [[2, 1]]}], "test": [{"input": [[3]], "output": [[3]]}]})
ALPHABET = '0123456789.#SGo ,"\n\r[]{}:-x\x00é'


def mutate(base):
    edit = st.tuples(st.sampled_from("dir"), st.integers(0, len(base)), st.sampled_from(ALPHABET))

    def apply(edits):
        text = base
        for kind, pos, ch in edits:
            pos = min(pos, len(text))
            text = {"d": text[:pos] + text[pos + 1:], "i": text[:pos] + ch + text[pos:],
                    "r": text[:pos] + ch + text[pos + 1:]}[kind]
        return text

    return st.lists(edit, min_size=1, max_size=5).map(apply)


def only_trm_errors(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except TrmError:
        pass


def write(path: Path, content) -> Path:
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    return path


@FUZZ
@given(st.one_of(st.binary(max_size=500), mutate(SUDOKU_CSV), mutate(MAZE_CSV)))
def test_csv_importers(content):
    with tempfile.TemporaryDirectory() as tmp:
        path = write(Path(tmp) / "train.csv", content)
        only_trm_errors(import_sudoku_csv, path)
        only_trm_errors(import_maze_csv, path)
        out = Path(tmp) / "out.h5"
        assert main(["data", "import", "sudoku-csv", str(path), "--out", str(out), "--quiet"]) in (0, 2)
        assert sorted(p.name for p in Path(tmp).iterdir()) in (["train.csv"], ["out.h5", "train.csv"])


@FUZZ
@given(st.one_of(st.binary(max_size=300), mutate(TASK)))
def test_arc_task_files_and_kaggle_pairs(content):
    with tempfile.TemporaryDirectory() as tmp:
        write(Path(tmp) / "t.json", content)
        only_trm_errors(load_task_path, Path(tmp) / "t.json")
        only_trm_errors(load_task_path, Path(tmp))
        write(Path(tmp) / "x_evaluation_challenges.json", content)
        only_trm_errors(load_kaggle, Path(tmp))
        write(Path(tmp) / "x_evaluation_solutions.json", content)
        only_trm_errors(load_kaggle, Path(tmp) / "x_evaluation_challenges.json")


@FUZZ
@given(st.binary(min_size=0, max_size=2000), st.integers(0, 3))
def test_hdf5_reader_on_random_and_damaged_files(content, where):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "d.h5"
        if where == 0:
            write(path, content)
        else:  # a real dataset file with random bytes written over part of it
            rng = np.random.default_rng(len(content))
            x = rng.integers(1, 11, (5, 81)).astype(np.uint8)
            from trm_engine.data.build import single_example_split

            PuzzleDataset("sudoku", {"box": 3}, 11, 81, 1, {"train": single_example_split(x, x)},
                          augmentation="sudoku").save(path)
            data = bytearray(path.read_bytes())
            pos = (len(data) * where // 4) % max(len(data) - len(content), 1)
            data[pos:pos + len(content)] = content
            write(path, bytes(data[: len(data) - (where == 3) * 500]))
        only_trm_errors(PuzzleDataset.open, path)


@FUZZ
@given(st.one_of(st.binary(max_size=200), mutate(json.dumps({"vocab_size": 11, "seq_len": 81,
                                                             "num_puzzle_identifiers": 1, "sets": ["all"]}))),
       st.sampled_from(["dataset.json", "all__inputs.npy", "all__group_indices.npy", "identifiers.json"]))
def test_official_folder_importer(content, victim):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "train").mkdir()
        x = (_gen.puzzles.astype(np.uint8) + 1)
        for key, value in (("inputs", x), ("labels", x), ("puzzle_identifiers", np.zeros(2, np.int32)),
                           ("puzzle_indices", np.arange(3, dtype=np.int32)),
                           ("group_indices", np.arange(3, dtype=np.int32))):
            np.save(root / "train" / f"all__{key}.npy", value)
        (root / "train" / "dataset.json").write_text(json.dumps(
            {"vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "sets": ["all"]}))
        (root / "identifiers.json").write_text('["<blank>"]')
        target = root / victim if victim == "identifiers.json" else root / "train" / victim
        write(target, content)
        only_trm_errors(import_trm_folder, root)


def test_foreign_hdf5_layouts():
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "f.h5"
        for attrs in ({}, {"format": "trm-lab-dataset"}, {"format": "trm-lab-dataset", "format_version": 1}):
            with h5py.File(path, "w") as f:
                f.attrs.update(attrs)
                f.create_group("splits/train")
            only_trm_errors(PuzzleDataset.open, path)
