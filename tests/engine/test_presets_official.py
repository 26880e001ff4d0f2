"""Every paper preset against the official recipe: one row per value, with the official setting and the
file it comes from (SamsungSAILMontreal/TinyRecursiveModels = TRM, sapientinc/HRM = HRM). A preset that
drifts from the table fails here; so does a paper preset that sets a field the table does not hold, and
docs/paper_recipe.md, which shows this table, must be the table below (`render_tables`)."""

import json
from pathlib import Path

import pytest

from trm_engine.config import PRESETS, load_preset

ROOT = Path(__file__).resolve().parents[2]

# (field, preset value, official setting, official file)
TRM_COMMON = [
    ("model.arch", "trm", "name: recursive_reasoning.trm@TinyRecursiveReasoningModel_ACTV1",
     "TRM config/arch/trm.yaml"),
    ("model.hidden_size", 512, "hidden_size: 512", "TRM config/arch/trm.yaml"),
    ("model.num_heads", 8, "num_heads: 8", "TRM config/arch/trm.yaml"),
    ("model.expansion", 4.0, "expansion: 4", "TRM config/arch/trm.yaml"),
    ("model.num_layers", 2, "L_layers: 2 (README arch.L_layers=2)", "TRM config/arch/trm.yaml"),
    ("model.separate_nets", False, "one network L_level for z and y", "TRM models/recursive_reasoning/trm.py"),
    ("model.puzzle_emb_ndim", 512, "puzzle_emb_ndim: ${.hidden_size}", "TRM config/arch/trm.yaml"),
    ("model.puzzle_emb_len", 16, "puzzle_emb_len: 16", "TRM config/arch/trm.yaml"),
    ("model.halt_max_steps", 16, "halt_max_steps: 16 (N_sup)", "TRM config/arch/trm.yaml"),
    ("model.halt_exploration_prob", 0.1, "halt_exploration_prob: 0.1", "TRM config/arch/trm.yaml"),
    ("model.act_continue", False, "no_ACT_continue: True", "TRM config/arch/trm.yaml"),
    ("model.gradient", "full", "last of the T cycles with gradients (n+1 calls)",
     "TRM models/recursive_reasoning/trm.py"),
    ("model.loss", "stablemax", "loss_type: stablemax_cross_entropy", "TRM config/arch/trm.yaml"),
    ("model.rope_theta", 10000.0, "rope_theta: 10000.0", "TRM models/recursive_reasoning/trm.py"),
    ("model.rms_norm_eps", 1e-5, "rms_norm_eps: 1e-5", "TRM models/recursive_reasoning/trm.py"),
    ("model.dtype", "auto", "forward_dtype: bfloat16 (auto = bf16 on CUDA)", "TRM config/arch/trm.yaml"),
    ("train.optimizer", "adam_atan2", "AdamATan2 for the network", "TRM pretrain.py"),
    ("train.global_batch_size", 768, "global_batch_size: 768", "TRM config/cfg_pretrain.yaml"),
    ("train.lr_warmup_steps", 2000, "lr_warmup_steps: 2000, lr_min_ratio: 1.0 (constant after)",
     "TRM config/cfg_pretrain.yaml"),
    ("train.beta1", 0.9, "beta1: 0.9", "TRM config/cfg_pretrain.yaml"),
    ("train.beta2", 0.95, "beta2: 0.95", "TRM config/cfg_pretrain.yaml"),
    ("train.ema", True, "ema=True (every README command)", "TRM README.md"),
    ("train.ema_rate", 0.999, "ema_rate: 0.999", "TRM config/cfg_pretrain.yaml"),
    ("train.ema_warmup", False, "EMAHelper: a fixed mu from the first step", "TRM models/ema.py"),
    ("train.supervision", "streaming", "carry kept across optimizer steps (train_batch)", "TRM pretrain.py"),
    ("train.steps", 0, "total_steps = epochs x total_groups x mean_puzzle_examples / batch", "TRM pretrain.py"),
    ("train.eval_interval", 0, "eval_interval counts epochs (train.eval_interval_epochs)", "TRM pretrain.py"),
    ("train.eval_steps", 0, "evaluation runs all halt_max_steps", "TRM models/recursive_reasoning/trm.py"),
]
TRM_SUDOKU = [
    ("model.h_cycles", 3, "arch.H_cycles=3 (T)", "TRM README.md"),
    ("model.l_cycles", 6, "arch.L_cycles=6 (n)", "TRM README.md"),
    ("train.epochs", 50000, "epochs=50000", "TRM README.md"),
    ("train.eval_interval_epochs", 5000, "eval_interval=5000", "TRM README.md"),
    ("train.lr", 1e-4, "lr=1e-4", "TRM README.md"),
    ("train.puzzle_emb_lr", 1e-4, "puzzle_emb_lr=1e-4", "TRM README.md"),
    ("train.weight_decay", 1.0, "weight_decay=1.0", "TRM README.md"),
    ("train.puzzle_emb_weight_decay", 1.0, "puzzle_emb_weight_decay=1.0", "TRM README.md"),
    ("data.augment", True, "train split augmented", "TRM dataset/build_sudoku_dataset.py"),
    ("data.sudoku_shuffles", 1000, "build_sudoku_dataset.py --num-aug 1000 (1000 fixed shuffles + original)",
     "TRM README.md, dataset/build_sudoku_dataset.py"),
    ("data.eval_augmentations", 0, "evaluators=\"[]\": the test split, unaugmented, no voting", "TRM README.md"),
    ("data.eval_pool_votes", False, "no ARC evaluator", "TRM README.md"),
]
TRM_ATTENTION = [
    ("model.mixer", "attention", "mlp_t: False", "TRM config/arch/trm.yaml"),
    ("model.pos_encodings", "rope", "pos_encodings: rope", "TRM config/arch/trm.yaml"),
]
TRM_30X30 = [
    ("model.h_cycles", 3, "arch.H_cycles=3 (T)", "TRM README.md"),
    ("model.l_cycles", 4, "arch.L_cycles=4 (n; the paper's text says 6)", "TRM README.md"),
]
TRM_TABLE = {
    "sudoku-mlp": TRM_COMMON + TRM_SUDOKU + [
        ("model.mixer", "mlp_t", "arch.mlp_t=True", "TRM README.md"),
        ("model.pos_encodings", "none", "arch.pos_encodings=none", "TRM README.md"),
    ],
    "sudoku-att": TRM_COMMON + TRM_SUDOKU + TRM_ATTENTION,
    "maze-att": TRM_COMMON + TRM_ATTENTION + TRM_30X30 + [
        ("train.epochs", 50000, "epochs=50000", "TRM README.md"),
        ("train.eval_interval_epochs", 5000, "eval_interval=5000", "TRM README.md"),
        ("train.lr", 1e-4, "lr=1e-4", "TRM README.md"),
        ("train.puzzle_emb_lr", 1e-4, "puzzle_emb_lr=1e-4", "TRM README.md"),
        ("train.weight_decay", 1.0, "weight_decay=1.0", "TRM README.md"),
        ("train.puzzle_emb_weight_decay", 1.0, "puzzle_emb_weight_decay=1.0", "TRM README.md"),
        ("data.augment", False, "aug: bool = False, run without --aug (README)",
         "TRM dataset/build_maze_dataset.py"),
        ("data.eval_augmentations", 0, "evaluators=\"[]\": no voting", "TRM README.md"),
        ("data.eval_pool_votes", False, "no ARC evaluator", "TRM README.md"),
    ],
    "arc-att": TRM_COMMON + TRM_ATTENTION + TRM_30X30 + [
        ("train.epochs", 100000, "epochs: 100000", "TRM config/cfg_pretrain.yaml"),
        ("train.eval_interval_epochs", 10000, "eval_interval: 10000", "TRM config/cfg_pretrain.yaml"),
        ("train.lr", 1e-4, "lr: 1e-4", "TRM config/cfg_pretrain.yaml"),
        ("train.puzzle_emb_lr", 1e-2, "puzzle_emb_lr: 1e-2", "TRM config/cfg_pretrain.yaml"),
        ("train.weight_decay", 0.1, "weight_decay: 0.1", "TRM config/cfg_pretrain.yaml"),
        ("train.puzzle_emb_weight_decay", 0.1, "puzzle_emb_weight_decay: 0.1", "TRM config/cfg_pretrain.yaml"),
        ("data.augment", True, "train split augmented (+ translation)", "TRM dataset/build_arc_dataset.py"),
        ("data.arc_augmentations", 1000, "num_aug: int = 1000 (retries x5, de-duplicated)",
         "TRM dataset/build_arc_dataset.py"),
        ("data.arc_translation", "fixed", "translation drawn once per stored example at build time",
         "TRM dataset/build_arc_dataset.py"),
        ("data.eval_augmentations", -1, "every augmented version of the test split votes",
         "TRM evaluators/arc.py, dataset/build_arc_dataset.py"),
        ("data.eval_pool_votes", True, "aggregated_voting: bool = True (votes kept across evaluations)",
         "TRM evaluators/arc.py"),
    ],
}

