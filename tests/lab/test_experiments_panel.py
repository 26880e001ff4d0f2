"""The Experiments area: the suites with the paper's numbers, a plan with each run's state, a real (tiny)
suite launched from the app filling the tables live, stop and relaunch resuming, the report export with
its verdicts, errors and persisted settings. Every wait is on a signal or a condition, never a sleep."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from lab_helpers import make_window
from PySide6.QtCore import Qt

from trm_engine.experiments.events import RunBegan, RunMeasured, RunProgress, RunSkipped
from trm_engine.experiments.stats import REPRODUCED
from trm_engine.train.events import TrainMetrics
from trm_engine.train.run_dir import RunDirectory
from trm_lab.areas.experiments import session as exp_session

# halting's claim on a 4x4 Sudoku recipe and a model that takes a few milliseconds per step
TINY = ["model.hidden_size=16", "model.num_heads=2", "model.puzzle_emb_ndim=16", "model.l_cycles=1",
        "model.halt_max_steps=2", "train.global_batch_size=8", "train.eval_interval=2", "train.log_interval=1",
        "train.lr_warmup_steps=1"]
SUITE = {
    "datasets": {"sudoku4-tiny": {"family": "sudoku", "kind": "random-grids", "train": 32, "test": 8,
                                  "blanks": [2, 6], "box": 2, "seed": 0, "description": "4x4 Sudoku, 2-6 blanks"}},
    "suites": {"tiny-halting": {
        "title": "Halting, tiny", "claim": "No continue loss: half the forward passes.", "ref": "Table 1",
        "metrics": ["exact_accuracy", "nfp", "cell_accuracy"],
        "scales": {"paper": {"preset": "sudoku-mlp", "data": "sudoku-extreme"},
                   "lab": {"preset": "sudoku-mlp-lab", "data": "sudoku4-tiny", "steps": 4, "overrides": TINY}},
        "variants": [{"name": "halt-only", "overrides": ["model.act_continue=false"],
                      "paper": {"exact_accuracy": 87.4, "nfp": 1}},
                     {"name": "continue", "overrides": ["model.act_continue=true"],
                      "paper": {"exact_accuracy": 86.1, "nfp": 2}}],
        "claims": [{"metric": "nfp", "better": "halt-only", "worse": "continue", "text": "half the passes"}]}},
}


@pytest.fixture
def window(qtbot, theme):
    window = make_window(qtbot, theme)
    yield window
    session = window.panels["experiments"].session
    if session.is_running:  # never leave a thread behind
        session.job.cancel()
        qtbot.waitUntil(lambda: not session.is_running, timeout=60000)


@pytest.fixture
def panel(window):
    return window.show_area("experiments")


@pytest.fixture
def tiny(panel, qtbot, tmp_path, dialog_recorder):
    """The panel on the tiny suite, writing under tmp_path/out, one thread, planned."""
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(SUITE))
    dialog_recorder.open_paths.append(path)
    panel.suite_file_action.trigger()
    assert panel.suite_list.current() == "tiny-halting"
    panel.form.out_edit.setText(str(tmp_path / "out"))
    panel.form.threads_box.setValue(1)
    panel.form.seeds_box.setValue(2)
    plan(qtbot, panel)
    return panel


def plan(qtbot, panel):
    with qtbot.waitSignal(panel.session.planned, timeout=30000):
        panel.plan_action.trigger()
    return [panel.runs_table.text(i, "State") for i in range(panel.runs_table.rowCount())]


def run_to_end(qtbot, panel, trigger=None, timeout=120000):
    with qtbot.waitSignal(panel.session.run_ended, timeout=timeout) as ended:
        (trigger or panel.run_action.trigger)()
    qtbot.waitUntil(lambda: not panel.session.planning)  # the plan read again after the run
    return ended.args


def test_the_suites_show_their_claims_paper_numbers_and_scales(qtbot, panel):
    names = [panel.suite_list.list.item(i).data(Qt.ItemDataRole.UserRole)
             for i in range(panel.suite_list.list.count())]
    assert names == ["mlp-vs-attention", "depth", "halting", "recursion", "puzzles", "ablations"]
    panel.suite_list.select("halting")
    assert "87.4% vs 86.1%" in panel.details.claim.text()
    assert [panel.details.variant_paper(r) for r in range(2)] == ["87.4% exact, NFP 1", "86.1% exact, NFP 2"]
    assert "sudoku-mlp-lab on sudoku9-lab; 2000 steps per run" in panel.details.scales.text()
    assert "sudoku-extreme (official dataset)" in panel.details.scales.text()
    panel.suite_list.select("depth")  # equal compute: the budget is CPU time, not a length
    assert "sudoku-mlp-lab on sudoku9-lab; 10 CPU-minutes per run" in panel.details.scales.text()
    panel.suite_list.select("puzzles")
    assert panel.details.variant_paper(4) == "44.6% pass@2" and panel.details.variant_paper(5) == "40.3% pass@2"
    panel.suite_list.select("recursion")
    texts = [panel.details.variant_paper(r) for r in range(panel.details.variants.rowCount())]
    assert texts[2] == "87.4% exact" and texts[4] == "exact \u2013"  # T=3, n=12: out of memory in the paper

    panel.suite_list.select("halting")
    assert not panel.form.warning.isVisibleTo(panel)
    panel.form.scale_box.setCurrentIndex(panel.form.scale_box.findData("paper"))
    assert panel.form.warning.isVisibleTo(panel) and "GPU for a day or more" in panel.form.warning.text()
    assert list(panel.form.data_edits) == ["sudoku-extreme"] and panel.form.seeds_box.value() == 1
    assert plan(qtbot, panel) == ["needs-data", "needs-data"]
    assert "give --data sudoku-extreme=FILE" in panel.plan_label.text() and not panel.run_action.isEnabled()


def test_a_launch_fills_the_tables_live_and_the_report_shows_the_verdicts(qtbot, window, tiny, tmp_path,
                                                                          dialog_recorder, monkeypatch):
    panel = tiny
    assert [panel.runs_table.text(i, "State") for i in range(4)] == ["pending"] * 4
    assert [panel.runs_table.text(i, "Variant") for i in range(4)] == ["halt-only", "continue", "halt-only",
                                                                      "continue"]  # seed by seed
    assert panel.run_action.isEnabled() and not panel.export_action.isEnabled()
    live = []  # what the table showed when each run was measured, and whether the suite was still running
    panel.session.row_changed.connect(lambda i: live.append(
        (i, panel.runs_table.text(i, "State"), panel.runs_table.text(i, "Exact %"), panel.session.is_running)))
    steps = []
    panel.session.event_received.connect(lambda ev: steps.append(ev.event.step) if isinstance(
        ev, RunProgress) and isinstance(ev.event, TrainMetrics) else None)

    def by_keyboard():
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier)

    outcome, message = run_to_end(qtbot, panel, by_keyboard)
    assert outcome == "finished" and message == "4 measured, 0 skipped, 0 failed"
    assert steps == [1, 2, 3, 4] * 4
    measured = [entry for entry in live if entry[1] == "done"]
    assert [i for i, *_ in measured] == [0, 1, 2, 3]
    assert all(running for *_, running in measured)  # each row filled in before the suite ended
    assert all(0 <= float(exact) <= 100 for _, _, exact, _ in measured)
    qtbot.waitUntil(lambda: "4 done" in panel.plan_label.text())
    for i in range(4):
        assert panel.runs_table.text(i, "Step") == "4" and float(panel.runs_table.text(i, "s/step")) > 0
        assert float(panel.runs_table.text(i, "Cells %")) > 0
    assert not panel.run_action.isEnabled() and "Every run is measured" in panel.plan_label.text()
    summary = panel.summary
    header = [summary.horizontalHeaderItem(c).text() for c in range(summary.columnCount())]
    assert header == ["variant", "exact %", "paper", "NFP", "paper", "cells %", "runs"]
    assert [summary.text(0, c) for c in (0, 2, 3, 4, 6)] == ["halt-only", "87.4", "1.000 [1.000, 1.000]", "1", "2/2"]
    assert [summary.text(1, c) for c in (0, 3, 4)] == ["continue", "2.000 [2.000, 2.000]", "2"]

    (tmp_path / "a-file").write_text("")
    dialog_recorder.open_paths.append(tmp_path / "a-file" / "report")
    with qtbot.waitSignal(panel.session.report_failed, timeout=60000):
        panel.export_action.trigger()
    title, error = dialog_recorder.errors[-1]
    assert title == "Cannot write the report" and error.startswith(str(tmp_path / "a-file" / "report"))
    dest = tmp_path / "report"
    dialog_recorder.open_paths.append(dest)
    with qtbot.waitSignal(panel.session.reported, timeout=60000):
        panel.export_action.trigger()
    text = (dest / "report.md").read_text()
    assert "| half the passes | forward passes per step | halt-only 1.000 [1.000, 1.000] vs continue 2.000 " \
           "[2.000, 2.000] | 1 vs 2 | **direction reproduced** | – |" in text
    assert (dest / "nfp.png").is_file() and (dest / "curve_eval_exact.png").is_file()
    assert panel.verdicts.verdict_texts() == [REPRODUCED]
    opened = []
    monkeypatch.setattr("trm_lab.areas.experiments.panel.QDesktopServices.openUrl", lambda url: opened.append(url))
    panel.open_report_action.trigger()
    assert [u.toLocalFile() for u in opened] == [str(dest)]

    panel.runs_table.selectRow(1)  # continue, seed 0 (runs go seed by seed)
    panel.monitor_action.trigger()
    assert window.current_area() == "train"
    assert window.panels["train"].monitor.current == tmp_path / "out" / "tiny-halting" / "continue" / "seed0"


def test_stop_keeps_the_checkpoint_and_a_relaunch_skips_done_runs_and_resumes(qtbot, tiny, tmp_path, monkeypatch):
    panel = tiny
    panel.form.seeds_box.setValue(1)
    panel.form.budget_edit.setText("30")
    assert plan(qtbot, panel) == ["pending", "pending"]
    events = []
    pressed = threading.Event()
    real_events = exp_session.experiment_events

    def held_at_step_2(launch, control):  # the worker waits for the Stop press, however slow the GUI is
        for ev in real_events(launch, control):
            yield ev
            if isinstance(ev, RunProgress) and ev.index == 1 and isinstance(ev.event, TrainMetrics) \
                    and ev.event.step == 2:
                assert pressed.wait(60)

    monkeypatch.setattr(exp_session, "experiment_events", held_at_step_2)

    def on_event(ev):
        events.append(ev)
        if isinstance(ev, RunProgress) and ev.index == 1 and isinstance(ev.event, TrainMetrics) \
                and ev.event.step == 2:
            panel.stop_action.trigger()
            pressed.set()

    panel.session.event_received.connect(on_event)
    outcome, _ = run_to_end(qtbot, panel)
    assert outcome == "stopped"
    stopped_at = max(e.event.step for e in events if isinstance(e, RunProgress) and e.index == 1
                     and isinstance(e.event, TrainMetrics))
    assert stopped_at == 2
    second = tmp_path / "out" / "tiny-halting" / "continue" / "seed0"
    assert RunDirectory(second).latest_checkpoint().name == f"step_{stopped_at:07d}.pt"
    qtbot.waitUntil(lambda: panel.runs_table.text(1, "State") == "resumable" and not panel.session.planning)
    assert panel.runs_table.text(0, "State") == "done" and panel.runs_table.text(1, "Step") == f"{stopped_at} / 30"

    events.clear()
    outcome, _ = run_to_end(qtbot, panel)
    assert outcome == "finished"
    assert [(type(e).__name__, e.index) for e in events if isinstance(e, (RunSkipped, RunBegan))] == [
        ("RunSkipped", 0), ("RunBegan", 1)]
    assert next(e for e in events if isinstance(e, RunBegan)).resumed
    first = next(e for e in events if isinstance(e, RunProgress) and isinstance(e.event, TrainMetrics))
    assert first.event.step == stopped_at + 1  # resumed from the checkpoint, not from 0
    assert next(e for e in events if isinstance(e, RunMeasured)).result["steps"] == 30
    qtbot.waitUntil(lambda: panel.runs_table.text(1, "State") == "done" and not panel.session.planning)
    assert not panel.run_action.isEnabled()


def test_errors_are_shown_and_nothing_is_left_running(qtbot, tiny, tmp_path, dialog_recorder):
    panel = tiny
    panel.form.budget_edit.setText("soon")
    with qtbot.waitSignal(panel.session.plan_failed, timeout=30000):
        panel.plan_action.trigger()
    assert "Cannot plan: --budget 'soon'" in panel.plan_label.text() and not panel.run_action.isEnabled()

    panel.form.budget_edit.setText("")
    (tmp_path / "a-file").write_text("")
    panel.form.out_edit.setText(str(tmp_path / "a-file" / "out"))
    assert plan(qtbot, panel) == ["pending"] * 4
    outcome, message = run_to_end(qtbot, panel)
    assert outcome == "failed" and "cannot create the experiment folder" in message
    assert dialog_recorder.errors[-1] == ("Experiment failed", message)
    assert panel.run_action.isEnabled() and panel.form.isEnabled() and not panel.session.is_running


def test_the_launch_settings_persist(qtbot, theme, tmp_path):
    first = make_window(qtbot, theme)
    panel = first.show_area("experiments")
    panel.suite_list.select("depth")
    panel.form.scale_box.setCurrentIndex(panel.form.scale_box.findData("paper"))
    panel.form.seeds_box.setValue(2)
    panel.form.budget_edit.setText("20m")
    panel.form.out_edit.setText(str(tmp_path / "exp"))
    panel.form.data_edits["sudoku-extreme"].setText("/data/sudoku-extreme.h5")
    first.save_settings()

    again = make_window(qtbot, theme).panels["experiments"]
    assert again.suite_list.current() == "depth" and again.form.scale() == "paper"
    assert again.form.seeds_box.value() == 2 and again.form.budget_edit.text() == "20m"
    assert again.form.out_edit.text() == str(tmp_path / "exp")
    assert again.form.data_edits["sudoku-extreme"].text() == "/data/sudoku-extreme.h5"
    launch = again.launch_settings()
    assert (launch.suite, launch.scale, launch.seeds, launch.budget) == ("depth", "paper", 2, "20m")
    assert launch.data_paths == (("sudoku-extreme", "/data/sudoku-extreme.h5"),)


def _metrics(step: int, cpu: float) -> TrainMetrics:
    return TrainMetrics(step=step, total_steps=10**8, epoch=0.0, lr=1e-3, loss=1.0, lm_loss=1.0, q_halt_loss=0.0,
                        q_continue_loss=0.0, accuracy=0.5, exact_accuracy=0.0, q_halt_accuracy=1.0, sup_steps=2.0,
                        halted=8, examples_per_s=100.0, elapsed=cpu, cpu_elapsed=cpu)


def test_a_cpu_budget_shows_progress_by_cpu_time_across_sittings():
    """Under the suites' own CPU-time budgets the bar moves with the training thread's CPU time (the
    step cap is only a ceiling), and a run resumed in the same window adds to what it had spent."""
    from trm_engine.experiments.suites import get_suite
    from trm_lab.areas.experiments.rows import ExperimentRows, RunRow

    rows = ExperimentRows(get_suite("halting"), "lab", (0,), Path("x"), "trm experiments run halting",
                          [RunRow("halt-only", 0, Path("x/halt-only/seed0"), "pending", total=10**8, cpu_minutes=2.0),
                           RunRow("continue", 0, Path("x/continue/seed0"), "pending", total=10**8, cpu_minutes=2.0)])
    began = RunBegan("halting", index=0, total=2, variant="halt-only", seed=0, run_dir="", resumed=False,
                     budget="2 CPU-min")
    rows.apply(began)
    rows.apply(RunProgress("halting", index=0, total=2, variant="halt-only", seed=0, event=_metrics(40, 60.0)))
    assert rows.progress() == (pytest.approx(0.25), "run 1 of 2: halt-only, seed 0, step 40")
    rows.apply(began)  # stopped and resumed: this sitting's CPU time starts again from 0
    rows.apply(RunProgress("halting", index=0, total=2, variant="halt-only", seed=0, event=_metrics(60, 30.0)))
    assert rows.progress()[0] == pytest.approx(0.375)  # 90 of 120 CPU-s, of two runs


def test_a_flops_budget_shows_progress_by_steps_on_the_datasets_shapes(tmp_path):
    """A FLOPs budget fixes a last step: planned on the preset's shapes, then on the run folder's config
    (the dataset's sequence length), which the trainer writes before RunStarted."""
    import math

    from trm_engine.experiments import parse_budget, plan_experiment
    from trm_engine.model.flops import step_flops
    from trm_engine.train.events import RunStarted
    from trm_lab.areas.experiments.rows import rows_of

    plan = plan_experiment("halting", "lab", seeds=1, budget=parse_budget("1Pflop"), out=tmp_path)
    rows = rows_of(plan)
    run = plan.runs[0]
    per_step = step_flops(run.config.model)["train"] * run.config.train.global_batch_size  # 9x9: 81 cells
    assert rows.rows[0].flops_steps == math.ceil(1e15 / per_step)
    small = run.config.to_dict()
    small["model"]["seq_len"] = 16  # 4x4 Sudoku: each step costs less, so the budget allows more steps
    RunDirectory(run.run_dir).create(small)
    rows.apply(RunBegan("halting", index=0, total=2, variant=run.variant, seed=0, run_dir=str(run.run_dir),
                        resumed=False, budget="1 PFLOP"))
    started = RunStarted(step=0, total_steps=10**8, run_dir=str(run.run_dir), device="cpu", params=1)
    rows.apply(RunProgress("halting", index=0, total=2, variant=run.variant, seed=0, event=started))
    last = rows.rows[0].flops_steps
    assert last > math.ceil(1e15 / per_step)
    rows.apply(RunProgress("halting", index=0, total=2, variant=run.variant, seed=0, event=_metrics(last // 2, 1.0)))
    fraction, text = rows.progress()
    assert text == f"run 1 of 2: {run.variant}, seed 0, step {last // 2} of {last}"
    assert fraction == pytest.approx((last // 2) / last / 2)


def test_a_minutes_budget_shows_progress_by_time_and_no_step_cap():
    from trm_engine.experiments.events import ExperimentStopped
    from trm_engine.experiments.suites import get_suite
    from trm_lab.areas.experiments.rows import ExperimentRows, RunRow

    rows = ExperimentRows(get_suite("halting"), "lab", (0,), Path("x"), "trm experiments run halting",
                          [RunRow("halt-only", 0, Path("x/halt-only/seed0"), "pending", total=10**8, minutes=2.0),
                           RunRow("continue", 0, Path("x/continue/seed0"), "pending", total=10**8, minutes=2.0)])
    assert rows.apply(RunBegan("halting", index=0, total=2, variant="halt-only", seed=0, run_dir="", resumed=False,
                               budget="2 min")) == 0
    metrics = TrainMetrics(step=50, total_steps=10**8, epoch=0.0, lr=1e-3, loss=1.0, lm_loss=1.0, q_halt_loss=0.0,
                           q_continue_loss=0.0, accuracy=0.5, exact_accuracy=0.0, q_halt_accuracy=1.0, sup_steps=2.0,
                           halted=8, examples_per_s=100.0, elapsed=60.0)
    assert rows.apply(RunProgress("halting", index=0, total=2, variant="halt-only", seed=0, event=metrics)) == 0
    fraction, text = rows.progress()
    assert fraction == pytest.approx(0.25)  # half of the first run's two minutes, of two runs
    assert text == "run 1 of 2: halt-only, seed 0, step 50" and rows.rows[0].seconds_per_step == pytest.approx(1.2)
    assert rows.apply(ExperimentStopped("halting", message="stopped")) == 0
    assert (rows.rows[0].state, rows.rows[0].detail, rows.outcome) == ("resumable", "stopped at step 50", "stopped")
