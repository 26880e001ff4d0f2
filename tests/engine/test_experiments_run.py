"""A suite end to end at a tiny budget: run directories, result.json, skip on rerun, stop and resume, a
minutes budget, a CPU-time budget across sittings, the estimate, conflicts, and the Markdown report with
its verdicts and PNG plots."""

import json
import math
import shutil
import time
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from trm_engine.cli import main
from trm_engine.errors import RunError
from trm_engine.experiments import (
    REPRODUCED,
    Control,
    ExperimentFinished,
    ExperimentStarted,
    ExperimentStopped,
    RunBegan,
    RunMeasured,
    RunProgress,
    RunSkipped,
    claim_verdicts,
    parse_budget,
    plan_experiment,
    read_suite_results,
    run_experiment,
    runner,
    write_reports,
)
from trm_engine.experiments.estimate import MODEL_FRACTION, estimate
from trm_engine.model.flops import step_flops
from trm_engine.train.events import EvalResult, RunStarted, TrainMetrics
from trm_engine.train.run_dir import RunDirectory

# 4x4 Sudoku from the lab recipe and a seconds-long model: the real suite, tiny.
RECIPE = ["sudoku9-lab.box=2", "sudoku9-lab.blanks=[2,6]", "sudoku9-lab.train=32", "sudoku9-lab.test=8"]
TINY = ["model.hidden_size=16", "model.num_heads=2", "model.puzzle_emb_ndim=16", "model.l_cycles=1",
        "model.halt_max_steps=2", "train.global_batch_size=8", "train.eval_interval=2", "train.log_interval=1",
        "train.lr_warmup_steps=1"]


def with_data(done, tmp_path):
    """A fresh experiment folder that shares the built dataset (building it again costs seconds)."""
    shutil.copytree(done[0] / "_data", tmp_path / "_data")
    return tmp_path


def tiny_plan(out, budget="4", seeds=2, overrides=(), **kw):
    return plan_experiment("halting", "lab", seeds=seeds, budget=parse_budget(budget), out=out,
                           overrides=TINY + list(overrides), recipe_overrides=RECIPE, threads=1, **kw)


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    out = tmp_path_factory.mktemp("exp")
    events = list(run_experiment(tiny_plan(out)))
    return out, events


def test_a_suite_runs_end_to_end_into_run_directories(done):
    out, events = done
    assert isinstance(events[0], ExperimentStarted) and events[0].total == 4 and events[0].todo == 4
    assert isinstance(events[-1], ExperimentFinished) and events[-1].measured == 4 and events[-1].failed == 0
    assert [(e.variant, e.seed) for e in events if isinstance(e, RunBegan)] == [
        ("halt-only", 0), ("continue", 0), ("halt-only", 1), ("continue", 1)]
    inner = [e.event for e in events if isinstance(e, RunProgress)]
    assert any(isinstance(e, TrainMetrics) for e in inner) and any(isinstance(e, EvalResult) for e in inner)
    for variant in ("halt-only", "continue"):
        for seed in (0, 1):
            rd = RunDirectory(out / "halting" / variant / f"seed{seed}")
            assert rd.status()["state"] == "finished" and rd.config()["train"]["seed"] == seed
            result = json.loads((rd.path / "result.json").read_text())
            assert result["steps"] == 4 and result["ended_by"] == "steps"
            assert result["metrics"]["nfp"] == (2.0 if variant == "continue" else 1.0)
            assert 0 <= result["metrics"]["exact_accuracy"] <= 1 and result["metrics"]["seconds_per_step"] > 0
            assert result["evaluation"]["count"] == 8 and result["evaluation"]["step"] == 4
    assert len(list((out / "_data").glob("sudoku9-lab-*.h5"))) == 1  # built once, shared
    manifest = json.loads((out / "halting" / "experiment.json").read_text())
    assert manifest["scale"] == "lab" and "--recipe sudoku9-lab.box=2" in manifest["commands"][0]["command"]


