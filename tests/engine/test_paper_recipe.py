"""The official data pipeline and evaluation of the paper presets: fixed Sudoku shuffles, evaluation
intervals in epochs, ARC voting over every stored version (pass@1..1000), votes pooled across a run's
evaluations only where asked, and a warning when an ARC dataset was built another way than the recipe."""

import json

import numpy as np
import pytest
import torch

from trm_engine.cli import main
from trm_engine.config import RunConfig, apply_overrides, load_preset
from trm_engine.data.arc_build import build_arc
from trm_engine.data.arc_sources import ArcSubset
from trm_engine.data.augment import Augmenter
from trm_engine.data.build import SudokuBuild, build_sudoku
from trm_engine.data.dataset import PuzzleDataset, Split
from trm_engine.data.sampler import TrainSampler
from trm_engine.errors import ConfigError
from trm_engine.eval.arc import PASS_AT, ArcVotes
from trm_engine.eval.evaluate import evaluate
from trm_engine.model.trm import RecursiveModel
from trm_engine.puzzles import ArcTask
from trm_engine.train.events import EvalResult, RunStarted
from trm_engine.train.recipe import built_augmentations, eval_every_steps, recipe_warnings
from trm_engine.train.trainer import Trainer, prepare_config

from .conftest import tiny_run_config

TINY = ["hidden_size=32", "num_heads=2", "puzzle_emb_ndim=32", "h_cycles=1", "l_cycles=1", "halt_max_steps=2",
        "global_batch_size=8", "lr_warmup_steps=1", "threads=1"]


def _arc_tasks(n, seed, prefix):
    rng = np.random.default_rng(seed)
    tasks = []
    for i in range(n):
        pairs = []
        for _ in range(3):
            h, w = (int(v) for v in rng.integers(2, 6, 2))
            grid = rng.integers(0, 10, (h, w))
            pairs.append({"input": grid.tolist(), "output": np.fliplr(grid).tolist()})
        tasks.append(ArcTask.from_json({"train": pairs[:2], "test": pairs[2:]}, name=f"{prefix}{i:02d}"))
    return tasks


@pytest.fixture(scope="module")
def arc_path(tmp_path_factory):
    ds = build_arc([ArcSubset("training", _arc_tasks(4, 0, "t")), ArcSubset("evaluation", _arc_tasks(3, 1, "e"))],
                   ["evaluation"], augmentations=5, seed=2, canvas=8)
    path = tmp_path_factory.mktemp("arc") / "arc.h5"
    ds.save(path)
    return path


def _arc_config(path, *more):
    return apply_overrides(load_preset("arc-att-lab"), TINY + [f"data.path={path}", *more])


# --------------------------------------------------------------------------------------- Sudoku shuffles

def test_fixed_sudoku_shuffles_are_the_official_scheme():
    ds = build_sudoku(SudokuBuild(train=12, test=0, seed=1))
    family, split = ds.get_family(), ds["train"]
    puzzles = np.repeat(np.arange(12), 40)

    def versions(seed):
        aug = Augmenter(ds, sudoku_shuffles=2)
        draws = aug.draw(np.random.default_rng(seed), np.zeros(len(puzzles)), True, puzzles)
        x, y = aug.apply(split, puzzles, draws, np.arange(len(puzzles)))
        seen: dict[int, set] = {}
        for p, xi, yi in zip(puzzles, x, y):
            assert family.check_solution(family.decode(xi), family.decode(yi)) == []
            seen.setdefault(int(p), set()).add(bytes(yi))
        return seen

    a, b = versions(0), versions(7)
    assert all(len(v) == 3 for v in a.values())  # the puzzle itself + 2 fixed shuffles, nothing else
    assert a == b  # the shuffles belong to the dataset, not to the sampler's seed
    assert all(bytes(split.labels[p]) in v for p, v in a.items())  # k = 0 is the stored puzzle
    sampler = TrainSampler(ds, global_batch_size=24, seed=0, sudoku_shuffles=2)
    labels = {bytes(r.astype(np.uint8)) for _ in range(10) for r in sampler.next_batch()["labels"]}
    assert labels <= set().union(*a.values())  # the sampler draws only those versions
    fresh = TrainSampler(ds, global_batch_size=24, seed=0)
    labels = {bytes(r.astype(np.uint8)) for _ in range(10) for r in fresh.next_batch()["labels"]}
    assert len(labels) > 36  # the default (TRM Lab's option) draws a fresh shuffle every time


def test_fixed_arc_translation_belongs_to_the_example_and_version(arc_path):
    ds = PuzzleDataset.open(arc_path)
    split = ds["train"]

    def offsets(seed, fixed=True):  # the rows the sampler makes, by (example, version)
        sampler = TrainSampler(ds, global_batch_size=8, seed=seed, fixed_translation=fixed)
        seen = {}
        for _ in range(12):
            plan = sampler._plan()
            x, _ = sampler.augmenter.apply(split, plan.examples, plan.draws, plan.slot, plan.offsets)
            for e, k, row in zip(plan.examples, plan.draws.k[plan.slot], x):
                seen.setdefault((int(e), int(k)), set()).add(bytes(row))
        return seen

    a, b = offsets(0), offsets(5)
    assert all(len(v) == 1 for v in a.values())  # one placement per (example, version), whatever the draw
    assert all(a[key] == b[key] for key in set(a) & set(b)) and len(set(a) & set(b)) > 10
    assert any(len(v) > 1 for v in offsets(0, fixed=False).values())  # fresh draws move examples around


# --------------------------------------------------------------------------------------- intervals

