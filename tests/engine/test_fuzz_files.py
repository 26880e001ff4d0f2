"""Structure-aware fuzzing of every file reader (issue 19): dataset files mutated through h5py (attributes
of the wrong kind, arrays of the wrong rank, dtype or declared size, groups where arrays belong, huge
unwritten arrays), run folders, checkpoints, official folders and CSVs, and ARC JSON. Each reader, and
what consumes its result (summary, sampler, evaluator batches, model load), may only raise TrmError
children, within a time bound per file and a memory bound per test. See fuzz_helpers.py for the longer
campaign command."""

import contextlib
import json
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from trm_engine.data import dataset_probe
from trm_engine.data.arc_build import build_arc
from trm_engine.data.arc_sources import ArcSubset, load_kaggle, load_task_path
from trm_engine.data.build import MazeBuild, build_maze
from trm_engine.data.dataset import PuzzleDataset
from trm_engine.data.evaluation import iter_eval
from trm_engine.data.importers import import_maze_csv, import_sudoku_csv, import_trm_folder
from trm_engine.data.sampler import TrainSampler
from trm_engine.model.checkpoint import load_model
from trm_engine.puzzles import ArcTask
from trm_engine.puzzles.generate import MazeSettings
from trm_engine.train.checkpoints import read_best
from trm_engine.train.run_dir import RunDirectory

from .fuzz_helpers import MEMORY_BOUND, fuzz_settings, only_typed_errors, peak_rss


# ---------------------------------------------------------------------------------------- datasets
def _arc_dataset() -> PuzzleDataset:
    rng = np.random.default_rng(0)

    def task(name):
        pairs = [{"input": (g := rng.integers(0, 10, (2, 3))).tolist(), "output": (9 - g).tolist()}
                 for _ in range(3)]
        return ArcTask.from_json({"train": pairs[:2], "test": pairs[2:]}, name)

    return build_arc([ArcSubset("training", [task("a"), task("b")]), ArcSubset("evaluation", [task("c")])],
                     ["evaluation"], augmentations=2, seed=0, canvas=6)


