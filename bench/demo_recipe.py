"""Measure a CPU recipe for the demo: train one arm with the real trainer, then probe every
checkpoint's first move on the evaluation splits (greedy, no environment roll-out).

    .venv/bin/python bench/demo_recipe.py --train DIR/train/diverse-answer.jsonl --eval DIR/eval \
        --out OUT --set '{"max_steps": 1500, "save_steps": 500, "tiny_tokenizer": "labels"}'

DIR is a `trainyard dataset build` output (e.g. of clean-sokoban: disjoint evaluation seeds,
leaks removed). Prints one line per checkpoint and split:
  validity = the answer is a label the environment accepts (the prompt's, except on Fake);
  accuracy = it is the label of the first move of a shortest solution (one of possibly several,
  so a lower bound of first-move optimality).
`--temperature 0.5` samples as the demo's evaluation does (greedy can hide answers that break
only under sampling). Also prints the trainer's wall and CPU seconds. A probe, not the demo's metric (the demo plays
whole episodes in the environment).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import re
import resource
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DIRECTIONS = ["Up", "Down", "Left", "Right"]
ANSWER = re.compile(r"<answer>\s*(.*?)\s*</answer>", re.S)


def vocabulary_texts() -> list[str]:
    """Every text the Sokoban environment renders outside a level (action sections, the line after the board)."""
    out = subprocess.run(
        ["node", "-e", (
            "import('@trainyard/envs').then(m=>{console.log(JSON.stringify(m.sokoban.renderableTexts()))})"
        )],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    return json.loads(out.stdout)


def probe(ckpt: str, eval_dir: str, splits: list[str], n: int, show: bool = False, temperature: float = 0.0) -> dict[str, tuple[float, float]]:
    from collections import Counter

    import torch

    sys.path.insert(0, os.path.join(ROOT, "infra", "trainer"))
    from trainyard_trainer.models import load_model, load_tokenizer

    tok = load_tokenizer(ckpt)
    tok.padding_side = "left"
    model = load_model(ckpt, torch.float32, trainable=False).eval()
    torch.manual_seed(0)  # sampled probes repeat
    res = {}
    for split in splits:
        rows = [json.loads(l) for l in open(os.path.join(eval_dir, f"{split}.jsonl"), encoding="utf-8")][:n]
        valid = correct = 0
        answers: Counter = Counter()
        for i in range(0, len(rows), 25):
            chunk = rows[i:i + 25]
            enc = tok([r["prompt"] for r in chunk], return_tensors="pt", padding=True, add_special_tokens=False)
            with torch.no_grad():
                sampling = {"do_sample": True, "temperature": temperature, "top_p": 1.0} if temperature > 0 else {"do_sample": False}
                out = model.generate(**enc, max_new_tokens=12, pad_token_id=tok.pad_token_id, **sampling)
            for r, ids in zip(chunk, out[:, enc["input_ids"].shape[1]:]):
                m = ANSWER.search(tok.decode(ids, skip_special_tokens=True))
                label = m.group(1) if m else None
                answers[label] += 1
                if label in r["accepted"]:
                    valid += 1
                    correct += DIRECTIONS[r["accepted"].index(label)] == r["optimal"][0]
        res[split] = (valid / len(rows), correct / len(rows))
        if show:
            print(f"  {split}: answers {dict(answers.most_common(6))}", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default="")
    ap.add_argument("--probe", default="", help="only probe this checkpoint directory")
    ap.add_argument("--eval", required=True)
    ap.add_argument("--out", default="")
    ap.add_argument("--set", default="{}", help="trainer config fields (JSON) over the defaults")
    ap.add_argument("--splits", default="id,alpha,num,rand,fake")
    ap.add_argument("--n", type=int, default=60)
    ap.add_argument("--show", action="store_true", help="print the most frequent answers of each split")
    ap.add_argument("--temperature", type=float, default=0.0,
                    help="sample at this temperature (the demo evaluates at 0.5); 0 = greedy. Greedy hides answers that break only under sampling")
    ap.add_argument("--vocab-texts", action="store_true", help="train the tokenizer on every renderable vocabulary too")
    a = ap.parse_args()
    if a.probe:
        res = probe(a.probe, a.eval, a.splits.split(","), a.n, a.show, a.temperature)
        print(f"{a.probe}: validity/accuracy % " + "  ".join(f"{s} {v * 100:.0f}/{acc * 100:.0f}" for s, (v, acc) in res.items()))
        return
    cfg = {"train_file": a.train, "output_dir": a.out, "device": "cpu", **json.loads(a.set)}
    if a.vocab_texts:
        cfg["tokenizer_texts"] = vocabulary_texts()
    os.makedirs(a.out, exist_ok=True)
    path = os.path.join(a.out, "config.json")
    json.dump(cfg, open(path, "w"))
    t0, r0 = time.time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    env = {**os.environ, "PYTHONPATH": os.path.join(ROOT, "infra", "trainer")}
    p = subprocess.run([sys.executable, "-m", "trainyard_trainer", "sft", "--config", path], env=env, capture_output=True, text=True)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(os.path.join(a.out, "events.jsonl"), "w", encoding="utf-8") as f:
        f.write(p.stdout)  # the trainer's event lines: the loss curve, for reading later
    cpu = r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime
    last = [l for l in p.stdout.splitlines() if l.strip()][-1:] or [p.stderr[-500:]]
    print(f"train: wall {time.time() - t0:.0f} s, cpu {cpu:.0f} s, rc {p.returncode}, last event {last[0][:300]}", flush=True)
    ckpts = sorted(glob.glob(os.path.join(a.out, "checkpoint-*")), key=lambda d: int(d.rsplit("-", 1)[1]))
    for c in ckpts:
        res = probe(c, a.eval, a.splits.split(","), a.n, a.show, a.temperature)
        cells = "  ".join(f"{s} {v * 100:.0f}/{acc * 100:.0f}" for s, (v, acc) in res.items())
        print(f"{os.path.basename(c)}: validity/accuracy % {cells}", flush=True)


if __name__ == "__main__":
    main()
