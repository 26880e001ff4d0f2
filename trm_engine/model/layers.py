"""The building blocks of the TRM network f, exact to the official code (trm_spec.md 1.3-1.5).

Post-norm blocks with a parameter-free RMSNorm, bias-free SwiGLU, self-attention with RoPE or the
`mlp_t` token-mixing MLP. Weights are fp32 masters cast to the activation dtype at call time (the
official CastedLinear), so one model runs in fp32 on a CPU and in bf16 on a GPU.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

# Std of a standard normal truncated to [-2, 2]; dividing by it makes the truncated samples have the
# asked-for std (the JAX-style correction of the official init).
_TRUNC2_STD = math.sqrt(1.0 - 4.0 * math.exp(-2.0) / math.sqrt(2.0 * math.pi) / math.erf(2.0 / math.sqrt(2.0)))


def trunc_normal_(tensor: torch.Tensor, std: float) -> torch.Tensor:
    """Fill with a normal truncated at +-2 sigma whose std (after truncation) is `std`."""
    if std == 0:
        return tensor.zero_()
    with torch.no_grad():
        tmp = torch.empty(tensor.shape, dtype=torch.float32, device=tensor.device)
        nn.init.trunc_normal_(tmp, mean=0.0, std=1.0, a=-2.0, b=2.0)
        tensor.copy_(tmp * (std / _TRUNC2_STD))
    return tensor


def rms_norm(x: torch.Tensor, eps: float) -> torch.Tensor:
    """Parameter-free RMSNorm over the last dim, computed in fp32."""
    dtype = x.dtype
    x32 = x.float()
    return (x32 * torch.rsqrt(x32.square().mean(-1, keepdim=True) + eps)).to(dtype)


def swiglu_width(dim: int, expansion: float) -> int:
    """Inner width of SwiGLU: round(expansion * dim * 2/3) rounded up to a multiple of 256."""
    inner = round(expansion * dim * 2 / 3)
    return -(inner // -256) * 256


def matmul(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
           dtype: torch.dtype | None = None) -> torch.Tensor:
    """F.linear with the product in `dtype` (None: x's dtype) and the result in x's dtype."""
    dtype = dtype or x.dtype
    out = F.linear(x.to(dtype), weight.to(dtype), None if bias is None else bias.to(dtype))
    return out.to(x.dtype)


class Linear(nn.Module):
    """Linear layer with an fp32 master weight cast to the input dtype; truncated LeCun-normal init.
    `matmul_dtype` (set by the model) runs the product in another dtype than the activations."""

    matmul_dtype: torch.dtype | None = None

    def __init__(self, in_features: int, out_features: int, bias: bool = False):
        super().__init__()
        self.weight = nn.Parameter(trunc_normal_(torch.empty(out_features, in_features), 1.0 / math.sqrt(in_features)))
        self.bias = nn.Parameter(torch.zeros(out_features)) if bias else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return matmul(x, self.weight, self.bias, self.matmul_dtype)


class SwiGLU(nn.Module):
    """down(silu(gate(x)) * up(x)), gate and up fused in one matrix; no biases."""

    def __init__(self, dim: int, expansion: float):
        super().__init__()
        self.inner = inner = swiglu_width(dim, expansion)
        self.gate_up = Linear(dim, 2 * inner)
        self.down = Linear(inner, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # Two matmuls on halves of the fused weight instead of chunking one product: the backward then
        # writes two weight-sized gradients instead of concatenating two activation-sized ones.
        w, dtype = self.gate_up.weight, self.gate_up.matmul_dtype
        gate = matmul(x, w[: self.inner], dtype=dtype)
        up = matmul(x, w[self.inner:], dtype=dtype)
        return self.down(F.silu(gate) * up)


class Rotary(nn.Module):
    """RoPE tables (fp32, "rotate_half" layout) over the flattened sequence, prefix included."""

    def __init__(self, head_dim: int, max_len: int, theta: float):
        super().__init__()
        inv_freq = 1.0 / (theta ** (torch.arange(0, head_dim, 2, dtype=torch.float32) / head_dim))
        freqs = torch.outer(torch.arange(max_len, dtype=torch.float32), inv_freq)
        angles = torch.cat((freqs, freqs), dim=-1)  # (L, head_dim)
        self.register_buffer("cos", angles.cos(), persistent=False)
        self.register_buffer("sin", angles.sin(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Rotate x of shape (B, L, H, head_dim) in fp32 and return it in x's dtype."""
        x32 = x.float()
        half = x.shape[-1] // 2
        rotated = torch.cat((-x32[..., half:], x32[..., :half]), dim=-1)
        out = x32 * self.cos.unsqueeze(-2) + rotated * self.sin.unsqueeze(-2)
        return out.to(x.dtype)


class Attention(nn.Module):
    """Bidirectional multi-head self-attention with a fused QKV projection, no biases."""

    def __init__(self, dim: int, num_heads: int):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.qkv = Linear(dim, 3 * dim)
        self.out = Linear(dim, dim)

    def forward(self, h: torch.Tensor, rotary: Rotary | None) -> torch.Tensor:
        B, L, D = h.shape
        qkv = self.qkv(h).view(B, L, 3 * self.num_heads, self.head_dim)
        q, k, v = qkv.split(self.num_heads, dim=2)  # each (B, L, H, hd)
        if rotary is not None:
            q, k = rotary(q), rotary(k)
        dtype = self.qkv.matmul_dtype or h.dtype
        q, k, v = (t.transpose(1, 2).to(dtype) for t in (q, k, v))  # (B, H, L, hd)
        o = F.scaled_dot_product_attention(q, k, v, is_causal=False).to(h.dtype)
        return self.out(o.transpose(1, 2).reshape(B, L, D))


class Block(nn.Module):
    """One post-norm block: token mixing (attention or mlp_t), then the channel SwiGLU."""

    def __init__(self, dim: int, num_heads: int, expansion: float, mixer: str, seq_len: int, eps: float):
        super().__init__()
        self.eps = eps
        if mixer == "mlp_t":
            self.token_mlp = SwiGLU(seq_len, expansion)  # mixes along the sequence (MLP-Mixer style)
        else:
            self.attn = Attention(dim, num_heads)
        self.mlp = SwiGLU(dim, expansion)

    def forward(self, h: torch.Tensor, rotary: Rotary | None) -> torch.Tensor:
        if hasattr(self, "token_mlp"):
            ht = h.transpose(1, 2)  # (B, D, L): the MLP and its norm run over the sequence axis
            h = rms_norm(ht + self.token_mlp(ht), self.eps).transpose(1, 2)
        else:
            h = rms_norm(h + self.attn(h, rotary), self.eps)
        return rms_norm(h + self.mlp(h), self.eps)


class Network(nn.Module):
    """The reasoning network f: add the injection once, then run the blocks. f(h, inj) = blocks(h + inj)."""

    def __init__(self, num_layers: int, dim: int, num_heads: int, expansion: float, mixer: str,
                 seq_len: int, eps: float):
        super().__init__()
        self.blocks = nn.ModuleList(Block(dim, num_heads, expansion, mixer, seq_len, eps) for _ in range(num_layers))

    def forward(self, h: torch.Tensor, injection: torch.Tensor | None, rotary: Rotary | None = None) -> torch.Tensor:
        if injection is not None:
            h = h + injection
        for block in self.blocks:
            h = block(h, rotary)
        return h
