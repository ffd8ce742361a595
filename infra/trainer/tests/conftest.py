"""Shared fixtures: a toy dataset, a real reward subprocess, trainer runs as real processes.

GPU-only tests are marked `gpu` here, in one place, and skipped where TRL is not importable.
"""
from __future__ import annotations

import importlib.util
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

TINY = {"d_model": 64, "layers": 1, "heads": 4, "bpe_merges": 300, "context_length": 96}


def pytest_configure(config):
    config.addinivalue_line("markers", "gpu: the TRL/vLLM path; skipped where trl is not importable")


def pytest_collection_modifyitems(config, items):
    if importlib.util.find_spec("trl") is None:
        skip = pytest.mark.skip(reason="trl is not importable: the GPU path cannot run here")
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
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "max_steps": 80, "batch_size": 16,
           "save_steps": 40, "learning_rate": 1e-2, "warmup_ratio": 0.1, "seed": 3, **TINY}
    rc, events, err = run_trainer("sft", cfg, tmp)
    assert rc == 0, err
    return cfg, events, tmp