@pytest.fixture(scope="module")
def base_files(sudoku4_path, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz_bases")
    maze = build_maze(MazeBuild(train=4, test=2, seed=0, settings=MazeSettings(5, 5)))
    return {"sudoku": sudoku4_path, "maze": maze.save(root / "maze.h5"), "arc": _arc_dataset().save(root / "arc.h5")}


ATTRS = ("format", "format_version", "family", "family_options", "vocab_size", "seq_len",
         "num_puzzle_identifiers", "augmentation", "metadata")
ATTR_VALUES = st.sampled_from([
    "null", "[]", '{"box": "x"}', '{"box": 9}', '{"canvas": -3}', "{", 5, -1, 0, 10 ** 12, 2 ** 40, 1e9,
    float("nan"), np.arange(3), "", "sudoku", "arc", "maze", "none", "dihedral", "trm-lab-dataset", 1, 256, 257])
PATHS = ("splits", "splits/train", "splits/train/inputs", "splits/train/labels", "splits/train/puzzle_identifiers",
         "splits/train/puzzle_indices", "splits/train/group_indices", "splits/train/shapes", "splits/test/inputs",
         "splits/train/ratings", "tasks", "aug_specs", "aug_counts", "identifiers")
REPLACEMENTS = st.sampled_from([
    "scalar", "empty", "short", "2d", "float_nan", "strings", "int_max", "negative", "group", "datatype",
    "huge", "bool", "transposed", "big_values"])
OPS = st.one_of(
    st.tuples(st.just("attr_del"), st.sampled_from(ATTRS)),
    st.tuples(st.just("attr_set"), st.sampled_from(ATTRS), ATTR_VALUES),
    st.tuples(st.just("del"), st.sampled_from(PATHS)),
    st.tuples(st.just("replace"), st.sampled_from(PATHS), REPLACEMENTS),
    st.tuples(st.just("poke"), st.sampled_from(PATHS), st.sampled_from([-1, 0, 7, 255, 10 ** 6, 2 ** 31 - 1])),
)


def _replacement(f, path: str, kind: str):
    old = f[path] if path in f else None
    shape = getattr(old, "shape", (3,))
    del_ok = old is not None
    if del_ok:
        del f[path]
    if kind == "group":
        f.create_group(path)
    elif kind == "datatype":
        f[path] = np.dtype("float32")
    elif kind == "huge":  # declared (2, 1e9), nothing stored
        f.create_dataset(path, shape=(2, 10 ** 9), dtype=np.uint8, chunks=(1, 4096))
    else:
        value = {"scalar": np.int32(3), "empty": np.zeros((0,), np.int32), "short": np.arange(2, dtype=np.int32),
                 "2d": np.ones((2, 2), np.int32), "float_nan": np.full(shape or (1,), np.nan),
                 "strings": np.array([b"a", b"b"]), "int_max": np.full(shape or (1,), 2 ** 31 - 1, np.int64),
                 "negative": np.full(shape or (1,), -5, np.int32), "bool": np.ones(shape or (1,), bool),
                 "transposed": np.zeros(tuple(reversed(shape)) or (1,), np.uint8),
                 "big_values": np.full(shape or (1,), 200, np.uint8)}[kind]
        f.create_dataset(path, data=value)


def mutate_dataset(src: Path, dst: Path, ops) -> None:
    shutil.copyfile(src, dst)
    with h5py.File(dst, "r+") as f:
        for op in ops:
            with contextlib.suppress(Exception):  # an operation that does not apply to this file
                if op[0] == "attr_del":
                    del f.attrs[op[1]]
                elif op[0] == "attr_set":
                    f.attrs[op[1]] = op[2]
                elif op[0] == "del":
                    del f[op[1]]
                elif op[0] == "replace":
                    _replacement(f, op[1], op[2])
                elif op[0] == "poke":
                    d = f[op[1]]
                    d[(0,) * d.ndim] = op[2]


def use_dataset(path: Path) -> None:
    """Open a dataset and use it as the CLI and the trainer do."""
    ds = PuzzleDataset.open(path)
    ds.summary()
    for name in ds.splits:
        sampler = TrainSampler(ds, name, 4, seed=0)
        sampler.next_batch()
        sampler.next_batch()
        for _ in zip(range(2), iter_eval(ds, name, batch_size=4, limit=8)):
            pass
        for pid in np.unique(np.asarray(ds.split(name).puzzle_identifiers))[:3]:
            ds.identifier_name(int(pid))


@pytest.fixture
def quick_probe(monkeypatch):
    monkeypatch.setattr(dataset_probe, "TIME_LIMIT_S", 3.0)


@fuzz_settings(80)
@given(base=st.sampled_from(["sudoku", "maze", "arc"]), ops=st.lists(OPS, min_size=1, max_size=3))
def test_mutated_dataset_files_give_only_typed_errors(base_files, quick_probe, tmp_path, base, ops):
    before = peak_rss()
    with tempfile.TemporaryDirectory(dir=tmp_path) as tmp:
        path = Path(tmp) / "d.h5"
        mutate_dataset(base_files[base], path, ops)
        only_typed_errors(use_dataset, path)
    assert peak_rss() - before < MEMORY_BOUND


@fuzz_settings(40)
@given(base=st.sampled_from(["sudoku", "maze", "arc"]), flips=st.lists(
    st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6))
def test_byte_damaged_dataset_files_give_only_typed_errors(base_files, quick_probe, tmp_path, base, flips):
    data = bytearray(Path(base_files[base]).read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    path = tmp_path / f"{base}-damaged.h5"
    path.write_bytes(bytes(data))
    only_typed_errors(use_dataset, path)


@pytest.mark.parametrize("ops, why", [
    ([("del", "splits"), ("replace", "splits", "scalar")], "'splits' is missing or not a group"),
    ([("replace", "splits/train/puzzle_identifiers", "scalar")], "must be 1-dimensional"),
    ([("attr_set", "metadata", "null")], "'metadata' must be a JSON object"),
    ([("attr_set", "vocab_size", 10 ** 9)], "vocab_size 1000000000 must be in"),
    ([("attr_set", "num_puzzle_identifiers", 10 ** 12)], "refusing to size a table"),
    ([("replace", "splits/train/inputs", "huge")], "declares shape (2, 1000000000)"),
    ([("replace", "splits/train/inputs", "datatype")], "is not an array"),
])
def test_the_reported_dataset_damage_is_refused_by_name(base_files, tmp_path, ops, why):
    path = tmp_path / "d.h5"
    mutate_dataset(base_files["sudoku"], path, ops)
    with pytest.raises(Exception) as err:
        PuzzleDataset.open(path)
    assert type(err.value).__name__ == "DataError" and why in str(err.value)


def test_an_arc_set_without_shapes_is_refused_when_opened(base_files, tmp_path):
    path = tmp_path / "arc.h5"
    mutate_dataset(base_files["arc"], path, [("del", "splits/train/shapes")])
    with pytest.raises(Exception, match="arc augmentation needs the shapes of its grids"):
        PuzzleDataset.open(path)


def test_a_corrupted_heap_that_hangs_h5py_is_refused_in_bounded_time(tmp_path, quick_probe):
    """A 16 KB dataset whose global heap object header is damaged: h5py's read of the `format` attribute
    never returns (the HDF5 library loops). The probe child is stopped and the file refused."""
    path = tmp_path / "hang.h5"
    path.write_bytes((Path(__file__).parent / "data" / "heap_loop.h5").read_bytes())
    with pytest.raises(Exception, match="did not finish in 3 s"):
        PuzzleDataset.open(path)


def test_a_corrupted_string_length_cannot_make_h5py_allocate_gigabytes(tmp_path):
    """The vlen reference of an attribute claims 3.5 GB: the bounded child fails fast instead."""
    path = tmp_path / "big.h5"
    path.write_bytes((Path(__file__).parent / "data" / "heap_length.h5").read_bytes())
    before = peak_rss()
    with pytest.raises(Exception, match="not a readable TRM Lab dataset"):
        PuzzleDataset.open(path)
    assert peak_rss() - before < 200 << 20


def test_the_probe_does_not_run_the_callers_script_again(sudoku4_path, tmp_path):
    """multiprocessing runs the parent's __main__ in its children; a script without a main guard that
    opened a dataset would run twice (and the app's main module would import Qt in every probe)."""
    import subprocess
    import sys

    script = tmp_path / "script.py"
    marker = tmp_path / "runs.txt"
    script.write_text("from trm_engine.data.dataset import PuzzleDataset\n"
                      f"open({str(marker)!r}, 'a').write('ran\\n')\n"
                      f"print(PuzzleDataset.open({str(tmp_path / 'copy.h5')!r}).vocab_size)\n")
    shutil.copyfile(sudoku4_path, tmp_path / "copy.h5")  # a file this process did not write: probed
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120,
                         env={**__import__("os").environ, "PYTHONPATH": str(Path(__file__).parents[2])})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "6" and marker.read_text() == "ran\n"


# ------------------------------------------------------------------------------------ run folders
RUN_FILES = ("status.json", "config.json", "metrics.jsonl", "checkpoints/best.json")
JSONISH = st.one_of(
    st.binary(max_size=60),
    st.recursive(st.none() | st.booleans() | st.integers(-2, 10 ** 20) | st.floats() | st.text(max_size=8),
                 lambda c: st.lists(c, max_size=3) | st.dictionaries(
                     st.sampled_from(["state", "step", "total_steps", "started", "updated", "best_eval", "pid",
                                      "host", "message", "file", "exact_accuracy", "config", "type", "name"]),
                     c, max_size=5), max_leaves=8).map(lambda v: json.dumps(v).encode()),
)


@fuzz_settings(80)
@given(victim=st.sampled_from(RUN_FILES), content=JSONISH, append=st.booleans())
def test_damaged_run_folder_files_give_only_typed_errors(tiny_run, tmp_path_factory, victim, content, append):
    root = tmp_path_factory.mktemp("runs")
    rd = RunDirectory(shutil.copytree(tiny_run, root / "run", ignore=shutil.ignore_patterns("*.pt", "traces")))
    target = rd.path / victim
    with open(target, "ab" if append and victim == "metrics.jsonl" else "wb") as fh:
        fh.write(content)
    row = rd.row()
    assert row["state"] in ("finished", "damaged", "crashed", "unknown", "running", "paused", "failed", "stopped")
    only_typed_errors(rd.summary)
    only_typed_errors(rd.status)
    only_typed_errors(rd.config)
    only_typed_errors(read_best, rd.checkpoints)
    events, _ = rd.events()
    assert all(isinstance(e.step, int) for e in events)
    only_typed_errors(rd.truncate_metrics_after, 3)


# ------------------------------------------------------------------------------------- checkpoints
CKPT_EDITS = st.sampled_from([
    ("config", "x"), ("config", "{}"), ("config", "[1]"), ("config", None), ("format", "other"), ("version", 2),
    ("model", None), ("model", {}), ("model", [1]), ("model", {"x": torch.zeros(1)}), ("step", "x"),
    ("model_config", ("vocab_size", 10 ** 9)), ("model_config", ("hidden_size", 7)),
    ("model_config", ("num_puzzle_identifiers", 1 << 24)), ("model_config", ("num_layers", 0)),
    ("model_config", ("l_cycles", "many")), ("model_config", ("seq_len", 10 ** 6)), ("weights", "nan"),
    ("weights", "shape"), ("weights", "dtype"), ("truncate", 0.5), ("truncate", 0.9)])


@fuzz_settings(50)
@given(edits=st.lists(CKPT_EDITS, min_size=1, max_size=3))
def test_damaged_checkpoints_give_only_typed_errors(tiny_run, tmp_path_factory, edits):
    src = sorted((tiny_run / "checkpoints").glob("step_*.pt"))[-1]
    body = torch.load(src, weights_only=True)
    path = tmp_path_factory.mktemp("ckpt") / "c.pt"
    truncate = None
    for key, value in edits:
        if key == "model_config" and isinstance(body.get("config"), str):
            with contextlib.suppress(ValueError, TypeError, KeyError):
                cfg = json.loads(body["config"])
                cfg["model"][value[0]] = value[1]
                body["config"] = json.dumps(cfg)
        elif key == "weights" and isinstance(body.get("model"), dict) and body["model"]:
            name = next(iter(body["model"]))
            t = body["model"][name]
            if isinstance(t, torch.Tensor) and t.is_floating_point():
                body["model"][name] = {"nan": torch.full_like(t, float("nan")), "shape": torch.zeros(3, 1),
                                       "dtype": t.to(torch.int64)}[value]
        elif key == "truncate":
            truncate = value
        else:
            body[key] = value
    torch.save(body, path)
    if truncate is not None:
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * truncate)])
    before = peak_rss()
    only_typed_errors(load_model, path)
    assert peak_rss() - before < MEMORY_BOUND


