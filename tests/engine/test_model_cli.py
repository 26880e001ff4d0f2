"""`trm model ...` and `trm bench model` from the command line, errors included."""

import json
import subprocess
import sys

import pytest
import torch

from trm_engine.cli import main
from trm_engine.config import load_preset
from trm_engine.device import available_devices, resolve_device
from trm_engine.errors import DeviceError
from trm_engine.model.checkpoint import load_model
from trm_engine.model.trm import RecursiveModel

from .test_checkpoint_import import official_layout


def test_model_info_json_has_the_promised_fields(capsys):
    assert main(["model", "info", "--preset", "sudoku-mlp", "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["params_nonembedding"] == 5_028_866
    assert info["params_embedding"] == 512
    assert info["flops_train_per_step"] > info["flops_forward_per_step"] > 0
    assert info["config"]["model"]["h_cycles"] == 3


def test_model_info_with_overrides(capsys):
    assert main(["model", "info", "--preset", "sudoku-mlp", "--set", "separate_nets=true", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params_nonembedding"] == 10_045_442


@pytest.mark.parametrize("argv,needle", [
    (["model", "info", "--preset", "nope"], "valid presets: sudoku-mlp"),
    (["model", "info", "--preset", "sudoku-mlp", "--set", "h_cylces=2"], "valid keys: model.arch"),
    (["model", "info", "--preset", "sudoku-mlp", "--set", "h_cycles=two"], "expected an integer"),
    (["model", "info", "--preset", "sudoku-mlp", "--set", "mixer=conv"], "attention, mlp_t"),
    (["model", "import", "missing.pt", "--preset", "sudoku-mlp", "--out", "x.pt"], "no such file"),
])
def test_bad_arguments_are_one_line_and_exit_2(argv, needle):
    proc = subprocess.run([sys.executable, "-m", "trm_engine.cli", *argv], capture_output=True, text=True)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_model_import_writes_a_native_checkpoint(tmp_path, capsys):
    cfg = load_preset("sudoku4-mlp-lab")
    native = RecursiveModel(cfg.model)
    torch.save({"model": official_layout(native)}, tmp_path / "official.pt")
    assert main(["model", "import", str(tmp_path / "official.pt"), "--preset", "sudoku4-mlp-lab",
                 "--out", str(tmp_path / "lab.pt")]) == 0
    model, loaded_cfg, body = load_model(tmp_path / "lab.pt")
    assert loaded_cfg.preset == "sudoku4-mlp-lab" and "official.pt" in body["imported_from"]
    assert torch.equal(model.net.blocks[0].mlp.down.weight, native.net.blocks[0].mlp.down.weight)


def test_bench_model_reports_rates_and_fractions(capsys):
    argv = ["bench", "model", "--preset", "sudoku4-mlp-lab", "--batch", "4", "--repeats", "1",
            "--inference-steps", "2", "--inference-repeats", "1", "--dtype", "float32", "--json"]
    assert main(argv) == 0
    report = json.loads(capsys.readouterr().out)["results"][0]
    assert report["matmul_flops_per_s"] > 0
    for part in ("train_step", "inference"):
        assert report[part]["examples_per_s"] > 0 and report[part]["fraction_of_matmul_median"] > 0


def test_one_function_picks_the_device():
    assert available_devices()[-1] == "cpu"
    assert resolve_device("cpu").type == "cpu"
    assert resolve_device("auto").type in ("cpu", "cuda", "mps")
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError, match="CUDA is not available"):
            resolve_device("cuda")
    with pytest.raises(DeviceError, match="unknown device"):
        resolve_device("tpu7")
