"""Where the weights come from and where they run.

A model is `tiny` (built by tiny.py into `<output_dir>/tiny-init`), a local Hugging Face
directory (full model, or a PEFT LoRA adapter: `adapter_config.json`), or a model id that
`from_pretrained` resolves. Device and dtype are chosen from what is present (CUDA → bfloat16,
else CPU → float32), never required; vLLM only where CUDA and the `vllm` package both exist.
"""
from __future__ import annotations

import importlib.util
import json
import os
from typing import Any

from .protocol import Emitter, TrainerError

ADAPTER_CONFIG = "adapter_config.json"


def configure_runtime(n: int) -> None:
    """Torch threads, and quiet libraries: stderr is the job's log, not a terminal."""
    # OpenBLAS reads its thread count when torch loads it; its default (all cores) spins idle
    # threads that cost ~40% extra CPU with torch at one thread.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(var, str(n))
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")
    import torch
    from transformers.utils import logging as hf_logging

    torch.set_num_threads(n)
    hf_logging.disable_progress_bar()
    if os.environ.get("TRAINYARD_KEEP_FREED_MEMORY", "1") != "0":
        keep_freed_memory()


# glibc's mallopt parameters (malloc.h).
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Make glibc's malloc keep freed CPU memory for reuse instead of returning it to the kernel.

    Why (measured on the CPU demo's model, 2 cores): torch allocates a new tensor for every
    activation, KV-cache step and gradient; blocks over glibc's mmap threshold (128 KB at first)
    are mapped fresh and unmapped on free, so every step pays page faults on first touch. Keeping
    blocks up to 32 MB in the heap made an SFT step ~20 % faster (same loss to the last digit) and a
    serving batch ~30 % faster (`torch.cat` of the KV cache from ~120 µs to ~30 µs a call). The cost
    is memory the process keeps after its peak. No-op (False) where libc is not glibc; turn it off
    with TRAINYARD_KEEP_FREED_MEMORY=0."""
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return all(mallopt(param, value) == 1 for param, value in (
        (M_MMAP_THRESHOLD, 32 << 20), (M_TRIM_THRESHOLD, 1 << 30), (M_TOP_PAD, 64 << 20)))


def pick_device(pref: str) -> str:
    import torch

    if pref == "cuda" and not torch.cuda.is_available():
        raise TrainerError("TY_ERR_NOT_AVAILABLE", "device cuda was asked for but no CUDA GPU is visible: request GPUs on the compute backend or set device auto")
    return "cuda" if pref == "cuda" or (pref == "auto" and torch.cuda.is_available()) else "cpu"


def pick_dtype(pref: str, device: str):
    import torch

    if pref == "auto":
        return torch.bfloat16 if device == "cuda" and torch.cuda.is_bf16_supported() else torch.float32
    if pref in ("bfloat16", "float16") and device == "cpu":
        raise TrainerError("TY_ERR_TRAINER_CONFIG", f"dtype {pref} needs a GPU; on CPU use float32 or auto")
    return getattr(torch, pref)


def vllm_available() -> bool:
    import torch

    return torch.cuda.is_available() and importlib.util.find_spec("vllm") is not None


def is_adapter(path: str) -> bool:
    return os.path.isfile(os.path.join(path, ADAPTER_CONFIG))


def adapter_base(path: str) -> str:
    with open(os.path.join(path, ADAPTER_CONFIG), encoding="utf-8") as f:
        return json.load(f).get("base_model_name_or_path") or ""


def _part(d: dict[str, Any] | None, key: str) -> Any:
    return (d or {}).get(key)


def load_tokenizer(path: str, emit: Emitter | None = None, revision: str = ""):
    """AutoTokenizer, unless it would not honour the directory's own tokenizer.json.

    transformers 5 rebuilds the tokenizer of some model types (qwen2 among them) from the
    vocabulary and merges with that family's pre-tokenizer, ignoring the one in tokenizer.json;
    a custom tokenizer saved next to such a config would then encode differently from how it
    was trained. When the pipelines differ, the file wins.
    """
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    from . import copyhead  # noqa: F401  (registers the copy-head model type; imports torch, so not at module level)

    try:
        tok = AutoTokenizer.from_pretrained(path, **({"revision": revision} if revision else {}))
    except (OSError, ValueError) as e:
        raise TrainerError("TY_ERR_TRAINER_CHECKPOINT", f"cannot load a tokenizer from {path}: {str(e)[:300]}") from e
    file = os.path.join(path, "tokenizer.json")
    if os.path.isfile(file) and hasattr(tok, "backend_tokenizer"):
        with open(file, encoding="utf-8") as f:
            saved = json.load(f)
        loaded = json.loads(tok.backend_tokenizer.to_str())
        if any(_part(saved, k) != _part(loaded, k) for k in ("pre_tokenizer", "normalizer")):
            if emit:
                emit.log(f"{type(tok).__name__} ignores {file}'s pre-tokenizer; using the file as saved", "warn")
            tok = PreTrainedTokenizerFast.from_pretrained(path)
    if tok.pad_token is None:
        tok.pad_token = tok.eos_token
    return tok


def load_model(path: str, dtype: Any, trainable: bool = True, base_model: str = "", revision: str = ""):
    """A causal LM from a directory or id; a LoRA adapter directory loads on its base model."""
    from transformers import AutoModelForCausalLM

    from . import copyhead  # noqa: F401  (registers the copy-head model type)

    try:
        if is_adapter(path):
            from peft import AutoPeftModelForCausalLM, PeftModel

            if base_model:
                base = AutoModelForCausalLM.from_pretrained(base_model, dtype=dtype)
                return PeftModel.from_pretrained(base, path, is_trainable=trainable)
            return AutoPeftModelForCausalLM.from_pretrained(path, is_trainable=trainable, dtype=dtype)
        return AutoModelForCausalLM.from_pretrained(path, dtype=dtype, **({"revision": revision} if revision else {}))
    except (OSError, ValueError, KeyError) as e:
        raise TrainerError("TY_ERR_TRAINER_CHECKPOINT", f"cannot load a causal language model from {path}: {str(e)[:400]}") from e


def peft_config(lora: Any):
    if lora is None:
        return None
    from peft import LoraConfig

    targets = lora.target_modules
    return LoraConfig(
        r=lora.rank,
        lora_alpha=lora.alpha,
        lora_dropout=lora.dropout,
        target_modules="all-linear" if targets == ["all-linear"] else targets,
        task_type="CAUSAL_LM",
    )
