"""Experiment suites as data: every suite lists with the paper's numbers, plans at lab and paper scale,
budgets and recipe edits parse, user suite files are checked, and the CLI's errors are one line."""

import json
from pathlib import Path

import numpy as np
import pytest

from trm_engine.cli import main
from trm_engine.errors import ConfigError
from trm_engine.experiments.datasets import build_recipe
from trm_engine.experiments.plan import Budget, parse_budget, plan_experiment
from trm_engine.experiments.suites import (
    METRICS,
    SUITES,
    DatasetSpec,
    get_suite,
    list_suites,
    load_suite_file,
    parse_suites,
    suites_document,
    with_recipe_overrides,
)

NAMES = ["mlp-vs-attention", "depth", "halting", "recursion", "puzzles", "ablations"]


def test_every_suite_is_listed_with_the_papers_numbers():
    assert [s.name for s in list_suites()] == NAMES
    for s in SUITES.values():
        assert s.claim and s.ref and s.claims
        for c in s.claims:  # every claim compares two figures the paper reports
            measured_only = c.metric in ("seconds_per_step", "train_cpu_minutes")  # costs: not in the paper
            assert s.variant(c.better).paper.get(c.metric) is not None or measured_only
            assert s.variant(c.worse).paper.get(c.metric) is not None or measured_only
    paper = {(s.name, v.name): v.paper for s in SUITES.values() for v in s.variants}
    assert paper["mlp-vs-attention", "mlp"]["exact_accuracy"] == 87.4
    assert paper["mlp-vs-attention", "attention"]["exact_accuracy"] == 74.7
    assert paper["depth", "4-layers"]["exact_accuracy"] == 79.5
    assert paper["halting", "continue"] == {"exact_accuracy": 86.1, "nfp": 2.0}
    assert paper["recursion", "hrm-T3-n6"]["exact_accuracy"] == 62.3 and paper["recursion", "trm-T3-n12"] == {
        "exact_accuracy": None}
    assert paper["puzzles", "trm-arc2"] == {"pass_at_2": 7.8} and paper["puzzles", "hrm-maze"]["exact_accuracy"] == 74.5
    assert {v.name: v.paper["exact_accuracy"] for v in SUITES["ablations"].variants} == {
        "trm": 87.4, "no-ema": 79.9, "one-step-gradient": 56.5, "single-z": 71.9, "separate-nets": 82.4}


