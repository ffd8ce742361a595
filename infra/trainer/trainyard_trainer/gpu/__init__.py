"""The GPU path (engine "hf"): TRL SFT/GRPO with vLLM, and `vllm serve` for evaluation.

Same protocol as the CPU engine. Thin on purpose: TRL does the training, a TrainerCallback
turns its logs and saves into events. Nothing here is imported unless engine is "hf", and a
missing stack is one clean TY_ERR_NOT_AVAILABLE error event.
NOT RUN on the development machine (no GPU, no TRL); see infra/trainer/README.md.
"""
from __future__ import annotations

import importlib.util
import shutil

from ..protocol import TrainerError

# What each mode needs, by import name (serve needs the `vllm` executable instead).
NEEDS = {"sft": ["torch", "transformers", "trl", "datasets"], "grpo": ["torch", "transformers", "trl", "datasets", "vllm"]}


def require_gpu_stack(mode: str) -> None:
    if mode == "serve":
        if shutil.which("vllm") is None:
            raise TrainerError("TY_ERR_NOT_AVAILABLE", "engine hf serves with `vllm serve`, which this image does not have: use the CUDA image (infra/trainer/Dockerfile.cuda)")
        return
    missing = [m for m in NEEDS[mode] if importlib.util.find_spec(m) is None]
    if missing:
        raise TrainerError(
            "TY_ERR_NOT_AVAILABLE",
            f"engine hf {mode} needs {', '.join(missing)}, missing in this image: use the CUDA image (infra/trainer/Dockerfile.cuda) or engine cpu",
        )
    import torch

    if not torch.cuda.is_available():
        raise TrainerError("TY_ERR_NOT_AVAILABLE", f"engine hf {mode} needs a CUDA GPU and this machine has none: request gpus >= 1 or use engine cpu")
