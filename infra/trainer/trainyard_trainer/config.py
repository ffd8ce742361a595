"""Typed configuration, one dataclass per mode (CONVENTIONS.md §14, after TRL's GRPOConfig).

Every field has a default and help text; `__post_init__` rejects impossible combinations with a
message saying what to do. The job's JSON config is a flat object of these fields (`lora` is a
nested object or null). packages/contracts/src/trainer-config.ts mirrors these classes as zod
schemas; a vitest compares the two through `python -m trainyard_trainer.schema`.

Defaults are the CPU engine's calibrated values (engine "cpu" is the default engine); the paper's
values are named in the help text, and the worker always sends them explicitly for engine "hf".
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union, get_args, get_origin, get_type_hints

from .protocol import TrainerError


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


def _bad(msg: str) -> TrainerError:
    return TrainerError("TY_ERR_TRAINER_CONFIG", msg)


@dataclass
class LoraConfig:
    """PEFT LoRA adapter settings (engine hf only)."""

    rank: int = _f(32, "LoRA rank r (the authors' dev configs: 32).")
    alpha: int = _f(16, "LoRA alpha (scaling = alpha / rank).")
    dropout: float = _f(0.05, "Dropout on the LoRA branch.")
    target_modules: list[str] = _f(["all-linear"], "Modules to adapt; `all-linear` = every linear layer but the head.")

    def __post_init__(self) -> None:
        if self.rank < 1:
            raise _bad("lora.rank must be >= 1 (or set lora to null for full fine-tuning)")
        if self.alpha < 1:
            raise _bad("lora.alpha must be >= 1")
        if not 0 <= self.dropout < 1:
            raise _bad("lora.dropout must be in [0, 1)")
        if not self.target_modules:
            raise _bad('lora.target_modules must name at least one module (e.g. ["all-linear"])')


@dataclass
class _TrainCommon:
    """Fields shared by SFT and GRPO (TrainingArguments' role in TRL)."""

    engine: Literal["cpu", "hf"] = _f("cpu", "`cpu`: the from-scratch tiny transformer (runs anywhere); `hf`: a Hugging Face model through TRL on GPUs.")
    model_id: str = _f("", "engine hf: Hugging Face model id or local path, e.g. `Qwen/Qwen2.5-7B`. Ignored by engine cpu.")
    train_file: str = _f("", "Training data, JSONL (one row per line; see PROTOCOL.md, Dataset format). Required.")
    output_dir: str = _f("trainer_output", "Checkpoints go to `<output_dir>/checkpoint-<step>`.")
    template: Literal["raw", "chat"] = _f("raw", "`raw`: prompt/completion are strings used as-is (Sokoban); `chat`: message lists rendered with the chat template (General Points).")
    init_from: str = _f("", "Checkpoint directory to start from (warm start). Empty: engine cpu starts from random weights and trains a tokenizer; engine hf starts from model_id.")
    seed: int = _f(0, "Seed for weights, data order and sampling.")
    max_steps: int = _f(-1, "Optimizer steps; -1 = derive from epochs.")
    epochs: float = _f(8.0, "Passes over the training rows when max_steps is -1 (paper SFT: 15 in the text, 5 in the authors' scripts; the CPU engine needs ~8 on the 3,982-row Sokoban set).")
    learning_rate: float = _f(3e-3, "Peak learning rate (paper: SFT 1e-5, GRPO 1e-6; the tiny CPU model needs far more).")
    batch_size: int = _f(16, "SFT: sequences per optimizer step (global; paper: 128). GRPO counts mini_batch_prompts × num_generations instead.")
    micro_batch_size: int = _f(0, "Sequences per forward/backward (gradient accumulation); 0 = the whole optimizer batch. Must divide it.")
    warmup_ratio: float = _f(0.05, "Fraction of max_steps with linear warm-up; then cosine decay to 0 (SFT) or constant (GRPO). Paper: 0.1.")
    weight_decay: float = _f(0.01, "AdamW weight decay (betas 0.9, 0.95).")
    grad_clip: float = _f(1.0, "Clip the global gradient norm to this; 0 = off.")
    save_steps: int = _f(500, "Save a checkpoint every N optimizer steps (0 = only at the end).")
    logging_steps: int = _f(1, "Emit a `metrics` event every N optimizer steps.")
    context_length: int = _f(256, "Longest prompt + completion in tokens; longer rows are an error, never truncated. engine cpu: the position table size.")
    d_model: int = _f(192, "engine cpu: transformer width.")
    layers: int = _f(2, "engine cpu: transformer blocks.")
    heads: int = _f(12, "engine cpu: attention heads (must divide d_model; the head size must be even for rotary embeddings).")
    bpe_merges: int = _f(1024, "engine cpu: byte-level BPE merges learned from train_file (vocabulary = 256 bytes + 1 EOS + merges).")
    num_threads: int = _f(1, "engine cpu: torch threads (1 is fastest on small CPUs).")
    dtype: Literal["bfloat16", "float16", "float32"] = _f("bfloat16", "engine hf: training precision.")
    gradient_checkpointing: bool = _f(True, "engine hf: recompute activations to save memory.")
    lora: Optional[LoraConfig] = _f(None, "engine hf: LoRA adapter (null = full fine-tuning).")

    def _check_common(self) -> None:
        if not self.train_file:
            raise _bad("train_file is required: set it to a JSONL file")
        if not os.path.isfile(self.train_file):
            raise _bad(f"train_file {self.train_file!r} does not exist: build the dataset first or fix the path")
        if not self.output_dir:
            raise _bad("output_dir must not be empty")
        if self.engine == "hf" and not self.model_id and not self.init_from:
            raise _bad("engine hf needs model_id (e.g. Qwen/Qwen2.5-7B) or init_from")
        if self.engine == "cpu" and self.lora is not None:
            raise _bad("lora is for engine hf only: set lora to null for engine cpu")
        if self.init_from:
            if not os.path.isdir(self.init_from):
                raise _bad(f"init_from {self.init_from!r} is not a directory: point it at a checkpoint-<step> directory")
            if self.engine == "cpu" and not os.path.isfile(os.path.join(self.init_from, "model.pt")):
                raise _bad(f"init_from {self.init_from!r} has no model.pt: point it at a CPU-engine checkpoint-<step> directory")
        if self.max_steps == 0 or self.max_steps < -1:
            raise _bad("max_steps must be >= 1, or -1 to derive it from epochs")
        if self.max_steps == -1 and not self.epochs > 0:
            raise _bad("epochs must be > 0 when max_steps is -1")
        if not self.learning_rate > 0:
            raise _bad("learning_rate must be > 0")
        if self.batch_size < 1:
            raise _bad("batch_size must be >= 1")
        if self.micro_batch_size < 0 or (self.micro_batch_size and type(self) is SftConfig and self.batch_size % self.micro_batch_size):
            raise _bad(f"micro_batch_size ({self.micro_batch_size}) must divide batch_size ({self.batch_size}); or 0 for no accumulation")
        if not 0 <= self.warmup_ratio < 1:
            raise _bad("warmup_ratio must be in [0, 1)")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise _bad("weight_decay and grad_clip must be >= 0")
        if self.save_steps < 0 or self.logging_steps < 1:
            raise _bad("save_steps must be >= 0 and logging_steps >= 1")
        if self.context_length < 8:
            raise _bad("context_length must be >= 8")
        if min(self.d_model, self.layers, self.heads, self.num_threads) < 1 or self.bpe_merges < 0:
            raise _bad("d_model, layers, heads and num_threads must be >= 1 and bpe_merges >= 0")
        if self.d_model % self.heads or (self.d_model // self.heads) % 2:
            raise _bad(f"d_model ({self.d_model}) must be divisible by heads ({self.heads}) with an even head size (rotary embeddings rotate pairs)")

    @property
    def micro(self) -> int:
        return self.micro_batch_size or self.batch_size


@dataclass
class SftConfig(_TrainCommon):
    """Supervised fine-tuning: completion-only cross-entropy (prompt masked, EOS appended)."""

    def __post_init__(self) -> None:
        self._check_common()


@dataclass
class GrpoConfig(_TrainCommon):
    """GRPO as in the paper: G samples per prompt, group-normalised advantages, clipped ratio, token-mean loss."""

    learning_rate: float = _f(1e-3, "Learning rate, constant after warm-up (paper: 1e-6 for 7B models; the CPU engine's rollout reward on Sokoban rose 0.45 → 0.67 in 30 steps at 1e-3).")
    warmup_ratio: float = _f(0.0, "Fraction of max_steps with linear warm-up (paper: none).")
    max_steps: int = _f(20, "Optimizer steps; -1 = derive from epochs over the prompts.")
    save_steps: int = _f(10, "Save a checkpoint every N optimizer steps (0 = only at the end).")
    num_generations: int = _f(8, "G: completions sampled per prompt (paper: 8).")
    prompts_per_batch: int = _f(16, "Prompts per generation batch (paper: 256); completions = prompts_per_batch × num_generations.")
    mini_batch_prompts: int = _f(16, "Prompts per optimizer step (paper: 256 = one step per generation batch); must divide prompts_per_batch.")
    epsilon: float = _f(0.2, "PPO clip range of the importance ratio (paper: 0.2).")
    beta: float = _f(0.0, "KL coefficient against the initial policy; 0 = no reference model (paper: 0).")
    scale_rewards: Literal["group", "batch", "none"] = _f("group", "Divide advantages by the group's reward std (`group`, the paper), the batch's, or not at all.")
    temperature: float = _f(1.0, "Sampling temperature of rollouts (paper: 1.0).")
    top_p: float = _f(1.0, "Nucleus sampling of rollouts (paper: 1.0).")
    max_prompt_length: int = _f(0, "Longest prompt in tokens; longer rows are an error (paper: 1,000). 0 = context_length − max_completion_length.")
    max_completion_length: int = _f(32, "Longest completion in tokens (paper: 1,024 Sokoban, 4,096 GP).")
    reward_command: list[str] = _f([], "argv of the reward subprocess (`trainyard env batch` protocol). Empty: node + the bundled CLI (env TRAINYARD_CLI, else <repo>/apps/cli/bin/trainyard.js) + `env batch`.")
    vllm_mode: Literal["colocate", "server"] = _f("colocate", "engine hf: vLLM inside the trainer (`colocate`, the only choice on 1 GPU) or a separate `trl vllm-serve`.")
    vllm_gpu_memory_utilization: float = _f(0.3, "engine hf, colocate: GPU memory share for vLLM.")
    vllm_server_base_url: str = _f("", "engine hf, server mode: URL of `trl vllm-serve`.")

    def __post_init__(self) -> None:
        self._check_common()
        if self.num_generations < 2:
            raise _bad("num_generations must be >= 2: group-normalised advantages need at least two samples per prompt")
        if self.prompts_per_batch < 1 or self.mini_batch_prompts < 1:
            raise _bad("prompts_per_batch and mini_batch_prompts must be >= 1")
        if self.prompts_per_batch % self.mini_batch_prompts:
            raise _bad(f"mini_batch_prompts ({self.mini_batch_prompts}) must divide prompts_per_batch ({self.prompts_per_batch})")
        if self.micro_batch_size and (self.mini_batch_prompts * self.num_generations) % self.micro_batch_size:
            raise _bad(
                f"micro_batch_size ({self.micro_batch_size}) must divide mini_batch_prompts × num_generations "
                f"({self.mini_batch_prompts * self.num_generations}); or 0"
            )
        if not 0 <= self.epsilon < 1:
            raise _bad("epsilon must be in [0, 1)")
        if self.beta < 0:
            raise _bad("beta must be >= 0")
        if self.temperature <= 0:
            raise _bad("temperature must be > 0 for GRPO rollouts (greedy groups have no variance)")
        if not 0 < self.top_p <= 1:
            raise _bad("top_p must be in (0, 1]")
        if self.max_prompt_length < 0 or self.max_completion_length < 1:
            raise _bad("max_prompt_length must be >= 0 (0 = what fits) and max_completion_length >= 1")
        if self.max_completion_length >= self.context_length:
            raise _bad(f"max_completion_length ({self.max_completion_length}) leaves no room for a prompt in context_length ({self.context_length}): lower it or raise context_length")
        if self.max_prompt_length + self.max_completion_length > self.context_length:
            raise _bad(
                f"max_prompt_length ({self.max_prompt_length}) + max_completion_length ({self.max_completion_length}) "
                f"exceeds context_length ({self.context_length}): lower one of them or raise context_length"
            )
        if self.engine == "hf" and self.vllm_mode == "server" and not self.vllm_server_base_url:
            raise _bad("vllm_mode server needs vllm_server_base_url (the `trl vllm-serve` URL)")

    @property
    def prompt_limit(self) -> int:
        return self.max_prompt_length or self.context_length - self.max_completion_length

    @property
    def micro(self) -> int:
        # GRPO batches are counted in completions: one optimizer step = mini_batch_prompts × G.
        return self.micro_batch_size or self.mini_batch_prompts * self.num_generations


@dataclass
class ServeConfig:
    """OpenAI-compatible serving of one checkpoint (engine cpu: our server; engine hf: `vllm serve`)."""

    engine: Literal["cpu", "hf"] = _f("cpu", "`cpu`: the built-in server for CPU-engine checkpoints; `hf`: launch `vllm serve`.")
    checkpoint: str = _f("", "Checkpoint directory (or, engine hf, a model id). Required.")
    served_model_name: str = _f("", "Model name clients send; empty = `<parent dir>/<checkpoint dir>` of the checkpoint.")
    host: str = _f("127.0.0.1", "Interface to bind.")
    port: int = _f(0, "TCP port; 0 = pick a free one (reported in the `serving` status event).")
    max_batch_size: int = _f(16, "engine cpu: most requests generated together.")
    batch_wait_ms: float = _f(5.0, "engine cpu: how long the batcher waits for more requests after the first one (ms).")
    default_max_tokens: int = _f(256, "max_tokens when a request omits it.")
    num_threads: int = _f(1, "engine cpu: torch threads.")
    base_model: str = _f("", "engine hf: base model id when checkpoint is a LoRA adapter directory.")
    max_model_len: int = _f(0, "engine hf: vLLM --max-model-len (0 = the model's own).")
    gpu_memory_utilization: float = _f(0.9, "engine hf: vLLM --gpu-memory-utilization.")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = _f("auto", "engine hf: vLLM --dtype.")
    seed: int = _f(0, "engine hf: vLLM --seed; engine cpu: the seed of requests that send none.")

    def __post_init__(self) -> None:
        if not self.checkpoint:
            raise _bad("checkpoint is required: set it to a checkpoint-<step> directory")
        if self.engine == "cpu" and not os.path.isfile(os.path.join(self.checkpoint, "model.pt")):
            raise _bad(f"checkpoint {self.checkpoint!r} has no model.pt: point it at a CPU-engine checkpoint-<step> directory")
        if not 0 <= self.port <= 65535:
            raise _bad("port must be in [0, 65535]")
        if self.max_batch_size < 1 or self.batch_wait_ms < 0 or self.default_max_tokens < 1 or self.num_threads < 1:
            raise _bad("max_batch_size, default_max_tokens and num_threads must be >= 1; batch_wait_ms >= 0")
        if not 0 < self.gpu_memory_utilization <= 1:
            raise _bad("gpu_memory_utilization must be in (0, 1]")
        if self.max_model_len < 0:
            raise _bad("max_model_len must be >= 0")


CONFIGS = {"sft": SftConfig, "grpo": GrpoConfig, "serve": ServeConfig}


def _coerce(name: str, tp: Any, value: Any) -> Any:
    """Type-check one JSON value against a field annotation (no silent conversions but int→float)."""
    origin = get_origin(tp)
    if origin is Union:  # Optional[X]
        inner = [a for a in get_args(tp) if a is not type(None)][0]
        return None if value is None else _coerce(name, inner, value)
    if origin is Literal:
        if value not in get_args(tp):
            raise _bad(f"{name} must be one of {', '.join(map(str, get_args(tp)))} (got {value!r})")
        return value
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(f"{name} must be a list of strings")
        return list(value)
    if dataclasses.is_dataclass(tp):
        if not isinstance(value, dict):
            raise _bad(f"{name} must be an object or null")
        return from_dict(tp, value, prefix=f"{name}.")
    if tp is bool:
        if not isinstance(value, bool):
            raise _bad(f"{name} must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, float) and value.is_integer())):
            raise _bad(f"{name} must be an integer (got {value!r})")
        return int(value)
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _bad(f"{name} must be a number (got {value!r})")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise _bad(f"{name} must be a string (got {value!r})")
        return value
    raise TypeError(f"unsupported field type {tp!r} for {name}")


def from_dict(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    """Build a config from a JSON object: unknown keys and wrong types are config errors."""
    if not isinstance(data, dict):
        raise _bad("the config must be a JSON object")
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise _bad(f"unknown config field(s) {', '.join(prefix + u for u in unknown)}; see `python -m trainyard_trainer.schema`")
    kwargs = {k: _coerce(prefix + k, hints[k], v) for k, v in data.items()}
    return cls(**kwargs)


def to_dict(cfg: Any) -> dict[str, Any]:
    return dataclasses.asdict(cfg)