def test_list_cli_text_and_json_round_trip(capsys):
    assert main(["experiments", "list"]) == 0
    text = capsys.readouterr().out
    assert all(name in text for name in NAMES) and "87.4" in text and "OOM" in text
    assert main(["experiments", "list", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    again = parse_suites(doc, "listed")
    assert sorted(again) == sorted(NAMES) and all(again[n].to_dict() == SUITES[n].to_dict() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("scale", ["lab", "paper"])
def test_every_suite_plans_at_both_scales(name, scale, tmp_path):
    plan = plan_experiment(name, scale, seeds=2, out=tmp_path)
    suite = SUITES[name]
    assert len(plan.runs) == 2 * len(suite.variants)
    for run in plan.runs:
        assert run.run_dir == tmp_path / name / run.variant / f"seed{run.seed}"
        assert run.config.train.seed == run.seed and run.config.name == f"{name}/{run.variant}/seed{run.seed}"
        assert run.config.preset.endswith("-lab") == (scale == "lab")
        if scale == "paper":  # official datasets: plannable without them, not runnable
            assert run.state == "needs-data" and run.dataset.official and run.data_path is None
        else:
            assert run.state == "pending" and run.data_path.parent == tmp_path / "_data"
    assert not any(tmp_path.iterdir())  # planning writes nothing


def test_plans_carry_each_variants_switches(tmp_path):
    def cfg(suite, variant, scale="lab"):
        plan = plan_experiment(suite, scale, seeds=1, out=tmp_path, variants=[variant])
        return plan.runs[0].config

    att = cfg("mlp-vs-attention", "attention", "paper")
    assert att.model.mixer == "attention" and att.model.pos_encodings == "rope" and att.preset == "sudoku-mlp"
    assert cfg("mlp-vs-attention", "mlp").model.mixer == "mlp_t"
    deep = cfg("depth", "4-layers", "paper").model
    assert (deep.num_layers, deep.h_cycles, deep.l_cycles) == (4, 3, 3)
    two, four = cfg("depth", "2-layers").model, cfg("depth", "4-layers").model
    assert two.h_cycles * (two.l_cycles + 1) * two.num_layers == four.h_cycles * (four.l_cycles + 1) * four.num_layers
    assert cfg("halting", "continue").model.act_continue and not cfg("halting", "halt-only").model.act_continue
    hrm = cfg("recursion", "hrm-T6-n3", "paper")
    assert hrm.preset == "hrm-sudoku" and (hrm.model.h_cycles, hrm.model.l_cycles) == (6, 3)
    assert cfg("puzzles", "trm-maze", "paper").preset == "maze-att"
    assert not cfg("ablations", "no-ema").train.ema and cfg("ablations", "single-z").model.single_z
    assert cfg("ablations", "one-step-gradient").model.gradient == "one_step"


def test_budgets_seeds_and_overrides_reach_the_configs(tmp_path):
    plan = plan_experiment("halting", "lab", seeds=[4, 7], budget=parse_budget("25"), out=tmp_path,
                           overrides=["model.hidden_size=96"], threads=1)
    # seed by seed, so a suite cut short has every variant at its first seeds
    assert [(r.variant, r.seed) for r in plan.runs] == [("halt-only", 4), ("continue", 4), ("halt-only", 7),
                                                        ("continue", 7)]
    assert all(r.config.train.steps == 25 and r.config.model.hidden_size == 96 and r.config.train.threads == 1
               for r in plan.runs)
    timed = plan_experiment("halting", "lab", seeds=1, budget=parse_budget("2m"), out=tmp_path)
    assert timed.runs[0].budget == Budget(timed.runs[0].config.train.steps, 2.0)
    assert timed.runs[0].config.train.steps > 10**6  # the clock ends the run
    assert "--budget 2m" in timed.command() and "--set model.hidden_size=96" in plan.command()
    default = plan_experiment("halting", "lab", seeds=1, out=tmp_path)
    assert default.runs[0].config.train.steps == SUITES["halting"].scales["lab"].steps


def test_a_cpu_budget_needs_one_thread_and_is_the_suites_default_where_it_says_so(tmp_path):
    cpu = plan_experiment("halting", "lab", seeds=1, budget=parse_budget("1.5cpu-min"), out=tmp_path, threads=1)
    assert cpu.runs[0].budget == Budget(cpu.runs[0].config.train.steps, 0.0, 1.5)
    assert cpu.runs[0].config.train.steps > 10**6 and "--budget 1.5cpu-min" in cpu.command()
    assert cpu.runs[0].budget.describe() == "1.5 CPU-min"
    with pytest.raises(ConfigError, match="needs one torch thread: give --threads 1"):
        plan_experiment("halting", "lab", seeds=1, budget=parse_budget("90cpu-s"), out=tmp_path, threads=2)
    minutes = SUITES["mlp-vs-attention"].scales["lab"].cpu_minutes
    assert minutes > 0  # the suite's own budget: equal CPU time
    default = plan_experiment("mlp-vs-attention", "lab", seeds=1, out=tmp_path)
    assert {r.budget.cpu_minutes for r in default.runs} == {minutes}
    assert {r.config.train.threads for r in default.runs} == {1}  # one thread unless told otherwise


def test_a_flops_budget_is_planned_as_a_budget_the_runner_watches_and_round_trips(tmp_path):
    plan = plan_experiment("halting", "lab", seeds=1, budget=parse_budget("20Pflop"), out=tmp_path)
    budget = plan.runs[0].budget
    assert budget.flops == 2e16 and budget.describe() == "20 PFLOP" and plan.runs[0].config.train.steps > 10**6
    assert parse_budget(plan.budget.to_arg()) == Budget(flops=2e16) and "--budget 2e+16flop" in plan.command()
    assert parse_budget(Budget(flops=1.234567891e13).to_arg()).flops == 1.234567891e13  # no digits lost


@pytest.mark.parametrize("text, budget", [("300", Budget(300)), ("300steps", Budget(300)), ("20m", Budget(0, 20.0)),
                                          ("90s", Budget(0, 1.5)), ("1.5h", Budget(0, 90.0)),
                                          ("300steps,20m", Budget(300, 20.0)), ("", Budget()),
                                          ("10cpu-min", Budget(0, 0.0, 10.0)), ("90cpu-s", Budget(0, 0.0, 1.5)),
                                          ("400steps,1cpu-h", Budget(400, 0.0, 60.0)),
                                          ("20Pflop", Budget(flops=2e16)), ("2e16flops", Budget(flops=2e16)),
                                          ("1.5 TFLOP", Budget(flops=1.5e12)), ("300steps,5Gflop", Budget(300, flops=5e9))])
def test_parse_budget(text, budget):
    assert parse_budget(text) == budget


@pytest.mark.parametrize("text", ["soon", "-5", "0", "2.5steps", "0m", "20 parsecs", "0cpu-min", "5cpu", "0flop",
                                  "-3Pflop", "2Xflop", "flops"])
def test_bad_budgets_say_what_is_expected(text):
    with pytest.raises(ConfigError, match="--budget"):
        parse_budget(text)


def test_paper_scale_takes_official_dataset_paths(tmp_path):
    data = tmp_path / "sudoku.h5"
    plan = plan_experiment("halting", "paper", seeds=1, out=tmp_path, data_paths={"": str(data)})
    assert all(r.data_path == data and r.state == "pending" for r in plan.runs)
    assert f"--data sudoku-extreme={data}" in plan.command()
    with pytest.raises(ConfigError, match="arc1, arc2, maze-hard, sudoku-extreme"):
        plan_experiment("puzzles", "paper", out=tmp_path, data_paths={"": str(data)})
    named = plan_experiment("puzzles", "paper", out=tmp_path, data_paths={"maze-hard": str(data)})
    assert {r.variant for r in named.runs if r.state == "pending"} == {"trm-maze", "hrm-maze"}


def test_recipe_overrides_make_a_new_recipe(tmp_path):
    suite = get_suite("halting")
    edited = with_recipe_overrides(suite, ["sudoku9-lab.train=40", "sudoku9-lab.blanks=[2,5]"])
    assert edited.datasets["sudoku9-lab"].params["blanks"] == [2, 5] and edited.datasets["sudoku9-lab"].params["train"] == 40
    a = plan_experiment(suite, "lab", seeds=1, out=tmp_path).runs[0].data_path
    b = plan_experiment(edited, "lab", seeds=1, out=tmp_path).runs[0].data_path
    assert a != b and a.parent == b.parent
    for bad in ("sudoku9-lab.colour=3", "nope.train=3", "sudoku-extreme.train=3", "train=3"):
        with pytest.raises(ConfigError, match="--recipe"):
            with_recipe_overrides(suite, [bad])


def test_the_maze_lab_recipe_keeps_only_mazes_whose_label_is_the_one_shortest_path():
    """A maze with several shortest paths has a label the model cannot know (the first lab maze set: 98% of
    its mazes), so the lab set keeps only mazes with one shortest path, long enough to be a task."""
    from trm_engine.puzzles.maze import shortest_paths

    spec = get_suite("puzzles").datasets["maze9u-lab"]
    assert spec.params["unique_path"] is True and spec.params["min_path"] >= 16 and spec.params["train"] >= 20000
    ds = build_recipe(DatasetSpec("m", "maze", "generated", params={**spec.params, "train": 12, "test": 4}))
    family = ds.get_family()
    for name in ("train", "test"):
        split = ds.split(name)
        for tokens, label_tokens in zip(split.inputs, split.labels):
            grid, label = family.decode(tokens).ravel(), family.decode(label_tokens).ravel()
            start, goal = int(np.flatnonzero(grid == 2)[0]), int(np.flatnonzero(grid == 3)[0])
            steps, count, marked = shortest_paths(grid, 9, 9, start, goal, cap=3)
            assert count == 1 and steps > 16 and np.array_equal(marked, label)


def test_a_claim_compares_its_variants_on_one_budget(tmp_path):
    puzzles = get_suite("puzzles")
    assert puzzles.spec("trm-maze", "lab").cpu_minutes == puzzles.spec("hrm-maze", "lab").cpu_minutes == 60
    assert puzzles.spec("trm-sudoku", "lab").cpu_minutes == 10
    doc = suites_document([puzzles])
    doc["suites"]["puzzles"]["variants"][2]["scales"]["lab"]["cpu_minutes"] = 30  # trm-maze alone
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="TRM beats HRM on Maze.*different budgets at lab scale"):
        load_suite_file(path)


def test_the_report_names_each_variants_cpu_budget_where_they_differ():
    from types import SimpleNamespace

    from trm_engine.experiments.costs import budget_line

    res = SimpleNamespace(suite=get_suite("puzzles"), scale="lab", manifest={}, configs={})
    line = budget_line(res)
    assert "10 CPU-minutes per run of trm-sudoku, hrm-sudoku, trm-arc1" in line
    assert "60 CPU-minutes per run of trm-maze, hrm-maze" in line
    one = SimpleNamespace(suite=get_suite("ablations"), scale="lab", manifest={}, configs={})
    assert "**Budget: equal training CPU time**, 10 CPU-minutes per run, counted" in budget_line(one)
    asked = SimpleNamespace(suite=get_suite("puzzles"), scale="lab", manifest={"budget": {"cpu_minutes": 5}},
                            configs={})
    assert "5 CPU-minutes per run, counted" in budget_line(asked)
    # the suite's reason goes with the suite's own kind of budget, not with another one asked for
    default = SimpleNamespace(suite=get_suite("depth"), scale="lab", manifest={"budget": {"steps": 0, "minutes": 0.0}},
                              configs={})
    assert " Why: equal compute" in budget_line(default) and "another kind" not in budget_line(default)
    steps = SimpleNamespace(suite=get_suite("depth"), scale="lab", manifest={"budget": {"steps": 500}}, configs={})
    assert "equal optimizer steps**, 500 per run" in budget_line(steps)
    assert "(The suite's own budget is of another kind, chosen for this reason: equal compute" in budget_line(steps)


def test_a_user_suite_file_adds_a_variant_and_is_checked(tmp_path):
    doc = suites_document([get_suite("halting")])
    doc["suites"]["halting"]["variants"].append({"name": "wide", "overrides": ["model.hidden_size=96"]})
    doc["suites"]["my-halting"] = doc["suites"].pop("halting")
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(doc))
    assert [v.name for v in load_suite_file(path)["my-halting"].variants] == ["halt-only", "continue", "wide"]
    plan = plan_experiment("my-halting", "lab", seeds=1, out=tmp_path, suite_file=path)
    assert plan.runs[-1].config.model.hidden_size == 96 and f"--suite-file {path}" in plan.command()
    doc["suites"]["my-halting"]["claims"][0]["better"] = "nobody"
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="claims"):
        load_suite_file(path)
    doc["suites"]["my-halting"]["variants"][0]["paper"] = {"accuracy": 3}
    path.write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match="'accuracy'"):
        load_suite_file(path)
    path.write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_suite_file(path)


