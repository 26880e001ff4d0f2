"""Importers on small fixtures written in the exact community formats, and export back to the official
folder layout."""

import json

import numpy as np
import pytest

from trm_engine.data.arc_build import build_arc
from trm_engine.data.arc_sources import ArcSubset
from trm_engine.data.build import SudokuBuild, build_sudoku
from trm_engine.data.evaluation import iter_eval, original_input, to_original
from trm_engine.data.export import export_trm_folder
from trm_engine.data.importers import import_maze_csv, import_sudoku_csv, import_trm_folder
from trm_engine.data.sampler import TrainSampler
from trm_engine.errors import DataError
from trm_engine.puzzles import ArcTask, get_family
from trm_engine.puzzles.generate import MazeSettings, generate_mazes, generate_sudoku

SUDOKU = get_family("sudoku")
MAZE = get_family("maze")


def sudoku_csv(path, n=12, seed=0):
    gen = generate_sudoku(n, seed)
    lines = ["source,question,answer,rating"]
    for p, s, r in zip(gen.puzzles, gen.solutions, gen.ratings):
        q = SUDOKU.format_line(p.reshape(9, 9).astype(int))
        a = SUDOKU.format_line(s.reshape(9, 9).astype(int))
        lines.append(f"puzzles0_kaggle,{q},{a},{r}")
    path.write_text("\n".join(lines) + "\n")
    return lines


def maze_csv(path, n=4, side=10, seed=0):
    gen = generate_mazes(n, seed, MazeSettings(side, side))
    lines = ["source,question,answer,rating"]
    for p, s, r in zip(gen.puzzles, gen.solutions, gen.ratings):
        q = MAZE.format_line(p.reshape(side, side).astype(int))
        a = MAZE.format_line(s.reshape(side, side).astype(int))
        lines.append(f'searchformer,"{q}","{a}",{r}')
    path.write_text("\n".join(lines) + "\n")
    return lines


def test_sudoku_extreme_csv_folder(tmp_path):
    sudoku_csv(tmp_path / "train.csv", 12, 0)
    sudoku_csv(tmp_path / "test.csv", 5, 1)
    ds = import_sudoku_csv(tmp_path)
    assert set(ds.splits) == {"train", "test"} and ds["train"].num_examples == 12
    assert ds["test"].ratings is not None and ds.augmentation == "sudoku"
    x = SUDOKU.decode(ds["train"].inputs[0])
    assert SUDOKU.check_solution(x, SUDOKU.decode(ds["train"].labels[0])) == []
    a = import_sudoku_csv(tmp_path / "train.csv", subsample=5, seed=3)
    b = import_sudoku_csv(tmp_path / "train.csv", subsample=5, seed=3)
    assert a.splits == ("train",) and np.array_equal(a["train"].inputs, b["train"].inputs)
    assert import_sudoku_csv(tmp_path / "train.csv", limit=4)["train"].num_examples == 4
    rated = import_sudoku_csv(tmp_path / "train.csv", min_rating=1)
    assert (rated["train"].ratings >= 1).all()


@pytest.mark.parametrize("edit, fragment", [
    (lambda q, a, r: (q[:80], a, r), "line 2: question has 80 characters, expected 81"),
    (lambda q, a, r: ("x" + q[1:], a, r), "line 2: question character 1 is 'x'"),
    (lambda q, a, r: (q, a, "hard"), "line 2: rating 'hard' is not an integer"),
    (lambda q, a, r: (q, a[1] + a[0] + a[2:], r), "line 2: the answer is not a solved Sudoku"),
    (lambda q, a, r: ("." * 81, a, r), "line 2: the question has more than one solution"),
])
def test_sudoku_csv_errors_name_file_and_line(tmp_path, edit, fragment):
    lines = sudoku_csv(tmp_path / "train.csv", 3)
    src, q, a, r = lines[1].split(",")
    q, a, r = edit(q, a, r)
    lines[1] = ",".join([src, q, a, r])
    (tmp_path / "train.csv").write_text("\n".join(lines))
    with pytest.raises(DataError, match=fragment) as err:
        import_sudoku_csv(tmp_path / "train.csv")
    assert "train.csv" in str(err.value)


