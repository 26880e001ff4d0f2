"""Checkpoints round-trip bit-exactly, and official TRM/HRM state dicts (built here in the official key
layout of models/recursive_reasoning/{trm,hrm}.py and models/layers.py) load into the same logits."""

import pytest
import torch

from trm_engine.config import RunConfig, load_preset
from trm_engine.errors import CheckpointError
from trm_engine.model.checkpoint import load_model, read_checkpoint, save_model
from trm_engine.model.official import import_official, read_official
from trm_engine.model.trm import RecursiveModel

from .test_model import batch_for, tiny


def run_cfg(**kw) -> RunConfig:
    cfg = RunConfig(model=tiny(**kw))
    cfg.validate()
    return cfg


def logits_of(model: RecursiveModel, batch, steps: int = 2) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        carry = model.initial_carry(batch)
        for _ in range(steps):
            carry, out = model.step(carry, batch)
    return out.logits


def official_layout(model: RecursiveModel, prefix: str = "_orig_mod.model.inner.") -> dict:
    """Our weights under the official names, written out by hand from the official sources."""
    sd = model.state_dict()
    out = {
        "embed_tokens.embedding_weight": sd["embed.tokens"],
        "lm_head.weight": sd["lm_head.weight"],
        "q_head.weight": sd["q_head.weight"],
        "q_head.bias": sd["q_head.bias"],
        "H_init": sd["y_init"].to(torch.bfloat16),  # the official buffers are bf16
        "L_init": sd["z_init"].to(torch.bfloat16),
        "puzzle_emb.weights": sd["embed.puzzle.table"],
    }
    if "embed.positions" in sd:
        out["embed_pos.embedding_weight"] = sd["embed.positions"]
    nets = [("L_level", "net")] + ([("H_level", "net_y")] if model.net_y is not None else [])
    for official, ours in nets:
        for i in range(len(getattr(model, ours).blocks)):
            o, m = f"{official}.layers.{i}", f"{ours}.blocks.{i}"
            if f"{m}.attn.qkv.weight" in sd:
                out[f"{o}.self_attn.qkv_proj.weight"] = sd[f"{m}.attn.qkv.weight"]
                out[f"{o}.self_attn.o_proj.weight"] = sd[f"{m}.attn.out.weight"]
            else:
                out[f"{o}.mlp_t.gate_up_proj.weight"] = sd[f"{m}.token_mlp.gate_up.weight"]
                out[f"{o}.mlp_t.down_proj.weight"] = sd[f"{m}.token_mlp.down.weight"]
            out[f"{o}.mlp.gate_up_proj.weight"] = sd[f"{m}.mlp.gate_up.weight"]
            out[f"{o}.mlp.down_proj.weight"] = sd[f"{m}.mlp.down.weight"]
    return {prefix + k: v.clone() for k, v in out.items()}


def randomised(model: RecursiveModel) -> RecursiveModel:
    """Non-trivial q_head and puzzle table so the comparison exercises every weight."""
    g = torch.Generator().manual_seed(3)
    with torch.no_grad():
        model.q_head.weight.copy_(torch.randn(model.q_head.weight.shape, generator=g) * 0.1)
        if model.embed.puzzle is not None:
            model.embed.puzzle.table.copy_(torch.randn(model.embed.puzzle.table.shape, generator=g))
    return model


def test_checkpoint_round_trip_gives_bit_identical_logits(tmp_path):
    cfg = run_cfg(num_puzzle_identifiers=4)
    model = randomised(RecursiveModel(cfg.model))
    batch = batch_for(cfg.model)
    save_model(tmp_path / "m.pt", model, cfg, step=7)
    loaded, loaded_cfg, body = load_model(tmp_path / "m.pt")
    assert torch.equal(logits_of(model, batch), logits_of(loaded, batch))
    assert loaded_cfg == cfg and body["step"] == 7
    assert torch.load(tmp_path / "m.pt", weights_only=True)["format"] == "trm-lab-checkpoint"