def test_a_rerun_skips_measured_runs(done):
    out, _ = done
    plan = tiny_plan(out)
    assert plan.counts() == {"done": 4}
    assert [r.result()["steps"] for r in plan.runs] == [4, 4, 4, 4]
    events = list(run_experiment(plan))
    assert sum(isinstance(e, RunSkipped) for e in events) == 4 and not any(isinstance(e, RunBegan) for e in events)
    assert events[-1].measured == 0 and events[-1].skipped == 4


def test_a_longer_budget_extends_the_runs_and_other_configs_conflict(done, tmp_path):
    out, _ = done
    assert {r.state for r in tiny_plan(out, budget="6").runs} == {"resumable"}
    plan = tiny_plan(out, overrides=["model.hidden_size=32"])
    assert {r.state for r in plan.runs} == {"conflict"} and "model.hidden_size" in plan.runs[0].detail
    with pytest.raises(RunError, match="holds a different run"):
        next(run_experiment(plan))


def test_an_unwritable_output_folder_is_a_run_error_naming_it(tmp_path):
    (tmp_path / "a-file").write_text("")
    plan = tiny_plan(tmp_path / "a-file" / "exp", seeds=1)
    with pytest.raises(RunError, match="a-file/exp/halting: cannot create the experiment folder"):
        next(run_experiment(plan))


def test_stop_then_resume_finishes_the_stopped_run(done, tmp_path):
    tmp_path = with_data(done, tmp_path)
    control = Control()
    events = []
    for ev in run_experiment(tiny_plan(tmp_path, budget="6", seeds=1), control):
        events.append(ev)
        if isinstance(ev, RunProgress) and isinstance(ev.event, TrainMetrics) and ev.event.step == 2:
            control.request_stop()
    assert isinstance(events[-1], ExperimentStopped)
    plan = tiny_plan(tmp_path, budget="6", seeds=1)
    assert [r.state for r in plan.runs] == ["resumable", "pending"]
    events = list(run_experiment(plan))
    began = [e for e in events if isinstance(e, RunBegan)]
    assert [e.resumed for e in began] == [True, False]
    measured = [e.result for e in events if isinstance(e, RunMeasured)]
    assert [m["steps"] for m in measured] == [6, 6] and measured[0]["timed_steps"] >= 4


def test_a_minutes_budget_stops_on_time_and_still_evaluates(done, tmp_path, monkeypatch):
    """The wall clock is the runner's alone here and moves 0.2 s a step, so the 0.5 s budget ends the run
    after its third step on any machine (setup time is not counted against it)."""
    tmp_path = with_data(done, tmp_path)
    clock = SimpleNamespace(now=0.0)
    monkeypatch.setattr(runner, "time", SimpleNamespace(monotonic=lambda: clock.now, time=time.time))
    plan = tiny_plan(tmp_path, budget="0.5s", seeds=1, variants=["halt-only"])
    events = []
    for ev in run_experiment(plan):
        events.append(ev)
        if isinstance(ev, RunProgress) and isinstance(ev.event, TrainMetrics):
            clock.now += 0.2
    result = next(e.result for e in events if isinstance(e, RunMeasured))
    assert result["ended_by"] == "time" and result["steps"] == 3
    assert result["evaluation"]["step"] == result["steps"] and "exact_accuracy" in result["metrics"]
    assert RunDirectory(plan.runs[0].run_dir).status()["state"] == "stopped"
    assert tiny_plan(tmp_path, budget="0.5s", seeds=1, variants=["halt-only"]).counts() == {"done": 1}


