"""Fuzz every puzzle parser: random bytes and near-valid inputs may only raise PuzzleError."""

import json

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trm_engine.errors import PuzzleError
from trm_engine.puzzles import ArcTask, get_family

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

SUDOKU = "8..........36......7..9.2...5...7.......457.....1...3...1....68..85...1..9....4.."
MAZE = "S  #\n## #\n    \n ##G\n"
ARC = json.dumps({"train": [{"input": [[0, 1], [2, 3]], "output": [[3, 2], [1, 0]]}],
                  "test": [{"input": [[1, 1, 0]], "output": [[0, 1, 1]]}]})
ALPHABET = "0123456789.#SGo \n[]{},:\"-|xé\t\r"


def mutations(base: str):
    """Near-valid text: a few random deletions, insertions and replacements of `base`."""
    edit = st.tuples(st.sampled_from("dir"), st.integers(0, len(base)), st.sampled_from(ALPHABET))

    def apply(edits):
        text = base
        for kind, pos, ch in edits:
            pos = min(pos, len(text))
            if kind == "d":
                text = text[:pos] + text[pos + 1:]
            elif kind == "i":
                text = text[:pos] + ch + text[pos:]
            else:
                text = text[:pos] + ch + text[pos + 1:]
        return text

    return st.lists(edit, min_size=1, max_size=6).map(apply)


def parse_all(text: str):
    for family in (get_family("sudoku"), get_family("sudoku", box=2), get_family("maze"), get_family("arc")):
        try:
            grid = family.parse(text, source="fuzz")
        except PuzzleError:
            continue
        family.validate(grid)
        family.encode(grid)
    try:
        ArcTask.loads(text, source="fuzz")
    except PuzzleError:
        pass


@FUZZ
@given(st.binary(max_size=400))
def test_random_bytes(data):
    parse_all(data.decode("latin-1"))
    parse_all(data.decode("utf-8", errors="replace"))


@FUZZ
@given(st.one_of(mutations(SUDOKU), mutations(MAZE), mutations(ARC)))
def test_near_valid_text(text):
    parse_all(text)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 12), st.floats(allow_nan=True), st.text(max_size=3)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(["train", "test", "input", "output", "x"]),
                                            inner, max_size=3)),
    max_leaves=30)


@FUZZ
@given(json_values)
def test_random_json_structures(value):
    try:
        task = ArcTask.from_json(value, source="fuzz.json")
    except PuzzleError:
        return
    assert get_family("arc").validate_task(task) == []


@FUZZ
@given(st.lists(st.integers(-2, 300), min_size=0, max_size=1000))
def test_decoders_reject_bad_tokens_cleanly(values):
    tokens = np.array(values, dtype=np.int64)
    for family in (get_family("sudoku"), get_family("maze"), get_family("maze", canvas=30), get_family("arc")):
        try:
            family.decode(tokens)
        except PuzzleError:
            pass
