"""The trainer on a tiny 4x4 Sudoku set: events, run directory, checkpoints, bit-exact resume (also after
a kill), stop/pause, guards, the pseudocode form, gradient accumulation, and optimizers."""

import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

from trm_engine.errors import RunError
from trm_engine.model.checkpoint import read_checkpoint
from trm_engine.train.events import (
    CheckpointSaved,
    EvalResult,
    RunFailed,
    RunFinished,
    RunPaused,
    RunResumed,
    RunStarted,
    RunStopped,
    TrainMetrics,
)
from trm_engine.train.optim import AdamATan2, lr_at
from trm_engine.train.run_dir import RunDirectory
from trm_engine.train.trainer import Control, Trainer

from .conftest import tiny_run_config


def run_all(cfg, run_dir, **kw):
    return list(Trainer(cfg, run_dir, **kw).run())


def final_weights(run_dir) -> dict:
    body = read_checkpoint(RunDirectory(run_dir).latest_checkpoint())
    return body["raw_model"]


def test_a_run_yields_events_and_writes_its_directory(sudoku4_path, tmp_path):
    events = run_all(tiny_run_config(sudoku4_path), tmp_path / "run")
    kinds = [type(e) for e in events]
    assert kinds[0] is RunStarted and kinds[-1] is RunFinished
    assert [e.step for e in events if isinstance(e, TrainMetrics)] == [2, 4, 6]
    assert [e.step for e in events if isinstance(e, EvalResult)] == [3, 6]
    rd = RunDirectory(tmp_path / "run")
    lines = [json.loads(line) for line in rd.metrics_path.read_text().splitlines()]
    assert [line["type"] for line in lines] == [e.type for e in events]
    status = rd.status()
    assert status["state"] == "finished" and status["step"] == 6 and status["total_steps"] == 6
    assert rd.config()["model"]["vocab_size"] == 6  # taken from the dataset
    body = torch.load(rd.latest_checkpoint(), weights_only=True)  # plain tensors and data only
    assert body["step"] == 6 and "optimizer" in body and "sampler" in body and "carry" in body
    # every event is plain numbers: JSON round trip
    json.dumps([e.to_json() for e in events])
    assert rd.summary()["state"] == "finished"


def test_events_carry_finite_metrics_and_eval_curves(sudoku4_path, tmp_path):
    events = run_all(tiny_run_config(sudoku4_path, "halt_max_steps=3"), tmp_path / "run")
    train = [e for e in events if isinstance(e, TrainMetrics)]
    assert all(math.isfinite(e.loss) and e.loss > 0 and e.examples_per_s > 0 for e in train)
    ev = [e for e in events if isinstance(e, EvalResult)][-1]
    assert len(ev.per_step_exact) == 3 and ev.count == 16 and 1 <= ev.halt_step_mean <= 3


def test_resume_continues_bit_for_bit(sudoku4_path, tmp_path):
    straight = tmp_path / "straight"
    run_all(tiny_run_config(sudoku4_path), straight)
    split = tmp_path / "split"
    run_all(tiny_run_config(sudoku4_path, "steps=3"), split)
    events = run_all(tiny_run_config(sudoku4_path), split, resume=True)
    assert events[0].resumed and events[0].step == 3 and events[-1].step == 6
    a, b = final_weights(straight), final_weights(split)
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    steps = [json.loads(line)["step"] for line in RunDirectory(split).metrics_path.read_text().splitlines()
             if json.loads(line)["type"] == "train"]
    assert steps == sorted(steps)  # no step reported twice