def test_sudoku_csv_structure_errors(tmp_path):
    path = tmp_path / "train.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(DataError, match="line 1: expected the header"):
        import_sudoku_csv(path)
    lines = sudoku_csv(path, 2)
    path.write_text("\n".join(lines + ["x,y"]))
    with pytest.raises(DataError, match="line 4: 2 fields"):
        import_sudoku_csv(path)
    lines[2] = lines[2].replace(lines[2].split(",")[2], lines[1].split(",")[2])  # answer of another puzzle
    path.write_text("\n".join(lines))
    with pytest.raises(DataError, match="line 3: the answer changes the given"):
        import_sudoku_csv(path)


def test_maze_hard_csv(tmp_path):
    maze_csv(tmp_path / "train.csv", 4, 10)
    ds = import_maze_csv(tmp_path / "train.csv")
    assert ds.seq_len == 100 and ds.family_options == {"canvas": 10}
    grid = ds.get_family().decode(ds["train"].inputs[0])
    assert MAZE.validate(grid) == []
    lines = maze_csv(tmp_path / "train.csv", 2, 10)
    bad = lines[1].replace("G", " ")
    (tmp_path / "train.csv").write_text("\n".join([lines[0], bad]))
    with pytest.raises(DataError, match="line 2: the maze has no goal G"):
        import_maze_csv(tmp_path / "train.csv")
    head, answer = lines[1].split('","')
    bad = head + '","' + answer.replace("o", " ", 1)
    (tmp_path / "train.csv").write_text("\n".join([lines[0], bad]))
    with pytest.raises(DataError, match="line 2: the marked path does not connect"):
        import_maze_csv(tmp_path / "train.csv")
    (tmp_path / "train.csv").write_text(lines[0] + '\nx,"S G",S G,0\n')
    with pytest.raises(DataError, match="not n x n"):
        import_maze_csv(tmp_path / "train.csv")


def write_official(folder, split, inputs, labels, ids, puzzle_indices, group_indices, vocab, num_ids):
    d = folder / split
    d.mkdir(parents=True)
    for key, value in (("inputs", inputs), ("labels", labels), ("puzzle_identifiers", ids),
                       ("puzzle_indices", puzzle_indices), ("group_indices", group_indices)):
        np.save(d / f"all__{key}.npy", np.asarray(value, np.uint8 if key in ("inputs", "labels") else np.int32))
    meta = {"pad_id": 0, "ignore_label_id": 0, "blank_identifier_id": 0, "vocab_size": vocab,
            "seq_len": inputs.shape[1], "num_puzzle_identifiers": num_ids, "total_groups": len(group_indices) - 1,
            "mean_puzzle_examples": 1.0, "sets": ["all"]}
    (d / "dataset.json").write_text(json.dumps(meta))


def test_official_sudoku_folder_with_precomputed_augmentations(tmp_path):
    gen = generate_sudoku(3, 0)
    x, y = gen.puzzles.astype(np.uint8) + 1, gen.solutions.astype(np.uint8) + 1
    # 3 groups, each the original + 1 "augmented" copy (the same puzzle again, for simplicity).
    inputs, labels = np.repeat(x, 2, axis=0), np.repeat(y, 2, axis=0)
    write_official(tmp_path, "train", inputs, labels, np.zeros(6), np.arange(7), [0, 2, 4, 6], 11, 1)
    write_official(tmp_path, "test", x, y, np.zeros(3), np.arange(4), np.arange(4), 11, 1)
    (tmp_path / "identifiers.json").write_text(json.dumps(["<blank>"]))
    ds = import_trm_folder(tmp_path)
    assert ds.family == "sudoku" and ds.augmentation == "none"  # augmented on disk already
    assert ds["train"].num_groups == 3 and ds["train"].num_puzzles == 6
    batch = TrainSampler(ds, global_batch_size=6, seed=0).next_batch()
    assert {bytes(r.astype(np.uint8)) for r in batch["inputs"]} <= {bytes(r) for r in x}


