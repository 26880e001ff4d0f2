"""Reading trace files that are not what they should be: every damage gives a TraceError naming the file
and the field (never a Python exception), checked case by case for the defects seen, and by a property
test that mutates a valid file every way it can. Also branches riding along in one file."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from pathlib import Path

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trm_engine.cli import main
from trm_engine.errors import TraceError
from trm_engine.trace.recorder import StateRecord
from trm_engine.trace.render import render_state
from trm_engine.trace.trace_file import write_trace
from trm_engine.trace.trace_read import read_trace, read_traces, trace_info
from trm_engine.trace.tracer import HaltRecord, Trace

CFG = {"seq_len": 16, "vocab_size": 6, "h_cycles": 1, "l_cycles": 1, "hidden_size": 8, "halt_max_steps": 2}


def synthetic(meta: dict | None = None, steps: int = 2, seed: int = 0) -> Trace:
    """A 4x4 Sudoku trace with T=1, n=1 (two states per step), random content, labels known."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(2, 6, 16).astype(np.int64)
    trace = Trace("sudoku", {"box": 2}, rng.integers(1, 6, 16).astype(np.uint8), labels, dict(CFG), "inner",
                  meta=dict(meta or {}))
    i = 0
    for s in range(1, steps + 1):
        for inner, kind in ((0, "z"), (1, "y")):
            trace.states.append(StateRecord(
                i, s, 0, inner, kind, rng.integers(0, 6, 16).astype(np.uint8), rng.random(16).astype(np.float16),
                int(rng.integers(0, 16)), 1.0, float(rng.random()), cell_accuracy=0.5,
                projection=rng.random((16, 3)).astype(np.float16), cell_norm=rng.random(16).astype(np.float16),
                cell_delta=rng.random(16).astype(np.float16)))
            i += 1
        trace.halting.append(HaltRecord(s, float(rng.normal()), 0.0, i - 1))
    return trace


def written(folder: Path, branches: bool = True) -> Path:
    path = folder / "good.trace.h5"
    noise = [{"what": "z", "position": -1, "token": 0, "scale": 1.0, "seed": 0}]
    meta = {"branch_id": 1, "branch_parent": 0, "branch_of_step": 1, "branch_note": "z noise x1",
            "interventions": noise, "intervention_chain": [
                {"branch": 1, "parent": 0, "after_step": 1, "interventions": noise}]}
    extra = [synthetic(meta, 3, seed=1)] if branches else []
    write_trace(path, synthetic(), {"path": "model.pt", "sha256": "0" * 64, "step": 5}, extra)
    return path


def read_everything(path: Path) -> None:
    """What the CLI and the app do with a file: read it and its branches, summarise it, draw it."""
    traces = read_traces(path)
    trace_info(path)
    for trace in traces:
        if trace.states:
            render_state(trace, len(trace.states) - 1, cell=4)


def damage(path: Path, edit) -> None:
    with h5py.File(path, "r+") as f:
        edit(f)


def replace(f: h5py.File, name: str, data) -> None:
    attrs = dict(f[name].attrs)
    del f[name]
    f.create_dataset(name, data=data)
    f[name].attrs.update(attrs)


@pytest.mark.parametrize("edit, field", [
    (lambda f: f.attrs.__setitem__("family", 7), "attribute family"),  # TypeError before
    (lambda f: [f["halting"].__delitem__(k) for k in list(f["halting"])], "halting/sup_step"),  # IndexError
    (lambda f: f["steps/sup_step"].resize((3,)), "steps/sup_step"),  # IndexError
    (lambda f: f.attrs.__setitem__("format_version", float("nan")), "format_version"),  # ValueError
    (lambda f: f.attrs.__setitem__("model_config", json.dumps({k: v for k, v in CFG.items() if k != "h_cycles"})),
     "h_cycles"),  # KeyError
    (lambda f: f.attrs.__setitem__("checkpoint_sha256", 12), "checkpoint_sha256"),
    (lambda f: replace(f, "steps/tokens", np.full((4, 4, 4), 9, np.uint8)), "steps/tokens"),
    (lambda f: replace(f, "steps/confidence", np.zeros((4, 5), np.float16)), "steps/confidence"),
    (lambda f: f.attrs.__setitem__("meta", "[1, 2]"), "attribute meta"),
    (lambda f: f["branches/1"].attrs.__setitem__("meta", json.dumps({"interventions": [{"what": "w"}]})),
     "branches/1/meta"),
    (lambda f: replace(f, "branches/1/halting/state_index", np.array([0, 9, 99], np.int32)),
     "branches/1/halting/state_index"),
])
def test_each_damage_seen_names_the_file_and_the_field(tmp_path, capsys, edit, field):
    path = written(tmp_path)
    damage(path, edit)
    with pytest.raises(TraceError) as caught:
        read_everything(path)
    assert str(path) in str(caught.value) and field in str(caught.value)
    for command in (["trace", "info", str(path)], ["trace", "render", str(path), "--out", str(tmp_path / "x.png")]):
        assert main(command) == 2
        err = capsys.readouterr().err.strip()
        assert err.count("\n") == 0 and field in err