def test_a_killed_run_resumes_from_its_last_checkpoint(sudoku4_path, tmp_path):
    """kill -9 a `trm train` process mid-run, resume it, and land on the uninterrupted run's weights."""
    cfg_args = ["--preset", "sudoku4-mlp-lab", "--data", str(sudoku4_path)]
    sets = [f"--set={s}" for s in ("hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1",
                                   "halt_max_steps=4", "global_batch_size=8", "log_interval=1",
                                   "eval_interval=0", "checkpoint_interval=1", "lr_warmup_steps=2", "keep_last=50")]
    straight = tmp_path / "straight"
    subprocess.run([sys.executable, "-m", "trm_engine.cli", "train", *cfg_args, *sets, "--steps", "24",
                    "--run-dir", str(straight), "--quiet"], check=True, timeout=300)
    victim = tmp_path / "victim"
    proc = subprocess.Popen([sys.executable, "-m", "trm_engine.cli", "train", *cfg_args, *sets, "--steps", "24",
                             "--run-dir", str(victim), "--quiet"])
    rd = RunDirectory(victim)
    deadline = time.time() + 240
    while time.time() < deadline and len(rd.checkpoint_files()) < 3:
        time.sleep(0.005)  # a fast machine writes a checkpoint every few ms: kill it early in the run
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done_before = int(read_checkpoint(rd.latest_checkpoint())["step"])
    assert 3 <= done_before < 24, "the run should have been killed mid-way"
    assert rd.summary()["state"] == "crashed"
    subprocess.run([sys.executable, "-m", "trm_engine.cli", "train", *cfg_args, *sets, "--steps", "24",
                    "--run-dir", str(victim), "--resume", "--quiet"], check=True, timeout=300)
    a = read_checkpoint(RunDirectory(straight).latest_checkpoint())
    b = read_checkpoint(rd.latest_checkpoint())
    assert a["step"] == b["step"] == 24
    assert all(torch.equal(a["raw_model"][k], b["raw_model"][k]) for k in a["raw_model"])


def test_stop_writes_a_checkpoint_and_resume_continues_the_count(sudoku4_path, tmp_path):
    control = Control()
    events = []
    for event in Trainer(tiny_run_config(sudoku4_path, "steps=20"), tmp_path / "run", control=control).run():
        events.append(event)
        if isinstance(event, TrainMetrics) and event.step == 4:
            control.request_stop()
    assert isinstance(events[-1], RunStopped) and events[-1].step == 4
    assert isinstance(events[-2], CheckpointSaved)
    rd = RunDirectory(tmp_path / "run")
    assert rd.status()["state"] == "stopped"
    more = run_all(tiny_run_config(sudoku4_path, "steps=8"), tmp_path / "run", resume=True)
    assert more[0].step == 4 and [e.step for e in more if isinstance(e, TrainMetrics)] == [6, 8]


class StopInFlight(Control):
    """Requests stop at the `nth` check made in `phase` (forward or backward) while the trainer is
    busy at step `at`."""

    def __init__(self, at: int, nth: int, phase: str = "forward"):
        super().__init__()
        self.at, self.nth, self.phase, self.calls, self.trainer = at, nth, phase, 0, None

    @property
    def stop_requested(self) -> bool:
        t = self.trainer
        in_backward = torch._C._current_graph_task_id() != -1
        if t is not None and t.in_flight.busy and t.step == self.at and in_backward == (self.phase == "backward"):
            self.calls += 1
            if self.calls == self.nth:
                self.request_stop()
        return super().stop_requested


@pytest.mark.parametrize("at, phase, where", [(4, "forward", "training step"), (4, "backward", "training step"),
                                              (3, "forward", "evaluation")])
def test_stop_interrupts_the_work_in_flight_and_resume_is_bit_for_bit(sudoku4_path, tmp_path, at, phase, where):
    """Stop does not wait for the step (or evaluation) in flight, not even for a backward pass: the work
    is discarded, the checkpoint is that of the last whole step, and resuming lands exactly on the
    uninterrupted run."""
    straight = tmp_path / "straight"
    run_all(tiny_run_config(sudoku4_path), straight)
    control = StopInFlight(at, nth=2, phase=phase)
    trainer = Trainer(tiny_run_config(sudoku4_path), tmp_path / "run", control=control)
    control.trainer = trainer
    events = list(trainer.run())
    assert control.calls == 2, f"the stop should have landed inside the {where} ({phase})"
    assert isinstance(events[-1], RunStopped) and events[-1].step == at
    assert isinstance(events[-2], CheckpointSaved) and events[-2].step == at
    assert [e.step for e in events if isinstance(e, EvalResult)] == ([] if where == "evaluation" else [3])
    more = run_all(tiny_run_config(sudoku4_path), tmp_path / "run", resume=True)
    assert more[0].step == at and more[-1].step == 6
    a, b = final_weights(straight), final_weights(tmp_path / "run")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_pause_and_resume_between_steps(sudoku4_path, tmp_path):
    control = Control()
    gen = Trainer(tiny_run_config(sudoku4_path), tmp_path / "run", control=control).run()
    seen = []
    for event in gen:
        seen.append(event)
        if isinstance(event, TrainMetrics) and event.step == 2:
            control.pause()
            paused = next(gen)
            assert isinstance(paused, RunPaused) and paused.step == 2
            assert RunDirectory(tmp_path / "run").status()["state"] == "paused"
            control.resume()
    kinds = [type(e) for e in seen]
    assert RunResumed in kinds and kinds[-1] is RunFinished


