"""Real (tiny) training runs through the real worker, from the Train area: curves fill, pause / stop /
continue keep the step count going, errors reach the UI, closing the app stops a run with a checkpoint.
Every wait is on a signal or a condition, never a sleep."""

from __future__ import annotations

import json

import pytest
from lab_helpers import make_window
from train_helpers import plan, sudoku4_dataset, tiny_config

from trm_engine.train.run_dir import RunDirectory
from trm_lab.areas.train.runs import runs_root


@pytest.fixture
def data(tmp_path_factory, monkeypatch):
    monkeypatch.delenv("TRM_LAB_RUNS", raising=False)  # runs go under the test's app folder
    return sudoku4_dataset(tmp_path_factory)


@pytest.fixture
def panel(qtbot, theme, dialog_recorder):
    window = make_window(qtbot, theme)
    yield window.show_area("train")
    for source in window.panels["train"].session.sources.values():  # never leave a thread behind
        if source.is_live:
            source.stop()
            qtbot.waitUntil(lambda s=source: not s.is_live, timeout=60000)


def train_steps(history) -> list[int]:
    return [int(s) for s in history.arrays("loss")[0]]


def test_a_run_trains_in_the_app_and_fills_the_curves(qtbot, panel, data):
    source = panel.start_run(plan(tiny_config(data), "curves"))
    assert source.run_dir.parent == runs_root()
    with qtbot.waitSignal(source.ended, timeout=60000):
        pass
    history = panel.histories[source.run_dir]
    assert history.state == "finished" and history.step == 6
    assert train_steps(history) == [1, 2, 3, 4, 5, 6]
    curves = panel.monitor.curves  # drawn by the monitor's timer
    qtbot.waitUntil(lambda: curves.point_count(str(source.run_dir), "eval_exact") == 2, timeout=5000)  # steps 3, 6
    for key in ("loss", "lm_loss", "q_halt_loss", "lr", "examples_per_s"):
        assert curves.point_count(str(source.run_dir), key) == 6, key
    halted = len(history.series["accuracy"].steps)  # only steps where some puzzle halted measure these
    assert 1 <= halted < 6
    for key in ("accuracy", "exact_accuracy", "sup_steps"):
        assert curves.point_count(str(source.run_dir), key) == halted, key
    assert panel.monitor.redraws >= 1
    qtbot.waitUntil(lambda: source.run_dir in panel.runs.items and
                    panel.runs.items[source.run_dir].text(1) == "finished", timeout=10000)
    # the header is redrawn by the monitor's timer: it may still show the last train event's "running"
    qtbot.waitUntil(lambda: "finished" in panel.monitor.header.text(), timeout=5000)
    assert "step 6 / 6" in panel.monitor.header.text()
    qtbot.waitUntil(lambda: "finished 6 steps" in panel.monitor.log_text(), timeout=5000)
    assert json.loads((source.run_dir / "status.json").read_text())["state"] == "finished"
    assert panel.extend_action.isEnabled() and not panel.continue_action.isEnabled()


def test_pause_resume_stop_then_continue_keeps_counting_steps(qtbot, panel, data):
    source = panel.start_run(plan(tiny_config(data, "steps=100000", "eval_interval=0"), "pause"))  # never ends alone
    history = panel.histories[source.run_dir]
    qtbot.waitUntil(lambda: history.step >= 2, timeout=60000)
    assert panel.pause_action.isEnabled()
    panel.pause_action.trigger()
    qtbot.waitUntil(lambda: history.state == "paused", timeout=10000)
    paused_at = history.step
    assert panel.resume_action.isEnabled() and not panel.pause_action.isEnabled()
    qtbot.waitUntil(lambda: "paused" in panel.monitor.header.text(), timeout=5000)  # the next redraw
    panel.resume_action.trigger()
    qtbot.waitUntil(lambda: history.step > paused_at, timeout=10000)
    with qtbot.waitSignal(source.ended, timeout=30000):
        panel.stop_action.trigger()
    stopped_at = history.step
    assert history.state == "stopped" and f"stopped at step {stopped_at}" in history.message
    assert RunDirectory(source.run_dir).latest_checkpoint().name == f"step_{stopped_at:07d}.pt"
    assert panel.continue_action.isEnabled()

    again = panel.continue_run()
    qtbot.waitUntil(lambda: history.step >= stopped_at + 2, timeout=60000)
    assert again.run_dir == source.run_dir
    steps = train_steps(history)
    assert steps == list(range(1, len(steps) + 1))  # no gap, no repeat: the count went on
    qtbot.waitUntil(lambda: f"resumed at step {stopped_at}" in panel.monitor.log_text(), timeout=5000)
    with qtbot.waitSignal(again.ended, timeout=30000):
        panel.stop_run()


