"""CPU-engine checkpoints: `<output_dir>/checkpoint-<step>/{model.pt, tokenizer.json, config.json}`.

A checkpoint is written to a temporary sibling directory and renamed into place, so a reader
(or a trainer killed mid-save) never sees a half-written one. The `checkpoint` event carries the
SHA-256 of model.pt.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from typing import Any

import torch

from .model import ModelArgs, TinyGPT
from .protocol import TrainerError
from .tokenizer import BPETokenizer

WEIGHTS = "model.pt"
TOKENIZER = "tokenizer.json"
CONFIG = "config.json"


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_checkpoint(
    output_dir: str, step: int, model: TinyGPT, tok: BPETokenizer, template: str, train_config: dict[str, Any]
) -> tuple[str, str]:
    """Write checkpoint-<step>; returns (directory, sha256 of the weights)."""
    final = os.path.join(output_dir, f"checkpoint-{step}")
    tmp = final + ".tmp"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp)
        torch.save(model.state_dict(), os.path.join(tmp, WEIGHTS))
        tok.save(os.path.join(tmp, TOKENIZER))
        meta = {
            "format": "trainyard-cpu",
            "version": 1,
            "step": step,
            "model": model.args.to_json(),
            "template": template,
            "train_config": train_config,
        }
        with open(os.path.join(tmp, CONFIG), "w", encoding="utf-8") as f:
            json.dump(meta, f, indent=1)
        digest = sha256_file(os.path.join(tmp, WEIGHTS))
        shutil.rmtree(final, ignore_errors=True)  # a re-run of the same step replaces it (idempotent)
        os.replace(tmp, final)
    except OSError as e:
        raise TrainerError("TY_ERR_TRAINER_IO", f"cannot write checkpoint {final}: {e}") from e
    return os.path.abspath(final), digest


def load_checkpoint(path: str) -> tuple[TinyGPT, BPETokenizer, dict[str, Any]]:
    try:
        with open(os.path.join(path, CONFIG), encoding="utf-8") as f:
            meta = json.load(f)
        if meta.get("format") != "trainyard-cpu":
            raise ValueError("config.json is not a trainyard-cpu checkpoint")
        tok = BPETokenizer.load(os.path.join(path, TOKENIZER))
        model = TinyGPT(ModelArgs(**meta["model"]))
        model.load_state_dict(torch.load(os.path.join(path, WEIGHTS), map_location="cpu"))
    except (OSError, ValueError, KeyError, RuntimeError, json.JSONDecodeError) as e:
        raise TrainerError("TY_ERR_TRAINER_CHECKPOINT", f"{path} is not a usable CPU-engine checkpoint: {e}") from e
    return model, tok, meta
