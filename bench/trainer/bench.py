"""Trainer throughput on TRL: SFT through our protocol vs a bare TRL loop, and GRPO steps/s.

    .venv/bin/python bench/trainer/bench.py [--steps 30] [--repeats 3] [--batch 16] [--micro 0]
                                            [--grpo-steps 4] [--train-file F.jsonl] [--skip-grpo]
    npm run bench:trainer -- [same flags]

SFT, one figure per run, runs alternating (protocol, bare, protocol, bare, ...) so machine load
hits both alike; the best of each and their ratio are printed (goal: protocol / bare >= 0.98,
i.e. at most 2 % overhead):
  * protocol: `python -m trainyard_trainer sft --config ...` as a subprocess, a `metrics` event
    every step (logging_steps 1, the worst case), checkpoints off but the final one, its stdout
    read and parsed line by line here as the worker does. The time of each step is when its
    metrics line arrives here.
  * bare: TRL's SFTTrainer in this process with the very same arguments (`sft.sft_args`), the same
    tiny model and tokenizer (`training.prepare`, `training.load_trainable`), the same encoded rows
    (`data.encode_sft`), seed and batch layout; no protocol callback, no events, no checkpoint.
    The time of each step is taken by a callback that only reads the clock in `on_log`.
  Both are timed over the same steps: from the log of step --warm-steps to the log of the last
  step, so start-up (imports, tokenizer training, the first steps' lazy set-up) and the final
  save are outside. tokens/s = the difference of TRL's own `num_tokens` over that window; a
  second figure divides the same tokens by the median step time × steps, which another
  process's burst of CPU on a shared machine moves less.

GRPO: `python -m trainyard_trainer grpo` warm-started from the last protocol run's final
checkpoint, G = 8 completions for each of 16 prompts per step, rewards from a subprocess: the
real `node apps/cli/bin/trainyard.js env batch` when node and the built CLI are here, else a
small Python script speaking the same protocol (the output says which). steps/s is measured
between the metrics lines of the first and the last step (generation, rewards and the update).

Data: a synthetic Sokoban-shaped JSONL (the real prompt text, random 6×6 grids, answer-only
completions, `reward` objects for `env batch`), or the real file given by --train-file. One torch
thread everywhere (OMP_NUM_THREADS=1, the trainer's num_threads 1). Prints figures; asserts
nothing. The default run takes 3 to 6 minutes on two shared cores (199 s and 372 s measured
at load averages of 10 and 11).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TRAINER = ROOT / "infra" / "trainer"
CLI = ROOT / "apps" / "cli" / "bin" / "trainyard.js"
sys.path.insert(0, str(TRAINER))
# Before torch is imported (here and in the trainer subprocesses, which inherit them).
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"
# What the trainer's configure_runtime sets, here before datasets and transformers are imported.
for _var in ("HF_DATASETS_DISABLE_PROGRESS_BARS", "HF_HUB_DISABLE_PROGRESS_BARS", "TRANSFORMERS_NO_ADVISORY_WARNINGS"):
    os.environ.setdefault(_var, "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# The tiny model's defaults (config.py), context long enough for Sokoban prompts.
MODEL = {"model": "tiny", "d_model": 192, "layers": 2, "heads": 12, "vocab_size": 2048, "context_length": 512, "num_threads": 1}
LABELS = ["Up", "Down", "Left", "Right"]
SOKOBAN_HEAD = (
    "<|im_start|>user\nYou are a Sokoban solver.\n\nSokoban Quick Guide\nGoal: Push all boxes (X) onto targets (O).\n\n"
    "Symbols:\n# Wall | _ Floor | O Target | X Box | P You | √ = Box on Target | S = You on Target\n\n"
    "Rules:\n1. Push boxes (can't pull).\n2. Avoid walls (#).\n\n"
    "Answers:\n<answer> Up </answer> | <answer> Down </answer> | <answer> Left </answer> | <answer> Right </answer>\n\n"
    "Rewards:\nMove: -0.1\nBox on target: +1.0\nAll boxes placed: +10.0\n\n\n[Current Observation]:\n"
)
SOKOBAN_TAIL = (
    "\nDecide the next action:\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> "
    "with no extra text. Strictly follow this format. <|im_end|>\n<|im_start|>assistant\n<think>"
)
# The `env batch` line protocol for Sokoban reward requests, in Python: 1 when the answer names
# the row's action (the real verifier also checks the format and the prompt's labels).
REWARD_SCRIPT = r'''
import json, sys
LABELS = ["Up", "Down", "Left", "Right"]
for line in sys.stdin:
    req = json.loads(line)
    if req.get("op") != "reward" or req.get("answerId") not in (1, 2, 3, 4):
        out = {"ok": False, "error": {"code": "TY_ERR_ENV_BAD_REQUEST", "message": "bad request"}}
    else:
        out = {"ok": True, "reward": 1.0 if "<answer> %s </answer>" % LABELS[req["answerId"] - 1] in req["response"] else 0.0}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
'''


def synthetic_sokoban(path: Path, n: int = 1024, seed: int = 0) -> None:
    r = random.Random(seed)
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            grid = "\n".join("".join(f" {r.choice('#___XOP')} \t" for _ in range(6)) for _ in range(6))
            answer = r.randint(1, 4)
            row = {"prompt": SOKOBAN_HEAD + grid + SOKOBAN_TAIL, "completion": f"</think> <answer> {LABELS[answer - 1]} </answer>\n",
                   "reward": {"op": "reward", "env": "sokoban", "answerId": answer}, "id": f"synthetic/{i}"}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")


def sft_config(a: argparse.Namespace, train_file: str, out: str) -> dict:
    return {**MODEL, "train_file": train_file, "output_dir": out, "max_steps": a.steps, "batch_size": a.batch,
            "micro_batch_size": a.micro, "save_steps": 0, "logging_steps": 1, "learning_rate": 3e-3,
            "warmup_ratio": 0.05, "seed": 0}


def window(marks: list[tuple[int, float, float]], warm: int) -> dict:
    """Throughput between the log of step `warm` and the last one: over the whole window, and
    from the median step time (less moved by another process's burst on a shared machine)."""
    by_step = {s: (t, n) for s, t, n in marks}
    last = max(by_step)
    start = warm if warm in by_step and warm < last else min(by_step)
    (t0, n0), (t1, n1) = by_step[start], by_step[last]
    steps = [s for s in sorted(by_step) if start < s <= last and s - 1 in by_step]
    dts = sorted(by_step[s][0] - by_step[s - 1][0] for s in steps)
    median = dts[len(dts) // 2] if len(dts) % 2 else (dts[len(dts) // 2 - 1] + dts[len(dts) // 2]) / 2
    return {"tps": (n1 - n0) / (t1 - t0), "median_tps": (n1 - n0) / (len(steps) * median), "steps": last - start}


def run_protocol(mode: str, cfg: dict, tmp: Path) -> tuple[list[dict], list[float]]:
    """Run the trainer as the worker does; returns (events, arrival time of each event)."""
    cfg_path = tmp / f"{mode}-{time.monotonic_ns()}.json"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(TRAINER) + (os.pathsep + os.environ["PYTHONPATH"] if os.environ.get("PYTHONPATH") else ""))
    log = tmp / f"{mode}-stderr.log"
    with open(log, "w", encoding="utf-8") as err_file:  # a file: a full stderr pipe would stall the trainer
        p = subprocess.Popen([sys.executable, "-m", "trainyard_trainer", mode, "--config", str(cfg_path)],
                             stdout=subprocess.PIPE, stderr=err_file, text=True, env=env)
        events, times = [], []
        assert p.stdout is not None
        for line in p.stdout:  # parse every line, as the worker does
            times.append(time.monotonic())
            events.append(json.loads(line))
        p.wait()
    err = log.read_text(encoding="utf-8", errors="replace")
    if p.returncode != 0 or not events or events[-1]["type"] != "done":
        sys.exit(f"trainer {mode} failed (exit {p.returncode}): {events[-1] if events else ''}\n{err[-3000:]}")
    return events, times


def protocol_sft(a: argparse.Namespace, train_file: str, tmp: Path, out: str) -> dict:
    events, times = run_protocol("sft", sft_config(a, train_file, out), tmp)
    marks = [(e["step"], t, e["values"]["num_tokens"]) for e, t in zip(events, times) if e["type"] == "metrics"]
    ckpt = [e["path"] for e in events if e["type"] == "checkpoint"]
    return {**window(marks, a.warm_steps), "events": len(events), "checkpoint": ckpt[-1], "loss": events[-1]["result"]["loss"]}


def bare_sft(a: argparse.Namespace, train_file: str, out: str) -> dict:
    """TRL's SFTTrainer with the trainer's own arguments, model, tokenizer and rows; no protocol."""
    from datasets import Dataset
    from transformers import TrainerCallback
    from transformers.trainer_callback import PrinterCallback
    from trl import SFTTrainer

    from trainyard_trainer.config import SftConfig, from_dict
    from trainyard_trainer.data import encode_sft, load_rows
    from trainyard_trainer.models import configure_runtime
    from trainyard_trainer.protocol import Emitter
    from trainyard_trainer.sft import sft_args
    from trainyard_trainer.training import load_trainable, prepare

    cfg = from_dict(SftConfig, sft_config(a, train_file, out))
    configure_runtime(cfg.num_threads)
    with open(os.devnull, "w") as devnull:
        quiet = Emitter(devnull)
        rows = load_rows(cfg.train_file, cfg.template, need_completion=True, need_reward=False)
        rt = prepare(cfg, rows, quiet)
        examples = [encode_sft(rt.tokenizer, r, cfg.template, cfg.context_length) for r in rows]
        model, peft = load_trainable(cfg, rt, quiet)

    marks: list[tuple[int, float, float]] = []

    class Clock(TrainerCallback):
        def on_log(self, args, state, control, logs=None, **kw):
            if logs and "num_tokens" in logs and "train_runtime" not in logs:
                marks.append((state.global_step, time.monotonic(), float(logs["num_tokens"])))

    trainer = SFTTrainer(model=model, args=sft_args(cfg, rt), train_dataset=Dataset.from_list(examples),
                         processing_class=rt.tokenizer, peft_config=peft)
    trainer.remove_callback(PrinterCallback)  # it prints every log dict; the protocol side removes it too
    trainer.add_callback(Clock())
    trainer.train()
    return window(marks, a.warm_steps)


def reward_command(tmp: Path) -> tuple[list[str], str]:
    node = shutil.which("node")
    if node and CLI.is_file() and (ROOT / "apps" / "cli" / "dist").is_dir():
        probe = subprocess.run([node, str(CLI), "env", "batch"], input=json.dumps({"op": "reward", "env": "sokoban", "answerId": 1,
                               "prompt": SOKOBAN_HEAD + SOKOBAN_TAIL, "response": "</think> <answer> Up </answer>"}) + "\n",
                               capture_output=True, text=True, timeout=60)
        if probe.returncode == 0 and '"ok":true' in probe.stdout.replace(" ", ""):
            return [node, str(CLI), "env", "batch"], "the real `trainyard env batch` (node apps/cli/bin/trainyard.js)"
    script = tmp / "reward.py"
    script.write_text(REWARD_SCRIPT, encoding="utf-8")
    return [sys.executable, str(script)], "a Python reward script (the CLI is not built: `npm run build` for the real verifier)"


def grpo(a: argparse.Namespace, train_file: str, init_from: str, tmp: Path) -> dict:
    argv, which = reward_command(tmp)
    cfg = {**MODEL, "train_file": train_file, "output_dir": str(tmp / "grpo"), "init_from": init_from, "max_steps": a.grpo_steps,
           "num_generations": 8, "prompts_per_batch": 16, "mini_batch_prompts": 16, "max_completion_length": 32,
           "temperature": 1.0, "learning_rate": 1e-3, "save_steps": 0, "logging_steps": 1, "seed": 0, "reward_command": argv}
    del cfg["model"]  # init_from names the weights
    events, times = run_protocol("grpo", cfg, tmp)
    metrics = [(e, t) for e, t in zip(events, times) if e["type"] == "metrics"]
    (first, t0), (last, t1) = metrics[0], metrics[-1]
    vals = [e["values"] for e, _ in metrics]
    mean = lambda k: sum(v.get(k, 0.0) for v in vals) / len(vals)  # noqa: E731
    return {"steps_per_s": (last["step"] - first["step"]) / (t1 - t0), "sec_per_step": (t1 - t0) / (last["step"] - first["step"]),
            "tps": mean("tokens_per_second"), "reward": mean("reward"), "length": mean("completions/mean_length"),
            "steps": last["step"] - first["step"], "which": which}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=30, help="SFT optimizer steps per run")
    ap.add_argument("--warm-steps", type=int, default=5, help="SFT steps left out of the timing (start-up, lazy set-up)")
    ap.add_argument("--batch", type=int, default=16, help="SFT sequences per optimizer step")
    ap.add_argument("--micro", type=int, default=0, help="SFT micro-batch (0 = the whole batch)")
    ap.add_argument("--repeats", type=int, default=3, help="protocol/bare pairs")
    ap.add_argument("--grpo-steps", type=int, default=4, help="GRPO optimizer steps (the first is left out of the timing)")
    ap.add_argument("--skip-grpo", action="store_true")
    ap.add_argument("--train-file", default="", help="a Sokoban JSONL (rows with prompt, completion, reward); default: synthetic")
    a = ap.parse_args()
    started = time.monotonic()
    import torch
    import transformers
    import trl

    with tempfile.TemporaryDirectory(prefix="trainyard-bench-") as d:
        tmp = Path(d)
        train_file = a.train_file
        if not train_file:
            train_file = str(tmp / "synthetic-sokoban.jsonl")
            synthetic_sokoban(Path(train_file))
        n_rows = sum(1 for line in open(train_file, encoding="utf-8") if line.strip())
        print(f"TRL {trl.__version__}, transformers {transformers.__version__}, torch {torch.__version__}, "
              f"torch threads {torch.get_num_threads()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        print(f"data: {'synthetic Sokoban-shaped' if not a.train_file else a.train_file}, {n_rows} rows; model: tiny "
              f"{MODEL['layers']} × {MODEL['d_model']}, vocabulary {MODEL['vocab_size']}")
        proto: list[dict] = []
        bare: list[dict] = []
        for i in range(a.repeats):
            proto.append(protocol_sft(a, train_file, tmp, str(tmp / f"sft-protocol-{i}")))
            bare.append(bare_sft(a, train_file, str(tmp / f"sft-bare-{i}")))
            print(f"  pair {i + 1}: protocol {proto[-1]['tps']:,.0f} tokens/s, bare {bare[-1]['tps']:,.0f} tokens/s "
                  f"(median step: {proto[-1]['median_tps']:,.0f}, {bare[-1]['median_tps']:,.0f})", flush=True)
        p, b = max(x["tps"] for x in proto), max(x["tps"] for x in bare)
        pm, bm = max(x["median_tps"] for x in proto), max(x["median_tps"] for x in bare)
        print(f"SFT, batch {a.batch} (micro {a.micro or a.batch}), {a.steps} steps, timed over steps {a.warm_steps}..{a.steps}:")
        print(f"  protocol (subprocess, {proto[0]['events']} events, metrics every step): best {p:,.0f} tokens/s  "
              f"(runs {', '.join(format(x['tps'], ',.0f') for x in proto)}; final loss {proto[-1]['loss']:.3f})")
        print(f"  bare TRL SFTTrainer (in-process, no events):           best {b:,.0f} tokens/s  "
              f"(runs {', '.join(format(x['tps'], ',.0f') for x in bare)})")
        print(f"  ratio protocol / bare: {p / b:.3f}  (goal >= 0.98: protocol overhead <= 2 %)")
        print(f"  from the median step time: protocol {pm:,.0f}, bare {bm:,.0f} tokens/s, ratio {pm / bm:.3f}")
        if not a.skip_grpo:
            g = grpo(a, train_file, proto[-1]["checkpoint"], tmp)
            print(f"GRPO, G 8 × 16 prompts = 128 completions per step (at most 32 tokens), warm start from the SFT checkpoint, "
                  f"{a.grpo_steps} steps, timed over the last {g['steps']}:")
            print(f"  rewards: {g['which']}")
            print(f"  {g['steps_per_s']:.3f} steps/s ({g['sec_per_step']:.2f} s per step), {g['tps']:,.0f} tokens/s, "
                  f"mean completion {g['length']:.1f} tokens, mean reward {g['reward']:.3f}")
    print(f"wall time {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
