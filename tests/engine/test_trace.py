"""Recursion traces: recording, streaming, interventions, the trace file (and a plain-h5py reader that
follows docs/trace_format.md), probe traces, and the trm trace commands."""

import dataclasses
import json

import h5py
import numpy as np
import pytest
import torch

from trm_engine.cli import main
from trm_engine.errors import TraceError
from trm_engine.eval.evaluate import evaluate
from trm_engine.model.checkpoint import load_model
from trm_engine.model.trm import RecursiveModel
from trm_engine.trace.probes import probe_files
from trm_engine.trace.puzzle_input import prepare_grid
from trm_engine.trace.trace_file import write_trace
from trm_engine.trace.trace_read import read_trace, trace_info
from trm_engine.trace.tracer import HaltRecord, Tracer
from trm_engine.train.run_dir import RunDirectory

from .test_model import tiny


def checkpoint_of(run_dir):
    return RunDirectory(run_dir).latest_checkpoint()


def example(dataset, k=0):
    split = dataset.split("test")
    labels = split.labels[k].astype(np.int64)
    return split.inputs[k], np.where(labels == 0, -100, labels)


def record(model, inputs, labels, steps=4, level="inner"):
    tracer = Tracer(model, "sudoku", inputs, labels, level, family_options={"box": 2})
    items = list(tracer.run(steps))
    return tracer, items


def test_final_decoded_y_equals_the_evaluators_prediction(tiny_run, sudoku4):
    model, cfg, _ = load_model(checkpoint_of(tiny_run))
    report = evaluate(model, sudoku4, "test", collect=True)
    for k in range(3):
        inputs, labels = example(sudoku4, k)
        tracer, _ = record(model, inputs, labels, steps=cfg.model.halt_max_steps)
        row, pred = report.predictions[k]
        assert row.example == k
        assert np.array_equal(tracer.trace.final_prediction(), pred.astype(np.uint8))


def test_levels_record_what_they_promise(tiny_run, sudoku4):
    model, cfg, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    T, n = cfg.model.h_cycles, cfg.model.l_cycles
    for level, per_step in (("step", 2), ("inner", T * (n + 1)), ("full", T * (n + 1))):
        tracer, items = record(model, inputs, labels, steps=3, level=level)
        states = [i for i in items if not isinstance(i, HaltRecord)]
        assert len(states) == 3 * per_step and [s.index for s in states] == list(range(len(states)))
        assert (states[0].state is not None) == (level == "full")
    names = [s.name for s in record(model, inputs, labels, steps=1)[0].trace.states]
    assert names == ["step1.cycle0.z0", "step1.cycle0.y", "step1.cycle1.z0", "step1.cycle1.y"]


def test_states_stream_before_later_steps_are_computed(tiny_run, sudoku4, monkeypatch):
    model, _, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    calls = {"n": 0}
    real = model.step

    def counting(*a, **kw):
        calls["n"] += 1
        return real(*a, **kw)

    monkeypatch.setattr(model, "step", counting)
    tracer = Tracer(model, "sudoku", inputs, labels)
    seen_live = []
    gen = tracer.run(5, on_states=lambda rs: seen_live.extend((r.index, calls["n"]) for r in rs))
    first = next(gen)
    assert first.sup_step == 1 and calls["n"] == 1  # step 1's first state arrives before step 2 runs
    assert seen_live[0] == (0, 1)
    list(gen)
    assert calls["n"] == 5


def test_states_reach_a_viewer_one_by_one_or_in_lists_and_decode_the_same(tiny_run, sudoku4):
    """A slow step streams each state as it is computed; a fast one sends its states as one list at its
    end. Decoding states together gives the records that decoding each alone gives."""
    model, _, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    per_step = model.cfg.h_cycles * (model.cfg.l_cycles + 1)
    runs = {}
    for every_s in (0.0, 3600.0):
        lists = []
        tracer = Tracer(model, "sudoku", inputs, labels)
        list(tracer.run(2, on_states=lists.append, every_s=every_s))
        runs[every_s] = tracer.trace.states
        assert [len(x) for x in lists] == ([1] * (2 * per_step) if every_s == 0.0 else [per_step, per_step])
        assert [r for x in lists for r in x] == tracer.trace.states
    one, batched = runs[0.0], runs[3600.0]
    for a, b in zip(one, batched, strict=True):
        assert (a.index, a.kind, a.sup_step, a.cycle, a.inner) == (b.index, b.kind, b.sup_step, b.cycle, b.inner)
        assert np.array_equal(a.tokens, b.tokens) and a.changed == b.changed and a.exact == b.exact
        assert a.cell_accuracy == b.cell_accuracy
        assert a.norm == pytest.approx(b.norm, rel=1e-5) and a.delta == pytest.approx(b.delta, rel=1e-4, abs=1e-6)
        np.testing.assert_allclose(a.cell_delta.astype(np.float32), b.cell_delta.astype(np.float32), rtol=2e-3, atol=1e-4)
    assert one[0].delta == 0.0 and not one[0].cell_delta.any()  # the first z has no predecessor


