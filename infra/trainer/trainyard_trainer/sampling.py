"""Batched sampling over any Hugging Face causal LM with a KV cache (serve mode's engine).

Hand-written rather than `model.generate`, for one property evaluation needs: each row samples
from its own torch.Generator, so a request's `seed` fixes its answer however the server batched
it with others (`generate` draws every row from the one global RNG). Prompts of different
lengths are left-padded; padding is masked and each row's position ids start at 0 on its first
real token, so a row's logits do not depend on its batch mates (up to float rounding).
"""
from __future__ import annotations

from collections import OrderedDict
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


# A shared prefix shorter than this is not worth a separate forward pass.
MIN_SHARED_PREFIX = 16


def shared_prefix_length(prompts: list[list[int]]) -> int:
    """Tokens every prompt starts with, leaving each prompt at least one token of its own (the
    prefill's last row must be that prompt's)."""
    if len(prompts) < 2:
        return 0
    first, limit = prompts[0], min(len(p) for p in prompts) - 1
    n = 0
    while n < limit and all(p[n] == first[n] for p in prompts):
        n += 1
    return n


def _prefill(model, prompts: list[list[int]], pad: int, device, cache, share: bool = True):
    """Last-position logits of every prompt, filling `cache`; the batch's shared prefix runs once.

    Prefix caching is hand-written because evaluation batches are one instruction template with
    different boards: about 40 % of every prompt is the same text, and the prefill is ~80 % of a
    CPU turn. Layout after the prefix: [shared prefix][left padding][own suffix], the padding
    masked; positions continue from the prefix, so each row sees exactly its own prompt.
    """
    b, lens = len(prompts), [len(p) for p in prompts]
    shared = shared_prefix_length(prompts) if share else 0
    if shared < MIN_SHARED_PREFIX:
        shared = 0
    if shared:
        head = torch.tensor([prompts[0][:shared]], dtype=torch.long, device=device)
        model(input_ids=head, attention_mask=torch.ones_like(head),
              position_ids=torch.arange(shared, device=device)[None], past_key_values=cache, use_cache=True,
              logits_to_keep=1)
        cache.batch_repeat_interleave(b)
        # The copy head keeps its own keys beside the KV cache; it repeats them itself.
        if hasattr(model, "repeat_copy_cache"):
            model.repeat_copy_cache(cache, b)
    width = max(lens) - shared
    ids = torch.full((b, width), pad, dtype=torch.long)
    mask = torch.zeros((b, shared + width), dtype=torch.long)
    mask[:, :shared] = 1
    positions = torch.zeros((b, width), dtype=torch.long)
    for i, p in enumerate(prompts):
        own = len(p) - shared
        ids[i, width - own :] = torch.tensor(p[shared:], dtype=torch.long)
        mask[i, shared + width - own :] = 1
        positions[i, width - own :] = torch.arange(shared, len(p))
    ids, mask, positions = ids.to(device), mask.to(device), positions.to(device)
    logits = model(input_ids=ids, attention_mask=mask, position_ids=positions, past_key_values=cache, use_cache=True,
                   logits_to_keep=1).logits[:, -1]
    return logits, mask


@dataclass
class PromptState:
    """One prompt's prefill, unpadded: its last-position logits, each layer's keys and values
    ([heads, length, head dim]) and the copy head's cached keys, ids and first-mention flags
    (None for a plain model)."""

    logits: torch.Tensor
    layers: list[tuple[torch.Tensor, torch.Tensor]]
    copy: tuple[torch.Tensor | None, ...] | None
    nbytes: int = field(init=False)  # counted once: the cache subtracts it again on eviction

    def __post_init__(self) -> None:
        tensors = [self.logits, *(t for kv in self.layers for t in kv), *(t for t in self.copy or () if t is not None)]
        self.nbytes = sum(t.numel() * t.element_size() for t in tensors)

    @property
    def length(self) -> int:
        return self.layers[0][0].shape[1]


class PromptCache:
    """The prefill states of the last `size` distinct prompts (least recently used goes first).

    Why: Sokoban evaluation rebuilds the whole prompt every turn, and a turn that changes nothing
    (an invalid answer, a move into a wall, a step back to a board seen before) asks the same
    prompt again: 87 % of one CPU demo checkpoint's prompts (a split whose answers are all invalid
    plays 30 identical prompts per level), and the prefill is most of a turn. Reusing a prompt's keys and values is what vLLM's
    automatic prefix caching does; only the sampling after the prompt is done again (each turn has
    its own seed). The states are the same tensors the prefill computed, so a hit changes the
    logits by float rounding at most (the batch's padding differs). One thread uses it (the
    batcher), so it takes no lock. Besides `size` prompts, the states kept are bounded by
    `max_bytes` (a 7B model's KV for a long prompt is tens of MB)."""

    def __init__(self, size: int, max_bytes: int = 1 << 30):
        self.size, self.max_bytes = size, max_bytes
        self.entries: OrderedDict[tuple[int, ...], PromptState] = OrderedDict()
        self.bytes = 0
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.size > 0

    def disable(self) -> None:
        """Off for good (a model whose cache cannot be cut into rows), its states freed."""
        self.size = 0
        self.entries.clear()
        self.bytes = 0

    def repeat(self) -> None:
        """Counts a prompt that repeats an earlier one of the same batch as a hit: it is prefilled
        once, though it was never looked up."""
        self.hits += 1

    def get(self, key: tuple[int, ...]) -> PromptState | None:
        state = self.entries.get(key)
        if state is None:
            self.misses += 1
            return None
        self.hits += 1
        self.entries.move_to_end(key)
        return state

    def put(self, key: tuple[int, ...], state: PromptState) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.bytes -= old.nbytes
        self.entries[key] = state
        self.bytes += state.nbytes
        while self.entries and (len(self.entries) > self.size or self.bytes > self.max_bytes):
            self.bytes -= self.entries.popitem(last=False)[1].nbytes


