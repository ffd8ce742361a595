"""Batched sampling over any Hugging Face causal LM with a KV cache (serve mode's engine).

Hand-written rather than `model.generate`, for one property evaluation needs: each row samples
from its own torch.Generator, so a request's `seed` fixes its answer however the server batched
it with others (`generate` draws every row from the one global RNG). Prompts of different
lengths are left-padded; padding is masked and each row's position ids start at 0 on its first
real token, so a row's logits do not depend on its batch mates (up to float rounding).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class SampleParams:
    max_tokens: int
    temperature: float = 1.0  # 0 = greedy
    top_p: float = 1.0
    top_k: int = 0  # 0 = off
    stop: list[str] = field(default_factory=list)
    generator: torch.Generator | None = None


@dataclass
class Sample:
    tokens: list[int]  # every sampled token, including a final EOS
    text: str  # the completion, cut before EOS / the first stop string
    finish_reason: str  # "stop" | "length"


def _filter(probs: torch.Tensor, top_p: float, top_k: int) -> torch.Tensor:
    if top_k > 0 and top_k < probs.shape[-1]:
        kth = probs.topk(top_k).values[..., -1, None]
        probs = probs.masked_fill(probs < kth, 0.0)
    if top_p < 1.0:
        sp, si = probs.sort(descending=True)
        cum = sp.cumsum(-1)
        # Keep the smallest prefix whose mass reaches top_p (the first token always stays).
        sp = sp.masked_fill((cum - sp) >= top_p * cum[..., -1:], 0.0)
        probs = torch.zeros_like(probs).scatter(-1, si, sp)
    return probs


def _pick(logits: torch.Tensor, p: SampleParams) -> int:
    if p.temperature <= 0:
        return int(logits.argmax())
    probs = torch.softmax(logits.float() / p.temperature, dim=-1)
    probs = _filter(probs, p.top_p, p.top_k)
    return int(torch.multinomial(probs, 1, generator=p.generator))


@torch.no_grad()
def generate(model, tok, prompts: list[list[int]], params: list[SampleParams], eos: set[int]) -> list[Sample]:
    from transformers import DynamicCache

    device = next(model.parameters()).device
    b, lens = len(prompts), [len(p) for p in prompts]
    width = max(lens)
    pad = tok.pad_token_id if tok.pad_token_id is not None else next(iter(eos))
    ids = torch.full((b, width), pad, dtype=torch.long)
    mask = torch.zeros((b, width), dtype=torch.long)
    for i, p in enumerate(prompts):
        ids[i, width - len(p) :] = torch.tensor(p, dtype=torch.long)
        mask[i, width - len(p) :] = 1
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    cache = DynamicCache(config=model.config)
    ids, mask, positions = ids.to(device), mask.to(device), positions.to(device)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache, use_cache=True,
                   logits_to_keep=1).logits[:, -1]

    tokens: list[list[int]] = [[] for _ in range(b)]
    texts = [""] * b
    finish = ["length"] * b
    done = [False] * b
    for step in range(max(p.max_tokens for p in params)):
        nxt = torch.full((b, 1), pad, dtype=torch.long)
        for i in range(b):
            if done[i]:
                continue
            t = _pick(logits[i].cpu(), params[i])
            tokens[i].append(t)
            nxt[i, 0] = t
            if t in eos:
                done[i], finish[i] = True, "stop"
                continue
            texts[i] = tok.decode(tokens[i], skip_special_tokens=True)
            hits = [texts[i].find(s) for s in params[i].stop if s and s in texts[i]]
            if hits:
                texts[i] = texts[i][: min(hits)]
                done[i], finish[i] = True, "stop"
            elif len(tokens[i]) >= params[i].max_tokens:
                done[i] = True
        if all(done):
            break
        # Finished rows keep being fed (their outputs are ignored) so the batch stays rectangular.
        mask = torch.cat([mask, torch.ones((b, 1), dtype=torch.long, device=device)], dim=1)
        pos = torch.tensor([[lens[i] + step] for i in range(b)], dtype=torch.long, device=device)
        logits = model(input_ids=nxt.to(device), attention_mask=mask, position_ids=pos, past_key_values=cache, use_cache=True).logits[:, -1]
    return [Sample(tokens[i], texts[i], finish[i]) for i in range(b)]