HRM_COMMON = [
    ("model.arch", "hrm", "name: hrm.hrm_act_v1@HierarchicalReasoningModel_ACTV1", "HRM config/arch/hrm_v1.yaml"),
    ("model.hidden_size", 512, "hidden_size: 512", "HRM config/arch/hrm_v1.yaml"),
    ("model.num_heads", 8, "num_heads: 8", "HRM config/arch/hrm_v1.yaml"),
    ("model.expansion", 4.0, "expansion: 4", "HRM config/arch/hrm_v1.yaml"),
    ("model.num_layers", 4, "L_layers: 4", "HRM config/arch/hrm_v1.yaml"),
    ("model.y_layers", 4, "H_layers: 4", "HRM config/arch/hrm_v1.yaml"),
    ("model.separate_nets", True, "separate H_level and L_level", "HRM models/hrm/hrm_act_v1.py"),
    ("model.h_cycles", 2, "H_cycles: 2 (T)", "HRM config/arch/hrm_v1.yaml"),
    ("model.l_cycles", 2, "L_cycles: 2 (n)", "HRM config/arch/hrm_v1.yaml"),
    ("model.mixer", "attention", "self-attention blocks", "HRM models/hrm/hrm_act_v1.py"),
    ("model.pos_encodings", "rope", "pos_encodings: rope", "HRM config/arch/hrm_v1.yaml"),
    ("model.puzzle_emb_ndim", 512, "puzzle_emb_ndim: ${.hidden_size}", "HRM config/arch/hrm_v1.yaml"),
    ("model.puzzle_emb_len", 0, "ceil(puzzle_emb_ndim / hidden_size) = 1 prefix slot (0 = that rule)",
     "HRM models/hrm/hrm_act_v1.py"),
    ("model.halt_max_steps", 16, "halt_max_steps: 16 (N_sup)", "HRM config/arch/hrm_v1.yaml"),
    ("model.halt_exploration_prob", 0.1, "halt_exploration_prob: 0.1", "HRM config/arch/hrm_v1.yaml"),
    ("model.act_continue", True, "q_continue target from an extra forward pass", "HRM models/hrm/hrm_act_v1.py"),
    ("model.gradient", "one_step", "only the last L and H calls with gradients", "HRM models/hrm/hrm_act_v1.py"),
    ("model.loss", "stablemax", "loss_type: stablemax_cross_entropy", "HRM config/arch/hrm_v1.yaml"),
    ("model.dtype", "auto", "forward_dtype bfloat16 (auto = bf16 on CUDA)", "HRM models/hrm/hrm_act_v1.py"),
    ("train.optimizer", "adam_atan2", "AdamATan2 for the network", "HRM pretrain.py"),
    ("train.global_batch_size", 768, "global_batch_size: 768", "HRM config/cfg_pretrain.yaml"),
    ("train.lr_warmup_steps", 2000, "lr_warmup_steps: 2000, lr_min_ratio: 1.0", "HRM config/cfg_pretrain.yaml"),
    ("train.beta1", 0.9, "beta1: 0.9", "HRM config/cfg_pretrain.yaml"),
    ("train.beta2", 0.95, "beta2: 0.95", "HRM config/cfg_pretrain.yaml"),
    ("train.ema", False, "no EMA", "HRM pretrain.py"),
    ("train.ema_warmup", False, "(no EMA)", "HRM pretrain.py"),
    ("train.supervision", "streaming", "carry kept across optimizer steps", "HRM pretrain.py"),
    ("train.steps", 0, "total_steps from epochs", "HRM pretrain.py"),
    ("train.eval_interval", 0, "eval_interval counts epochs (train.eval_interval_epochs)", "HRM pretrain.py"),
    ("train.eval_steps", 0, "evaluation runs all halt_max_steps", "HRM models/hrm/hrm_act_v1.py"),
]
HRM_PUZZLES = [  # the README's 8-GPU "Sudoku Extreme (1k)" / "Maze 30x30 Hard (1k)" commands
    ("train.epochs", 20000, "epochs=20000", "HRM README.md"),
    ("train.eval_interval_epochs", 2000, "eval_interval=2000", "HRM README.md"),
    ("train.lr", 1e-4, "lr=1e-4 (the 1-GPU demo: 7e-5 at batch 384)", "HRM README.md"),
    ("train.puzzle_emb_lr", 1e-4, "puzzle_emb_lr=1e-4", "HRM README.md"),
    ("train.weight_decay", 1.0, "weight_decay=1.0", "HRM README.md"),
    ("train.puzzle_emb_weight_decay", 1.0, "puzzle_emb_weight_decay=1.0", "HRM README.md"),
    ("data.eval_augmentations", 0, "exact_accuracy of the unaugmented test split", "HRM README.md"),
    ("data.eval_pool_votes", False, "no voting", "HRM README.md"),
]
HRM_TABLE = {
    "hrm-sudoku": HRM_COMMON + HRM_PUZZLES + [
        ("data.augment", True, "train split augmented", "HRM dataset/build_sudoku_dataset.py"),
        ("data.sudoku_shuffles", 1000, "build_sudoku_dataset.py --num-aug 1000",
         "HRM README.md, dataset/build_sudoku_dataset.py"),
    ],
    "hrm-maze": HRM_COMMON + HRM_PUZZLES + [
        ("data.augment", False, "aug: bool = False (the HRM paper: no augmentation for mazes)",
         "HRM dataset/build_maze_dataset.py"),
    ],
    "hrm-arc": HRM_COMMON + [
        ("train.epochs", 100000, "epochs: 100000", "HRM config/cfg_pretrain.yaml"),
        ("train.eval_interval_epochs", 10000, "eval_interval: 10000", "HRM config/cfg_pretrain.yaml"),
        ("train.lr", 1e-4, "lr: 1e-4", "HRM config/cfg_pretrain.yaml"),
        ("train.puzzle_emb_lr", 1e-2, "puzzle_emb_lr: 1e-2", "HRM config/cfg_pretrain.yaml"),
        ("train.weight_decay", 0.1, "weight_decay: 0.1", "HRM config/cfg_pretrain.yaml"),
        ("train.puzzle_emb_weight_decay", 0.1, "puzzle_emb_weight_decay: 0.1", "HRM config/cfg_pretrain.yaml"),
        ("data.augment", True, "train split augmented (+ translation)", "HRM dataset/build_arc_dataset.py"),
        ("data.arc_augmentations", 1000, "num_aug: int = 1000", "HRM dataset/build_arc_dataset.py"),
        ("data.arc_translation", "fixed", "translation drawn once per stored example at build time",
         "HRM dataset/build_arc_dataset.py"),
        ("data.eval_augmentations", -1, "every augmented version votes", "HRM arc_eval.ipynb"),
        ("data.eval_pool_votes", False, "one checkpoint's predictions (evaluate.py) vote",
         "HRM evaluate.py, arc_eval.ipynb"),
    ],
}
TABLE = {**TRM_TABLE, **HRM_TABLE}