def test_official_folder_errors(tmp_path):
    with pytest.raises(DataError, match="not an official dataset folder"):
        import_trm_folder(tmp_path)
    gen = generate_sudoku(2, 0)
    x = gen.puzzles.astype(np.uint8) + 1
    write_official(tmp_path, "train", x, x, np.zeros(2), np.arange(3), np.arange(3), 11, 1)
    (tmp_path / "train" / "all__labels.npy").write_bytes(b"not numpy")
    with pytest.raises(DataError, match="all__labels.npy: cannot read"):
        import_trm_folder(tmp_path)
    np.save(tmp_path / "train" / "all__labels.npy", x)
    np.save(tmp_path / "train" / "all__puzzle_indices.npy", np.array([0, 5, 1], np.int32))
    with pytest.raises(DataError, match="puzzle_indices must rise"):
        import_trm_folder(tmp_path)


def _arc_dataset():
    rng = np.random.default_rng(0)

    def t(name, n):
        pairs = [{"input": (g := rng.integers(0, 10, (3, 4))).tolist(), "output": g.T.tolist()} for _ in range(n)]
        return ArcTask.from_json({"train": pairs[:-1], "test": pairs[-1:]}, name)

    return build_arc([ArcSubset("training", [t("a", 3), t("b", 2)]), ArcSubset("evaluation", [t("c", 3)])],
                     ["evaluation"], augmentations=3, seed=0)


def test_arc_export_matches_the_official_layout_and_reimports(tmp_path):
    ds = _arc_dataset()
    export_trm_folder(ds, tmp_path / "out")
    names = json.loads((tmp_path / "out" / "identifiers.json").read_text())
    assert names[0] == "<blank>" and names[1] == "a" and names[5] == "b" and "|||t" in names[2]
    assert len(names) == ds.num_puzzle_identifiers
    test_puzzles = json.loads((tmp_path / "out" / "test_puzzles.json").read_text())
    assert set(test_puzzles) == {"c"} and len(test_puzzles["c"]["train"]) == 2
    meta = json.loads((tmp_path / "out" / "train" / "dataset.json").read_text())
    assert meta["total_groups"] == 3 and meta["total_puzzles"] == 12 and meta["vocab_size"] == 12
    inputs = np.load(tmp_path / "out" / "train" / "all__inputs.npy")
    assert inputs.shape == (4 * 7, 900) and inputs.dtype == np.uint8
    back = import_trm_folder(tmp_path / "out")
    assert back.family == "arc" and back.augmentation == "none" and back.identifiers == names
    for eb in iter_eval(back, batch_size=8):  # names are parsed to undo the on-disk augmentation
        for i, row in enumerate(eb.rows):
            assert row.task_name == "c"
            truth = np.array(test_puzzles["c"]["test"][0]["output"])
            assert np.array_equal(to_original(back, np.maximum(eb.batch["labels"][i], 0), row), truth)
            assert np.array_equal(original_input(back, row), np.array(test_puzzles["c"]["test"][0]["input"]))
    with pytest.raises(DataError, match="already exists"):
        export_trm_folder(ds, tmp_path / "out")


def test_sudoku_export_with_shuffles(tmp_path):
    ds = build_sudoku(SudokuBuild(train=4, test=2, seed=0))
    export_trm_folder(ds, tmp_path / "s", augmentations=5)
    x = np.load(tmp_path / "s" / "train" / "all__inputs.npy")
    y = np.load(tmp_path / "s" / "train" / "all__labels.npy")
    groups = np.load(tmp_path / "s" / "train" / "all__group_indices.npy")
    assert x.shape == (24, 81) and groups.tolist() == [0, 6, 12, 18, 24]
    assert np.array_equal(x[0], ds["train"].inputs[0])  # version 0 is the original
    for a, b in zip(x, y):
        assert SUDOKU.check_solution(SUDOKU.decode(a), SUDOKU.decode(b)) == []
    assert np.load(tmp_path / "s" / "test" / "all__inputs.npy").shape == (2, 81)