def test_nan_confidence_and_a_trace_without_y_still_render_or_say_why(tmp_path, capsys):
    trace = synthetic()
    for r in trace.states:
        r.confidence = np.full(16, np.nan, np.float16)
    trace.states = [r for r in trace.states if r.kind == "z"]
    trace.halting = [HaltRecord(1, 0.0, 0.0, 0)]
    write_trace(tmp_path / "z.trace.h5", trace)
    assert main(["trace", "render", str(tmp_path / "z.trace.h5"), "--out", str(tmp_path / "z.png")]) == 0
    assert main(["trace", "render", str(tmp_path / "z.trace.h5"), "--out", str(tmp_path / "z.gif")]) == 2
    assert "no y states" in capsys.readouterr().err


def _objects(path: Path) -> list[tuple[str, str]]:
    """(kind, name) of every attribute ("attr", "group:name") and dataset in the file."""
    found = []
    with h5py.File(path, "r") as f:
        def visit(name, obj):
            if isinstance(obj, h5py.Dataset):
                found.append(("dataset", name))
            for key in obj.attrs:
                found.append(("attr", f"{name}:{key}"))
        for key in f.attrs:
            found.append(("attr", f":{key}"))
        f.visititems(visit)
    return found


_GOOD = Path(tempfile.mkdtemp(prefix="trm-trace-read-"))
_OBJECTS = _objects(written(_GOOD))
_VALUES = [7, -1, 0, 2**40, "x", "{}", "[]", float("nan"), 1.5, True, np.array([1, 2]), b"\xff"]


def _mutate(f: h5py.File, kind: str, name: str, op: str, value, size: int) -> None:
    if kind == "attr":
        owner, key = name.split(":", 1)
        obj = f[owner] if owner else f
        if op == "drop":
            del obj.attrs[key]
        else:
            obj.attrs[key] = value
        return
    data = f[name][()]
    if op == "drop":
        del f[name]
    elif op == "retype":
        replace(f, name, np.full(data.shape, value if not isinstance(value, (np.ndarray, bytes)) else 3)
                if not isinstance(value, str) else np.array([value.encode()] * max(1, data.size)))
    elif op == "truncate":
        replace(f, name, data.reshape(-1)[: size % max(1, data.size)] if data.ndim <= 1 else data[: size % len(data)])
    else:  # resize: grow, or change the number of axes
        flat = data.reshape(-1)
        options = [np.resize(flat, (size % 7 + 1,) + data.shape[1:]) if data.ndim else flat, flat,
                   data[..., None], np.resize(flat, (2, size % 5 + 1))]
        replace(f, name, options[size % len(options)])


@pytest.mark.filterwarnings("error::RuntimeWarning")  # no silent overflow to infinity either
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(_OBJECTS), st.sampled_from(["drop", "retype", "truncate", "resize"]),
       st.sampled_from(_VALUES), st.integers(0, 1000))
