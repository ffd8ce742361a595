"""The `vllm serve` command line for a GPU checkpoint (pure: no vLLM import, unit-tested here).

Full weights: `vllm serve <ckpt> --served-model-name <name>`. A LoRA adapter directory
(adapter_config.json) is served without merging: the base model plus
`--enable-lora --max-lora-rank R --lora-modules <name>=<ckpt>`; clients then send the adapter's
name as `model`. `--generation-config vllm` stops the checkpoint's generation_config.json from
silently supplying sampling defaults (trainer-and-serving.md §7).
"""
from __future__ import annotations

import json
import os

from ..config import ServeConfig
from ..protocol import TrainerError
from ..serve import default_model_name

# vLLM accepts only these LoRA ranks as --max-lora-rank; round an adapter's rank up to one.
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def lora_rank(adapter_dir: str) -> int:
    with open(os.path.join(adapter_dir, "adapter_config.json"), encoding="utf-8") as f:
        r = int(json.load(f).get("r", 0))
    for allowed in VLLM_LORA_RANKS:
        if r <= allowed:
            return allowed
    raise TrainerError("TY_ERR_TRAINER_CHECKPOINT", f"LoRA rank {r} is above what vLLM serves ({VLLM_LORA_RANKS[-1]}); merge the adapter first")


def vllm_serve_argv(cfg: ServeConfig, port: int) -> list[str]:
    name = cfg.served_model_name or default_model_name(cfg.checkpoint)
    adapter = os.path.isfile(os.path.join(cfg.checkpoint, "adapter_config.json"))
    if adapter:
        base = cfg.base_model
        if not base:
            with open(os.path.join(cfg.checkpoint, "adapter_config.json"), encoding="utf-8") as f:
                base = json.load(f).get("base_model_name_or_path") or ""
        if not base:
            raise TrainerError("TY_ERR_TRAINER_CONFIG", "the checkpoint is a LoRA adapter without base_model_name_or_path: set base_model")
        argv = ["vllm", "serve", base, "--served-model-name", f"{name}-base"]
    else:
        argv = ["vllm", "serve", cfg.checkpoint, "--served-model-name", name]
    argv += [
        "--host", cfg.host,
        "--port", str(port),
        "--dtype", cfg.dtype,
        "--gpu-memory-utilization", str(cfg.gpu_memory_utilization),
        "--seed", str(cfg.seed),
        "--generation-config", "vllm",
    ]
    if cfg.max_model_len:
        argv += ["--max-model-len", str(cfg.max_model_len)]
    if adapter:
        argv += ["--enable-lora", "--max-loras", "1", "--max-lora-rank", str(lora_rank(cfg.checkpoint)), "--lora-modules", f"{name}={cfg.checkpoint}"]
    return argv