@pytest.mark.parametrize("variant", [
    dict(mixer="attention", pos_encodings="rope"),
    dict(mixer="mlp_t", pos_encodings="none"),
    dict(mixer="attention", pos_encodings="learned"),
    dict(arch="hrm", separate_nets=True, y_layers=3, gradient="one_step", act_continue=True, puzzle_emb_len=0),
])
@pytest.mark.parametrize("prefix", ["_orig_mod.model.inner.", "model.inner."])
def test_official_layout_import_gives_identical_logits(tmp_path, variant, prefix):
    cfg = run_cfg(num_puzzle_identifiers=5, **variant)
    native = randomised(RecursiveModel(cfg.model))
    with torch.no_grad():  # official init buffers are bf16: make ours bf16-representable
        native.y_init.copy_(native.y_init.bfloat16().float())
        native.z_init.copy_(native.z_init.bfloat16().float())
    torch.save({"model": official_layout(native, prefix), "step": 100}, tmp_path / "official.pt")
    fresh = run_cfg(num_puzzle_identifiers=1, **variant)  # the table size comes from the file
    imported = import_official(read_official(tmp_path / "official.pt"), fresh)
    batch = batch_for(cfg.model)
    assert imported.cfg.num_puzzle_identifiers == 5
    assert torch.equal(logits_of(native, batch), logits_of(imported, batch))


def test_import_of_a_bare_state_dict(tmp_path):
    cfg = run_cfg()
    native = RecursiveModel(cfg.model)
    torch.save(official_layout(native, "model.inner."), tmp_path / "bare.pt")
    assert set(read_official(tmp_path / "bare.pt")) == set(official_layout(native, "model.inner."))


def test_a_mismatched_official_checkpoint_names_missing_keys_and_shapes():
    native = RecursiveModel(run_cfg(mixer="attention").model)
    state = official_layout(native)
    del state["_orig_mod.model.inner.L_level.layers.1.mlp.down_proj.weight"]
    state["_orig_mod.model.inner.lm_head.weight"] = torch.zeros(9, 32)
    with pytest.raises(CheckpointError) as err:
        import_official(state, run_cfg(mixer="attention"), source="x.pt")
    msg = str(err.value)
    assert "net.blocks.1.mlp.down.weight" in msg and "missing" in msg
    assert "lm_head.weight (file (9, 32), model (6, 32))" in msg


def test_unknown_official_keys_and_wrong_architecture_are_refused():
    native = RecursiveModel(run_cfg(mixer="attention").model)
    state = official_layout(native)
    state["model.inner.something_else"] = torch.zeros(1)
    with pytest.raises(CheckpointError, match="something_else"):
        import_official(state, run_cfg(mixer="attention"))
    with pytest.raises(CheckpointError, match="separate"):
        import_official(official_layout(native), run_cfg(mixer="attention", separate_nets=True))


def test_paper_preset_shapes_import(tmp_path):
    """A full-size TRM-MLP Sudoku state dict in the official layout imports with the preset."""
    cfg = load_preset("sudoku-mlp")
    native = RecursiveModel(cfg.model)
    imported = import_official(official_layout(native), load_preset("sudoku-mlp"))
    assert imported.num_parameters()["nonembedding"] == 5_028_866


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04garbage"])
def test_foreign_files_give_a_clear_error(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="bad.pt"):
        read_checkpoint(path)
    with pytest.raises(CheckpointError, match="bad.pt"):
        read_official(path)


def test_official_checkpoint_given_to_the_native_loader_says_to_import(tmp_path):
    torch.save({"model": {"model.inner.lm_head.weight": torch.zeros(2, 2)}}, tmp_path / "o.pt")
    with pytest.raises(CheckpointError, match="trm model import"):
        read_checkpoint(tmp_path / "o.pt")