def _value(cfg, key):
    section, name = key.split(".")
    return getattr(getattr(cfg, section), name)


@pytest.mark.parametrize("preset", list(TABLE))
def test_paper_preset_holds_the_official_values(preset):
    cfg = load_preset(preset)
    drift = [f"{key}: preset {_value(cfg, key)!r}, official {want!r} ({setting}; {source})"
             for key, want, setting, source in TABLE[preset] if _value(cfg, key) != want]
    assert drift == []


@pytest.mark.parametrize("preset", list(TABLE))
def test_paper_preset_sets_nothing_the_table_does_not_hold(preset):
    listed = {key for key, *_ in TABLE[preset]}
    body = PRESETS[preset]
    set_here = {f"{section}.{k}" for section in ("model", "data", "train") for k in body.get(section, {})}
    ignored = {"model.vocab_size", "model.seq_len"}  # taken from the dataset when training
    assert set_here - listed - ignored == set()


def test_every_paper_preset_has_a_table():
    paper = [n for n in PRESETS if not n.endswith("-lab")]
    assert sorted(paper) == sorted(TABLE)


def test_presets_json_lists_every_preset_resolved(capsys):
    from trm_engine.cli import main

    assert main(["model", "presets", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert set(listed) == set(PRESETS)
    for name, entry in listed.items():
        assert entry["config"] == load_preset(name).to_dict()
        assert entry["scale"] == ("lab" if name.endswith("-lab") else "paper")
    assert listed["arc-att"]["config"]["data"]["eval_augmentations"] == -1


def test_rows_name_their_official_file():
    for rows in TABLE.values():
        keys = [key for key, *_ in rows]
        assert len(keys) == len(set(keys))  # one row per field
        for *_, setting, source in rows:
            assert source.split()[0] in ("TRM", "HRM") and setting


def render_tables() -> str:
    """The markdown of docs/paper_recipe.md's preset tables: one per code base, a column per preset."""
    out = []
    for presets in (list(TRM_TABLE), list(HRM_TABLE)):
        fields = list(dict.fromkeys(key for p in presets for key, *_ in TABLE[p]))
        out += [f"| field | {' | '.join(presets)} | official setting (official file) |",
                "|---" * (len(presets) + 2) + "|"]
        for key in fields:
            rows = [next((r for r in TABLE[p] if r[0] == key), None) for p in presets]
            values = ["-" if r is None else f"`{r[1]!r}`" for r in rows]
            official = dict.fromkeys(f"{r[2]} ({r[3]})" for r in rows if r is not None)
            out.append(f"| `{key}` | {' | '.join(values)} | {'; '.join(official).replace('|', '/')} |")
        out.append("")
    return "\n".join(out)


def test_docs_show_this_table():
    doc = (ROOT / "docs" / "paper_recipe.md").read_text()
    begin, end = "<!-- preset tables: begin -->", "<!-- preset tables: end -->"
    shown = doc.split(begin)[1].split(end)[0].strip()
    assert shown == render_tables().strip(), (
        "docs/paper_recipe.md is out of date: regenerate it with "
        "`python -c 'import tests.engine.test_presets_official as t; print(t.render_tables())'`")
