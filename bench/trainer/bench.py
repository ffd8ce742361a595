"""CPU-engine SFT throughput: through the protocol vs the same loop bare (goal: ratio >= 0.9).

    /usr/bin/python3 bench/trainer/bench.py [--steps 60] [--train-file F.jsonl]

"protocol": `python -m trainyard_trainer sft` as a subprocess, a `metrics` event every step
(logging_steps=1, the worst case), checkpoints off (save_steps=0; the one final save happens
after the timed loop), stdout read by this process as a worker would. Its tokens/s is the
trainer's own figure at the last step. "bare": the same model, data, batches and optimizer in
this process, no events. Runs alternate (protocol, bare, protocol, bare, ...) so machine load
hits both alike; the best of each is reported. Prints figures, asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "infra" / "trainer"))
# The trainer pins OpenBLAS to torch's one thread before importing torch; so does the bare loop.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from trainyard_trainer.data import load_rows  # noqa: E402
from trainyard_trainer.model import ModelArgs, TinyGPT  # noqa: E402
from trainyard_trainer.optim import adamw, lr_at, set_lr  # noqa: E402
from trainyard_trainer.sft import collate, encode_rows  # noqa: E402
from trainyard_trainer.tokenizer import BPETokenizer  # noqa: E402

MODEL = {"d_model": 192, "layers": 2, "heads": 12, "context_length": 256, "bpe_merges": 1024}  # the defaults


def synthetic_sokoban(path: Path, n: int = 1024) -> None:
    """Prompts shaped like the Sokoban ones (fixed instruction text + a 6x6 grid), ~70 tokens."""
    r = random.Random(0)
    head = "<|im_start|>user\nYou are a Sokoban solver.\n\nSokoban Quick Guide\nGoal: Push all boxes (X) onto targets (O).\n\n[Current Observation]:\n"
    tail = "\nDecide the next action:\n<|im_start|>assistant\n<think>"
    with open(path, "w", encoding="utf-8") as f:
        for _ in range(n):
            grid = "\n".join("".join(f" {r.choice('#___XOP')} \t" for _ in range(6)) for _ in range(6))
            label = r.choice(["Up", "Down", "Left", "Right"])
            f.write(json.dumps({"prompt": head + grid + tail, "completion": f"</think> <answer> {label} </answer>\n"}) + "\n")


def protocol_run(train_file: str, steps: int, batch: int, tmp: str) -> tuple[float, int]:
    cfg = {"train_file": train_file, "output_dir": os.path.join(tmp, "out"), "max_steps": steps, "batch_size": batch,
           "save_steps": 0, "logging_steps": 1, "learning_rate": 3e-3, "warmup_ratio": 0.05, "seed": 0, **MODEL}
    cfg_path = os.path.join(tmp, "bench.json")
    with open(cfg_path, "w") as f:
        json.dump(cfg, f)
    env = dict(os.environ, PYTHONPATH=str(ROOT / "infra" / "trainer"))
    p = subprocess.Popen([sys.executable, "-m", "trainyard_trainer", "sft", "--config", cfg_path],
                         stdout=subprocess.PIPE, text=True, env=env)
    last, n_events = None, 0
    assert p.stdout is not None
    for line in p.stdout:  # consume as a worker does: parse every line
        ev = json.loads(line)
        n_events += 1
        if ev["type"] == "metrics":
            last = ev
        elif ev["type"] == "error":
            raise SystemExit(f"trainer failed: {ev}")
    p.wait()
    assert last is not None and last["step"] == steps
    return last["values"]["tokens_per_second"], n_events


def bare_run(train_file: str, steps: int, batch: int) -> float:
    """The trainer's SFT loop (sft.py) without the emitter."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    rng = random.Random(0)
    rows = load_rows(train_file, "raw", need_completion=True, need_reward=False)
    tok = BPETokenizer.train([s for ex in rows for s in (ex.prompt, ex.completion)], MODEL["bpe_merges"])
    model = TinyGPT(ModelArgs(tok.vocab_size, MODEL["context_length"], MODEL["d_model"], MODEL["layers"], MODEL["heads"]))
    seqs = encode_rows(tok, rows, MODEL["context_length"])
    opt = adamw(model, 3e-3, 0.01)
    order: list[int] = []
    tokens = 0
    model.train()
    t0 = time.monotonic()
    for step in range(1, steps + 1):
        set_lr(opt, lr_at(step, steps, int(0.05 * steps), 3e-3, cosine=True))
        while len(order) < batch:
            perm = list(range(len(seqs)))
            rng.shuffle(perm)
            order.extend(perm)
        idx, order[:] = order[:batch], order[batch:]
        b = [seqs[i] for i in idx]
        n_target = sum(len(s) - p for s, p in b)
        inp, tgt, mask = collate(b)
        logits = model(inp)
        loss = (F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt.reshape(-1), reduction="none") * mask.reshape(-1)).sum() / n_target
        loss.backward()
        _ = float(loss), int(((logits.argmax(-1) == tgt).float() * mask).sum())
        tokens += sum(len(s) - 1 for s, _ in b)
        float(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0))
        opt.step()
        opt.zero_grad(set_to_none=True)
    return tokens / (time.monotonic() - t0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--train-file", default="")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        train_file = a.train_file
        if not train_file:
            train_file = os.path.join(tmp, "synthetic.jsonl")
            synthetic_sokoban(Path(train_file))
        proto, bare, events = [], [], 0
        for _ in range(a.repeats):
            tps, events = protocol_run(train_file, a.steps, a.batch, tmp)
            proto.append(tps)
            bare.append(bare_run(train_file, a.steps, a.batch))
        p, b = max(proto), max(bare)
        print(f"CPU-engine SFT, d_model {MODEL['d_model']}, {MODEL['layers']} layers, batch {a.batch}, {a.steps} steps, torch threads 1")
        print(f"protocol (subprocess, {events} events, metrics every step, checkpoints off): {p:,.0f} tokens/s  (runs: {', '.join(f'{x:,.0f}' for x in proto)})")
        print(f"bare loop (in-process, no events):                                   {b:,.0f} tokens/s  (runs: {', '.join(f'{x:,.0f}' for x in bare)})")
        print(f"ratio protocol / bare: {p / b:.3f}  (goal >= 0.9)")


if __name__ == "__main__":
    main()
