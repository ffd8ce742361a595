"""What only a CUDA GPU can check: bf16 training, GRPO rollouts by vLLM colocated in the trainer,
and evaluation serving by `vllm serve` (full checkpoints and LoRA adapters).

Everything else runs on CPU in the other test files. These are marked `gpu`: conftest.py skips
them, saying why, where torch sees no CUDA GPU; the vLLM ones also skip, saying so, where the
`vllm` package is not importable (the CUDA trainer image has it). They run the trainer as a real
process through the same CLI as the worker, on the conftest toy data and reward subprocess.
"""
from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import PYTHON, TINY, of_type, run_trainer, trainer_env

pytestmark = pytest.mark.gpu

GPU = {"device": "cuda", "dtype": "bfloat16"}
# Head size 64 (not the CPU tests' 16): vLLM's attention kernels take head sizes from 32 up.
MODEL = {**TINY, "d_model": 128, "heads": 2}
PROMPT = "You are a solver.\nRules: answer with the direction of the colour.\nColour: green\nDecide the next action:"
LORA = {"rank": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["all-linear"]}
VLLM_START_S = 600  # vLLM compiles and captures CUDA graphs on its first start


def need_vllm() -> None:
    if importlib.util.find_spec("vllm") is None:
        pytest.skip("needs the vllm package (the CUDA trainer image has it): not importable here")


def safetensors_dtypes(path: str) -> set[str]:
    from safetensors import safe_open

    with safe_open(path, framework="pt") as f:
        return {str(f.get_tensor(k).dtype) for k in f.keys()}


@pytest.fixture(scope="module")
def bf16_sft(tmp_path_factory, toy_file):
    tmp = tmp_path_factory.mktemp("gpu-sft")
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "max_steps": 40, "batch_size": 16, "save_steps": 20,
           "learning_rate": 1e-2, "warmup_ratio": 0.1, "seed": 3, **MODEL, **GPU}
    rc, events, err = run_trainer("sft", cfg, tmp, timeout=600)
    assert rc == 0, err
    return cfg, events


@pytest.fixture(scope="module")
def bf16_lora(tmp_path_factory, toy_file, bf16_sft):
    tmp = tmp_path_factory.mktemp("gpu-lora")
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "init_from": of_type(bf16_sft[1], "checkpoint")[0]["path"],
           "max_steps": 20, "batch_size": 16, "save_steps": 0, "learning_rate": 2e-2, "warmup_ratio": 0.1, "seed": 1, "lora": LORA,
           **MODEL, **GPU}
    rc, events, err = run_trainer("sft", cfg, tmp, timeout=600)
    assert rc == 0, err
    return cfg, events


def test_bf16_sft_on_cuda_learns_and_saves_bf16_weights(bf16_sft):
    cfg, events = bf16_sft
    metrics = of_type(events, "metrics")
    assert [m["step"] for m in metrics] == list(range(1, 41))
    losses = [m["values"]["loss"] for m in metrics]
    assert all(math.isfinite(x) for x in losses), losses
    assert sum(losses[-5:]) / 5 < 0.3 * sum(losses[:5]) / 5, losses
    assert all(m["values"]["tokens_per_second"] > 0 for m in metrics[1:])
    assert [c["step"] for c in of_type(events, "checkpoint")] == [20, 40]
    path = of_type(events, "checkpoint")[-1]["path"]
    assert safetensors_dtypes(os.path.join(path, "model.safetensors")) == {"torch.bfloat16"}
    assert events[-1]["type"] == "done" and events[-1]["result"]["train_config"]["dtype"] == "bfloat16"


def test_bf16_lora_sft_on_cuda(bf16_lora):
    cfg, events = bf16_lora
    path = of_type(events, "checkpoint")[-1]["path"]
    assert {"adapter_config.json", "adapter_model.safetensors"} <= set(os.listdir(path))
    losses = [m["values"]["loss"] for m in of_type(events, "metrics")]
    assert all(math.isfinite(x) for x in losses) and sum(losses[-5:]) < 0.85 * sum(losses[:5]), losses


