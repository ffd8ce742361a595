"""The serving sampler's shared-prefix prefill against padding every prompt whole.

    .venv/bin/python bench/serve/prefill.py [--batch 16] [--shared 41] [--own 60] [--repeats 5]

The demo's model shape (tiny Llama with a copy head: 4 layers, 192 wide, 12 heads, a 2,048-token
vocabulary; random weights: the time depends on shapes, not on what was learned) answers one
evaluation turn for a batch of prompts that share --shared tokens (the instruction text before
the board) and differ in --own tokens each (the board and what follows), decoding 6 tokens
(an answer-only completion). Runs alternate (whole, cached, whole, cached, ...) on one torch
thread; the best of each and the ratio are printed, and the sampled tokens must be the same.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_model import Tok, demo_model  # noqa: E402  (puts infra/trainer on the path)
from trainyard_trainer.sampling import SampleParams, generate  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--shared", type=int, default=41)
    ap.add_argument("--own", type=int, default=60)
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model = demo_model()
    g = torch.Generator().manual_seed(1)
    head = torch.randint(3, 2048, (a.shared,), generator=g).tolist()
    prompts = [head + torch.randint(3, 2048, (a.own,), generator=g).tolist() for _ in range(a.batch)]

    def run(cached: bool):
        params = [SampleParams(max_tokens=6, temperature=0.5, generator=torch.Generator().manual_seed(i)) for i in range(a.batch)]
        t = time.perf_counter()
        out = generate(model, Tok, prompts, params, eos={1}, prefix_cache=cached)
        return time.perf_counter() - t, [s.tokens for s in out]

    run(True), run(False)  # warm-up
    best = {True: float("inf"), False: float("inf")}
    tokens = {}
    for _ in range(a.repeats):
        for cached in (False, True):
            s, tokens[cached] = run(cached)
            best[cached] = min(best[cached], s)
    print(f"batch {a.batch}, {a.shared} shared + {a.own} own tokens, 6 decoded, best of {a.repeats}")
    print(f"  whole prompts   {best[False] * 1000:7.1f} ms")
    print(f"  shared prefix   {best[True] * 1000:7.1f} ms")
    print(f"  speed-up        {best[False] / best[True]:7.2f}x   same samples: {tokens[True] == tokens[False]}")


if __name__ == "__main__":
    main()
