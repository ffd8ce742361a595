"""Training rows: JSONL reading and the two prompt templates.

Row shapes (PROTOCOL.md, "Dataset format"):
  raw:  {"prompt": "<text>", "completion": "<text>", "reward": {...}, ...metadata}
  chat: {"prompt": [{"role": "user", "content": "..."}], "completion": [{"role": "assistant", ...}], "reward": {...}}
`completion` is needed for SFT only; `reward` (the `env batch` request minus prompt/response) for
GRPO only. Any other key is metadata and reaches reward functions as a keyword argument.

The CPU engine's chat template (serve mode applies the same one):
  for each message:  "<|im_start|>{role}\\n{content}<|im_end|>\\n"
  then:              "<|im_start|>assistant\\n"
and the assistant's reply is the completion text followed by the EOS token.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .protocol import TrainerError

CHAT_TEMPLATE_DOC = "<|im_start|>{role}\\n{content}<|im_end|>\\n per message, then <|im_start|>assistant\\n"


def render_chat(messages: list[dict[str, Any]]) -> str:
    parts = [f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n" for m in messages]
    return "".join(parts) + "<|im_start|>assistant\n"


def _messages(v: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(v, list) or not v:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{where} must be a non-empty list of messages for template chat")
    for m in v:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: every message needs string role and content")
    return v


@dataclass
class Example:
    prompt: str  # the exact text the model is conditioned on (template applied)
    completion: str  # target text, without EOS ("" when the row has none)
    reward: dict[str, Any] | None
    extra: dict[str, Any] = field(default_factory=dict)


def parse_row(row: Any, template: str, where: str, need_completion: bool, need_reward: bool) -> Example:
    if not isinstance(row, dict):
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: a row must be a JSON object")
    if "prompt" not in row:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: missing field prompt")
    if template == "raw":
        if not isinstance(row["prompt"], str):
            raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: prompt must be a string for template raw (use template chat for message lists)")
        prompt = row["prompt"]
    else:
        prompt = render_chat(_messages(row["prompt"], f"{where}: prompt"))
    completion = ""
    if need_completion:
        c = row.get("completion")
        if template == "raw":
            if not isinstance(c, str):
                raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: completion must be a string for template raw")
            completion = c
        else:
            msgs = _messages(c, f"{where}: completion")
            if any(m["role"] != "assistant" for m in msgs):
                raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: completion messages must have role assistant")
            completion = "".join(m["content"] for m in msgs)
    reward = row.get("reward")
    if need_reward and not (isinstance(reward, dict) and isinstance(reward.get("op"), str)):
        raise TrainerError("TY_ERR_TRAINER_DATA", f'{where}: GRPO rows need a reward object like {{"op":"reward","env":...}}')
    extra = {k: v for k, v in row.items() if k not in ("prompt", "completion")}
    return Example(prompt, completion, reward, extra)


def load_rows(path: str, template: str, need_completion: bool, need_reward: bool) -> list[Example]:
    try:
        f = open(path, encoding="utf-8")
    except OSError as e:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"cannot read train_file {path}: {e.strerror}") from e
    out = []
    with f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainerError("TY_ERR_TRAINER_DATA", f"{path}:{n}: not JSON ({e.msg})") from e
            out.append(parse_row(row, template, f"{path}:{n}", need_completion, need_reward))
    if not out:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{path} has no rows")
    return out