def test_the_report_has_table_verdicts_scale_commands_and_plots(done, tmp_path):
    out, _ = done
    res = read_suite_results(out / "halting")
    assert [r.variant for r in res.runs].count("continue") == 2 and all(r.measured for r in res.runs)
    assert res.values("continue", "nfp") == [2.0, 2.0]
    [path] = write_reports(out, tmp_path / "docs")
    assert path == tmp_path / "docs" / "report.md"
    text = path.read_text()
    assert "| **halt-only**" in text and "| 87.4 |" in text and "86.1" in text
    assert "**direction reproduced**" in text  # NFP 1 vs 2 on every seed
    assert "not the paper's scale" in text and "trm experiments run halting --scale lab --seeds 2" in text
    assert "## Runs" in text and text.count("| continue | ") == 2
    for name in ("exact_accuracy.png", "nfp.png", "train_cpu_minutes.png", "curve_eval_exact.png",
                 "curve_train_loss.png"):
        assert f"]({name})" in text
        with Image.open(tmp_path / "docs" / name) as img:
            assert img.format == "PNG" and img.width >= 500 and img.height >= 300


def test_a_suite_run_on_purpose_without_some_variants_is_not_called_partial(done, tmp_path):
    """The PARTIAL banner counts the runs its resume command (the latest) asks for: a suite run with
    `--variant` for some variants (or more seeds for some) is whole once those are measured, and a later
    command for every variant makes the others' missing runs count."""
    out = with_data(done, tmp_path)
    events = list(run_experiment(tiny_plan(out, seeds=1, variants=["halt-only"])))
    assert isinstance(events[-1], ExperimentFinished) and events[-1].measured == 1
    text = write_reports(out / "halting", tmp_path / "docs")[0].read_text()
    assert "PARTIAL" not in text and "| **continue**" in text
    runner.write_manifest(tiny_plan(out, seeds=1))  # someone starts the whole suite, then stops
    text = write_reports(out / "halting", tmp_path / "docs")[0].read_text()
    assert "PARTIAL RESULTS: 1 of 2 runs measured" in text
    list(run_experiment(tiny_plan(out, seeds=1)))
    list(run_experiment(tiny_plan(out, seeds=2, variants=["continue"])))  # a second seed for one variant
    text = write_reports(out / "halting", tmp_path / "docs")[0].read_text()
    assert "PARTIAL" not in text and "| **halt-only**" in text
    runner.write_manifest(tiny_plan(out, seeds=2))  # then both variants at two seeds: halt-only's second is missing
    text = write_reports(out / "halting", tmp_path / "docs")[0].read_text()
    assert "PARTIAL RESULTS: 3 of 4 runs measured" in text


def test_the_report_names_runs_a_cpu_budget_gave_more_work_than_their_sister_seeds(done, tmp_path):
    """Seeds of one variant run one model, so their GFLOP per CPU-second differ only by load: under a
    CPU-time budget the report shows each run's figure and names the runs a lighter (or heavier) load
    gave more (or fewer) steps than their sister seeds."""
    out = tmp_path / "halting"
    shutil.copytree(done[0] / "halting", out)
    for variant, seed, cpu in (("halt-only", 0, 1.0), ("halt-only", 1, 1.1), ("continue", 0, 1.0), ("continue", 1, 2.0)):
        path = out / variant / f"seed{seed}" / "result.json"
        result = json.loads(path.read_text())
        result["budget"]["cpu_minutes"] = 1.0
        result["train_cpu_seconds"] = cpu
        path.write_text(json.dumps(result))
    text = write_reports(out, tmp_path / "docs")[0].read_text()
    assert "| GFLOP per CPU-s |" in text
    first = json.loads((out / "continue" / "seed0" / "result.json").read_text())
    rate = first["train_flops_per_example_step"] * first["batch"] * first["timed_steps"] / 1.0 / 1e9
    assert "| continue | 0 | finished | 4 | steps |" in text and f" {rate:.1f} |" in text
    assert "the fastest seed did 2.00 times the slowest's work per CPU-second" in text
    assert "continue seed 0 (133% of its variant's median); continue seed 1 (67% of its variant's median)" in text
    assert "halt-only seed" not in text  # 1.0 against 1.1 CPU-s: the same load