def test_extend_a_finished_run(qtbot, panel, data):
    source = panel.start_run(plan(tiny_config(data, "steps=3", "eval_interval=0"), "extend"))
    with qtbot.waitSignal(source.ended, timeout=60000):
        pass
    more = panel.extend_run(source.run_dir, 2)
    with qtbot.waitSignal(more.ended, timeout=60000):
        pass
    history = panel.histories[source.run_dir]
    assert history.state == "finished" and history.total_steps == 5 and train_steps(history) == [1, 2, 3, 4, 5]


def test_an_exception_in_the_worker_becomes_a_message_and_a_failed_status(qtbot, panel, data, monkeypatch):
    from trm_engine.model.trm import RecursiveModel

    def broken_step(self, *args, **kwargs):
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    monkeypatch.setattr(RecursiveModel, "step", broken_step)
    source = panel.start_run(plan(tiny_config(data), "broken"))
    with qtbot.waitSignal(source.ended, timeout=60000):
        pass
    history = panel.histories[source.run_dir]
    assert history.state == "failed" and "RuntimeError: CUDA error" in history.message
    status = json.loads((source.run_dir / "status.json").read_text())
    assert status["state"] == "failed" and "illegal memory access" in status["message"]
    qtbot.waitUntil(lambda: "illegal memory access" in panel.monitor.log_text(), timeout=5000)
    qtbot.waitUntil(lambda: "failed" in panel.monitor.header.text(), timeout=5000)


def test_a_start_up_error_reaches_the_ui_too(qtbot, panel, data, tmp_path):
    source = panel.start_run(plan(tiny_config(tmp_path / "missing.h5"), "nodata"))
    with qtbot.waitSignal(source.ended, timeout=60000):
        pass
    history = panel.histories[source.run_dir]
    assert history.state == "failed" and "missing.h5: no such dataset file" in history.message
    qtbot.waitUntil(lambda: "no such dataset file" in panel.monitor.log_text(), timeout=5000)


def test_a_non_finite_loss_stops_the_run_with_a_clear_message(qtbot, panel, data, monkeypatch):
    from trm_engine.train import trainer

    real = trainer.act_loss

    def nan_loss(*args, **kwargs):
        loss, metrics = real(*args, **kwargs)
        return loss * float("nan"), metrics

    monkeypatch.setattr(trainer, "act_loss", nan_loss)
    source = panel.start_run(plan(tiny_config(data), "nan"))
    with qtbot.waitSignal(source.ended, timeout=60000):
        pass
    assert panel.histories[source.run_dir].message.startswith("non-finite loss at step")
    qtbot.waitUntil(lambda: "non-finite loss" in panel.monitor.header.text(), timeout=5000)


def test_closing_the_app_while_training_asks_then_stops_with_a_checkpoint(qtbot, panel, data, dialog_recorder):
    window = panel.window()
    source = panel.start_run(plan(tiny_config(data, "steps=500", "eval_interval=0"), "close"))
    history = panel.histories[source.run_dir]
    qtbot.waitUntil(lambda: history.step >= 1, timeout=60000)
    panel.pause_action.trigger()  # a paused run cannot finish before the window closes, however fast it trains
    qtbot.waitUntil(lambda: history.state == "paused", timeout=10000)
    dialog_recorder.yes_no.append(False)
    window.close()
    assert window.isVisible() and source.is_live  # "no": nothing happens
    dialog_recorder.yes_no.append(True)
    window.close()
    assert not window.isVisible() and not source.is_live
    assert dialog_recorder.asked == ["yes/no", "yes/no"]  # asked once per close, not again by the window
    status = json.loads((source.run_dir / "status.json").read_text())
    assert status["state"] == "stopped"
    assert RunDirectory(source.run_dir).latest_checkpoint().name == f"step_{status['step']:07d}.pt"


def test_the_status_bar_and_the_header_show_the_same_step(qtbot, panel, data):
    window = panel.window()
    source = panel.start_run(plan(tiny_config(data, "steps=8", "eval_interval=4"), "same-step"))
    seen = []

    def compare(event) -> None:  # after the window's and the header's own slots have run
        if type(event).__name__ == "TrainMetrics":
            row = panel.runs.items.get(source.run_dir)
            seen.append((window.progress.label.text(), panel.monitor.header.text(), event.step,
                         row.text(2) if row is not None else None))

    source.job.progressed.connect(compare)
    with qtbot.waitSignal(source.ended, timeout=60000):
        pass
    assert len(seen) == 8
    for status, header, step, listed in seen:
        assert f"step {step:,} of 8" in status and f"step {step:,} / 8" in header, (status, header)
        assert listed in (None, f"{step}/8")  # the run list too, once it lists the run
