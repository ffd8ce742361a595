"""The serving sampler's shared-prefix prefill: the same next-token logits and the same samples as
padding every prompt whole, for a plain tiny Llama and for the copy head."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

from trainyard_trainer.copyhead import CopyLlamaConfig, CopyLlamaForCausalLM
from trainyard_trainer.sampling import PromptCache, SampleParams, _assemble, _prefill, _row_states, generate, shared_prefix_length

VOCAB = 60
TOK = SimpleNamespace(pad_token_id=0, decode=lambda ids, skip_special_tokens=True: " ".join(map(str, ids)))


def model(kind: str):
    torch.manual_seed(0)
    common = dict(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                  num_key_value_heads=4, max_position_embeddings=128)
    if kind == "plain":
        return LlamaForCausalLM(LlamaConfig(**common)).eval()
    return CopyLlamaForCausalLM(CopyLlamaConfig(copy_dim=16, copy_first_only=kind == "copy-first", **common)).eval()


def prompts() -> list[list[int]]:
    """A 20-token shared instruction, then boards of different lengths (one repeats a prefix token)."""
    g = torch.Generator().manual_seed(1)
    head = torch.randint(1, VOCAB, (20,), generator=g).tolist()
    return [head + torch.randint(1, VOCAB, (n,), generator=g).tolist() for n in (7, 3, 11, 1)] + [head + [head[0]] * 4]


def padded_prefill(m, ps: list[list[int]]) -> torch.Tensor:
    width = max(len(p) for p in ps)
    ids = torch.zeros((len(ps), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    for i, p in enumerate(ps):
        ids[i, width - len(p):] = torch.tensor(p)
        mask[i, width - len(p):] = 1
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        return m(input_ids=ids, attention_mask=mask, position_ids=pos, logits_to_keep=1).logits[:, -1]


def test_the_shared_prefix_leaves_every_prompt_a_token_of_its_own():
    assert shared_prefix_length([[1, 2, 3, 4], [1, 2, 3, 5]]) == 3
    assert shared_prefix_length([[1, 2, 3], [1, 2, 3, 4]]) == 2  # the shorter prompt keeps its last token
    assert shared_prefix_length([[1, 2], [3, 2]]) == 0
    assert shared_prefix_length([[1, 2, 3]]) == 0  # one prompt: nothing to share


@pytest.mark.parametrize("kind", ["plain", "copy", "copy-first"])
def test_a_prefix_cached_prefill_gives_the_logits_of_padding_every_prompt_whole(kind):
    m, ps = model(kind), prompts()
    assert shared_prefix_length(ps) == 20
    with torch.no_grad():
        cached, _ = _prefill(m, ps, 0, torch.device("cpu"), DynamicCache(config=m.config))
    whole = padded_prefill(m, ps)
    assert torch.isfinite(cached).all()
    assert (cached - whole).abs().max() < 1e-4


@pytest.mark.parametrize("kind", ["plain", "copy", "copy-first"])
def test_prefix_cached_generation_samples_what_the_whole_prompt_path_samples(kind):
    m, ps = model(kind), prompts()

    def run(prefix_cache: bool):
        params = [SampleParams(max_tokens=8, temperature=t, generator=torch.Generator().manual_seed(i))
                  for i, t in enumerate([0, 0.5, 1.0, 0, 0.7])]
        return [s.tokens for s in generate(m, TOK, ps, params, eos={VOCAB - 1}, prefix_cache=prefix_cache)]

    assert run(True) == run(False)


def sample(m, ps, seeds, prompt_cache=None, prefix_cache=True):
    params = [SampleParams(max_tokens=8, temperature=0.7, generator=torch.Generator().manual_seed(s)) for s in seeds]
    out = generate(m, TOK, ps, params, eos={VOCAB - 1}, prefix_cache=prefix_cache, prompt_cache=prompt_cache)
    return [s.tokens for s in out]


@pytest.mark.parametrize("kind", ["plain", "copy", "copy-first"])
def test_a_prompt_asked_again_reuses_its_prefill_and_samples_what_a_fresh_prefill_samples(kind):
    m, ps = model(kind), prompts()
    cache = PromptCache(16)
    sample(m, ps[:3], [0, 1, 2], cache)  # an earlier batch: three prompts' prefill kept
    assert (cache.hits, cache.misses, len(cache.entries)) == (0, 3, 3)
    # A later batch mixes prompts seen before (in another order, another length mix) with new ones.
    later, seeds = [ps[2], ps[3], ps[0], ps[4]], [7, 8, 9, 10]
    got = sample(m, later, seeds, cache)
    assert (cache.hits, cache.misses) == (2, 5)
    assert got == sample(m, later, seeds)  # what the batch samples with no cache at all
    assert got == sample(m, later, seeds, prefix_cache=False)
    # Every prompt known: no prefill runs at all, and the samples still match.
    calls = []
    forward = m.forward
    m.forward = lambda *a, **k: (calls.append(k["input_ids"].shape), forward(*a, **k))[1]
    again = sample(m, later, [11, 12, 13, 14], cache)
    m.forward = forward
    assert all(shape[1] == 1 for shape in calls), "a batch of known prompts ran a prefill"
    assert again == sample(m, later, [11, 12, 13, 14])


def test_a_cached_prefill_gives_the_logits_of_a_fresh_one():
    m, ps = model("copy-first"), prompts()
    with torch.no_grad():
        c = DynamicCache(config=m.config)
        logits, mask = _prefill(m, ps, 0, torch.device("cpu"), c)
        states = _row_states(c, logits, mask)
        assert [s.length for s in states] == [len(p) for p in ps]
        cache, again, mask2 = _assemble(m, states[::-1], 0, torch.device("cpu"))
    assert torch.equal(again, logits.flip(0))
    assert mask2.sum(1).tolist() == [len(p) for p in ps[::-1]]
    assert (again - padded_prefill(m, ps[::-1])).abs().max() < 1e-4


@pytest.mark.parametrize("kind", ["plain", "copy-first"])
def test_a_prompt_twice_in_one_batch_is_prefilled_once_even_by_a_cache_smaller_than_the_batch(kind):
    m, ps = model(kind), prompts()
    batch, seeds = [ps[0], ps[1], ps[0], ps[2], ps[3], ps[0]], [1, 2, 3, 4, 5, 6]
    cache = PromptCache(2)  # smaller than the batch's four distinct prompts: entries go while it runs
    calls = []
    forward = m.forward
    m.forward = lambda *a, **k: (calls.append(k["input_ids"].shape), forward(*a, **k))[1]
    got = sample(m, batch, seeds, cache)
    m.forward = forward
    assert (cache.hits, cache.misses) == (2, 4)
    assert [shape[0] for shape in calls if shape[1] > 1] == [1, 4]  # the shared prefix once, then four prompts
    assert got == sample(m, batch, seeds)


def test_a_sliding_window_model_turns_the_prompt_cache_off_and_still_samples_what_it_would():
    from transformers import Qwen2Config, Qwen2ForCausalLM

    torch.manual_seed(0)
    m = Qwen2ForCausalLM(Qwen2Config(vocab_size=VOCAB, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                     num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=128,
                                     use_sliding_window=True, sliding_window=8, max_window_layers=0)).eval()
    ps = prompts()  # 21-31 tokens: longer than the window, whose layers keep only the last 8 keys
    cache = PromptCache(16)
    first = sample(m, ps, [1, 2, 3, 4, 5], cache)
    assert cache.size == 0 and not cache.entries
    assert first == sample(m, ps, [1, 2, 3, 4, 5])
    assert sample(m, ps, [6, 7, 8, 9, 10], cache) == sample(m, ps, [6, 7, 8, 9, 10])


def test_the_prompt_cache_forgets_the_least_recently_used_prompt():
    cache = PromptCache(2)
    s = SimpleNamespace(nbytes=10)
    cache.put((1,), s)
    cache.put((2,), s)
    assert cache.get((1,)) is s  # (1,) is now the most recent
    cache.put((3,), s)
    assert cache.get((2,)) is None and cache.get((1,)) is s and cache.get((3,)) is s
    assert (cache.hits, cache.misses) == (3, 1)
    assert cache.bytes == 20
    off = PromptCache(0)
    off.put((1,), s)
    assert off.get((1,)) is None
    # Bounded by bytes too: a third 10-byte state pushes the oldest out of a 25-byte cache.
    small = PromptCache(8, max_bytes=25)
    for k in ((1,), (2,), (3,)):
        small.put(k, s)
    assert list(small.entries) == [(2,), (3,)] and small.bytes == 20
    small.put((3,), s)  # the same prompt again replaces its state, not adds to the count
    assert small.bytes == 20


def test_a_prompt_state_counts_its_bytes():
    m, ps = model("copy-first"), prompts()
    with torch.no_grad():
        c = DynamicCache(config=m.config)
        logits, mask = _prefill(m, ps[:1], 0, torch.device("cpu"), c)
        (state,) = _row_states(c, logits, mask)
    n = len(ps[0])
    kv = 2 * 2 * 4 * n * 8 * 4  # layers × (k, v) × heads × positions × head dim × float32
    copy = n * 16 * 4 + n * 8 + n * 1  # keys (copy dim 16), ids (int64), first-mention flags (bool)
    assert state.nbytes == VOCAB * 4 + kv + copy
