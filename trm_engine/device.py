"""The one place that picks a torch device and the compute dtype for it."""

from __future__ import annotations

import torch

from .errors import DeviceError


def available_devices() -> list[str]:
    """Every device this machine can train on, best first: each CUDA device, mps, cpu."""
    devices = [f"cuda:{i}" for i in range(torch.cuda.device_count())] if torch.cuda.is_available() else []
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        devices.append("mps")
    devices.append("cpu")
    return devices


def resolve_device(name: str = "auto") -> torch.device:
    """Turn 'auto' | 'cpu' | 'cuda' | 'cuda:N' | 'mps' into a torch.device, or raise DeviceError."""
    if name in ("", "auto"):
        return torch.device(available_devices()[0])
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise DeviceError(f"unknown device {name!r}; this machine has: {', '.join(available_devices())}") from exc
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise DeviceError(f"device {name!r} asked for, but CUDA is not available; this machine has: "
                              f"{', '.join(available_devices())}")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError(f"device {name!r} asked for, but there are {torch.cuda.device_count()} CUDA devices")
    if device.type == "mps" and "mps" not in available_devices():
        raise DeviceError(f"device {name!r} asked for, but MPS is not available")
    return device


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """The compute dtype: 'auto' is bfloat16 on CUDA (as the official code) and float32 elsewhere."""
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    table = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}
    if name not in table:
        raise DeviceError(f"unknown dtype {name!r}; choose one of auto, {', '.join(table)}")
    return table[name]
