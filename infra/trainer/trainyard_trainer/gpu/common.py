"""Pieces shared by the TRL scripts: protocol callback, dataset conversion, length checks."""
from __future__ import annotations

import hashlib
import json
import os
from typing import Any

from transformers import TrainerCallback

from ..checkpoint import sha256_file
from ..data import load_rows
from ..protocol import Emitter, StopFlag, TrainerError

WEIGHT_FILES = ("adapter_model.safetensors", "model.safetensors", "pytorch_model.bin", "adapter_model.bin")


def is_main_process() -> bool:
    return int(os.environ.get("RANK", "0")) == 0


def weights_sha256(ckpt_dir: str) -> str:
    """SHA-256 of the single weights file; for sharded saves, of the sorted shard digests."""
    for name in WEIGHT_FILES:
        p = os.path.join(ckpt_dir, name)
        if os.path.isfile(p):
            return sha256_file(p)
    shards = sorted(f for f in os.listdir(ckpt_dir) if f.endswith(".safetensors"))
    if not shards:
        raise TrainerError("TY_ERR_TRAINER_IO", f"no weights file in {ckpt_dir}")
    h = hashlib.sha256()
    for s in shards:
        h.update(f"{s}:{sha256_file(os.path.join(ckpt_dir, s))}\n".encode())
    return h.hexdigest()


class ProtocolCallback(TrainerCallback):
    """on_log → metrics, on_save → checkpoint, SIGTERM → save and stop after the current step."""

    def __init__(self, emit: Emitter, stop: StopFlag):
        self.emit, self.stop = emit, stop
        self.last_saved = -1

    def on_train_begin(self, args, state, control, **kw):
        if state.is_world_process_zero:
            self.emit.status("training", f"{state.max_steps} steps")

    def on_log(self, args, state, control, logs=None, **kw):
        if state.is_world_process_zero and logs:
            values = {k: float(v) for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
            self.emit.metrics(state.global_step, state.max_steps, values)

    def on_step_end(self, args, state, control, **kw):
        # The signal handler only set a flag; Trainer saves and stops at this step boundary.
        if self.stop.is_set:
            control.should_save = True
            control.should_training_stop = True
        return control

    def on_save(self, args, state, control, **kw):
        if state.is_world_process_zero:
            path = os.path.abspath(os.path.join(args.output_dir, f"checkpoint-{state.global_step}"))
            self.emit.checkpoint(state.global_step, path, weights_sha256(path))
            self.last_saved = state.global_step


def hf_rows(path: str, template: str, need_completion: bool, need_reward: bool) -> list[dict[str, Any]]:
    """JSONL rows → TRL's prompt/completion format (conversational for template chat).

    The reward request travels as a JSON string column: Arrow would otherwise merge differing
    reward objects into one struct and fill missing keys with nulls.
    """
    raw = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                raw.append(json.loads(line))
    load_rows(path, template, need_completion, need_reward)  # the same validation as the CPU engine
    out = []
    for r in raw:
        row: dict[str, Any] = {"prompt": r["prompt"]}
        if need_completion:
            row["completion"] = r["completion"]
        if need_reward:
            row["reward_json"] = json.dumps(r["reward"])
        out.append(row)
    return out


def check_lengths(tokenizer, rows: list[dict[str, Any]], template: str, limit: int, what: str) -> None:
    """Rows over the limit are an error, never truncated (the authors' scripts do the same)."""
    for n, r in enumerate(rows, 1):
        if template == "chat":
            msgs = r["prompt"] + (r.get("completion") or [])
            ids = tokenizer.apply_chat_template(msgs, tokenize=True)
        else:
            ids = tokenizer(r["prompt"] + r.get("completion", ""))["input_ids"]
        if len(ids) + 1 > limit:
            raise TrainerError("TY_ERR_TRAINER_DATA", f"row {n}: {len(ids) + 1} tokens exceeds {what} {limit}; raise it (rows are never truncated)")


def peft_config(cfg):
    if cfg.lora is None:
        return None
    from peft import LoraConfig

    targets = cfg.lora.target_modules
    return LoraConfig(
        r=cfg.lora.rank,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules="all-linear" if targets == ["all-linear"] else targets,
        task_type="CAUSAL_LM",
    )


def known_fields(config_cls, kwargs: dict[str, Any], emit: Emitter) -> dict[str, Any]:
    """Drop kwargs the pinned TRL version does not know (names move between releases), loudly."""
    import dataclasses

    names = {f.name for f in dataclasses.fields(config_cls)}
    dropped = sorted(k for k in kwargs if k not in names)
    if dropped:
        emit.log(f"{config_cls.__name__} of this TRL version has no {', '.join(dropped)}; left at its defaults", "warn")
    return {k: v for k, v in kwargs.items() if k in names}


def batch_layout(batch: int, micro: int) -> tuple[int, int]:
    """(per-device batch, gradient accumulation) so that per-device × GPUs × accumulation = batch."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if batch % (micro * world):
        raise TrainerError("TY_ERR_TRAINER_CONFIG", f"the batch ({batch}) must be divisible by micro_batch_size × GPUs ({micro} × {world})")
    return micro, batch // (micro * world)
