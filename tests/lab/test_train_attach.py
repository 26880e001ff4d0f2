"""Following runs written by other processes: a `trm train` started in a terminal (attached by its
folder) and a run the app itself starts under torchrun (two CPU processes with gloo)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from lab_helpers import make_window
from train_helpers import plan, sudoku4_dataset, tiny_config

from trm_lab.areas.train.feed import ProcessRun, torchrun_command

SETS = ["hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1", "halt_max_steps=4",
        "global_batch_size=8", "log_interval=1", "eval_interval=4", "lr_warmup_steps=2", "threads=1"]


@pytest.fixture
def panel(qtbot, theme, monkeypatch):
    monkeypatch.delenv("TRM_LAB_RUNS", raising=False)
    return make_window(qtbot, theme).show_area("train")


# `trm train` that holds itself still (SIGSTOP) once its third step is logged, so a test can attach to a run
# that is surely going on, whatever this machine's speed.
STOPS_AT_STEP_3 = """
import os, signal, sys
from trm_engine.train import trainer
from trm_engine.train.events import TrainMetrics
emit = trainer.Trainer._emit
def held(self, event, *args, **kwargs):
    out = emit(self, event, *args, **kwargs)
    if isinstance(event, TrainMetrics) and event.step == 3:
        os.kill(os.getpid(), signal.SIGSTOP)
    return out
trainer.Trainer._emit = held
from trm_engine.cli import main
sys.exit(main(sys.argv[1:]))
"""


def stopped_by_itself(child: subprocess.Popen, timeout: float) -> bool:
    """Wait until the child is stopped (True), or has exited or the time is up (False)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, status = os.waitpid(child.pid, os.WUNTRACED | os.WNOHANG)
        if pid:
            return os.WIFSTOPPED(status)
        time.sleep(0.01)
    return False


def test_attaching_shows_the_live_curves_of_a_run_written_by_trm_train(qtbot, panel, tmp_path, tmp_path_factory):
    data = sudoku4_dataset(tmp_path_factory)
    run_dir = tmp_path / "elsewhere" / "terminal-run"
    command = [sys.executable, "-c", STOPS_AT_STEP_3, "train", "--preset", "sudoku4-mlp-lab", "--data", str(data),
               "--steps", "12", "--run-dir", str(run_dir), "--name", "from a terminal", "--quiet",
               *[f"--set={s}" for s in SETS]]
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert stopped_by_itself(child, 120), child.stderr.read()[-2000:]  # it has logged step 3
        assert panel.window().open_path(run_dir)  # what File > Open (or Attach Run Folder) does
        curves = panel.monitor.curves
        qtbot.waitUntil(lambda: curves.point_count(str(run_dir), "loss") == 3, timeout=10000)
        assert panel.histories[run_dir].state == "running"
        child.send_signal(signal.SIGCONT)
        qtbot.waitUntil(lambda: curves.point_count(str(run_dir), "loss") == 12, timeout=120000)  # followed live
        assert child.wait(120) == 0, child.stderr.read()[-2000:]
        qtbot.waitUntil(lambda: "finished" in panel.monitor.header.text(), timeout=10000)
        qtbot.waitUntil(lambda: curves.point_count(str(run_dir), "eval_exact") == 3, timeout=10000)
        qtbot.waitUntil(lambda: run_dir in panel.runs.items, timeout=10000)  # listed although outside the root
        qtbot.waitUntil(lambda: panel.runs.items[run_dir].text(0) == "from a terminal", timeout=10000)
        assert run_dir in panel.session.attached and panel.monitor.current == run_dir
    finally:
        child.send_signal(signal.SIGCONT)
        child.kill()
        child.wait()


def test_torchrun_command_sets_what_differs_from_the_preset(tmp_path):
    cfg = tiny_config(tmp_path / "d.h5", "steps=7", "name=two ranks")
    command = torchrun_command(cfg, tmp_path / "run", 2, resume=True)
    assert command[:7] == [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                           "-m"]
    assert command[command.index("--data") + 1] == str(tmp_path / "d.h5")
    assert {"--set=model.hidden_size=32", "--set=train.steps=7", "--set=name=two ranks",
            "--set=train.lr_warmup_steps=2"} <= set(command)
    assert "--set=model.mixer=mlp_t" not in command  # the preset's own value
    assert command[-1] == "--resume"


@pytest.mark.slow
def test_a_run_on_two_processes_trains_under_torchrun_and_the_monitor_follows(qtbot, panel, tmp_path_factory):
    data = sudoku4_dataset(tmp_path_factory)
    source = panel.start_run(plan(tiny_config(data, "steps=6", "eval_interval=3"), "ddp", processes=2))
    assert isinstance(source, ProcessRun)
    with qtbot.waitSignal(source.ended, timeout=180000):
        pass
    assert source.job.exit_code == 0, source.job.output_tail()
    history = panel.histories[source.run_dir]
    qtbot.waitUntil(lambda: history.state == "finished", timeout=10000)
    assert history.world_size == 2 and [int(s) for s in history.arrays("loss")[0]] == [1, 2, 3, 4, 5, 6]
    qtbot.waitUntil(lambda: panel.monitor.curves.point_count(str(source.run_dir), "loss") == 6, timeout=5000)
    assert "\u00d7 2" in panel.monitor.header.text()
    assert json.loads((source.run_dir / "status.json").read_text())["state"] == "finished"