def test_more_steps_than_trained_and_correctness_per_state(tiny_run, sudoku4):
    model, cfg, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    tracer, items = record(model, inputs, labels, steps=cfg.model.halt_max_steps * 3)
    assert tracer.trace.sup_steps == 12
    assert all(0.0 <= s.cell_accuracy <= 1.0 for s in tracer.trace.states)
    unlabelled, _ = record(model, inputs, None, steps=1)
    assert np.isnan(unlabelled.trace.states[0].cell_accuracy)


def test_changed_cells_and_distances_compare_with_the_same_variable(tiny_run, sudoku4):
    model, _, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    tracer, _ = record(model, inputs, labels, steps=3)
    ys = [s for s in tracer.trace.states if s.kind == "y"]
    for a, b in zip(ys, ys[1:]):
        assert b.changed == int((a.tokens != b.tokens).sum())
    assert ys[0].delta == 0.0 and ys[1].delta > 0.0


def test_projection_is_fitted_over_the_trace(tiny_run, sudoku4):
    model, _, _ = load_model(checkpoint_of(tiny_run))
    tracer, _ = record(model, *example(sudoku4), steps=3)
    trace = tracer.finish()
    proj = np.stack([s.projection for s in trace.states]).astype(np.float32)
    assert proj.shape == (len(trace.states), 16, 3) and proj.min() >= 0 and proj.max() <= 1.0001


def test_projection_axes_are_the_principal_components():
    """fit_projection's covariance route spans what an SVD of the centred states finds."""
    from trm_engine.trace.recorder import StateRecord, fit_projection

    rng = np.random.default_rng(0)
    base = rng.standard_normal((4, 24)) * np.array([[9.0], [5.0], [3.0], [0.1]])  # 3 strong directions
    recs = [StateRecord(i, 1, 0, 0, "z", np.zeros(10, np.uint8), np.zeros(10, np.float16), 0, 1.0, 0.0,
                        features=(rng.standard_normal((10, 4)) @ base).astype(np.float16)) for i in range(6)]
    fit_projection(recs)
    X = np.concatenate([r.features for r in recs]).astype(np.float64)
    P = np.concatenate([r.projection for r in recs]).astype(np.float64)
    _, _, vt = np.linalg.svd(X - X.mean(0), full_matrices=False)
    svd = (X - X.mean(0)) @ vt[:3].T
    for k in range(3):  # same component up to sign and the [0, 1] scaling
        assert abs(np.corrcoef(P[:, k], svd[:, k])[0, 1]) > 0.999


def test_interventions_and_branches(tiny_run, sudoku4):
    model, _, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    tracer, _ = record(model, inputs, labels, steps=2)
    base_states = len(tracer.trace.states)
    branch = tracer.branch("noise")
    branch.perturb_z(2.0, seed=1)
    list(branch.run(1))
    list(tracer.run(1))
    per_step = model.cfg.h_cycles * (model.cfg.l_cycles + 1)
    assert len(branch.trace.states) == len(tracer.trace.states) == base_states + per_step
    assert not np.array_equal(branch.trace.states[-1].confidence, tracer.trace.states[-1].confidence)
    assert branch.trace.meta["branch_of_step"] == 2 and "branch_of_step" not in tracer.trace.meta
    # editing y makes that cell decode to the chosen token right away
    edit = tracer.branch()
    P = model.cfg.prefix_len
    with torch.inference_mode():
        before = model.lm_head(edit.carry.y[0, P:]).argmax(-1)
    target = int((before[5] - 2 + 1) % 4 + 2)  # another digit token
    edit.edit_y(5, target)
    with torch.inference_mode():
        assert int(model.lm_head(edit.carry.y[0, P:]).argmax(-1)[5]) == target
    # editing the input changes what the branch sees, not the original
    original = int(tracer.carry.data["inputs"][0, 0])
    new = 2 if original != 2 else 3
    edit.edit_input(0, new)
    assert int(edit.carry.data["inputs"][0, 0]) == new and int(tracer.carry.data["inputs"][0, 0]) == original
    list(edit.run(1))
    assert int(edit.trace.inputs[0]) == int(tracer.trace.inputs[0])  # the trace keeps the puzzle as given