def test_a_no_worse_claim_keeps_its_margin_and_a_bad_margin_is_refused(tmp_path):
    halting = get_suite("halting")
    assert halting.claims[0].margin == 5.0 and halting.claims[1].margin is None
    doc = suites_document([halting])
    assert doc["suites"]["halting"]["claims"][0]["margin"] == 5.0 and "margin" not in doc["suites"]["halting"]["claims"][1]
    path = tmp_path / "mine.json"
    for bad in (-1, "5", True):
        doc["suites"]["halting"]["claims"][0]["margin"] = bad
        path.write_text(json.dumps(doc))
        with pytest.raises(ConfigError, match=r"claims\[0\]\.margin"):
            load_suite_file(path)


def test_metrics_registry_knows_every_direction():
    assert METRICS["exact_accuracy"].higher_is_better and not METRICS["nfp"].higher_is_better
    assert not METRICS["seconds_per_step"].higher_is_better and METRICS["pass_at_2"].percent


@pytest.mark.parametrize("argv, message", [
    (["experiments", "run", "nope"], "unknown suite 'nope'; suites: mlp-vs-attention, depth, halting, recursion, "
                                     "puzzles, ablations"),
    (["experiments", "plan", "halting", "--budget", "soon"], "--budget 'soon'"),
    (["experiments", "run", "halting", "--scale", "paper", "--out", "{tmp}"], "give --data sudoku-extreme=FILE"),
    (["experiments", "report", "{tmp}"], "no experiment here"),
    (["experiments", "plan", "halting", "--variant", "fast"], "unknown variant 'fast'"),
    (["experiments", "data", "sudoku-extreme", "--out", "{tmp}"], "no lab dataset 'sudoku-extreme'; lab datasets: "),
])
def test_cli_errors_are_one_line_and_exit_2(argv, message, tmp_path, capsys):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("trm: error: ") and message in err


