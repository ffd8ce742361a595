"""The serve mode's prompt cache, and glibc keeping freed memory, against neither.

    .venv/bin/python bench/serve/prompt_cache.py [--batch 8] [--turns 30] [--repeat 0.87] [--repeats 3]

The demo's model shape (tiny Llama with a copy head: 4 layers, 192 wide, 12 heads, a 2,048-token
vocabulary; random weights: the time depends on shapes, not on what was learned) plays `--batch`
episodes of `--turns` turns side by side, one serving batch per turn, as the eval harness does
with a checkpoint. Each turn's prompt is a 41-token instruction and a 60-token board; with
probability `--repeat` an episode's board stays as it was (an invalid answer, a move into a wall),
so its prompt repeats (0.87: the share measured for the demo's diverse arm, step 600). Each turn
decodes 6 tokens (an answer-only completion).

Runs alternate (no cache, cache, no cache, cache, ...) on one torch thread in two processes: one
with glibc's default malloc (TRAINYARD_KEEP_FREED_MEMORY=0) and one with the trainer's setting
(freed blocks up to 32 MB kept). Prints the best run of each, ms per turn, the ratios against the
baseline (no cache, glibc default) and whether the cache sampled the same tokens.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_model import Tok, demo_model  # noqa: E402  (puts infra/trainer on the path)


def measure(a) -> dict:
    from trainyard_trainer.models import configure_runtime

    configure_runtime(1)
    import torch

    from trainyard_trainer.sampling import PromptCache, SampleParams, generate

    model = demo_model()
    g = torch.Generator().manual_seed(1)
    head = torch.randint(3, 2048, (41,), generator=g).tolist()
    boards = [torch.randint(3, 2048, (60,), generator=g).tolist() for _ in range(a.batch)]
    turns = []  # the prompts of every turn: a board changes unless the turn repeats it
    for _ in range(a.turns):
        for i in range(a.batch):
            if torch.rand((), generator=g).item() >= a.repeat:
                boards[i] = torch.randint(3, 2048, (60,), generator=g).tolist()
        turns.append([head + b for b in boards])

    def run(cached: bool):
        cache = PromptCache(64) if cached else None
        out, t = [], time.perf_counter()
        for k, prompts in enumerate(turns):
            params = [SampleParams(max_tokens=6, temperature=0.5, generator=torch.Generator().manual_seed(k * 100 + i))
                      for i in range(a.batch)]
            out.append([s.tokens for s in generate(model, Tok, prompts, params, eos={1}, prompt_cache=cache)])
        return time.perf_counter() - t, out, (cache.hits if cache else 0)

    run(True), run(False)  # warm-up
    best, tokens, hits = {True: float("inf"), False: float("inf")}, {}, 0
    for _ in range(a.repeats):
        for cached in (False, True):
            s, tokens[cached], h = run(cached)
            best[cached] = min(best[cached], s)
            hits = max(hits, h)
    n = a.batch * a.turns
    return {"off_ms": best[False] * 1000 / n, "on_ms": best[True] * 1000 / n, "same": tokens[True] == tokens[False],
            "hits": hits, "turns": n}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--turns", type=int, default=30)
    ap.add_argument("--repeat", type=float, default=0.87)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(measure(a)))
        return
    rows = {}
    for keep in ("0", "1"):
        env = {**os.environ, "TRAINYARD_KEEP_FREED_MEMORY": keep, "OMP_NUM_THREADS": "1"}
        out = subprocess.run([sys.executable, __file__, "--child", *sys.argv[1:]], env=env, capture_output=True,
                             text=True, check=True)
        rows[keep] = json.loads(out.stdout.strip().splitlines()[-1])
    base = rows["0"]["off_ms"]
    r = rows["1"]
    print(f"batch {a.batch} × {a.turns} turns, board repeats with p = {a.repeat} "
          f"({r['hits']} of {r['turns']} prompts from the cache), best of {a.repeats}, ms per turn:")
    print(f"  {'':28} {'no cache':>10} {'cache':>10}")
    for keep, name in (("0", "glibc default malloc"), ("1", "freed memory kept")):
        x = rows[keep]
        print(f"  {name:28} {x['off_ms']:10.2f} {x['on_ms']:10.2f}")
    print(f"  speed-up vs no cache, glibc default: cache {base / rows['0']['on_ms']:.2f}x, "
          f"memory kept {base / r['off_ms']:.2f}x, both {base / r['on_ms']:.2f}x")
    print(f"  same samples with the cache: {rows['0']['same'] and r['same']}")


if __name__ == "__main__":
    main()
