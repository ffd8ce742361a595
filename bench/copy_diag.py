"""Look inside a copy-head checkpoint at the row that answers the action label.

    .venv/bin/python bench/copy_diag.py CHECKPOINT DIR/eval --split fake --n 3

DIR is a `trainyard dataset build` output. For each of the first N prompts of the split it runs
the prompt plus the completion's opening (`</think> <answer>`) and prints, at the next-token row:
  gate  = the weight of generating (1) over copying (0);
  copy  = the five positions the copy attention weighs most, with the token each holds;
  gen   = the four tokens the output layer weighs most;
  T=0.5 = the five most likely tokens of the mixture after the evaluation's temperature.
It says which path answers the label and, when the answer is wrong, where the pointer went.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("eval_dir")
    ap.add_argument("--split", default="id")
    ap.add_argument("--n", type=int, default=3)
    ap.add_argument("--opening", default="</think> <answer>", help="completion text before the label")
    a = ap.parse_args()

    import torch

    sys.path.insert(0, os.path.join(os.path.dirname(HERE), "infra", "trainer"))
    from trainyard_trainer.copyhead import is_copy_model
    from trainyard_trainer.models import load_model, load_tokenizer

    tok = load_tokenizer(a.checkpoint)
    model = load_model(a.checkpoint, torch.float32, trainable=False).eval()
    if not is_copy_model(model):
        sys.exit(f"{a.checkpoint}: not a copy-head checkpoint")
    with open(os.path.join(a.eval_dir, f"{a.split}.jsonl"), encoding="utf-8") as f:
        rows = [json.loads(line) for _, line in zip(range(a.n), f)]
    for r in rows:
        ids = tok(r["prompt"] + a.opening, return_tensors="pt", add_special_tokens=False)["input_ids"]
        with torch.no_grad():
            h = model.model(input_ids=ids).last_hidden_state
            # The head's own copy attention (keys, positions and first-mention mask included) for
            # the label row, and its mixture from the same hidden state: one pass of the body.
            attn, pointed = model.copy_attention(h, ids, keep=1)
            attn = attn[0, 0]
            last = h[:, -1]
            gate = model.gate(last, ids[:, -1]).item()
            gen = torch.softmax(model.lm_head(last), -1)[0]
            mix = torch.softmax(model._mixture(last, attn[None], pointed, ids[:, -1])[0] / 0.5, -1)
        text = [tok.decode([t]) for t in ids[0].tolist()]
        top = lambda p, k: zip(*(x.tolist() for x in p.topk(k)))  # noqa: E731
        print(f"--- {a.split}: {ids.shape[1]} tokens, gate {gate:.2f}, first optimal move {r['optimal'][0]}, accepted {r['accepted']}")
        print("  copy :", ", ".join(f"{p}:{text[p]!r}={w:.2f}" for w, p in top(attn, 5)))
        print("  gen  :", ", ".join(f"{tok.decode([t])!r}={w:.2f}" for w, t in top(gen, 4)))
        print("  T=0.5:", ", ".join(f"{tok.decode([t])!r}={w:.2f}" for w, t in top(mix, 5)))


if __name__ == "__main__":
    main()
