"""Training rows: JSONL reading, validation, and tokenization exactly as serving will see it.

Row shapes (PROTOCOL.md, "Dataset format"):
  raw:  {"prompt": "<text>", "completion": "<text>", "reward": {...}, ...metadata}
  chat: {"prompt": [{"role": "user", "content": "..."}], "completion": [{"role": "assistant", ...}], "reward": {...}}
`completion` is needed for SFT only; `reward` (the `env batch` request minus prompt/response) for
GRPO only. Any other key is metadata.

SFT rows are tokenized here rather than by TRL, so that the prompt is encoded on its own, exactly
as an OpenAI-compatible server encodes a request (`/v1/completions`: the raw prompt; chat: the
tokenizer's chat template with the generation prompt), and the completion's tokens follow it.
TRL's own path encodes prompt + completion as one string, whose BPE merges can cross the
boundary and teach the model a prefix it never sees at evaluation. EOS ends every target.
Rows longer than the limit are an error naming the row, never truncated.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .protocol import TrainerError


def _messages(v: Any, where: str) -> list[dict[str, str]]:
    if not isinstance(v, list) or not v:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{where} must be a non-empty list of messages for template chat")
    for m in v:
        if not isinstance(m, dict) or not isinstance(m.get("role"), str) or not isinstance(m.get("content"), str):
            raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: every message needs string role and content")
    return v


@dataclass
class Row:
    where: str  # "<file>:<line>", for error messages
    prompt: Any  # str (raw) or a list of messages (chat)
    completion: Any  # str (raw), a list of assistant messages (chat), or None (GRPO)
    reward: dict[str, Any] | None


def parse_row(obj: Any, template: str, where: str, need_completion: bool, need_reward: bool) -> Row:
    if not isinstance(obj, dict):
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: a row must be a JSON object")
    if "prompt" not in obj:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: missing field prompt")
    if template == "raw":
        if not isinstance(obj["prompt"], str) or not obj["prompt"]:
            raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: prompt must be a non-empty string for template raw (use template chat for message lists)")
        prompt: Any = obj["prompt"]
    else:
        prompt = _messages(obj["prompt"], f"{where}: prompt")
    completion: Any = None
    if need_completion:
        c = obj.get("completion")
        if template == "raw":
            if not isinstance(c, str):
                raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: completion must be a string for template raw")
        else:
            c = _messages(c, f"{where}: completion")
            if any(m["role"] != "assistant" for m in c):
                raise TrainerError("TY_ERR_TRAINER_DATA", f"{where}: completion messages must have role assistant")
        completion = c
    reward = obj.get("reward")
    if need_reward and not (isinstance(reward, dict) and isinstance(reward.get("op"), str)):
        raise TrainerError("TY_ERR_TRAINER_DATA", f'{where}: GRPO rows need a reward object like {{"op":"reward","env":...}}')
    return Row(where, prompt, completion, reward if isinstance(reward, dict) else None)


def load_rows(path: str, template: str, need_completion: bool, need_reward: bool) -> list[Row]:
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
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise TrainerError("TY_ERR_TRAINER_DATA", f"{path}:{n}: not JSON ({e.msg})") from e
            out.append(parse_row(obj, template, f"{path}:{n}", need_completion, need_reward))
    if not out:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{path} has no rows")
    return out


def row_text(row: Row) -> str:
    """Everything a row says, for training the tiny tokenizer."""
    parts = [row.prompt] if isinstance(row.prompt, str) else [m["content"] for m in row.prompt]
    if isinstance(row.completion, str):
        parts.append(row.completion)
    elif row.completion:
        parts += [m["content"] for m in row.completion]
    return "".join(parts)


def _ids(x: Any) -> list[int]:
    # transformers 5 returns a BatchEncoding from apply_chat_template(tokenize=True) unless
    # return_dict=False; accept both so a length is never the number of keys.
    if hasattr(x, "keys") and "input_ids" in x:
        x = x["input_ids"]
    return list(x)


def encode_prompt(tok: Any, prompt: Any, template: str) -> list[int]:
    if template == "chat":
        if not getattr(tok, "chat_template", None):
            raise TrainerError("TY_ERR_TRAINER_DATA", "template chat needs a tokenizer with a chat template, and this model's has none: use template raw or a model with one")
        return _ids(tok.apply_chat_template(prompt, add_generation_prompt=True, tokenize=True, return_dict=False))
    return _ids(tok(prompt)["input_ids"])


def eos_ids(tok: Any, generation_eos: Any = None) -> list[int]:
    ids = [tok.eos_token_id]
    extra = generation_eos if isinstance(generation_eos, list) else [generation_eos]
    return [i for i in dict.fromkeys(ids + [e for e in extra if isinstance(e, int)]) if i is not None]


def observation_mask(tok: Any, row: Row, after: str, before: str) -> list[int]:
    """1 on each prompt token that lies wholly between the first `after` and the next `before`.

    Tokens that straddle a marker stay untrained, so the mask never reaches into the template.
    """
    prompt = row.prompt
    if not isinstance(prompt, str):
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: observation markers need a raw (string) prompt")
    start = prompt.find(after)
    if start < 0:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: the prompt has no observation_after marker {after!r}")
    start += len(after)
    end = prompt.find(before, start)
    if end < 0:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: the prompt has no observation_before marker {before!r} after observation_after")
    try:
        enc = tok(prompt, return_offsets_mapping=True)
    except NotImplementedError as e:  # slow (Python) tokenizers have no offsets
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: observation markers need a fast tokenizer (character offsets): {e}") from e
    if _ids(enc["input_ids"]) != encode_prompt(tok, prompt, "raw"):
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: the tokenizer's offsets do not match its encoding of the prompt")
    mask = [int(start <= u < v <= end) for u, v in enc["offset_mapping"]]
    if not any(mask):
        # Silently training nothing would look like a run with the loss on.
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: no token lies wholly between the observation markers (the tokenizer merges the observation into a marker)")
    return mask


def encode_sft(tok: Any, row: Row, template: str, limit: int, prompt_mask: list[int] | None = None) -> dict[str, list[int]]:
    """input_ids = prompt ⧺ completion ⧺ EOS; completion_mask marks the trained tokens.

    `prompt_mask` (one 0/1 per prompt token) also trains those prompt tokens (observation loss).
    """
    p = encode_prompt(tok, row.prompt, template)
    if template == "chat":
        # The reply's text is the rendered conversation after the rendered prompt, tokenized on its
        # own: serving sends the prompt's tokens and the model writes the rest, so a BPE merge across
        # the boundary (a tokenizer whose pieces start at a newline) must not reach the targets.
        before = tok.apply_chat_template(row.prompt, add_generation_prompt=True, tokenize=False)
        full = tok.apply_chat_template(row.prompt + row.completion, tokenize=False)
        if not full.startswith(before):
            raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: the chat template renders the prompt differently with the reply appended; use a template whose prompt is a prefix")
        c = _ids(tok(full[len(before):], add_special_tokens=False)["input_ids"])
    else:
        c = _ids(tok(row.completion, add_special_tokens=False)["input_ids"])
    if not c or c[-1] != tok.eos_token_id:
        c = c + [tok.eos_token_id]
    n = len(p) + len(c)
    if n > limit:
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: {n} tokens ({len(p)} prompt + {len(c)} completion) exceeds context_length {limit}; raise it (rows are never truncated)")
    if prompt_mask is not None and len(prompt_mask) != len(p):
        raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: the observation mask covers {len(prompt_mask)} tokens, the prompt has {len(p)}")
    return {"input_ids": p + c, "completion_mask": (prompt_mask or [0] * len(p)) + [1] * len(c)}


def check_prompt_lengths(tok: Any, rows: list[Row], template: str, limit: int) -> None:
    for row in rows:
        n = len(encode_prompt(tok, row.prompt, template))
        if n > limit:
            raise TrainerError("TY_ERR_TRAINER_DATA", f"{row.where}: the prompt has {n} tokens, over the prompt limit {limit} (max_prompt_length, or context_length − max_completion_length); raise it (prompts are never truncated)")
