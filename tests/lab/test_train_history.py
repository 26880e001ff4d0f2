"""What the monitor knows of a run: curves, state, ETA and log from the engine's events, the resume
purge, and following a run directory through its files (TailFeed)."""

from __future__ import annotations

import dataclasses
import os

import pytest

from trm_engine.train.events import (
    CheckpointSaved,
    EvalResult,
    RunFailed,
    RunPaused,
    RunStarted,
    RunStopped,
    TrainMetrics,
)
from trm_engine.train.run_dir import RunDirectory
from trm_lab.areas.train.feed import TailFeed, process_rss
from trm_lab.areas.train.history import RunHistory, format_duration


def metrics(step: int, t: float, loss: float = 1.0, total: int = 100) -> TrainMetrics:
    return TrainMetrics(step=step, total_steps=total, epoch=0.0, lr=1e-3, loss=loss, lm_loss=loss, q_halt_loss=0.1,
                        q_continue_loss=0.0, accuracy=0.5, exact_accuracy=0.1, q_halt_accuracy=0.9, sup_steps=3.0,
                        halted=8, examples_per_s=100.0, elapsed=t, time=1000.0 + t)


def test_history_builds_curves_state_eta_and_log():
    h = RunHistory()
    h.add(RunStarted(step=0, total_steps=100, run_dir="r", device="cpu", params=1234, time=1000.0))
    for step in range(1, 11):
        h.add(metrics(step, step * 0.5, loss=1.0 / step))
    h.add(EvalResult(step=10, exact_accuracy=0.25, accuracy=0.5, count=16, sup_steps=4, pass_at={"1": 0.25, "2": 0.5},
                     time=1006.0))
    h.add(CheckpointSaved(step=10, path="/x/checkpoints/step_0000010.pt", best=True, time=1006.5))
    steps, times, values = h.arrays("loss")
    assert list(steps) == list(range(1, 11)) and times[0] == pytest.approx(0.5) and values[-1] == pytest.approx(0.1)
    assert h.state == "running" and h.step == 10 and h.best_eval == 0.25
    assert h.latest("eval_pass2") == 0.5
    assert h.seconds_per_step() == pytest.approx(0.5)
    assert h.eta_seconds() == pytest.approx(45.0) and format_duration(h.eta_seconds()) == "0:00:45"
    assert [line.text for line in h.log][-2:] == [
        "eval at step 10: exact 0.250, cells 0.500 (16 puzzles, 0.0 s), pass@1 0.250, pass@2 0.500",
        "checkpoint step_0000010.pt (best)"]
    version = h.version
    h.add(RunPaused(step=10, time=1007.0))
    assert h.state == "paused" and h.eta_seconds() is None and h.version > version
    h.add(RunStopped(step=10, message="stopped at step 10; checkpoint step_0000010.pt", time=1008.0))
    assert h.state == "stopped" and not h.is_live


def test_recipe_warnings_and_pooled_votes_reach_the_log():
    h = RunHistory()
    h.add(RunStarted(step=0, total_steps=10, run_dir="r", device="cpu", params=1, time=1000.0,
                     warnings=("arc.h5 was built with 10 augmentations per ARC task, but ...",)))
    assert h.log[-1].error and h.log[-1].text.startswith("warning: arc.h5 was built with 10")
    h.add(EvalResult(step=5, exact_accuracy=0.0, accuracy=0.5, count=4, sup_steps=2, pass_at={"2": 0.25},
                     pass_at_pooled={"2": 0.5}, time=1001.0))
    assert h.log[-1].text.endswith("pass@2 0.250; pooled over evaluations, pass@2 0.500")


def test_a_resume_drops_the_points_after_its_step_and_failures_keep_their_text():
    h = RunHistory()
    h.add(RunStarted(step=0, total_steps=100, run_dir="r", device="cpu", params=1, time=1000.0))
    for step in range(1, 9):
        h.add(metrics(step, step))
    h.add(RunStarted(step=5, total_steps=100, run_dir="r", device="cpu", params=1, resumed=True, time=2000.0))
    assert list(h.arrays("loss")[0]) == [1, 2, 3, 4, 5] and h.step == 5
    h.add(metrics(6, 1001.0))
    assert list(h.arrays("loss")[0]) == [1, 2, 3, 4, 5, 6]
    h.add(RunFailed(step=6, message="non-finite loss at step 6 (lm_loss=nan, q_halt_loss=0.1)", time=2002.0))
    assert h.state == "failed" and h.message.startswith("non-finite loss") and h.log[-1].error


def test_accuracy_points_only_where_puzzles_halted():
    h = RunHistory()
    h.add(metrics(1, 1.0))
    h.add(dataclasses.replace(metrics(2, 2.0), halted=0, accuracy=0.0))  # nothing halted: no measurement
    assert list(h.arrays("loss")[0]) == [1, 2] and list(h.arrays("accuracy")[0]) == [1]


def test_crashed_writer_shows_in_the_state():
    h = RunHistory()
    h.apply_status({"state": "crashed", "total_steps": 50, "device": "cuda:0"})
    assert h.state == "crashed" and h.total_steps == 50 and "crashed" in h.log[-1].text


def write_run(path, events, state="running", total=100):
    run = RunDirectory(path)
    if not run.exists():
        run.create({"name": "x"})
        run.acquire()  # a live writer (this process), else the summary says "crashed"
    for event in events:
        run.append_event(event)
    run.write_status(state, events[-1].step if events else 0, total)
    return run


def test_tail_feed_follows_a_growing_run_directory_and_a_rewritten_one(qtbot, tmp_path):
    path = tmp_path / "run"
    run = write_run(path, [RunStarted(step=0, total_steps=100, run_dir=str(path), device="cpu", params=5)])
    history = RunHistory()
    feed = TailFeed(path, history)
    assert history.state == "running" and history.params == 5
    with open(run.metrics_path, "a") as fh:
        fh.write('{"type": "train", "step": 1')  # a line being written: not read until it is whole
    feed.poll()
    assert history.arrays("loss")[0].size == 0
    with open(run.metrics_path, "a") as fh:
        fh.write(', "total_steps": 100, "epoch": 0, "lr": 0.001, "loss": 2.0, '
                 '"lm_loss": 2.0, "q_halt_loss": 0.1, "q_continue_loss": 0.0, "accuracy": 0.1, '
                 '"exact_accuracy": 0.0, "q_halt_accuracy": 0.5, "sup_steps": 2.0, "halted": 4, '
                 '"examples_per_s": 10.0, "elapsed": 1.0, "time": 1.0}\n')
    write_run(path, [metrics(2, 2.0)])
    qtbot.waitUntil(lambda: history.arrays("loss")[0].size == 2, timeout=5000)  # watcher or poll
    run.truncate_metrics_after(1)  # what a resume from step 1 does: a new file without the later lines
    write_run(path, [metrics(2, 3.0, loss=0.5)], state="finished")
    qtbot.waitUntil(lambda: history.state == "finished", timeout=5000)
    assert list(history.arrays("loss")[2]) == [2.0, 0.5]
    feed.stop()


def test_process_memory_is_read_from_proc():
    rss = process_rss()
    assert rss is not None and rss > 10_000_000
    assert process_rss(os.getpid()) == pytest.approx(rss, rel=0.5)
