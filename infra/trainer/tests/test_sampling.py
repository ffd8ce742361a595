"""The serving sampler's shared-prefix prefill: the same next-token logits and the same samples as
padding every prompt whole, for a plain tiny Llama and for the copy head."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from transformers import DynamicCache, LlamaConfig, LlamaForCausalLM

from trainyard_trainer.copyhead import CopyLlamaConfig, CopyLlamaForCausalLM
from trainyard_trainer.sampling import SampleParams, _prefill, generate, shared_prefix_length

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