@example(target=("dataset", "steps/confidence"), op="retype", value=1 << 40, size=0)
@example(target=("dataset", "steps/cell_delta"), op="retype", value=1 << 40, size=0)
def test_a_mutated_file_gives_only_typed_errors(target, op, value, size):
    folder = Path(tempfile.mkdtemp(prefix="trm-trace-mut-"))
    try:
        path = folder / "mutated.trace.h5"
        shutil.copy(_GOOD / "good.trace.h5", path)
        kind, name = target
        if kind == "dataset" and op == "retype" and isinstance(value, float) and math.isnan(value):
            value = 0.5
        try:
            damage(path, lambda f: _mutate(f, kind, name, op, value, size))
        except (TypeError, ValueError, OSError):
            return  # h5py cannot store this mutation: nothing to read
        try:
            read_everything(path)
        except TraceError as exc:
            assert str(path) in str(exc)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 100000))
def test_a_truncated_file_gives_only_typed_errors(cut):
    folder = Path(tempfile.mkdtemp(prefix="trm-trace-cut-"))
    try:
        data = (_GOOD / "good.trace.h5").read_bytes()
        path = folder / "cut.trace.h5"
        path.write_bytes(data[: cut % len(data)])
        with pytest.raises(TraceError):
            read_everything(path)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_a_tree_of_branches_keeps_parents_and_chains(tmp_path):
    """main -> branch 1 (after step 1) -> branch 2 (after step 2); main -> branch 3 (after step 1)."""
    def link(bid, parent, step, what):
        return {"branch": bid, "parent": parent, "after_step": step,
                "interventions": [{"what": what, "position": 3, "token": 2, "scale": 0.5, "seed": bid}]}

    chains = {1: [link(1, 0, 1, "z")], 2: [link(1, 0, 1, "z"), link(2, 1, 2, "input")], 3: [link(3, 0, 1, "y")]}
    branches = []
    for bid, chain in chains.items():
        meta = {"branch_id": bid, "branch_parent": chain[-1]["parent"], "branch_of_step": chain[-1]["after_step"],
                "interventions": chain[-1]["interventions"], "intervention_chain": chain}
        branches.append(synthetic(meta, steps=3, seed=bid))
    branches[1].inputs = branches[1].inputs.copy()
    branches[1].inputs[3] = 2
    main_trace = synthetic({"puzzle_source": "test"})
    write_trace(tmp_path / "tree.trace.h5", main_trace, None, branches)

    back = read_traces(tmp_path / "tree.trace.h5")
    assert len(back) == 4 and back[0].meta["puzzle_source"] == "test" and "branch_id" not in back[0].meta
    for original, read in zip(branches, back[1:]):
        for key in ("branch_id", "branch_parent", "branch_of_step", "interventions", "intervention_chain"):
            assert read.meta[key] == original.meta[key]
        assert np.array_equal(read.inputs, original.inputs) and len(read.states) == 6
        assert np.array_equal(read.labels, main_trace.labels)
        assert [r.name for r in read.states] == [r.name for r in original.states]
    assert int(back[2].inputs[3]) == 2
    assert len(read_trace(tmp_path / "tree.trace.h5").states) == 4  # the root alone: the main trace
    with h5py.File(tmp_path / "tree.trace.h5", "r") as f:  # plain h5py, as docs/trace_format.md says
        assert list(f["branches"]) == ["1", "2", "3"]
        assert json.loads(f["branches/2"].attrs["meta"])["branch_parent"] == 1
    assert trace_info(tmp_path / "tree.trace.h5")["branches"] == 3


def test_the_format_pages_example_runs_as_written(tmp_path, monkeypatch, capsys):
    """docs/trace_format.md's reader, run on a file with a branch: its y after each supervision step is
    the last y-update of that step."""
    page = (Path(__file__).resolve().parents[2] / "docs" / "trace_format.md").read_text(encoding="utf-8")
    code = page.split("## Reading it without TRM Lab")[1].split("```python")[1].split("```")[0]
    written(tmp_path).rename(tmp_path / "easy.trace.h5")
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "trace_format.md", "exec"), scope)
    trace = read_trace(tmp_path / "easy.trace.h5")
    last_y = [[r for r in trace.states if r.kind == "y" and r.sup_step == s][-1] for s in (1, 2)]
    assert np.array_equal(scope["y_per_step"].reshape(2, -1), np.stack([r.tokens for r in last_y]))
    assert scope["p_halt"].shape == (2,) and capsys.readouterr().out.startswith("1 ")
