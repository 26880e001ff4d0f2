"""Import of official TRM (SamsungSAILMontreal/TinyRecursiveModels) and HRM (sapientinc/HRM) checkpoints.

Their state dicts name weights `[_orig_mod.]model.inner.<name>` (the `_orig_mod.` prefix comes from
torch.compile, `model.` from the loss head that wraps the network). The table below maps each
official name onto this model's; the shared network is `L_level` (TRM, and HRM's f_L) and HRM's
second network is `H_level`. The checkpoint file is either a bare state dict or {"model": ...}.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import torch

from ..config import RunConfig
from ..errors import CheckpointError
from .checkpoint import load_state
from .trm import RecursiveModel

# (official regex, our template); applied to names with the `_orig_mod.` / `model.` / `inner.` prefixes removed
_RULES = [
    (r"embed_tokens\.embedding_weight", "embed.tokens"),
    (r"embed_pos\.embedding_weight", "embed.positions"),
    (r"puzzle_emb\.weights", "embed.puzzle.table"),
    (r"lm_head\.weight", "lm_head.weight"),
    (r"q_head\.(weight|bias)", r"q_head.\1"),
    (r"H_init", "y_init"),
    (r"L_init", "z_init"),
    (r"(L|H)_level\.layers\.(\d+)\.self_attn\.qkv_proj\.weight", r"{\1}.blocks.\2.attn.qkv.weight"),
    (r"(L|H)_level\.layers\.(\d+)\.self_attn\.o_proj\.weight", r"{\1}.blocks.\2.attn.out.weight"),
    (r"(L|H)_level\.layers\.(\d+)\.mlp_t\.gate_up_proj\.weight", r"{\1}.blocks.\2.token_mlp.gate_up.weight"),
    (r"(L|H)_level\.layers\.(\d+)\.mlp_t\.down_proj\.weight", r"{\1}.blocks.\2.token_mlp.down.weight"),
    (r"(L|H)_level\.layers\.(\d+)\.mlp\.gate_up_proj\.weight", r"{\1}.blocks.\2.mlp.gate_up.weight"),
    (r"(L|H)_level\.layers\.(\d+)\.mlp\.down_proj\.weight", r"{\1}.blocks.\2.mlp.down.weight"),
]
# Non-persistent buffers some versions still saved; they carry nothing we need.
_IGNORED = re.compile(r"(rotary_emb\.(cos|sin)_cached|puzzle_emb\.local_(weights|ids))$")
_PREFIX = re.compile(r"^(_orig_mod\.)?(model\.)?(inner\.)?")


def _strip(name: str) -> str:
    return _PREFIX.sub("", name, count=1)


def map_official_state_dict(state: dict[str, torch.Tensor]) -> tuple[dict[str, torch.Tensor], list[str]]:
    """Official names -> ours. Returns the mapped dict and the official keys nothing matched."""
    out, unmatched = {}, []
    for name, tensor in state.items():
        short = _strip(name)
        if _IGNORED.search(short):
            continue
        for pattern, template in _RULES:
            m = re.fullmatch(pattern, short)
            if m:
                target = m.expand(template).replace("{L}", "net").replace("{H}", "net_y")
                out[target] = tensor
                break
        else:
            unmatched.append(name)
    return out, unmatched


def read_official(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The state dict inside an official checkpoint file (bare, or under "model")."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    try:
        body = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises many kinds for a foreign file
        raise CheckpointError(f"{path}: not a readable PyTorch checkpoint ({type(exc).__name__}: {exc})") from exc
    if isinstance(body, dict) and isinstance(body.get("model"), dict):
        body = body["model"]
    if not isinstance(body, dict) or not all(isinstance(v, torch.Tensor) for v in body.values()):
        raise CheckpointError(f"{path}: expected a state dict of tensors (or {{'model': state_dict}})")
    return body


def import_official(state: dict[str, torch.Tensor], cfg: RunConfig, source: str = "<state dict>") -> RecursiveModel:
    """Build a model for `cfg` and load an official state dict into it, or say exactly what does not fit.

    The puzzle-embedding table's row count is taken from the checkpoint (it sizes to the dataset).
    """
    mapped, unmatched = map_official_state_dict(state)
    if unmatched:
        raise CheckpointError(f"{source}: keys that are not TRM/HRM weights: {', '.join(sorted(unmatched))}")
    if cfg.model.separate_nets != any(k.startswith("net_y.") for k in mapped):
        has = "has" if not cfg.model.separate_nets else "has no"
        raise CheckpointError(f"{source}: the checkpoint {has} a separate H_level network but preset "
                              f"{cfg.preset or '<config>'} has separate_nets={cfg.model.separate_nets}")
    table = mapped.get("embed.puzzle.table")
    if table is not None:
        cfg.model.num_puzzle_identifiers = int(table.shape[0])
    model = RecursiveModel(cfg.model)
    load_state(model, {k: v.float() for k, v in mapped.items()}, source)
    return model.eval()