def test_the_report_says_which_weights_each_variant_was_evaluated_with(done, tmp_path):
    """A variant without EMA (an ablation, HRM) is evaluated on its raw weights: the notes say so per
    variant instead of giving the first run's weights for all."""
    out, _ = done
    shutil.copytree(out / "halting", tmp_path / "halting")
    for seed in (0, 1):
        path = tmp_path / "halting" / "continue" / f"seed{seed}" / "result.json"
        result = json.loads(path.read_text())
        result["evaluation"]["weights"] = "raw"
        path.write_text(json.dumps(result))
    text = write_reports(tmp_path, tmp_path / "docs")[0].read_text()
    assert "ema weights (halt-only) and raw weights (continue);" in text


def test_run_and_report_cli(done, tmp_path, capsys):
    tmp_path = with_data(done, tmp_path)
    args = ["experiments", "run", "halting", "--out", str(tmp_path), "--seeds", "1", "--budget", "2steps",
            "--variant", "continue", "--threads", "1", "--quiet"]
    for item in TINY:
        args += ["--set", item]
    for item in RECIPE:
        args += ["--recipe", item]
    assert main(args) == 0
    first = capsys.readouterr().out.splitlines()[0]  # the estimate comes before anything starts
    assert first.startswith("halting: estimate: 1 run(s) to train, about ")
    assert (tmp_path / "halting" / "report.md").is_file()
    assert main(["experiments", "report", str(tmp_path / "halting"), "--dest", str(tmp_path / "r")]) == 0
    assert capsys.readouterr().out.strip().endswith("report.md")
    text = (tmp_path / "r" / "report.md").read_text()
    assert f"trm experiments report {tmp_path / 'halting'} --dest {tmp_path / 'r'}" in text
    assert "inconclusive" in text  # one variant, one seed: nothing to compare


def test_claim_verdicts_judge_each_claim_as_the_report_does(done, tmp_path):
    out, _ = done
    res = read_suite_results(out / "halting")
    verdicts = claim_verdicts(res)
    assert [v.text for v in verdicts] == [c.text for c in res.suite.claims]
    nfp = verdicts[1]
    assert nfp.metric == "forward passes per step" and nfp.verdict == REPRODUCED
    assert nfp.better == "halt-only 1.000 [1.000, 1.000]" and nfp.worse == "continue 2.000 [2.000, 2.000]"
    assert nfp.paper == "1 vs 2" and nfp.settle == ""
    assert verdicts[0].paper == "87.4 vs 86.1" and verdicts[0].better.startswith("halt-only ")
    text = write_reports(out, tmp_path)[0].read_text()
    for v in verdicts:
        assert f"| {v.text} | {v.metric} | {v.better} vs {v.worse} | {v.paper} | **{v.verdict}** | " in text


def test_a_cpu_budget_ends_on_training_cpu_time_across_sessions(done, tmp_path):
    tmp_path = with_data(done, tmp_path)

    def plan():
        return tiny_plan(tmp_path, budget="0.4cpu-s", seeds=1, variants=["halt-only"])

    control = Control()
    for ev in run_experiment(plan(), control):  # first sitting: stopped by the user after 2 steps
        if isinstance(ev, RunProgress) and isinstance(ev.event, TrainMetrics) and ev.event.step == 2:
            first_cpu = ev.event.cpu_elapsed
            control.request_stop()
    assert 0 < first_cpu < 0.4 and plan().runs[0].state == "resumable"
    events = list(run_experiment(plan()))  # second sitting: resumes and spends only what is left
    assert [e.resumed for e in events if isinstance(e, RunBegan)] == [True]
    result = next(e.result for e in events if isinstance(e, RunMeasured))
    assert result["ended_by"] == "time" and result["budget"]["cpu_minutes"] == pytest.approx(0.4 / 60)
    # the budget counts both sittings: it stops at the first whole step at or past 0.4 CPU-s
    logged, _ = RunDirectory(plan().runs[0].run_dir).events()
    started = max(i for i, e in enumerate(logged) if isinstance(e, RunStarted))
    second = [e.cpu_elapsed for e in logged[started:] if isinstance(e, TrainMetrics)]  # this sitting's CPU
    spent = result["train_cpu_seconds"] - second[-1] + np.array([0.0] + second)  # both sittings, step by step
    assert spent[-2] < 0.4 <= spent[-1]
    assert result["metrics"]["train_cpu_minutes"] == pytest.approx(result["train_cpu_seconds"] / 60)
    assert 0 <= result["metrics"]["valid_accuracy"] <= 1 and result["validity"]["count"] == 8
    res = read_suite_results(tmp_path / "halting")
    [run] = res.runs
    assert len(run.eval_cpu_curve) >= 2 and run.eval_cpu_curve[-1][0] * 60 <= result["train_cpu_seconds"] + 1e-6
    assert plan().counts() == {"done": 1}