def test_extend_a_finished_run(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path), tmp_path / "run")
    events = run_all(tiny_run_config(sudoku4_path, "steps=10"), tmp_path / "run", resume=True)
    assert events[0].step == 6 and events[-1].step == 10


def test_non_finite_loss_stops_the_run_and_keeps_the_last_good_checkpoint(sudoku4_path, tmp_path, monkeypatch):
    import trm_engine.train.trainer as trainer_mod

    real = trainer_mod.act_loss
    calls = {"n": 0}

    def poisoned(*a, **kw):
        loss, metrics = real(*a, **kw)
        calls["n"] += 1
        return (loss * float("nan") if calls["n"] == 5 else loss), metrics

    monkeypatch.setattr(trainer_mod, "act_loss", poisoned)
    events = run_all(tiny_run_config(sudoku4_path, "checkpoint_interval=1", "keep_last=10"), tmp_path / "run")
    failed = events[-1]
    assert isinstance(failed, RunFailed) and "non-finite loss at step 5" in failed.message
    assert "step_0000004.pt" in failed.message
    rd = RunDirectory(tmp_path / "run")
    assert rd.status()["state"] == "failed" and "non-finite" in rd.status()["message"]
    assert rd.latest_checkpoint().name == "step_0000004.pt"


def test_an_exception_becomes_a_failed_status(sudoku4_path, tmp_path, monkeypatch):
    import trm_engine.train.trainer as trainer_mod

    def boom(*a, **kw):
        raise RuntimeError("CUDA error: device-side assert (simulated)")

    monkeypatch.setattr(trainer_mod, "act_loss", boom)
    events = run_all(tiny_run_config(sudoku4_path), tmp_path / "run")
    assert isinstance(events[-1], RunFailed) and "device-side assert" in events[-1].message
    assert RunDirectory(tmp_path / "run").status()["state"] == "failed"
    assert not (tmp_path / "run" / "run.lock").exists()


HOLD_LOCK = ("import sys, time; from pathlib import Path; from trm_engine.train.run_dir import RunDirectory; "
             "RunDirectory(Path(sys.argv[1])).acquire(); print('held', flush=True); time.sleep(60)")


def test_a_directory_in_use_by_a_live_process_is_refused(sudoku4_path, tmp_path):
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path / "run")], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunError, match="in use by another live process"):
            run_all(tiny_run_config(sudoku4_path), tmp_path / "run")
    finally:
        holder.kill()
        holder.wait()
    events = run_all(tiny_run_config(sudoku4_path), tmp_path / "run")  # a dead holder's lock is taken over
    assert isinstance(events[-1], RunFinished)


def test_a_reused_pid_in_a_stale_lock_neither_blocks_nor_looks_running(sudoku4_path, tmp_path):
    """The lock names a pid that now belongs to some other live process (not a TRM Lab run)."""
    import socket

    run_all(tiny_run_config(sudoku4_path, "steps=2"), tmp_path / "run")
    rd = RunDirectory(tmp_path / "run")
    rd.write_status("running", 2, 6)  # as a killed run leaves it
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        rd.lock_path.write_text(f"{other.pid}@{socket.gethostname()}")
        assert rd.summary()["state"] == "crashed"
        events = run_all(tiny_run_config(sudoku4_path), tmp_path / "run", resume=True)
        assert events[0].resumed and isinstance(events[-1], RunFinished)
    finally:
        other.kill()
        other.wait()


def test_resume_with_a_different_config_names_the_fields(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path, "steps=2"), tmp_path / "run")
    with pytest.raises(RunError) as err:
        run_all(tiny_run_config(sudoku4_path, "h_cycles=3", "lr=0.5"), tmp_path / "run", resume=True)
    assert "model.h_cycles (2 vs 3)" in str(err.value) and "train.lr" in str(err.value)


def test_an_existing_run_needs_resume_and_a_missing_one_cannot_resume(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path, "steps=2"), tmp_path / "run")
    with pytest.raises(RunError, match="--resume"):
        run_all(tiny_run_config(sudoku4_path), tmp_path / "run")
    with pytest.raises(RunError, match="nothing to resume"):
        run_all(tiny_run_config(sudoku4_path), tmp_path / "other", resume=True)