def test_grpo_generates_with_vllm_colocated(tmp_path, bf16_sft, toy_file, reward_command):
    need_vllm()
    import torch

    from trainyard_trainer.config import GrpoConfig, from_dict
    from trainyard_trainer.grpo import grpo_args
    from trainyard_trainer.training import Runtime

    init_from = of_type(bf16_sft[1], "checkpoint")[0]["path"]  # half-trained: groups still disagree
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "init_from": init_from,
           "max_steps": 4, "num_generations": 4, "prompts_per_batch": 8, "mini_batch_prompts": 4, "learning_rate": 3e-3,
           "temperature": 1.5, "max_prompt_length": 48, "max_completion_length": 12, "context_length": MODEL["context_length"],
           "save_steps": 2, "reward_command": reward_command, "use_vllm": "auto", "vllm_mode": "colocate",
           "vllm_gpu_memory_utilization": 0.3, **GPU}
    # What the trainer hands TRL for this config on this machine: vLLM, inside the trainer.
    args = grpo_args(from_dict(GrpoConfig, cfg), Runtime("cuda", torch.bfloat16, init_from, None))
    assert args.use_vllm is True and args.vllm_mode == "colocate"

    rc, events, err = run_trainer("grpo", cfg, tmp_path, timeout=VLLM_START_S + 300)
    assert rc == 0, err
    metrics = of_type(events, "metrics")
    assert [m["step"] for m in metrics] == [1, 2, 3, 4]
    for m in (metrics[0], metrics[2]):  # a generation batch feeds two optimizer steps
        assert 0.0 <= m["values"]["reward"] <= 1.0 and m["values"]["completions/mean_length"] > 0
    assert metrics[0]["values"]["reward"] > 0.0  # the SFT warm start earns reward already
    assert [c["step"] for c in of_type(events, "checkpoint")] == [2, 4]
    assert events[-1]["type"] == "done" and events[-1]["step"] == 4


def _serve(cfg: dict, tmp) -> tuple:
    cfg_path, log = tmp / "serve.json", tmp / "serve.stderr.log"
    cfg_path.write_text(json.dumps(cfg), encoding="utf-8")
    # stderr to a file: vLLM logs a lot while it starts, and a full pipe would stall it.
    with open(log, "w", encoding="utf-8") as err:
        p = subprocess.Popen([PYTHON, "-m", "trainyard_trainer", "serve", "--config", str(cfg_path)],
                             stdout=subprocess.PIPE, stderr=err, text=True, env=trainer_env())
    seen = []
    assert p.stdout is not None
    for line in p.stdout:
        seen.append(json.loads(line))
        if seen[-1]["type"] == "error" or seen[-1].get("state") == "serving":
            break
    if not seen or seen[-1].get("state") != "serving":
        p.kill()
        p.wait()
        raise AssertionError(f"{seen}\n{log.read_text(encoding='utf-8', errors='replace')[-4000:]}")
    loading = [e for e in of_type(seen, "status") if e["state"] == "loading"]
    assert loading and loading[-1]["message"].startswith("vllm serve "), seen  # vLLM, not the transformers server
    return p, seen[-1]["message"]


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")


def _stop(p) -> list[dict]:
    p.send_signal(signal.SIGTERM)
    out, _ = p.communicate(timeout=120)
    return [json.loads(line) for line in out.splitlines() if line.strip()]


@pytest.mark.parametrize("kind", ["full", "lora"])
def test_vllm_serve_answers_like_the_eval_harness_asks(kind, tmp_path, request):
    need_vllm()
    _, events = request.getfixturevalue("bf16_sft" if kind == "full" else "bf16_lora")
    ckpt = of_type(events, "checkpoint")[-1]["path"]
    name = f"out/{os.path.basename(ckpt)}"
    p, url = _serve({"checkpoint": ckpt, "port": 0, "backend": "vllm", "gpu_memory_utilization": 0.3,
                     "max_model_len": MODEL["context_length"]}, tmp_path)
    try:
        with urllib.request.urlopen(url + "/v1/models", timeout=30) as r:
            assert name in [m["id"] for m in json.loads(r.read())["data"]]
        status, body = _post(url + "/v1/completions", {"model": name, "prompt": PROMPT, "max_tokens": 8, "temperature": 0})
        assert status == 200, body
        assert "<answer> Down </answer>" in body["choices"][0]["text"], body  # what the trained model answers
        assert body["usage"]["completion_tokens"] >= 1
        # Seeded sampling is reproducible, and n choices come back in one answer.
        req = {"model": name, "prompt": "Colour: nothing at all", "max_tokens": 8, "temperature": 1.0, "n": 3, "seed": 7}
        a, b = _post(url + "/v1/completions", req)[1], _post(url + "/v1/completions", req)[1]
        assert len(a["choices"]) == 3 and [c["text"] for c in a["choices"]] == [c["text"] for c in b["choices"]]
        status, chat = _post(url + "/v1/chat/completions", {"model": name, "messages": [{"role": "user", "content": "Colour: red"}],
                                                            "max_tokens": 6, "temperature": 0})
        assert status == 200 and chat["choices"][0]["message"]["role"] == "assistant", chat
    finally:
        events = _stop(p) if p.poll() is None else []
    assert p.returncode == 0 and events and events[-1]["type"] == "done", events
