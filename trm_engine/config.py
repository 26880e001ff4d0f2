"""Typed configuration: nested dataclasses with JSON in and out, unknown keys an error, presets as data.

The paper symbol of a field is in its comment (`h_cycles: int = 3  # T`). A preset (presets.json) is a
nested dict of overrides on these defaults; `--set section.key=value` (or just `key=value` where the key
is unique) edits one field and is checked against the field's type.
"""

from __future__ import annotations

import dataclasses
import json
import math
import typing
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from .errors import ConfigError

MIXERS = ("attention", "mlp_t")
POS_ENCODINGS = ("rope", "learned", "none")
GRADIENTS = ("full", "one_step")
LOSSES = ("stablemax", "softmax")
OPTIMIZERS = ("adam_atan2", "adamw")
SUPERVISIONS = ("streaming", "pseudocode")


@dataclass
class ModelConfig:
    """The network and its recursion. Defaults are the official TRM-MLP Sudoku configuration."""

    arch: str = "trm"  # "trm" or "hrm": HRM = separate f_L/f_H, one-step gradient, continue loss
    vocab_size: int = 11  # V: 11 Sudoku, 6 Maze, 12 ARC (set from the dataset when training)
    seq_len: int = 81  # puzzle tokens: 81 Sudoku, 900 Maze/ARC (set from the dataset)
    num_puzzle_identifiers: int = 1  # rows of the sparse puzzle-embedding table (set from the dataset)
    puzzle_emb_ndim: int = 512  # width of a puzzle-embedding row; 0 disables the prefix
    puzzle_emb_len: int = 16  # prefix slots (TRM 16, only slot 0 filled); 0 = ceil(ndim / D) as HRM
    hidden_size: int = 512  # D
    num_heads: int = 8  # attention heads (head dim D / heads = 64)
    expansion: float = 4.0  # SwiGLU expansion (inner width rounded up to a multiple of 256)
    num_layers: int = 2  # blocks in the network f (f_L for HRM)
    y_layers: int = 0  # blocks in f_H when separate_nets (0 = num_layers)
    h_cycles: int = 3  # T: cycles per supervision step (T-1 without gradient)
    l_cycles: int = 6  # n: z-updates per cycle
    halt_max_steps: int = 16  # N_sup: supervision steps at most
    halt_exploration_prob: float = 0.1  # ACT exploration: chance of a random minimum step count
    mixer: str = "mlp_t"  # "attention" (RoPE self-attention) or "mlp_t" (MLP over the sequence)
    pos_encodings: str = "none"  # "rope", "learned" or "none"
    rope_theta: float = 10000.0  # RoPE base
    rms_norm_eps: float = 1e-5  # parameter-free RMSNorm epsilon
    act_continue: bool = False  # HRM-style ACT: halt on q_halt > q_continue, continue loss, extra forward
    gradient: str = "full"  # "full": backprop the last cycle's n+1 calls; "one_step": last z and y only
    separate_nets: bool = False  # separate f_H (y-update) and f_L (z-update) networks
    single_z: bool = False  # ablation: carry one latent only (Table 2, "single z")
    loss: str = "stablemax"  # "stablemax" (official, float64) or "softmax" cross-entropy
    dtype: str = "auto"  # compute dtype: auto (bf16 on CUDA, fp32 elsewhere), float32, bfloat16

    def validate(self) -> None:
        _choice("model.mixer", self.mixer, MIXERS)
        _choice("model.pos_encodings", self.pos_encodings, POS_ENCODINGS)
        _choice("model.gradient", self.gradient, GRADIENTS)
        _choice("model.loss", self.loss, LOSSES)
        _choice("model.arch", self.arch, ("trm", "hrm"))
        _choice("model.dtype", self.dtype, ("auto", "float32", "bfloat16", "float16"))
        for name, (lo, hi) in MODEL_LIMITS.items():
            _in_range(f"model.{name}", getattr(self, name), lo, hi)
        for name in ("expansion", "rope_theta", "rms_norm_eps"):
            if not math.isfinite(getattr(self, name)) or getattr(self, name) <= 0:
                raise ConfigError(f"model.{name} must be a finite number > 0, got {getattr(self, name)}")
        if self.expansion > 64:
            raise ConfigError(f"model.expansion must be at most 64, got {self.expansion}")
        if self.hidden_size % self.num_heads:
            raise ConfigError(f"model.hidden_size ({self.hidden_size}) must be divisible by "
                              f"model.num_heads ({self.num_heads})")
        if self.pos_encodings == "rope" and (self.hidden_size // self.num_heads) % 2:
            raise ConfigError("RoPE needs an even head dimension (model.hidden_size / model.num_heads)")
        if not 0.0 <= self.halt_exploration_prob <= 1.0:
            raise ConfigError(f"model.halt_exploration_prob must be in [0, 1], got {self.halt_exploration_prob}")

    @property
    def prefix_len(self) -> int:
        """Number of puzzle-embedding prefix positions in front of the puzzle tokens."""
        if self.puzzle_emb_ndim <= 0:
            return 0
        if self.puzzle_emb_len > 0:
            return self.puzzle_emb_len
        return -(self.puzzle_emb_ndim // -self.hidden_size)

    @property
    def full_seq_len(self) -> int:
        """Model sequence length L = prefix + puzzle tokens (97 Sudoku, 916 Maze/ARC)."""
        return self.prefix_len + self.seq_len


@dataclass
class DataConfig:
    """Where the training data comes from and how it is sampled."""

    path: str = ""  # dataset file (*.h5) built or imported by `trm data`
    train_split: str = "train"
    eval_split: str = "test"
    augment: bool = True  # augment on the fly (Sudoku shuffles, dihedral, ARC colours + translation)
    sudoku_shuffles: int = 0  # Sudoku: 0 = a fresh random shuffle per draw; N = N fixed shuffles per puzzle + it
    arc_augmentations: int = 0  # ARC: versions per task the recipe was built with (official 1000); 0 = any
    arc_translation: str = "fresh"  # ARC: "fresh" offsets at every draw, or "fixed" per example and version
    eval_limit: int = 0  # evaluate on at most this many test examples (0 = all)
    eval_augmentations: int = 0  # ARC: versions per test input that vote at evaluation (-1 = every stored one)
    eval_pool_votes: bool = False  # ARC: also report pass@k over the votes of every evaluation so far (official)

    def validate(self) -> None:
        _choice("data.arc_translation", self.arc_translation, ("fresh", "fixed"))
        for name, lowest in (("sudoku_shuffles", 0), ("arc_augmentations", 0),
                             ("eval_augmentations", -1)):
            if getattr(self, name) < lowest:
                raise ConfigError(f"data.{name} must be >= {lowest}, got {getattr(self, name)}")
        _in_range("data.eval_limit", self.eval_limit, 0, None)


@dataclass
class TrainConfig:
    """The optimisation. Defaults are the paper's Sudoku recipe."""

    global_batch_size: int = 768  # B, split over ranks
    micro_batch_size: int = 0  # per-rank forward size for gradient accumulation (0 = whole batch)
    steps: int = 0  # optimizer steps (0 = derive from epochs)
    epochs: int = 0  # passes in the official sense (groups x examples / batch); used when steps = 0
    lr: float = 1e-4
    lr_warmup_steps: int = 2000  # linear warm-up, then constant
    weight_decay: float = 1.0
    beta1: float = 0.9
    beta2: float = 0.95
    optimizer: str = "adam_atan2"  # "adam_atan2" (official) or "adamw" (the paper's text)
    puzzle_emb_lr: float = 1e-4
    puzzle_emb_weight_decay: float = 1.0
    ema: bool = True  # evaluate and save the EMA of the weights (False = the "no EMA" ablation)
    ema_rate: float = 0.999
    ema_warmup: bool = True  # rate_t = min(rate, (1+t)/(10+t)) so a short run's EMA is usable early
    supervision: str = "streaming"  # "streaming" (official carry) or "pseudocode" (N_sup steps per batch)
    eval_interval: int = 0  # optimizer steps between evaluations (0 = only at the end)
    eval_interval_epochs: int = 0  # epochs between evaluations, the official unit (replaces eval_interval)
    eval_steps: int = 0  # supervision steps at evaluation (0 = halt_max_steps)
    log_interval: int = 10  # optimizer steps between train-metric events
    checkpoint_interval: int = 0  # optimizer steps between checkpoints (0 = at each evaluation)
    keep_last: int = 3  # checkpoints kept besides the best one
    keep_best: bool = True  # keep the checkpoint with the best eval exact accuracy
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    compile: bool = False  # torch.compile the model
    threads: int = 0  # torch intra-op threads for this run (0 = leave torch's setting)
    probe_traces: int = 0  # record recursion traces of this many fixed test puzzles at each evaluation

    def validate(self) -> None:
        _choice("train.optimizer", self.optimizer, OPTIMIZERS)
        _choice("train.supervision", self.supervision, SUPERVISIONS)
        _in_range("train.global_batch_size", self.global_batch_size, 1, 1 << 20)
        if self.micro_batch_size < 0:
            raise ConfigError(f"train.micro_batch_size must be >= 0, got {self.micro_batch_size}")
        if not 0.0 <= self.ema_rate < 1.0:
            raise ConfigError(f"train.ema_rate must be in [0, 1), got {self.ema_rate}")
        for name in ("lr", "puzzle_emb_lr", "weight_decay", "puzzle_emb_weight_decay"):
            if not math.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise ConfigError(f"train.{name} must be a finite number >= 0, got {getattr(self, name)}")
        for name in ("beta1", "beta2"):
            if not 0.0 <= getattr(self, name) < 1.0:
                raise ConfigError(f"train.{name} must be in [0, 1), got {getattr(self, name)}")
        for name in ("steps", "epochs", "lr_warmup_steps", "eval_interval", "eval_interval_epochs", "eval_steps",
                     "log_interval", "checkpoint_interval", "keep_last", "threads", "probe_traces", "seed"):
            _in_range(f"train.{name}", getattr(self, name), 0, None)
        if self.eval_interval > 0 and self.eval_interval_epochs > 0:
            raise ConfigError(f"train.eval_interval ({self.eval_interval} steps) and train.eval_interval_epochs "
                              f"({self.eval_interval_epochs}) are both set; set the other one to 0")


@dataclass
class RunConfig:
    """Everything a training run needs; written to the run directory as config.json."""

    preset: str = ""
    name: str = ""
    model: ModelConfig = field(default_factory=ModelConfig)
    data: DataConfig = field(default_factory=DataConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def validate(self) -> None:
        self.model.validate()
        self.data.validate()
        self.train.validate()

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, where: str = "config") -> RunConfig:
        cfg = from_dict(cls, data, where)
        cfg.validate()
        return cfg


# Sane bounds of the sizes a config declares: a damaged or hostile checkpoint or dataset that declares
# more is refused before anything of that size is allocated (the largest official sets use far less).
MODEL_LIMITS = {
    "vocab_size": (1, 1 << 16), "seq_len": (1, 1 << 16), "num_puzzle_identifiers": (1, 1 << 24),
    "puzzle_emb_ndim": (0, 1 << 14), "puzzle_emb_len": (0, 1 << 12), "hidden_size": (1, 1 << 14),
    "num_heads": (1, 1 << 10), "num_layers": (1, 256), "y_layers": (0, 256), "h_cycles": (1, 1 << 10),
    "l_cycles": (1, 1 << 10), "halt_max_steps": (1, 1 << 10),
}


def _in_range(name: str, value: int, lo: int, hi: int | None) -> None:
    if value < lo or (hi is not None and value > hi):
        raise ConfigError(f"{name} must be {f'in [{lo}, {hi}]' if hi is not None else f'>= {lo}'}, got {value}")


def _choice(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}; got {value!r}")


def _field_types(cls) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    return {f.name: hints[f.name] for f in dataclasses.fields(cls)}


def from_dict(cls, data: dict, where: str = "config"):
    """Build dataclass `cls` from a (nested) dict; unknown keys and wrong types raise ConfigError."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected an object, got {type(data).__name__}")
    types = _field_types(cls)
    unknown = sorted(set(data) - set(types))
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(types)}")
    kwargs = {}
    for name, value in data.items():
        typ = types[name]
        if dataclasses.is_dataclass(typ):
            kwargs[name] = from_dict(typ, value, f"{where}.{name}")
        else:
            kwargs[name] = _coerce(value, typ, f"{where}.{name}")
    return cls(**kwargs)


def _coerce(value: Any, typ: Any, where: str) -> Any:
    if typ is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if typ is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str):
            try:
                return int(value.replace("_", ""))
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if typ is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if typ is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    raise ConfigError(f"{where}: unsupported field type {typ}")  # internal: a field type we never use


# ---------------------------------------------------------------------------------------------- presets

def _load_presets() -> dict[str, dict]:
    text = resources.files("trm_engine").joinpath("presets.json").read_text()
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


PRESETS: dict[str, dict] = _load_presets()


def preset_names() -> list[str]:
    return list(PRESETS)


def preset_description(name: str) -> str:
    return PRESETS[name].get("description", "")


def load_preset(name: str) -> RunConfig:
    """The RunConfig of a named preset (defaults + the preset's overrides)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    body = {k: v for k, v in PRESETS[name].items() if k not in ("description", "family")}
    cfg = RunConfig.from_dict(body, where=f"preset {name}")
    cfg.preset = name
    return cfg


def preset_family(name: str) -> str:
    """The puzzle family a preset is made for (sudoku, maze or arc)."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; valid presets: {', '.join(PRESETS)}")
    return PRESETS[name]["family"]


def settable_keys() -> list[str]:
    """Every `section.key` that `--set` accepts."""
    keys = []
    for section in ("model", "data", "train"):
        keys += [f"{section}.{k}" for k in _field_types(_section_cls(section))]
    return keys + ["name"]


def _section_cls(section: str):
    return {"model": ModelConfig, "data": DataConfig, "train": TrainConfig}[section]


def apply_overrides(cfg: RunConfig, overrides: list[str]) -> RunConfig:
    """Apply `key=value` strings; `key` is `section.field` or a field name unique across sections."""
    data = cfg.to_dict()
    valid = settable_keys()
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"--set expects key=value, got {item!r}")
        key, value = item.split("=", 1)
        key = key.strip()
        if "." not in key and key != "name":
            matches = [k for k in valid if "." in k and k.split(".", 1)[1] == key]
            if len(matches) == 1:
                key = matches[0]
            elif len(matches) > 1:
                raise ConfigError(f"--set {key}: ambiguous, say one of {', '.join(matches)}")
        if key not in valid:
            raise ConfigError(f"--set {key}: unknown key; valid keys: {', '.join(valid)}")
        if key == "name":
            data["name"] = value
            continue
        section, name = key.split(".", 1)
        typ = _field_types(_section_cls(section))[name]
        data[section][name] = _coerce(value, typ, f"--set {key}")
        if key in _ONE_OF and data[section][name]:  # an interval in one unit replaces one in the other
            other = _ONE_OF[key].split(".", 1)[1]
            data[section][other] = 0
    return RunConfig.from_dict(data, where="config")


_ONE_OF = {"train.eval_interval": "train.eval_interval_epochs", "train.eval_interval_epochs": "train.eval_interval"}


def diff_configs(a: dict, b: dict, prefix: str = "") -> list[str]:
    """Dotted names of the fields that differ between two config dicts (for mismatch errors)."""
    out = []
    for key in sorted(set(a) | set(b)):
        va, vb = a.get(key), b.get(key)
        name = f"{prefix}{key}"
        if isinstance(va, dict) and isinstance(vb, dict):
            out += diff_configs(va, vb, name + ".")
        elif va != vb:
            out.append(f"{name} ({va!r} vs {vb!r})")
    return out
