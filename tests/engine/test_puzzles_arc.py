"""ARC family: task JSON, grid validation, the official canvas encoding (EOS, offset) and crop rule,
augmentations with the official names."""

import json
from pathlib import Path

import numpy as np
import pytest

from trm_engine.errors import PuzzleError
from trm_engine.puzzles import ArcAugment, ArcTask, get_family

CONCEPT = Path(__file__).resolve().parents[1] / "fixtures" / "conceptarc" / "corpus"  # 5 tasks of the corpus
TASK = {"train": [{"input": [[0, 1], [2, 3]], "output": [[3, 2], [1, 0]]},
                  {"input": [[5]], "output": [[5]]}],
        "test": [{"input": [[1, 1, 0]], "output": [[0, 1, 1]]}]}


@pytest.fixture(scope="module")
def arc():
    return get_family("arc")


def test_task_json_roundtrip(tmp_path):
    task = ArcTask.from_json(TASK, name="t1")
    assert len(task.train) == 2 and task.test[0].output.tolist() == [[0, 1, 1]]
    assert task.to_json() == TASK
    path = tmp_path / "t1.json"
    task.save(path)
    again = ArcTask.load(path)
    assert again.name == "t1" and again.to_json() == TASK
    assert [p.name for p in tmp_path.iterdir()] == ["t1.json"]  # no temporary file left behind


def test_test_output_is_optional():
    task = ArcTask.from_json({"train": TASK["train"], "test": [{"input": [[1]]}]})
    assert task.test[0].output is None and "output" not in task.to_json()["test"][0]


@pytest.mark.parametrize("mutate, fragment", [
    (lambda t: t["train"][0].__setitem__("input", [[0, 1], [2]]), "train pair 1 input: row 2 has 1 cells"),
    (lambda t: t["train"][1].__setitem__("output", [[10]]), "train pair 2 output: r1c1 has colour 10"),
    (lambda t: t["test"][0].__setitem__("input", [[0] * 31]), "grid is 1x31"),
    (lambda t: t["test"][0].__setitem__("input", [[1.5]]), "r1c1 is 1.5, not an integer"),
    (lambda t: t["test"][0].__setitem__("input", [[True]]), "not an integer"),
    (lambda t: t["train"][0].pop("output"), "needs an 'output'"),
    (lambda t: t.pop("test"), "'test' must be a list"),
    (lambda t: t["train"][0].__setitem__("input", []), "non-empty list of rows"),
])
def test_task_errors_name_the_pair(mutate, fragment):
    task = json.loads(json.dumps(TASK))
    mutate(task)
    with pytest.raises(PuzzleError, match=fragment):
        ArcTask.from_json(task, name="t9", source="t9.json")


def test_encode_eos_rule_and_offset(arc):
    grid = np.array([[1, 2, 3], [4, 5, 6]])
    canvas = arc.encode(grid).reshape(30, 30)
    assert canvas[:2, :3].tolist() == [[3, 4, 5], [6, 7, 8]]
    assert canvas[2, :3].tolist() == [1, 1, 1] and canvas[:2, 3].tolist() == [1, 1]
    assert canvas[2, 3] == 0 and canvas.sum() == 33 + 5  # the corner stays PAD
    moved = arc.encode(grid, offset=(27, 26)).reshape(30, 30)
    assert moved[27:29, 26:29].tolist() == [[3, 4, 5], [6, 7, 8]]
    assert moved[29, 26:29].tolist() == [1, 1, 1] and moved[27:29, 29].tolist() == [1, 1]
    edge = arc.encode(np.zeros((30, 30), int))
    assert (edge == 2).all()  # a full canvas has no room for EOS
    with pytest.raises(PuzzleError, match="does not fit"):
        arc.encode(grid, offset=(29, 0))


def test_crop_rule(arc):
    grid = np.arange(12).reshape(3, 4) % 10
    assert (arc.decode(arc.encode(grid)) == grid).all()
    assert (arc.decode(arc.encode(np.zeros((30, 30), int))) == 0).all()
    tokens = arc.encode(grid).reshape(30, 30).copy()
    tokens[1, 2] = 1  # a stray EOS: the largest top-left colour rectangle is now 3x2 (area 6 > 4)
    assert arc.decode(tokens).shape == (3, 2)
    assert arc.decode(np.zeros(900, int)).shape == (0, 0)
    assert arc.decode(tokens, shape=(2, 4)).tolist()[1][2] == 0


def test_augment_apply_invert_and_names():
    aug = ArcAugment(dihedral=1, colours=(0, 2, 3, 4, 5, 6, 7, 8, 9, 1))
    grid = np.array([[0, 1, 9], [2, 3, 4]], dtype=np.uint8)
    out = aug.apply(grid)
    assert out.shape == (3, 2) and (aug.invert(out) == grid).all()
    name = aug.name("abc")
    assert name == "abc|||t1|||0234567891"
    assert ArcAugment.parse_name(name) == ("abc", aug)
    assert ArcAugment.parse_name("abc") == ("abc", ArcAugment())
    assert ArcAugment().name("abc") == "abc"
    with pytest.raises(PuzzleError):
        ArcAugment.parse_name("abc|||t9|||0123456789")
    assert (ArcAugment.from_array(aug.to_array()) == aug)


def test_parse_grid_text_and_json(arc):
    assert arc.parse("01\n23").tolist() == [[0, 1], [2, 3]]
    assert arc.parse("[[0, 1], [2, 3]]").tolist() == [[0, 1], [2, 3]]
    assert arc.format(np.array([[0, 1], [2, 3]])) == "01\n23\n"
    with pytest.raises(PuzzleError, match="r1c2"):
        arc.parse("0a")
    with pytest.raises(PuzzleError, match="no classical"):
        arc.solve(np.zeros((2, 2), int))


def test_validate_task_lists_problems(arc):
    task = ArcTask.from_json(TASK)
    assert arc.validate_task(task) == []
    task.train[0].output = np.full((2, 2), 11)
    assert arc.validate_task(task)[0].message.startswith("train pair 1 output: r1c1: colour 11")


def test_conceptarc_corpus_loads(arc):
    tasks = [ArcTask.load(p) for p in sorted(CONCEPT.glob("*/*.json"))]
    assert len(tasks) == 5
    assert all(arc.validate_task(t) == [] for t in tasks)
