"""The CPU engine's model: a small decoder-only transformer (GPT-2 shape, pre-norm, tied head).

Written for torch 1.13 on CPU: attention is spelled out (no F.scaled_dot_product_attention),
no torch.compile. Rotary position embeddings rather than GPT-2's learned table: on a rendered
board "the cell right of / below the player" is a fixed relative offset (1 / 7 tokens) that
rotary attention can learn once for every square. On the Sokoban answer-only set 2 of 5 runs
with a learned table never left the loss plateau (answering the label marginal) within 8–12
epochs; all 10 rotary runs left it, most by epoch 3. Generation uses a preallocated KV cache and
explicit position ids, so left-padded batches work.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

NEG = -1e9  # additive mask value; finite so fully-masked rows never produce NaN


@dataclass
class ModelArgs:
    vocab_size: int
    context_length: int
    d_model: int
    layers: int
    heads: int

    def to_json(self) -> dict:
        return asdict(self)


class KVCache:
    """Per-layer key/value buffers [B, H, T_max, Dh]; `length` positions are filled."""

    def __init__(self, args: ModelArgs, batch: int, max_len: int, dtype=torch.float32):
        dh = args.d_model // args.heads
        self.k = [torch.zeros(batch, args.heads, max_len, dh, dtype=dtype) for _ in range(args.layers)]
        self.v = [torch.zeros(batch, args.heads, max_len, dh, dtype=dtype) for _ in range(args.layers)]
        self.length = 0


def rope_tables(context_length: int, head_dim: int, base: float = 10000.0) -> tuple[torch.Tensor, torch.Tensor]:
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2).float() / head_dim))
    ang = torch.outer(torch.arange(context_length).float(), inv)  # [T, Dh/2]
    return torch.cos(ang), torch.sin(ang)


def rotate(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x [B, H, T, Dh]; cos/sin [B, 1, T, Dh/2]; dimensions (2i, 2i+1) rotate together."""
    x1, x2 = x[..., 0::2], x[..., 1::2]
    return torch.stack((x1 * cos - x2 * sin, x1 * sin + x2 * cos), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, a: ModelArgs):
        super().__init__()
        self.heads = a.heads
        self.ln1 = nn.LayerNorm(a.d_model)
        self.qkv = nn.Linear(a.d_model, 3 * a.d_model)
        self.proj = nn.Linear(a.d_model, a.d_model)
        self.ln2 = nn.LayerNorm(a.d_model)
        self.fc = nn.Linear(a.d_model, 4 * a.d_model)
        self.out = nn.Linear(4 * a.d_model, a.d_model)

    def forward(self, x, mask, cos, sin, cache: KVCache | None, layer: int) -> torch.Tensor:
        b, t, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q = rotate(q.view(b, t, h, d // h).transpose(1, 2), cos, sin)
        k = rotate(k.view(b, t, h, d // h).transpose(1, 2), cos, sin)  # cached already rotated
        v = v.view(b, t, h, d // h).transpose(1, 2)
        if cache is not None:
            start = cache.length
            cache.k[layer][:, :, start : start + t] = k
            cache.v[layer][:, :, start : start + t] = v
            k = cache.k[layer][:, :, : start + t]
            v = cache.v[layer][:, :, : start + t]
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(d // h)) + mask
        y = F.softmax(att, dim=-1) @ v
        x = x + self.proj(y.transpose(1, 2).reshape(b, t, d))
        return x + self.out(F.gelu(self.fc(self.ln2(x))))


class TinyGPT(nn.Module):
    def __init__(self, args: ModelArgs):
        super().__init__()
        self.args = args
        self.tok = nn.Embedding(args.vocab_size, args.d_model)
        cos, sin = rope_tables(args.context_length, args.d_model // args.heads)
        self.register_buffer("rope_cos", cos, persistent=False)
        self.register_buffer("rope_sin", sin, persistent=False)
        self.blocks = nn.ModuleList(Block(args) for _ in range(args.layers))
        self.ln_f = nn.LayerNorm(args.d_model)
        self.apply(self._init)
        # GPT-2's scaled init of residual projections keeps the residual stream's variance flat.
        for blk in self.blocks:
            nn.init.normal_(blk.proj.weight, std=0.02 / math.sqrt(2 * args.layers))
            nn.init.normal_(blk.out.weight, std=0.02 / math.sqrt(2 * args.layers))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    def forward(
        self,
        idx: torch.Tensor,
        positions: torch.Tensor | None = None,
        key_mask: torch.Tensor | None = None,
        cache: KVCache | None = None,
    ) -> torch.Tensor:
        """Logits [B, T, V].

        idx [B, T]; positions [B, T] (default 0..T-1); key_mask [B, T_total] bool, True = a real
        token (covers cached + new positions; default all real). Causal within the sequence.
        """
        b, t = idx.shape
        past = cache.length if cache is not None else 0
        if positions is None:
            positions = torch.arange(past, past + t).unsqueeze(0).expand(b, t)
        cos = self.rope_cos[positions].unsqueeze(1)  # [B, 1, T, Dh/2]
        sin = self.rope_sin[positions].unsqueeze(1)
        x = self.tok(idx)
        mask = self._mask(b, t, past, key_mask)
        for i, blk in enumerate(self.blocks):
            x = blk(x, mask, cos, sin, cache, i)
        if cache is not None:
            cache.length += t
        return self.ln_f(x) @ self.tok.weight.t()

    @staticmethod
    def _mask(b: int, t: int, past: int, key_mask: torch.Tensor | None) -> torch.Tensor:
        total = past + t
        q = torch.arange(past, total).unsqueeze(1)
        k = torch.arange(total).unsqueeze(0)
        allowed = (k <= q).unsqueeze(0)  # [1, t, total]
        if key_mask is not None:
            allowed = allowed & key_mask[:, None, :total]
            # A padding query would see no key at all; let it see itself so softmax stays finite.
            allowed = allowed | (k == q).unsqueeze(0)
        return torch.zeros(allowed.shape).masked_fill(~allowed, NEG).unsqueeze(1)  # [B|1, 1, t, total]