# --------------------------------------------------------------------- official folders and CSVs
def _official_folder(root: Path) -> None:
    (root / "train").mkdir(parents=True)
    x = np.random.default_rng(0).integers(1, 11, (2, 81)).astype(np.uint8)
    for key, value in (("inputs", x), ("labels", x), ("puzzle_identifiers", np.zeros(2, np.int32)),
                       ("puzzle_indices", np.arange(3, dtype=np.int32)), ("group_indices", np.arange(3, dtype=np.int32))):
        np.save(root / "train" / f"all__{key}.npy", value)
    (root / "train" / "dataset.json").write_text(json.dumps(
        {"vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "sets": ["all"]}))
    (root / "identifiers.json").write_text('["<blank>"]')


NPY_VALUES = st.sampled_from([
    np.zeros((2, 81), np.float64) + np.nan, np.array(["a", "b"]), np.zeros((2,), np.int32), np.int32(5),
    np.full((2, 81), 300, np.int64), np.full((2, 81), -1, np.int32), np.zeros((0, 81), np.uint8),
    np.arange(5, dtype=np.int32), np.array([0, 5, 1], np.int32), np.zeros((2, 81), np.complex64)])
META_VALUES = st.sampled_from([
    {"vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 10 ** 12, "sets": ["all"]},
    {"vocab_size": "x", "seq_len": 81, "num_puzzle_identifiers": 1, "sets": ["all"]},
    {"vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "sets": "all"},
    {"vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "sets": ["../all"]},
    {"vocab_size": 11, "seq_len": 81, "num_puzzle_identifiers": 1, "sets": [5]},
    {"vocab_size": 1e400, "seq_len": 81, "num_puzzle_identifiers": 1, "sets": ["all"]},
    {"vocab_size": 11, "seq_len": None, "num_puzzle_identifiers": 1, "sets": ["all"]}, [1], "x", None])


@fuzz_settings(60)
@given(victim=st.sampled_from(["inputs", "labels", "puzzle_identifiers", "puzzle_indices", "group_indices"]),
       value=NPY_VALUES, header_damage=st.one_of(st.none(), st.tuples(st.integers(8, 120), st.binary(min_size=1,
                                                                                                    max_size=4))),
       meta=st.one_of(st.none(), META_VALUES))
def test_damaged_official_folders_give_only_typed_errors(tmp_path_factory, victim, value, header_damage, meta):
    root = tmp_path_factory.mktemp("official")
    _official_folder(root)
    target = root / "train" / f"all__{victim}.npy"
    np.save(target, value)
    if header_damage is not None:  # inside the .npy header (a broken header gave a TokenError)
        data = bytearray(target.read_bytes())
        pos, junk = header_damage
        data[pos:pos + len(junk)] = junk
        target.write_bytes(bytes(data))
    if meta is not None:
        (root / "train" / "dataset.json").write_text(json.dumps(meta))
    ds = only_typed_errors(import_trm_folder, root)
    if ds is not None:
        only_typed_errors(use_in_memory, ds)


def use_in_memory(ds: PuzzleDataset) -> None:
    ds.summary()
    TrainSampler(ds, ds.splits[0], 2, seed=0).next_batch()


@pytest.mark.parametrize("rating", ["nan", "inf", "1e400", "-inf", "1e300", "99999999999", "0x10", "1.5"])
def test_csv_ratings_that_are_not_small_integers_are_data_errors(tmp_path, rating):
    """A CSV rating of 1e400 raised OverflowError; NaN a ValueError."""
    from trm_engine.puzzles import get_family
    from trm_engine.puzzles.generate import generate_sudoku

    g = generate_sudoku(1, 0)
    fam = get_family("sudoku")
    q, a = (fam.format_line(v.reshape(9, 9).astype(int)) for v in (g.puzzles[0], g.solutions[0]))
    path = tmp_path / "train.csv"
    path.write_text(f"source,question,answer,rating\ns,{q},{a},{rating}\n")
    with pytest.raises(Exception) as err:
        import_sudoku_csv(path)
    assert type(err.value).__name__ == "DataError" and "rating" in str(err.value)
    only_typed_errors(import_maze_csv, path)


# ------------------------------------------------------------------------------------------- CSVs
SUDOKU_ROW = ("s,53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79,"
              "534678912672195348198342567859761423426853791713924856961537284287419635345286179,3")
_CSV_FIELD = st.text(alphabet="0123456789.#SGo ,\"\n-e", max_size=90) | st.sampled_from(
    ["", "nan", "1e400", "-1", SUDOKU_ROW.split(",")[1], "#" * 81, "." * 900])


def _one_field_changed():
    """The good row with one of its fields replaced (or dropped, or one added)."""
    good = SUDOKU_ROW.split(",")
    return st.builds(lambda k, v, how: (good[:k] + [v] + good[k + 1:] if how == "replace" else
                                        good[:k] + good[k + 1:] if how == "drop" else good + [v]),
                     st.integers(0, 3), _CSV_FIELD, st.sampled_from(["replace", "drop", "add"]))


@fuzz_settings(60)
@given(header=st.sampled_from(["source,question,answer,rating", "question,answer", "a,b,c,d", ""]),
       rows=st.lists(st.lists(_CSV_FIELD, min_size=0, max_size=5) | _one_field_changed(), max_size=4),
       keep_good=st.booleans(),
       cut=st.integers(0, 400))
def test_mutated_csvs_give_only_typed_errors(tmp_path_factory, header, rows, keep_good, cut):
    """Sudoku-Extreme and Maze-Hard CSVs of any shape: fields added, dropped, retyped, lines cut."""
    text = header + "\n" + (SUDOKU_ROW + "\n" if keep_good else "") + "".join(",".join(r) + "\n" for r in rows)
    path = tmp_path_factory.mktemp("csv") / "train.csv"
    path.write_text(text[: len(text) - cut % (len(text) + 1)])
    only_typed_errors(import_sudoku_csv, path)
    only_typed_errors(import_maze_csv, path)


# -------------------------------------------------------------------------------------- ARC JSON
def _arc_json():
    return st.recursive(
        st.none() | st.booleans() | st.integers(-3, 12) | st.floats(allow_nan=True) | st.text(max_size=3),
        lambda c: st.lists(c, max_size=4) | st.dictionaries(st.sampled_from(["train", "test", "input", "output"]),
                                                             c, max_size=3), max_leaves=25)


@fuzz_settings(80)
@given(task=_arc_json(), wrap=st.booleans())
def test_arc_json_of_any_shape_gives_only_typed_errors(tmp_path_factory, task, wrap):
    root = tmp_path_factory.mktemp("arc")
    (root / "t.json").write_text(json.dumps(task))
    only_typed_errors(load_task_path, root / "t.json")
    (root / "x_evaluation_challenges.json").write_text(json.dumps({"t1": task} if wrap else task))
    (root / "x_evaluation_solutions.json").write_text(json.dumps({"t1": [[[1]]]} if wrap else task))
    subsets = only_typed_errors(load_kaggle, root / "x_evaluation_challenges.json")
    if subsets:
        only_typed_errors(build_arc, subsets, [s.name for s in subsets], augmentations=1, seed=0, canvas=30)