def test_file_round_trip_and_info(tiny_run, sudoku4, tmp_path):
    model, cfg, _ = load_model(checkpoint_of(tiny_run))
    tracer, _ = record(model, *example(sudoku4), steps=3)
    trace = tracer.finish()
    write_trace(tmp_path / "t.trace.h5", trace, {"path": "x.pt", "sha256": "ab" * 32, "step": 6})
    back = read_trace(tmp_path / "t.trace.h5")
    assert len(back.states) == len(trace.states) and back.sup_steps == 3
    for a, b in zip(trace.states, back.states):
        assert (a.name, a.changed, a.exact) == (b.name, b.changed, b.exact)
        assert np.array_equal(a.tokens, b.tokens) and np.allclose(a.confidence, b.confidence)
        assert np.allclose(a.projection.astype(np.float32), b.projection.astype(np.float32))
    assert [h.q_halt for h in back.halting] == pytest.approx([h.q_halt for h in trace.halting])
    info = trace_info(tmp_path / "t.trace.h5")
    assert info["complete"] and info["states"] == len(trace.states) and info["checkpoint_sha256"] == "ab" * 32


def test_per_cell_norms_are_recorded_and_saved(tiny_run, sudoku4, tmp_path):
    """The heat maps' data: each cell's RMS and RMS change; norm and delta are their RMS over the cells."""
    model, _, _ = load_model(checkpoint_of(tiny_run))
    tracer, _ = record(model, *example(sudoku4), steps=2)
    for s in tracer.trace.states:
        assert s.cell_norm.shape == (16,)
        assert float(np.sqrt(np.mean(s.cell_norm.astype(np.float64) ** 2))) == pytest.approx(s.norm, rel=2e-3)
        assert float(np.sqrt(np.mean(s.cell_delta.astype(np.float64) ** 2))) == pytest.approx(s.delta, rel=2e-3,
                                                                                               abs=1e-6)
    write_trace(tmp_path / "t.trace.h5", tracer.finish())
    back = read_trace(tmp_path / "t.trace.h5")
    assert np.array_equal(back.states[-1].cell_norm, tracer.trace.states[-1].cell_norm)
    assert np.array_equal(back.states[-1].cell_delta, tracer.trace.states[-1].cell_delta)
    with h5py.File(tmp_path / "t.trace.h5", "a") as f:  # a file from before these still reads
        del f["steps/cell_norm"], f["steps/cell_delta"]
    assert read_trace(tmp_path / "t.trace.h5").states[0].cell_norm is None


def test_a_plain_h5py_reader_following_the_format_page(tiny_run, sudoku4, tmp_path):
    """What docs/trace_format.md promises, read without TRM Lab."""
    model, cfg, _ = load_model(checkpoint_of(tiny_run))
    tracer, _ = record(model, *example(sudoku4), steps=2)
    write_trace(tmp_path / "t.trace.h5", tracer.finish())
    with h5py.File(tmp_path / "t.trace.h5", "r") as f:
        assert f.attrs["format"] == "trm-lab.trace" and f.attrs["format_version"] == 1
        assert f.attrs["complete"] and f.attrs["family"] == "sudoku"
        config = json.loads(f.attrs["model_config"])
        assert config["h_cycles"] == f.attrs["T"] and config["l_cycles"] == f.attrs["n"]
        H, W = f.attrs["canvas"]
        assert f["puzzle/inputs"].shape == (H, W) == (4, 4) and f["puzzle/palette"].shape == (6, 3)
        steps = f["steps"]
        n = steps["index"].shape[0]
        assert steps["tokens"].shape == (n, H, W) and steps["confidence"].shape == (n, H, W)
        assert steps["tokens"].chunks == (1, H, W)  # one state per chunk
        assert steps["projection"].shape == (n, H, W, 3) and steps["projection"].attrs["fitted"]
        assert set(np.unique(steps["kind"][()])) == {0, 1}  # 0 = z, 1 = y
        for name in ("sup_step", "cycle", "inner", "changed", "norm", "delta", "cell_accuracy", "exact"):
            assert steps[name].shape == (n,)
        assert f["halting/q_halt"].shape == (2,) and list(f["halting/sup_step"][()]) == [1, 2]