def test_eval_interval_in_epochs_converts_as_the_official_total_steps(sudoku4_path, tmp_path):
    cfg = tiny_run_config(sudoku4_path, "eval_interval=0", "eval_interval_epochs=1", "steps=6",
                          "global_batch_size=16", "data.eval_limit=4", "threads=1")
    evals = [e.step for e in Trainer(cfg, None).run() if isinstance(e, EvalResult)]
    assert evals == [3, 6]  # 48 puzzles x 1 example per epoch / batch 16 = 3 steps
    arc1 = load_preset("arc-att")
    assert eval_every_steps(arc1, 960 * 4.15) == int(10000 * 960 * 4.15 / 768)  # ~51,875: ARC-1 + Concept
    assert eval_every_steps(load_preset("sudoku-mlp-lab"), 1000) == 500  # lab presets count steps
    steps = apply_overrides(load_preset("arc-att"), ["eval_interval=500"]).train  # the unit given last wins
    assert (steps.eval_interval, steps.eval_interval_epochs) == (500, 0)
    with pytest.raises(ConfigError, match="eval_interval_epochs"):
        RunConfig.from_dict({"train": {"eval_interval": 5, "eval_interval_epochs": 5}})


# --------------------------------------------------------------------------------------- ARC voting

def test_paper_arc_run_votes_over_every_version_and_pools_only_on_request(arc_path, tmp_path):
    ds = PuzzleDataset.open(arc_path)
    versions = int(sum(1 + ds.aug_counts[int(t)] for t in
                       (ds["test"].puzzle_identifiers[ds["test"].puzzle_of_example()] - 1) // 6))
    cfg = _arc_config(arc_path, "steps=4", "eval_interval=2", "data.eval_augmentations=-1",
                      "data.eval_pool_votes=true")
    evals = [e for e in Trainer(cfg, tmp_path / "pooled").run() if isinstance(e, EvalResult)]
    assert [e.count for e in evals] == [versions, versions]
    assert list(evals[0].pass_at) == [str(k) for k in PASS_AT] == ["1", "2", "5", "10", "100", "1000"]
    assert evals[0].pass_at_pooled == evals[0].pass_at  # one evaluation pooled is itself
    assert all(e.pass_at_pooled for e in evals)
    lab = _arc_config(arc_path, "steps=2", "eval_interval=2")
    only = [e for e in Trainer(lab, tmp_path / "lab").run() if isinstance(e, EvalResult)]
    assert only[0].count == ds["test"].num_examples and only[0].pass_at_pooled == {}  # originals only


def test_pooled_votes_add_up_across_evaluations(arc_path):
    ds = PuzzleDataset.open(arc_path)
    cfg = prepare_config(_arc_config(arc_path), ds)
    reports = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        reports.append(evaluate(RecursiveModel(cfg.model), ds, steps=1, batch_size=16, augmentations=5))
    pooled = ArcVotes(ds)
    for r in reports:
        pooled.merge(r.votes)
    for example, cands in pooled.candidates.items():
        for key, (votes, q) in cands.items():
            parts = [r.votes.candidates[example].get(key, [0, 0.0]) for r in reports]
            assert votes == sum(p[0] for p in parts) and q == pytest.approx(sum(p[1] for p in parts))
        assert sum(v for v, _ in cands.values()) == 2 * sum(v for v, _ in reports[0].votes.candidates[example].values())


def test_trm_eval_votes_as_the_run_did(arc_path, tmp_path, capsys):
    cfg = _arc_config(arc_path, "steps=1", "data.eval_augmentations=-1")
    list(Trainer(cfg, tmp_path / "run").run())
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "run"), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["augmentations"] == 5 and out["count"] > PuzzleDataset.open(arc_path)["test"].num_examples
    assert main(["eval", str(tmp_path / "run"), "--augmentations", "0", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["augmentations"] == 0


# --------------------------------------------------------------------------------------- build warnings

def test_an_arc_set_built_another_way_warns(arc_path, tmp_path, capsys):
    ds = PuzzleDataset.open(arc_path)
    paper = apply_overrides(load_preset("arc-att"), [f"data.path={arc_path}"])
    (line,) = recipe_warnings(paper, ds)
    assert "built with 5 augmentations" in line and "1000" in line and "arc-att" in line
    assert recipe_warnings(_arc_config(arc_path), ds) == []  # lab presets expect nothing
    started = next(iter(Trainer(_arc_config(arc_path, "steps=1", "data.arc_augmentations=1000"),
                                tmp_path / "run").run()))
    assert isinstance(started, RunStarted) and len(started.warnings) == 1
    assert main(["train", "--preset", "arc-att-lab", "--data", str(arc_path), "--run-dir", str(tmp_path / "cli"),
                 "--steps", "1", "--quiet", *sum((["--set", o] for o in TINY + ["data.arc_augmentations=7"]), [])]) == 0
    assert "warning:" not in capsys.readouterr().err  # --quiet prints nothing, the event still holds it
    events = [json.loads(x) for x in (tmp_path / "cli" / "metrics.jsonl").read_text().splitlines()]
    assert "built with 5 augmentations" in events[0]["warnings"][0]


def test_an_official_folder_records_its_count_in_its_groups():
    x = np.zeros((5, 4), np.uint8)
    split = Split(x, x.copy(), np.arange(1, 6, dtype=np.int32), np.arange(6, dtype=np.int32),
                  np.array([0, 3, 5], np.int32))  # tasks with 3 and 2 stored versions
    ds = PuzzleDataset("arc", {"canvas": 2}, 12, 4, 6, {"train": split}, augmentation="none")
    assert built_augmentations(ds) == 2
    assert built_augmentations(build_sudoku(SudokuBuild(train=2, test=0, seed=0))) is None