def test_plan_cli_shows_states(tmp_path, capsys):
    assert main(["experiments", "plan", "depth", "--out", str(tmp_path), "--seeds", "2"]) == 0
    out = capsys.readouterr().out
    assert out.count("pending") >= 4 and "trm experiments run depth --scale lab --seeds 2" in out
    assert main(["experiments", "plan", "depth", "--out", str(tmp_path), "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert body["counts"] == {"pending": 6} and body["runs"][0]["config"]["model"]["num_layers"] == 2


def test_data_builds_a_lab_dataset_once_where_the_suites_find_it(tmp_path, capsys):
    """`trm experiments data NAME` builds the recipe into OUT/_data (the file a suite's runs train on) and
    prints its path; a second call finds it."""
    suite = with_recipe_overrides(get_suite("depth"), ["sudoku9-lab.train=6", "sudoku9-lab.test=4"])
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(suites_document([suite])))
    argv = ["experiments", "data", "sudoku9-lab", "--out", str(tmp_path), "--suite-file", str(path)]
    assert main(argv) == 0
    made = Path(capsys.readouterr().out.strip())
    plan = plan_experiment("depth", "lab", seeds=1, out=tmp_path, suite_file=path)
    assert made.is_file() and made.parent == tmp_path / "_data" and made == plan.runs[0].data_path
    stamp = made.stat().st_mtime_ns
    assert main(argv) == 0 and Path(capsys.readouterr().out.strip()) == made and made.stat().st_mtime_ns == stamp


def test_the_sudoku_lab_recipe_makes_unique_puzzles_from_independent_grids_within_the_blanks():
    from trm_engine.puzzles.sudoku_search import solve_one

    spec = get_suite("halting").datasets["sudoku9-lab"]
    assert spec.kind == "unique" and spec.params["blanks"] == [30, 50]  # the lab scale's difficulty
    small = DatasetSpec("s", "sudoku", "unique", params={"train": 24, "test": 8, "blanks": [5, 9], "box": 2, "seed": 3})
    ds = build_recipe(small)
    rows = np.concatenate([ds.split("train").inputs, ds.split("test").inputs]).astype(np.int8) - 1
    labels = np.concatenate([ds.split("train").labels, ds.split("test").labels]).astype(np.int8) - 1
    blanks = (rows == 0).sum(1)
    assert blanks.min() >= 5 and blanks.max() <= 9 and len(set(blanks)) > 1
    for puzzle, solution in zip(rows, labels):
        count, _, _, found = solve_one(puzzle, 2)
        assert count == 1 and np.array_equal(found, solution)  # one solution, and it is the label
    assert len({tuple(s) for s in labels}) > 20  # independent grids, not one grid relabelled
    assert ds.metadata["unique"] and "rating" in ds.metadata