def test_truncated_foreign_and_future_files_are_refused(tiny_run, sudoku4, tmp_path):
    model, _, _ = load_model(checkpoint_of(tiny_run))
    tracer, _ = record(model, *example(sudoku4), steps=2)
    write_trace(tmp_path / "t.trace.h5", tracer.finish())
    data = (tmp_path / "t.trace.h5").read_bytes()
    (tmp_path / "cut.trace.h5").write_bytes(data[: len(data) // 2])
    with pytest.raises(TraceError, match="cut.trace.h5"):
        read_trace(tmp_path / "cut.trace.h5")
    (tmp_path / "junk.trace.h5").write_bytes(b"hello")
    with pytest.raises(TraceError, match="not a readable HDF5"):
        read_trace(tmp_path / "junk.trace.h5")
    with h5py.File(tmp_path / "t.trace.h5", "a") as f:
        f.attrs["format_version"] = 99
    with pytest.raises(TraceError, match="version 99 is not supported"):
        read_trace(tmp_path / "t.trace.h5")
    with h5py.File(tmp_path / "other.h5", "w") as f:
        f.attrs["format"] = "something else"
    with pytest.raises(TraceError, match="not a TRM Lab trace"):
        read_trace(tmp_path / "other.h5")


def test_an_inner_trace_of_a_paper_depth_sudoku_stays_under_a_megabyte(tmp_path):
    """sudoku-mlp's recursion (T=3, n=6, 16 steps = 336 states); file size does not depend on D."""
    cfg = tiny(vocab_size=11, seq_len=81, h_cycles=3, l_cycles=6, halt_max_steps=16, mixer="mlp_t",
               pos_encodings="none")
    model = RecursiveModel(cfg)
    puzzle = prepare_grid("sudoku", np.zeros((9, 9), int), cfg)  # blank grid: many solutions, no labels
    tracer = Tracer(model, "sudoku", puzzle.inputs, puzzle.labels, "inner")
    list(tracer.run(16))
    write_trace(tmp_path / "s.trace.h5", tracer.finish())
    assert len(tracer.trace.states) == 336
    assert (tmp_path / "s.trace.h5").stat().st_size <= 1_000_000


def test_probe_traces_are_recorded_at_each_evaluation(tiny_run):
    probes = probe_files(RunDirectory(tiny_run).traces)
    assert sorted(probes) == [0, 1]
    assert [step for step, _ in probes[0]] == [3, 6]
    assert read_trace(probes[1][-1][1]).meta["run_step"] == 6


def test_trm_trace_commands(tiny_run, sudoku4, tmp_path, capsys):
    ckpt = checkpoint_of(tiny_run)
    out = tmp_path / "cli.trace.h5"
    inputs, _ = example(sudoku4)
    text = "".join(str(max(int(t) - 1, 0)) for t in inputs)
    assert main(["trace", str(ckpt), "--puzzle", text, "--family", "sudoku", "--steps", "5", "--level", "step",
                 "--out", str(out)]) == 0
    assert "10 states over 5 supervision steps" in capsys.readouterr().out
    assert main(["trace", "info", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["supervision_steps"] == 5
    assert main(["trace", "render", str(out), "--out", str(tmp_path / "a.gif")]) == 0
    assert main(["trace", "render", str(out), "--out", str(tmp_path / "a.png")]) == 0
    from PIL import Image

    assert Image.open(tmp_path / "a.gif").n_frames == 5 and Image.open(tmp_path / "a.png").size[0] > 100
    assert main(["trace", "info"]) == 2
    assert "give the trace FILE" in capsys.readouterr().err
    assert main(["trace", str(ckpt), "--puzzle", "12", "--family", "sudoku", "--out", str(tmp_path / "x.h5")]) == 2
    assert not (tmp_path / "x.h5").exists()
    # a run directory stands for its best checkpoint, as in trm eval
    assert main(["trace", str(tiny_run), "--puzzle", text, "--steps", "1", "--out", str(tmp_path / "run.trace.h5")]) == 0
    assert read_trace(tmp_path / "run.trace.h5").meta["checkpoint_path"].startswith(str(tiny_run))


def test_an_interrupted_recording_keeps_the_trace_it_would_replace(tiny_run, sudoku4, tmp_path, capsys,
                                                                    monkeypatch):
    """Recording goes to NAME.partial and is renamed onto NAME only when complete: a recording killed or
    stopped over an existing trace leaves that trace whole, and what it had recorded readable beside it."""
    ckpt = checkpoint_of(tiny_run)
    out = tmp_path / "s.trace.h5"
    inputs, _ = example(sudoku4)
    text = "".join(str(max(int(t) - 1, 0)) for t in inputs)
    argv = ["trace", str(ckpt), "--puzzle", text, "--family", "sudoku", "--level", "step", "--out", str(out)]
    assert main(argv + ["--steps", "3"]) == 0
    before = out.read_bytes()
    assert not (tmp_path / "s.trace.h5.partial").exists()

    real_run = Tracer.run

    def run_then_interrupt(self, steps, **kw):
        for k, item in enumerate(real_run(self, steps, **kw)):
            if k == 4:
                raise KeyboardInterrupt  # Ctrl+C (or a kill) in the second step: its y not computed yet
            yield item

    monkeypatch.setattr(Tracer, "run", run_then_interrupt)
    assert main(argv + ["--steps", "5"]) != 0
    assert out.read_bytes() == before  # the earlier, complete trace is untouched
    assert "s.trace.h5.partial" in capsys.readouterr().err
    partial = read_trace(tmp_path / "s.trace.h5.partial")
    assert partial.meta["complete"] is False and len(partial.states) == 3 and len(partial.halting) == 1
    monkeypatch.setattr(Tracer, "run", real_run)
    assert main(argv + ["--steps", "2"]) == 0  # the next recording replaces both
    assert read_trace(out).meta["complete"] is True and len(read_trace(out).halting) == 2
    assert not (tmp_path / "s.trace.h5.partial").exists()


def test_a_full_level_trace_read_back_continues_like_the_live_one(tiny_run, sudoku4, tmp_path):
    from trm_engine.trace.tracer import resume_problem

    model, _, _ = load_model(checkpoint_of(tiny_run))
    inputs, labels = example(sudoku4)
    live, _ = record(model, inputs, labels, steps=4, level="full")
    path = tmp_path / "full.trace.h5"
    write_trace(path, live.trace)
    read = read_trace(path)
    per = model.cfg.h_cycles * (model.cfg.l_cycles + 1)
    again = Tracer.resume(model, read, 2)
    assert len(again.trace.states) == 2 * per and again.trace.sup_steps == 2
    continued = [r for r in again.run(2) if not isinstance(r, HaltRecord)]
    original = live.trace.states[2 * per:]
    assert [r.index for r in continued] == [r.index for r in original]
    assert np.mean([np.mean(a.tokens == b.tokens) for a, b in zip(original, continued)]) > 0.9
    assert abs(continued[0].norm - original[0].norm) < 0.02 * original[0].norm
    fresh = Tracer.resume(model, read, 0)  # before the first step: the model's initial state
    assert [r.tokens.tolist() for r in fresh.run(1) if not isinstance(r, HaltRecord)][-1] == \
        live.trace.states[per - 1].tokens.tolist()

    inner, _ = record(model, inputs, labels, steps=2, level="inner")
    assert 'level "inner"' in resume_problem(model, inner.trace, 1)
    other = RecursiveModel(dataclasses.replace(model.cfg, hidden_size=model.cfg.hidden_size * 2,
                                               puzzle_emb_ndim=model.cfg.hidden_size * 2))
    assert "hidden_size" in resume_problem(other, read, 1)
    assert "not in this trace" in resume_problem(model, read, 9)
    with pytest.raises(TraceError):
        Tracer.resume(model, inner.trace, 1)
