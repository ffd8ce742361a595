"""KV-cache sampling: equal to a full forward pass, and independent of batch padding."""
from __future__ import annotations

import torch

from trainyard_trainer.model import ModelArgs, TinyGPT
from trainyard_trainer.sampling import SampleParams, generate

VOCAB = [bytes([i]) for i in range(256)] + [b""] + [b"ab", b"cd"]


def model() -> TinyGPT:
    torch.manual_seed(0)
    return TinyGPT(ModelArgs(vocab_size=259, context_length=64, d_model=32, layers=2, heads=4)).eval()


def greedy_without_cache(m: TinyGPT, prompt: list[int], n: int) -> list[int]:
    ids = list(prompt)
    for _ in range(n):
        with torch.no_grad():
            ids.append(int(m(torch.tensor([ids]))[0, -1].argmax()))
    return ids[len(prompt):]


def test_cached_greedy_equals_full_recompute():
    m = model()
    prompt = [5, 17, 200, 3, 99]
    out = generate(m, [prompt], [SampleParams(12, temperature=0.0)], VOCAB, eos_id=256)[0]
    want = greedy_without_cache(m, prompt, 12)
    cut = want.index(256) + 1 if 256 in want else len(want)
    assert out.tokens == want[:cut]


def test_left_padding_does_not_change_a_rows_output():
    m = model()
    prompts = [[1, 2, 3], [9, 8, 7, 6, 5, 4, 3, 2], [42]]
    alone = [generate(m, [p], [SampleParams(8, temperature=0.0)], VOCAB, 256)[0].tokens for p in prompts]
    together = generate(m, prompts, [SampleParams(8, temperature=0.0) for _ in prompts], VOCAB, 256)
    assert [s.tokens for s in together] == alone


def test_seeded_rows_reproduce_across_batch_compositions():
    m = model()
    p = [[3, 4, 5], [10, 11]]
    def run(prompts, seeds):
        ps = [SampleParams(10, 1.0, 0.9, [], torch.Generator().manual_seed(s)) for s in seeds]
        return [s.tokens for s in generate(m, prompts, ps, VOCAB, 256)]
    assert run([p[0]], [7])[0] == run(p, [7, 8])[0]


def test_stop_strings_and_length_limits():
    m = model()
    out = generate(m, [[1, 2]], [SampleParams(5, temperature=0.0)], VOCAB, 256)[0]
    assert out.finish_reason in ("length", "stop") and len(out.tokens) <= 5
    first = VOCAB[out.tokens[0]]
    if out.tokens[0] != 256 and first:
        stopped = generate(m, [[1, 2]], [SampleParams(5, 0.0, 1.0, [first])], VOCAB, 256)[0]
        assert stopped.finish_reason == "stop" and stopped.text == b""