def test_keep_last_and_keep_best(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path, "steps=6", "eval_interval=1", "keep_last=2"), tmp_path / "run")
    rd = RunDirectory(tmp_path / "run")
    names = [p.name for p in rd.checkpoint_files()]
    best = json.loads((rd.checkpoints / "best.json").read_text())["file"]
    assert set(names) == {"step_0000005.pt", "step_0000006.pt", best}


def test_pseudocode_form_takes_an_optimizer_step_per_supervision_step(sudoku4_path, tmp_path):
    events = run_all(tiny_run_config(sudoku4_path, "supervision=pseudocode", "steps=8", "log_interval=1",
                                     "eval_interval=0"), tmp_path / "run")
    steps = [e.step for e in events if isinstance(e, TrainMetrics)]
    assert steps[-1] == 8 and len(steps) < 8  # several optimizer steps per batch
    assert isinstance(events[-1], RunFinished)


def test_gradient_accumulation_matches_the_whole_batch(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path, "steps=2", "eval_interval=0"), tmp_path / "whole")
    run_all(tiny_run_config(sudoku4_path, "steps=2", "eval_interval=0", "micro_batch_size=4"), tmp_path / "micro")
    a, b = final_weights(tmp_path / "whole"), final_weights(tmp_path / "micro")
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)


def test_no_ema_ablation_saves_the_raw_weights(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path, "ema=false", "steps=2"), tmp_path / "run")
    body = read_checkpoint(RunDirectory(tmp_path / "run").latest_checkpoint())
    assert all(torch.equal(body["model"][k], body["raw_model"][k]) for k in body["model"])


def test_ema_weights_are_what_gets_saved_for_evaluation(sudoku4_path, tmp_path):
    run_all(tiny_run_config(sudoku4_path, "steps=4"), tmp_path / "run")
    body = read_checkpoint(RunDirectory(tmp_path / "run").latest_checkpoint())
    differ = [k for k in body["model"] if not torch.equal(body["model"][k], body["raw_model"][k])]
    assert "lm_head.weight" in differ and "embed.puzzle.table" not in differ  # the table is used live


def test_adam_atan2_matches_its_definition():
    torch.manual_seed(0)
    p = torch.randn(5, requires_grad=True)
    ref = p.detach().clone()
    opt = AdamATan2([p], lr=0.1, betas=(0.9, 0.95), weight_decay=0.5)
    m = torch.zeros(5)
    v = torch.zeros(5)
    for t in range(1, 4):
        g = torch.randn(5)
        p.grad = g.clone()
        opt.step()
        ref = ref * (1 - 0.1 * 0.5)
        m = 0.9 * m + 0.1 * g
        v = 0.95 * v + 0.05 * g * g
        ref = ref - 0.1 * torch.atan2(m / (1 - 0.9**t), torch.sqrt(v / (1 - 0.95**t)))
    assert torch.allclose(p.detach(), ref, atol=1e-6)


def test_sign_sgd_updates_only_touched_rows(sudoku4_path, tmp_path):
    from trm_engine.model.trm import RecursiveModel
    from trm_engine.train.optim import SparseSignSGD

    from .test_model import batch_for, tiny

    cfg = tiny(num_puzzle_identifiers=6)
    m = RecursiveModel(cfg).train()
    b = batch_for(cfg)
    b["puzzle_identifiers"] = torch.tensor([1, 3, 3], dtype=torch.int32)
    opt = SparseSignSGD(m.embed.puzzle, lr=0.01, weight_decay=0.0)
    carry, out = m.step(m.initial_carry(b), b)
    out.logits.sum().backward()
    opt.step()
    changed = (m.embed.puzzle.table != 0).any(-1)
    assert changed.tolist() == [False, True, False, True, False, False]
    assert torch.allclose(m.embed.puzzle.table[1].abs(), torch.full((32,), 0.01))


def test_learning_rate_warms_up_linearly_then_stays():
    assert [lr_at(s, 1.0, 4) for s in (0, 1, 2, 4, 100)] == [0.0, 0.25, 0.5, 1.0, 1.0]


def test_adamw_option_runs(sudoku4_path, tmp_path):
    events = run_all(tiny_run_config(sudoku4_path, "optimizer=adamw", "steps=2"), tmp_path / "run")
    assert isinstance(events[-1], RunFinished)