def test_a_flops_budget_ends_each_variant_at_the_step_that_reaches_it_and_a_larger_one_extends(done, tmp_path):
    """Equal training FLOPs: each variant stops at the first whole step whose FLOPs (the model's on the
    dataset's shapes, here 4x4 Sudoku rather than the preset's 9x9) reach the budget, whatever the load;
    the variant with the costlier step (continue: an extra forward) gets fewer steps, and a larger
    budget resumes the runs."""
    out = with_data(done, tmp_path)
    per_step = {}
    for variant in ("halt-only", "continue"):
        result = json.loads((done[0] / "halting" / variant / "seed0" / "result.json").read_text())
        per_step[variant] = result["train_flops_per_example_step"] * result["batch"]  # as trained on 4x4
    budget = 2.5 * per_step["halt-only"]
    assert per_step["halt-only"] < per_step["continue"] < budget  # continue: 2 steps cover it, halt-only 3
    events = list(run_experiment(tiny_plan(out, budget=f"{budget!r}flop", seeds=1)))
    results = {e.variant: e.result for e in events if isinstance(e, RunMeasured)}
    expected = {v: math.ceil(budget / f) for v, f in per_step.items()}
    assert {v: r["steps"] for v, r in results.items()} == expected and expected["continue"] < expected["halt-only"]
    assert {r["ended_by"] for r in results.values()} == {"flops"}
    assert {r["budget"]["flops"] for r in results.values()} == {budget}
    text = write_reports(out / "halting", tmp_path / "docs")[0].read_text()
    assert "**Budget: equal training FLOPs**" in text and "The suite's own budget is of another kind" in text
    assert f"(optimizer steps: halt-only {expected['halt-only']}; continue {expected['continue']})" in text
    larger = tiny_plan(out, budget=f"{2 * budget!r}flop", seeds=1)
    assert {r.state for r in larger.runs} == {"resumable"}
    rough = estimate(larger)  # the steps left to the larger budget, at each variant's measured CPU-s per step
    cpu_per_step = {v: r["train_cpu_seconds"] / r["steps"] for v, r in results.items()}
    assert rough.seconds == pytest.approx(sum((math.ceil(2 * budget / per_step[v]) - expected[v]) * cpu_per_step[v]
                                              for v in per_step))
    again = {e.variant: e.result for e in run_experiment(larger) if isinstance(e, RunMeasured)}
    assert {v: r["steps"] for v, r in again.items()} == {v: math.ceil(2 * budget / f) for v, f in per_step.items()}


