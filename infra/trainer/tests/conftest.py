"""Shared fixtures: a toy dataset, a real reward subprocess, trainer runs as real processes.

Every test runs the real stack (TRL, transformers, PEFT on torch) on CPU with tiny models built
from a config. Only what truly needs a GPU is marked `gpu` here, in one place, and skipped
where CUDA is not available (the reason names what is missing).
"""
from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

TRAINER_ROOT = Path(__file__).resolve().parents[1]
REPO_ROOT = TRAINER_ROOT.parents[1]
PYTHON = sys.executable

COLOURS = {"red": "Up", "green": "Down", "blue": "Left", "amber": "Right"}

# A real process speaking the `env batch` line protocol: reward 1 when the response contains
# the row's expected answer tag. Unknown ops answer ok:false, as the real CLI does.
REWARD_SCRIPT = r'''
import json, sys
for line in sys.stdin:
    req = json.loads(line)
    if req.get("op") != "reward" or "label" not in req:
        out = {"ok": False, "error": {"code": "TY_ERR_ENV_BAD_REQUEST", "message": "bad request"}}
    else:
        out = {"ok": True, "reward": 1.0 if "<answer> %s </answer>" % req["label"] in req["response"] else 0.0}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
'''

TINY = {"d_model": 64, "layers": 1, "heads": 4, "vocab_size": 400, "context_length": 128}


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: needs a CUDA GPU (bf16 kernels, vLLM); skipped where none is visible")


def pytest_collection_modifyitems(config, items):
    import torch

    if not torch.cuda.is_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU (bf16 training, vLLM colocate): none is visible here")
        for item in items:
            if "gpu" in item.keywords:
                item.add_marker(skip)


def toy_rows(n: int, seed: int = 0) -> list[dict]:
    r = random.Random(seed)
    rows = []
    for i in range(n):
        colour = r.choice(sorted(COLOURS))
        label = COLOURS[colour]
        rows.append({
            "prompt": f"You are a solver.\nRules: answer with the direction of the colour.\nColour: {colour}\nDecide the next action:",
            "completion": f" <answer> {label} </answer>\n",
            "reward": {"op": "reward", "env": "toy", "label": label},
            "index": i,
        })
    return rows


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def trainer_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(TRAINER_ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def run_trainer(mode: str, cfg: dict, tmp: Path, timeout: float = 120) -> tuple[int, list[dict], str]:
    """Run the trainer to completion; returns (exit code, stdout events, stderr)."""
    cfg_path = tmp / f"{mode}-config-{len(list(tmp.glob('*-config-*.json')))}.json"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    p = subprocess.run(
        [PYTHON, "-m", "trainyard_trainer", mode, "--config", str(cfg_path)],
        capture_output=True, text=True, timeout=timeout, env=trainer_env(),
    )
    events = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    return p.returncode, events, p.stderr


def start_trainer(mode: str, cfg: dict, tmp: Path) -> subprocess.Popen:
    cfg_path = tmp / f"{mode}-bg-config.json"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    return subprocess.Popen(
        [PYTHON, "-m", "trainyard_trainer", mode, "--config", str(cfg_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=trainer_env(),
    )


def of_type(events: list[dict], t: str) -> list[dict]:
    return [e for e in events if e["type"] == t]


@pytest.fixture(scope="session")
def toy_file(tmp_path_factory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("data") / "toy.jsonl", toy_rows(160))


@pytest.fixture(scope="session")
def reward_command(tmp_path_factory) -> list[str]:
    script = tmp_path_factory.mktemp("reward") / "reward.py"
    script.write_text(REWARD_SCRIPT, encoding="utf-8")
    return [PYTHON, str(script)]


@pytest.fixture(scope="session")
def sft_run(tmp_path_factory, toy_file):
    """One real SFT run shared by the SFT, GRPO and serve tests: (config, events, tmp dir)."""
    tmp = tmp_path_factory.mktemp("sft")
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "max_steps": 40, "batch_size": 16,
           "save_steps": 20, "learning_rate": 1e-2, "warmup_ratio": 0.1, "seed": 3, **TINY}
    rc, events, err = run_trainer("sft", cfg, tmp)
    assert rc == 0, err
    return cfg, events, tmp


def save_hf_model(path: Path, arch: str, texts: list[str]) -> Path:
    """A small causal LM saved by transformers from a config, with its own BPE tokenizer.

    Stands in for "any Hugging Face model directory" (`model: DIR`): qwen2 carries a ChatML
    template and Qwen's pre-tokenizer; gpt2 a plain byte-level BPE and no chat template.
    """
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2Config, PreTrainedTokenizerFast, Qwen2Config
    from transformers import AutoModelForCausalLM

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    tk.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=400, special_tokens=specials,
                                                      initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False))
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    if arch == "qwen2":
        tok.chat_template = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
                             "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")
        config = Qwen2Config(vocab_size=len(tok), hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                             num_key_value_heads=2, max_position_embeddings=2048, eos_token_id=0, bos_token_id=0, pad_token_id=0)
    else:
        config = GPT2Config(vocab_size=len(tok), n_embd=64, n_layer=2, n_head=4, n_positions=1024, eos_token_id=0, bos_token_id=0)
    AutoModelForCausalLM.from_config(config).save_pretrained(path)
    tok.save_pretrained(path)
    return path


@pytest.fixture(scope="session")
def hf_dirs(tmp_path_factory) -> dict[str, Path]:
    texts = [r["prompt"] + r["completion"] for r in toy_rows(200)]
    root = tmp_path_factory.mktemp("hf")
    return {arch: save_hf_model(root / arch, arch, texts) for arch in ("qwen2", "gpt2")}


def last_checkpoint(events: list[dict]) -> str:
    return of_type(events, "checkpoint")[-1]["path"]