def test_runs_list(sudoku4_path, tmp_path, capsys):
    from trm_engine.cli import main

    run_all(tiny_run_config(sudoku4_path, "steps=2", "name=first"), tmp_path / "runs" / "a")
    assert main(["runs", "list", "--root", str(tmp_path / "runs"), "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["id"] == "a" and rows[0]["state"] == "finished" and rows[0]["step"] == 2
    assert rows[0]["name"] == "first"


def test_trm_eval_matches_the_run(sudoku4_path, tmp_path, capsys):
    from trm_engine.cli import main

    events = run_all(tiny_run_config(sudoku4_path, "steps=4", "eval_interval=0"), tmp_path / "run")
    last_eval = [e for e in events if isinstance(e, EvalResult)][-1]
    assert main(["eval", str(tmp_path / "run"), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["exact_accuracy"] == last_eval.exact_accuracy and report["count"] == 16
    assert main(["eval", str(tmp_path / "run"), "--steps", "6", "--json"]) == 0  # deeper than trained
    assert len(json.loads(capsys.readouterr().out)["per_step_exact"]) == 6


def test_cli_train_progress_and_failure_exit_code(sudoku4_path, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "trm_engine.cli", "train", "--preset", "sudoku4-mlp-lab",
                           "--data", str(sudoku4_path), "--steps", "2", "--run-dir", str(tmp_path / "r"),
                           "--set", "hidden_size=32", "--set", "num_heads=2", "--set", "puzzle_emb_ndim=32",
                           "--set", "global_batch_size=8", "--set", "log_interval=1"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert proc.returncode == 0, proc.stderr
    assert "step 2/2" in proc.stdout and "ETA" in proc.stdout and "ex/s" in proc.stdout
    bad = subprocess.run([sys.executable, "-m", "trm_engine.cli", "train", "--preset", "maze-att-lab",
                          "--data", str(sudoku4_path), "--steps", "2", "--run-dir", str(tmp_path / "m")],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "maze" in bad.stderr and "Traceback" not in bad.stderr


def test_two_gloo_ranks_under_torchrun_match_one_rank(sudoku4_path, tmp_path):
    sets = [f"--set={s}" for s in ("hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=2", "l_cycles=1",
                                   "halt_max_steps=4", "global_batch_size=8", "log_interval=1", "eval_interval=3",
                                   "lr_warmup_steps=2", "threads=1")]
    common = ["train", "--preset", "sudoku4-mlp-lab", "--data", str(sudoku4_path), "--steps", "6", *sets, "--quiet"]
    two = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                          "-m", "trm_engine.cli", *common, "--run-dir", str(tmp_path / "two")],
                         capture_output=True, text=True, timeout=300)
    assert two.returncode == 0, two.stderr[-2000:]
    subprocess.run([sys.executable, "-m", "trm_engine.cli", *common, "--run-dir", str(tmp_path / "one")],
                   check=True, timeout=300)
    a = read_checkpoint(RunDirectory(tmp_path / "one").latest_checkpoint())
    b = read_checkpoint(RunDirectory(tmp_path / "two").latest_checkpoint())
    assert b["world_size"] == 2 and a["step"] == b["step"] == 6
    for k in a["raw_model"]:  # sums in a different order: equal up to float rounding
        assert torch.allclose(a["raw_model"][k], b["raw_model"][k], atol=1e-5, rtol=1e-5), k
    assert torch.equal(a["carry"]["data.inputs"], b["carry"]["data.inputs"])  # the same puzzles in every slot
    evals = [[json.loads(x) for x in RunDirectory(tmp_path / d).metrics_path.read_text().splitlines()
              if json.loads(x)["type"] == "eval"] for d in ("one", "two")]
    assert [e["accuracy"] for e in evals[0]] == pytest.approx([e["accuracy"] for e in evals[1]], abs=1e-6)


def test_the_terminal_eta_counts_only_the_steps_this_process_ran():
    from trm_engine.train.commands import eta_seconds

    assert eta_seconds(100.0, 500, 600, 1500) == 900.0  # resumed at 500: 100 steps took 100 s, 900 left
    assert eta_seconds(100.0, 0, 100, 1500) == 1400.0
    assert eta_seconds(5.0, 500, 500, 1500) == 0.0  # nothing measured yet