def _cacheable(cache, mask: torch.Tensor) -> bool:
    """Whether every layer kept every position (a plain DynamicLayer): a sliding-window layer drops
    the oldest keys of a long prompt, and other caches (state-space models) hold no per-position
    keys, so their rows cannot be cut out and put back."""
    from transformers.cache_utils import DynamicLayer

    return bool(cache.layers) and all(
        type(layer) is DynamicLayer and layer.keys.shape[-2] == mask.shape[1] for layer in cache.layers)


def _row_states(cache, logits: torch.Tensor, mask: torch.Tensor) -> list[PromptState]:
    """Each row's own positions out of a batch's prefill (padding dropped, shared prefix kept)."""
    copy = getattr(cache, "trainyard_copy", None)
    out = []
    for i in range(mask.shape[0]):
        idx = mask[i].nonzero().squeeze(1)
        layers = [(layer.keys[i][:, idx], layer.values[i][:, idx]) for layer in cache.layers]
        own = None if copy is None else tuple(None if t is None else t[i][idx] for t in copy)
        out.append(PromptState(logits[i].clone(), layers, own))
    return out


def _left_padded(rows: list[torch.Tensor], width: int, dim: int, fill=0) -> torch.Tensor:
    """The rows stacked into one batch, each left-padded with `fill` to `width` along `dim`."""
    shape = list(rows[0].shape)
    shape[dim] = width
    out = rows[0].new_full((len(rows), *shape), fill)
    for i, r in enumerate(rows):
        n = r.shape[dim]
        out[i].narrow(dim, width - n, n).copy_(r)
    return out


def _assemble(model, states: list[PromptState], pad: int, device):
    """A batch cache, mask and last logits from prompt states, each row left-padded to the longest."""
    from transformers import DynamicCache

    b, width = len(states), max(s.length for s in states)
    mask = torch.zeros((b, width), dtype=torch.long, device=device)
    for i, s in enumerate(states):
        mask[i, width - s.length :] = 1
    # Keys and values are [heads, length, head dim] per row: padded along dim 1.
    layers = [tuple(_left_padded([s.layers[j][kv] for s in states], width, 1) for kv in (0, 1))
              for j in range(len(states[0].layers))]
    cache = DynamicCache(ddp_cache_data=layers, config=model.config)
    if states[0].copy is not None:
        # The copy head's keys, ids and flags are [length, ...] per row; ids pad with the pad token.
        cache.trainyard_copy = tuple(
            None if t0 is None else _left_padded([s.copy[t] for s in states], width, 0, pad if t0.dtype == torch.long else 0)
            for t, t0 in enumerate(states[0].copy))
    return cache, torch.stack([s.logits for s in states]), mask


@torch.no_grad()
def generate(model, tok, prompts: list[list[int]], params: list[SampleParams], eos: set[int],
             prefix_cache: bool = True, prompt_cache: PromptCache | None = None) -> list[Sample]:
    """Samples a completion for every prompt, together. `prompt_cache` (serve mode's) reuses the
    prefill of prompts seen in earlier batches; a batch with no such prompt runs as without it."""
    from transformers import DynamicCache

    device = next(model.parameters()).device
    b, lens = len(prompts), [len(p) for p in prompts]
    pad = tok.pad_token_id if tok.pad_token_id is not None else next(iter(eos))
    use_cache = prompt_cache is not None and prompt_cache.enabled
    keys = [tuple(p) for p in prompts]
    known: list[PromptState | None] = [None] * b
    todo = list(range(b))
    if use_cache:
        # A prompt seen in an earlier batch, or earlier in this one (n choices of one request),
        # is prefilled once.
        first: dict[tuple[int, ...], int] = {}
        todo = []
        for i, k in enumerate(keys):
            if k in first:
                prompt_cache.repeat()
                continue
            known[i] = prompt_cache.get(k)
            if known[i] is None:
                first[k] = i
                todo.append(i)
    cache = DynamicCache(config=model.config)
    fresh: dict[tuple[int, ...], PromptState] = {}
    if todo:
        # Without sharing, every prompt is left-padded whole (the reference the tests compare with).
        logits, mask = _prefill(model, [prompts[i] for i in todo], pad, device, cache, share=prefix_cache)
        if use_cache and not _cacheable(cache, mask):
            prompt_cache.disable()  # this model's cache cannot be reused: off for good
            use_cache = False
        if use_cache:
            for i, s in zip(todo, _row_states(cache, logits, mask)):
                prompt_cache.put(keys[i], s)
                fresh[keys[i]] = s
    if len(todo) < b:  # some rows' prompts were prefilled before: one batch of every row's state
        states = [known[i] or fresh[keys[i]] for i in range(b)]
        cache, logits, mask = _assemble(model, states, pad, device)

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
