"""The `vllm serve` argv for GPU checkpoints (the launch itself cannot run here)."""
from __future__ import annotations

import json

from trainyard_trainer.config import ServeConfig
from trainyard_trainer.gpu.vllm_serve import vllm_serve_argv


def flag(argv: list[str], name: str) -> str:
    return argv[argv.index(name) + 1]


def test_full_weights_checkpoint(tmp_path):
    ckpt = tmp_path / "arm-ans" / "checkpoint-500"
    ckpt.mkdir(parents=True)
    cfg = ServeConfig(engine="hf", checkpoint=str(ckpt), port=8123, max_model_len=5120, dtype="bfloat16")
    argv = vllm_serve_argv(cfg, 8123)
    assert argv[:3] == ["vllm", "serve", str(ckpt)]
    assert flag(argv, "--served-model-name") == "arm-ans/checkpoint-500"
    assert flag(argv, "--generation-config") == "vllm"
    assert flag(argv, "--port") == "8123" and flag(argv, "--max-model-len") == "5120" and flag(argv, "--dtype") == "bfloat16"
    assert "--enable-lora" not in argv


def test_lora_adapter_is_served_on_its_base_without_merging(tmp_path):
    ckpt = tmp_path / "run" / "checkpoint-10"
    ckpt.mkdir(parents=True)
    (ckpt / "adapter_config.json").write_text(json.dumps({"r": 24, "base_model_name_or_path": "Qwen/Qwen2.5-7B"}))
    argv = vllm_serve_argv(ServeConfig(engine="hf", checkpoint=str(ckpt), served_model_name="exp/run/step-10"), 9000)
    assert argv[:3] == ["vllm", "serve", "Qwen/Qwen2.5-7B"]
    assert "--enable-lora" in argv
    assert flag(argv, "--max-lora-rank") == "32"  # rounded up to a rank vLLM accepts
    assert flag(argv, "--lora-modules") == f"exp/run/step-10={ckpt}"
    assert "--max-model-len" not in argv and flag(argv, "--generation-config") == "vllm"
