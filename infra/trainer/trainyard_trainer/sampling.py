"""Batched sampling with a KV cache (GRPO rollouts and serve mode share it).

Prompts of different lengths are left-padded so every row's next token is the last column;
padding is masked out of attention and position ids start at 0 on each row's first real token,
so a row's output does not depend on what it was batched with (up to float rounding).
Each row may bring its own torch.Generator: a request's `seed` then fixes its samples however
the batcher grouped it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch

from .model import KVCache, TinyGPT


@dataclass
class SampleParams:
    max_tokens: int
    temperature: float = 1.0  # 0 = greedy
    top_p: float = 1.0
    stop: list[bytes] = field(default_factory=list)
    generator: torch.Generator | None = None


@dataclass
class Sample:
    tokens: list[int]  # every sampled token, including a final EOS or the tokens of a stop string
    text: bytes  # decoded completion, cut before EOS / the first stop string
    finish_reason: str  # "stop" | "length"


def _pick(logits: torch.Tensor, params: list[SampleParams], rows: list[int]) -> list[int]:
    """Sample one token for each of `rows` from logits [len(rows), V]."""
    out: list[int] = []
    temps = torch.tensor([max(params[r].temperature, 1e-6) for r in rows]).unsqueeze(1)
    probs = torch.softmax(logits / temps, dim=-1)
    top_ps = [params[r].top_p for r in rows]
    if any(p < 1.0 for p in top_ps):
        sp, si = probs.sort(dim=-1, descending=True)
        cum = sp.cumsum(dim=-1)
        # Keep the smallest prefix whose mass reaches top_p (the first token always stays).
        drop = (cum - sp) >= torch.tensor(top_ps).unsqueeze(1)
        sp = sp.masked_fill(drop, 0.0)
        probs = torch.zeros_like(probs).scatter(1, si, sp)
    gens = [params[r].generator for r in rows]
    shared = all(g is gens[0] for g in gens)
    if shared:
        drawn = torch.multinomial(probs, 1, generator=gens[0]).squeeze(1).tolist()
    else:
        drawn = [int(torch.multinomial(probs[i], 1, generator=g)) for i, g in enumerate(gens)]
    greedy = logits.argmax(dim=-1).tolist()
    for i, r in enumerate(rows):
        out.append(greedy[i] if params[r].temperature <= 0 else drawn[i])
    return out


@torch.no_grad()
def generate(model: TinyGPT, prompts: list[list[int]], params: list[SampleParams], vocab: list[bytes], eos_id: int) -> list[Sample]:
    b = len(prompts)
    lens = [len(p) for p in prompts]
    width = max(lens)
    max_new = max(p.max_tokens for p in params)
    ctx = model.args.context_length
    for p, sp in zip(prompts, params):
        # Per row: left padding only widens the KV buffer, positions stay row-relative.
        if len(p) + sp.max_tokens > ctx:
            raise ValueError(f"prompt ({len(p)}) + max_tokens ({sp.max_tokens}) exceeds the context length ({ctx})")
    ids = torch.full((b, width), eos_id, dtype=torch.long)
    key_mask = torch.zeros(b, width + max_new, dtype=torch.bool)
    for i, p in enumerate(prompts):
        ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
        key_mask[i, width - len(p) : width] = True
    positions = (key_mask[:, :width].long().cumsum(dim=1) - 1).clamp(min=0)
    cache = KVCache(model.args, b, width + max_new)
    was_training = model.training
    model.eval()
    logits = model(ids, positions, key_mask[:, :width], cache)[:, -1]

    tokens: list[list[int]] = [[] for _ in range(b)]
    texts = [b"" for _ in range(b)]
    finish = ["length"] * b
    done = [False] * b
    for step in range(max_new):
        active = [i for i in range(b) if not done[i]]
        if not active:
            break
        picked = _pick(logits[active], params, active)
        nxt = torch.full((b, 1), eos_id, dtype=torch.long)
        for i, t in zip(active, picked):
            tokens[i].append(t)
            nxt[i, 0] = t
            key_mask[i, width + step] = True
            if t == eos_id:
                done[i], finish[i] = True, "stop"
                continue
            texts[i] += vocab[t]
            hit = [texts[i].find(s) for s in params[i].stop if s and s in texts[i]]
            if hit:
                texts[i] = texts[i][: min(hit)]
                done[i], finish[i] = True, "stop"
            elif len(tokens[i]) >= params[i].max_tokens:
                done[i] = True
        if all(done):
            break
        # Finished rows keep being fed (masked out); clamp so their position stays in the table.
        pos = torch.tensor([[min(lens[i] + step, ctx - 1)] for i in range(b)], dtype=torch.long)
        logits = model(nxt, pos, key_mask[:, : width + step + 1], cache)[:, -1]
    model.train(was_training)
    return [Sample(tokens[i], texts[i], finish[i]) for i in range(b)]
