"""Checkpoint directories: standard Hugging Face layout, written atomically, hashed.

`<output_dir>/checkpoint-<step>/` holds what `save_pretrained` writes (config.json and
model.safetensors, or adapter_config.json and adapter_model.safetensors for LoRA), the tokenizer
files, a generation_config.json with the run's evaluation sampling, and the Trainer's resume state
(optimizer.pt, scheduler.pt, rng_state.pth, trainer_state.json). The Trainer writes into
`<output_dir>/.staging/checkpoint-<step>/`; the finished directory is renamed into place, so a
directory named checkpoint-<step> is always complete (a crash mid-save leaves only .staging).
"""
from __future__ import annotations

import hashlib
import os
from typing import Any

from .protocol import TrainerError

WEIGHT_FILES = ("adapter_model.safetensors", "model.safetensors", "pytorch_model.bin", "adapter_model.bin")
STAGING = ".staging"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def weights_file(ckpt_dir: str) -> str | None:
    for name in WEIGHT_FILES:
        if os.path.isfile(os.path.join(ckpt_dir, name)):
            return name
    return None


def weights_sha256(ckpt_dir: str) -> str:
    """SHA-256 of the single weights file; for sharded saves, of the sorted `<shard>:<sha256>` lines."""
    name = weights_file(ckpt_dir)
    if name:
        return sha256_file(os.path.join(ckpt_dir, name))
    shards = sorted(f for f in os.listdir(ckpt_dir) if f.endswith(".safetensors"))
    if not shards:
        raise TrainerError("TY_ERR_TRAINER_IO", f"no weights file in {ckpt_dir}")
    h = hashlib.sha256()
    for s in shards:
        h.update(f"{s}:{sha256_file(os.path.join(ckpt_dir, s))}\n".encode())
    return h.hexdigest()


def generation_config(model: Any, tok: Any, temperature: float, top_p: float, max_new_tokens: int):
    """The model's own generation config with the experiment's sampling as its defaults.

    A server falls back to these when a request omits a field. The model's stop tokens are kept
    (Qwen's instruct models end a turn with <|im_end|>), and the tokenizer's EOS added to them.
    """
    import copy

    from transformers import GenerationConfig

    base = getattr(model, "generation_config", None)
    gen = copy.deepcopy(base) if isinstance(base, GenerationConfig) else GenerationConfig()
    eos = gen.eos_token_id if isinstance(gen.eos_token_id, list) else [gen.eos_token_id]
    eos = [e for e in dict.fromkeys(eos + [tok.eos_token_id]) if isinstance(e, int)]
    gen.update(
        do_sample=temperature > 0,
        temperature=temperature if temperature > 0 else None,
        top_p=top_p,
        top_k=None,
        max_new_tokens=max_new_tokens,
        eos_token_id=eos if len(eos) > 1 else eos[0],
        pad_token_id=tok.pad_token_id if tok.pad_token_id is not None else eos[0],
    )
    return gen


def staging_dir(output_dir: str, step: int) -> str:
    return os.path.join(output_dir, STAGING, f"checkpoint-{step}")


def publish(output_dir: str, step: int) -> str:
    """Rename the finished staging directory to checkpoint-<step> (replacing a re-run of that step)."""
    import shutil

    src, final = staging_dir(output_dir, step), os.path.join(output_dir, f"checkpoint-{step}")
    try:
        shutil.rmtree(final, ignore_errors=True)
        os.replace(src, final)
    except OSError as e:
        raise TrainerError("TY_ERR_TRAINER_IO", f"cannot publish checkpoint {final}: {e}") from e
    return os.path.abspath(final)