def test_the_estimate_counts_what_is_left(done, tmp_path):
    out, _ = done
    measured = estimate(tiny_plan(out, budget="6"))  # 2 more steps for each of 4 measured 4-step runs
    assert measured.runs == 4 and not measured.rough
    # Each variant's CPU seconds per step: the mean over its measured runs (seeds differ by a fifth here).
    per_step = {v: np.mean([r.result()["train_cpu_seconds"] / r.result()["steps"] for r in tiny_plan(out).runs
                            if r.variant == v]) for v in ("halt-only", "continue")}
    assert measured.seconds == pytest.approx(2 * 2 * (per_step["halt-only"] + per_step["continue"]))
    fresh = tiny_plan(tmp_path, budget="10")
    rough = estimate(fresh, rate=1e9)
    flops = sum(r.config.train.global_batch_size * step_flops(r.config.model)["train"] for r in fresh.runs)
    assert rough.rough and rough.seconds == pytest.approx(10 * flops / (1e9 * MODEL_FRACTION))
    cpu = estimate(tiny_plan(tmp_path, budget="2cpu-min"))
    assert cpu.seconds == pytest.approx(4 * 120) and "about 8 min of training" in cpu.describe()
    assert estimate(tiny_plan(out)).describe() == "nothing left to train"


def test_a_run_another_runner_measured_meanwhile_is_skipped_not_trained_again(done, tmp_path):
    """Two runners on one suite: each looks at a run again just before training it, so a run the other
    one measured since this one planned is skipped, not refused by its lock or trained twice."""
    out = with_data(done, tmp_path)
    mine = run_experiment(tiny_plan(out, seeds=1))
    for event in mine:
        if isinstance(event, RunMeasured):  # halt-only measured; meanwhile another runner does "continue"
            break
    other = list(run_experiment(tiny_plan(out, seeds=1, variants=["continue"])))
    assert isinstance(other[-1], ExperimentFinished) and other[-1].measured == 1
    rest = list(mine)
    assert [(e.variant, e.reason.split(" ")[0]) for e in rest if isinstance(e, RunSkipped)] == [("continue", "done")]
    assert isinstance(rest[-1], ExperimentFinished) and (rest[-1].measured, rest[-1].skipped, rest[-1].failed) == (1, 1, 0)


def test_a_maze_answer_on_another_shortest_path_is_valid_but_not_exact(monkeypatch, tmp_path):
    """A maze with several shortest paths has one in its label; a model that marks another is right
    ("valid") though not exact, as a Sudoku answer with another legal grid would be."""
    from trm_engine.puzzles import get_family

    family = get_family("maze", canvas=3)
    maze = family.parse("S  \n   \n  G\n")  # an open 3x3 room: six shortest paths
    label = family.label(maze)
    other = maze.copy()
    other[1, 0] = other[2, 0] = other[2, 1] = 4  # down the left side, then along the bottom: also shortest
    assert not np.array_equal(other, label) and family.check_solution(maze, other) == []
    wrong = maze.copy()
    wrong[0, 1] = 4  # one cell marked: not a path
    split = SimpleNamespace(inputs=np.stack([family.encode(maze)] * 3), labels=np.stack([family.encode(label)] * 3))
    dataset = SimpleNamespace(family="maze", get_family=lambda: family, split=lambda name: split)
    answers = [family.encode(label), family.encode(other), family.encode(wrong)]
    cfg = SimpleNamespace(data=SimpleNamespace(eval_split="test", eval_limit=0), train=SimpleNamespace(eval_steps=8))
    monkeypatch.setattr(runner, "load_model", lambda path: (None, cfg, {}))
    monkeypatch.setattr(runner, "evaluate", lambda *a, **k: SimpleNamespace(
        predictions=[(SimpleNamespace(example=i), answer) for i, answer in enumerate(answers)]))
    rd = SimpleNamespace(latest_checkpoint=lambda: tmp_path / "step_0000001.pt")
    assert "maze" in runner.VALIDITY_FAMILIES
    got = runner.measure_validity(rd, dataset)
    assert got["count"] == 3 and got["exact_accuracy"] == pytest.approx(1 / 3)
    assert got["valid_accuracy"] == pytest.approx(2 / 3)
