"""Typed configuration, one dataclass per mode (after TRL's GRPOConfig).

Every field has a default and help text; `__post_init__` rejects impossible combinations with a
message saying what to do. The job's JSON config is a flat object of these fields (`lora` is a
nested object or null). packages/contracts/src/trainer-config.ts mirrors these classes as zod
schemas; a vitest compares the two through `python -m trainyard_trainer.schema`, and
tests/test_trl_fields.py checks that every field we hand to TRL's SFTConfig / GRPOConfig and PEFT's
LoraConfig exists in the installed versions (nothing is dropped silently).

Defaults suit the `tiny` model on a CPU; the paper's values are named in the help text and the
worker sends them explicitly for Hugging Face models.
"""
from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import Any, Literal, Optional, Union, get_args, get_origin, get_type_hints

from .protocol import TrainerError

TINY = "tiny"


def _f(default: Any, help: str, **kw: Any) -> Any:
    if isinstance(default, (list, dict)):
        return field(default_factory=lambda d=default: type(d)(d), metadata={"help": help, **kw})
    return field(default=default, metadata={"help": help, **kw})


def _bad(msg: str) -> TrainerError:
    return TrainerError("TY_ERR_TRAINER_CONFIG", msg)


@dataclass
class LoraConfig:
    """PEFT LoRA adapter settings."""

    rank: int = _f(32, "LoRA rank r (the authors' dev configs: 32).")
    alpha: int = _f(16, "LoRA alpha (scaling = alpha / rank).")
    dropout: float = _f(0.05, "Dropout on the LoRA branch.")
    target_modules: list[str] = _f(["all-linear"], "Modules to adapt; `all-linear` = every linear layer but the output head.")

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

    model: str = _f(TINY, "`tiny` (a small Llama/Qwen2 built from scratch, with a BPE tokenizer trained on train_file), a local Hugging Face model directory, or a Hugging Face model id such as `Qwen/Qwen2.5-7B`.")
    model_revision: str = _f("", "Hugging Face model ids: the branch, tag or commit to load (empty = the default branch).")
    train_file: str = _f("", "Training data, JSONL (one row per line; see PROTOCOL.md, Dataset format). Required.")
    output_dir: str = _f("trainer_output", "Checkpoints go to `<output_dir>/checkpoint-<step>`.")
    template: Literal["raw", "chat"] = _f("raw", "`raw`: prompt/completion are strings used as-is (Sokoban); `chat`: message lists rendered with the tokenizer's chat template (General Points).")
    init_from: str = _f("", "Checkpoint directory to start from (warm start: weights only, fresh optimizer), full or LoRA adapter. Overrides `model`.")
    resume_from: str = _f("", "Checkpoint directory of this same run to resume (weights, optimizer, scheduler, RNG, data order); max_steps stays the run's total.")
    seed: int = _f(0, "Seed for weights (tiny), data order and sampling.")
    max_steps: int = _f(-1, "Optimizer steps; -1 = derive from epochs.")
    epochs: float = _f(8.0, "Passes over the training rows when max_steps is -1 (paper SFT: 15 in the text, 5 in the authors' scripts).")
    learning_rate: float = _f(3e-3, "Peak learning rate (paper: SFT 1e-5, GRPO 1e-6; a tiny model from scratch needs far more).")
    batch_size: int = _f(16, "SFT: sequences per optimizer step, over all processes (paper: 128). GRPO counts mini_batch_prompts × num_generations instead.")
    micro_batch_size: int = _f(0, "Sequences per forward/backward on one device (gradient accumulation makes up the rest); 0 = the whole optimizer batch.")
    warmup_ratio: float = _f(0.05, "Fraction of the steps with linear warm-up; then cosine decay to 0 (SFT) or constant (GRPO). Paper: 0.1.")
    weight_decay: float = _f(0.01, "AdamW weight decay (betas 0.9, 0.95).")
    grad_clip: float = _f(1.0, "Clip the global gradient norm to this; 0 = off.")
    save_steps: int = _f(500, "Save a checkpoint every N optimizer steps (0 = only at the end).")
    logging_steps: int = _f(1, "Emit a `metrics` event every N optimizer steps.")
    context_length: int = _f(1536, "Longest prompt + completion in tokens; longer rows are an error (TY_ERR_TRAINER_DATA), never truncated. tiny: the model's position limit.")
    tiny_arch: Literal["llama", "qwen2"] = _f("llama", "tiny: architecture of the from-scratch model (both rotary, SwiGLU, RMSNorm).")
    tiny_tokenizer: Literal["lines", "qwen", "labels"] = _f("lines", "tiny: how text is split before BPE merges: `lines` (merges never cross a newline; short sequences), `labels` (lines, but every answer label is its own piece, spelled alike in prompt and answer) or `qwen` (Qwen2's word-level split, required by tiny_arch qwen2).")
    tokenizer_texts: list[str] = _f([], "tiny: extra text the BPE tokenizer is trained on besides train_file, e.g. every action vocabulary the environment can render (never evaluation items); it trains no weights.")
    d_model: int = _f(192, "tiny: hidden size.")
    layers: int = _f(2, "tiny: transformer blocks.")
    heads: int = _f(12, "tiny: attention heads (must divide d_model; the head size must be even for rotary embeddings).")
    intermediate_size: int = _f(0, "tiny: SwiGLU inner size; 0 = 4 × d_model.")
    vocab_size: int = _f(2048, "tiny: BPE vocabulary size (256 byte symbols + 3 special tokens + merges) learned from train_file.")
    tie_embeddings: bool = _f(True, "tiny: share the input embedding and the output head.")
    freeze_embeddings: bool = _f(False, "Keep the token embeddings (and a tied output head) at their initial values. A from-scratch model then treats every token alike, also those no training answer contains, so a copy learned on the training labels also copies unseen ones.")
    copy_head: bool = _f(False, "tiny (llama): add a copy head (pointer-generator): each next token is generated or copied from an earlier position, so a model that learned which announced label to answer can emit labels no training answer contains (docs/demo.md).")
    copy_dim: int = _f(64, "tiny copy_head: size of the copy head's queries and keys.")
    copy_first_only: bool = _f(False, "tiny copy_head: copy a token only from its first mention, so the pointer names a token once (the Answers line, not also the where line) and transfers to prompts without the repeat.")
    copy_gate_bias: float = _f(0.0, "tiny copy_head: the gate's initial bias; σ(bias) is the starting weight of generating over copying. Positive starts the model as a generator (a pretrained model's default), so it copies only where generating cannot fit the data (docs/demo.md).")
    copy_gate: Literal["hidden", "token"] = _f("hidden", "tiny copy_head: what the gate reads: `hidden` (the last hidden state, See et al.) or `token` (only the current input token: one logit per vocabulary entry). `token` leaves the hidden state free to carry the move; with `hidden`, a from-scratch model pins the answering row's hidden state to switch the gate, and the copied label stops depending on the board (docs/demo.md).")
    copy_key_content: bool = _f(True, "tiny copy_head: copy keys carry the position's hidden state besides its position embedding. Off, a key is the position alone and the pointer is a classifier over prompt positions (the k-th announced label sits at the same position in every prompt).")
    num_threads: int = _f(1, "Torch CPU threads (1 is fastest on small CPUs).")
    device: Literal["auto", "cpu", "cuda"] = _f("auto", "`auto`: CUDA when a GPU is visible, else CPU.")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = _f("auto", "Training precision; `auto` = bfloat16 on GPU, float32 on CPU.")
    gradient_checkpointing: bool = _f(False, "Recompute activations to save memory (large models on GPUs).")
    lora: Optional[LoraConfig] = _f(None, "LoRA adapter through PEFT (null = full fine-tuning).")
    processes: int = _f(1, "Training processes per node (one per GPU; on CPU, gloo ranks). > 1, or nodes > 1: the trainer launches the ranks itself (docs/distributed.md).")
    nodes: int = _f(1, "Nodes of a multi-node run; the rendezvous comes from MASTER_ADDR/NODE_RANK or the Slurm allocation.")
    strategy: Literal["auto", "ddp", "fsdp"] = _f("auto", "Data parallelism over the processes: `fsdp` (full shard, bf16 mixed precision on GPU, activation checkpointing) or `ddp`; `auto` = fsdp for full-parameter runs of non-tiny models on GPUs, ddp for LoRA, tiny models and CPU.")
    eval_temperature: float = _f(0.5, "Sampling defaults written to each checkpoint's generation_config.json (the experiment's evaluation sampling).")
    eval_top_p: float = _f(1.0, "See eval_temperature.")
    eval_max_tokens: int = _f(256, "max_new_tokens written to generation_config.json.")

    def _check_common(self) -> None:
        if not self.train_file:
            raise _bad("train_file is required: set it to a JSONL file")
        if not os.path.isfile(self.train_file):
            raise _bad(f"train_file {self.train_file!r} does not exist: build the dataset first or fix the path")
        if not self.output_dir:
            raise _bad("output_dir must not be empty")
        if not self.model:
            raise _bad("model must be `tiny`, a model directory or a Hugging Face model id")
        for name in ("init_from", "resume_from"):
            path = getattr(self, name)
            if path and not os.path.isdir(path):
                raise _bad(f"{name} {path!r} is not a directory: point it at a checkpoint-<step> directory")
        if self.init_from and self.resume_from:
            raise _bad("init_from and resume_from exclude each other: resume_from already holds the weights")
        if self.max_steps == 0 or self.max_steps < -1:
            raise _bad("max_steps must be >= 1, or -1 to derive it from epochs")
        if self.max_steps == -1 and not self.epochs > 0:
            raise _bad("epochs must be > 0 when max_steps is -1")
        if not self.learning_rate > 0:
            raise _bad("learning_rate must be > 0")
        if self.batch_size < 1:
            raise _bad("batch_size must be >= 1")
        if not 0 <= self.warmup_ratio < 1:
            raise _bad("warmup_ratio must be in [0, 1)")
        if self.weight_decay < 0 or self.grad_clip < 0:
            raise _bad("weight_decay and grad_clip must be >= 0")
        if self.save_steps < 0 or self.logging_steps < 1:
            raise _bad("save_steps must be >= 0 and logging_steps >= 1")
        if self.context_length < 8:
            raise _bad("context_length must be >= 8")
        if min(self.d_model, self.layers, self.heads, self.num_threads) < 1 or self.intermediate_size < 0:
            raise _bad("d_model, layers, heads and num_threads must be >= 1 and intermediate_size >= 0")
        if self.d_model % self.heads or (self.d_model // self.heads) % 2:
            raise _bad(f"heads: d_model ({self.d_model}) must be divisible by heads ({self.heads}) with an even head size (rotary embeddings rotate pairs)")
        if self.vocab_size < 300:
            raise _bad("vocab_size must be >= 300 (256 byte symbols, the special tokens and some merges)")
        if self.tiny_arch == "qwen2" and self.tiny_tokenizer != "qwen":
            raise _bad("tiny_tokenizer must be `qwen` with tiny_arch qwen2: AutoTokenizer rebuilds every Qwen2 tokenizer with Qwen's own pre-tokenizer")
        if self.copy_head and self.tiny_arch != "llama":
            raise _bad("copy_head is built on the llama tiny model: set tiny_arch llama")
        if self.copy_first_only and not self.copy_head:
            raise _bad("copy_first_only shapes the copy head: set copy_head true")
        if self.copy_gate_bias != 0.0 and not self.copy_head:
            raise _bad("copy_gate_bias shapes the copy head: set copy_head true")
        if not self.copy_key_content and not self.copy_head:
            raise _bad("copy_key_content shapes the copy head: set copy_head true")
        if self.copy_gate != "hidden" and not self.copy_head:
            raise _bad("copy_gate shapes the copy head: set copy_head true")
        if not math.isfinite(self.copy_gate_bias):
            raise _bad("copy_gate_bias must be a finite number")
        if self.copy_dim < 1:
            raise _bad("copy_dim must be >= 1")
        if self.processes < 1 or self.nodes < 1:
            raise _bad("processes and nodes must be >= 1")
        if self.strategy == "fsdp" and self.lora is not None:
            raise _bad("strategy fsdp shards full-parameter runs: use ddp (or auto) with lora")
        if self.eval_temperature < 0 or not 0 < self.eval_top_p <= 1 or self.eval_max_tokens < 1:
            raise _bad("eval_temperature must be >= 0, eval_top_p in (0, 1] and eval_max_tokens >= 1")

    @property
    def world_size(self) -> int:
        return self.processes * self.nodes

    def resolved_strategy(self, device: str) -> str:
        """ddp or fsdp (`auto`: FSDP only where it pays: full-parameter, non-tiny, on GPUs)."""
        if self.strategy != "auto":
            return self.strategy
        return "fsdp" if device == "cuda" and self.lora is None and self.model != TINY and self.world_size > 1 else "ddp"

    @property
    def is_tiny(self) -> bool:
        return self.model == TINY and not self.init_from and not self.resume_from


@dataclass
class SftConfig(_TrainCommon):
    """Supervised fine-tuning: completion-only cross-entropy (prompt masked unless observation
    markers are set, EOS appended)."""

    observation_after: str = _f("", "With observation_before: also train on predicting the prompt tokens between these two markers (the task's observation, e.g. a Sokoban board), an auxiliary language-model loss beside the completion's. Empty = completion-only (the paper). template raw only.")
    observation_before: str = _f("", "The marker that ends the observation (see observation_after); searched after it.")
    observation_schedule: Literal["constant", "linear"] = _f("constant", "With observation markers: `constant` keeps observation_weight for every step; `linear` lowers it linearly from observation_weight at the first step to 0 at the last, so the run ends answer-only.")
    observation_weight: float = _f(1.0, "With observation markers: the weight of each observation token in the loss, against 1 for each completion token (a weighted mean over the trained tokens). 1 = plain token mean (TRL's). In (0, 1].")
    position_jitter: int = _f(0, "With observation markers: each training row's position ids jump by a random whole number in [-position_jitter, position_jitter] at a random token before the observation, so the distance from the instructions to the board and answer varies from row to row (the tokens are unchanged; serving uses plain positions). 0 = off.")

    def __post_init__(self) -> None:
        self._check_common()
        if bool(self.observation_after) != bool(self.observation_before):
            raise _bad("observation_after and observation_before come together: set both markers, or neither")
        if self.observation_after and self.template != "raw":
            raise _bad("observation_after marks the observation in a raw prompt: use template raw")
        if not 0 < self.observation_weight <= 1:
            raise _bad(f"observation_weight ({self.observation_weight}) must lie in (0, 1]")
        if self.observation_schedule not in ("constant", "linear"):
            raise _bad(f"observation_schedule must be constant or linear, not {self.observation_schedule!r}")
        if self.observation_schedule != "constant" and not self.observation_after:
            raise _bad("observation_schedule schedules the observation loss: set observation_after and observation_before too")
        if self.observation_weight != 1 and not self.observation_after:
            raise _bad("observation_weight weighs the observation loss: set observation_after and observation_before too")
        if self.position_jitter < 0:
            raise _bad(f"position_jitter ({self.position_jitter}) must be 0 (off) or more")
        if self.position_jitter and not self.observation_after:
            raise _bad("position_jitter places its jump before the observation: set observation_after and observation_before too")
        if self.micro_batch_size < 0 or (self.micro_batch_size and self.batch_size % self.micro_batch_size):
            raise _bad(f"micro_batch_size ({self.micro_batch_size}) must divide batch_size ({self.batch_size}); or 0 for no accumulation")

    @property
    def micro(self) -> int:
        return self.micro_batch_size or max(1, self.batch_size // self.world_size)


@dataclass
class GrpoConfig(_TrainCommon):
    """GRPO as in the paper: G samples per prompt, group-normalised advantages, clipped ratio, token-mean loss."""

    learning_rate: float = _f(1e-3, "Learning rate, constant after warm-up (paper: 1e-6 for 7B models; a tiny model needs far more).")
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
    use_vllm: Literal["auto", "off"] = _f("auto", "`auto`: generate rollouts with vLLM where CUDA and vllm are importable, else with transformers; `off`: always transformers.")
    vllm_mode: Literal["colocate", "server"] = _f("colocate", "vLLM inside the trainer (`colocate`, the only choice on 1 GPU) or a separate `trl vllm-serve`.")
    vllm_gpu_memory_utilization: float = _f(0.3, "colocate: GPU memory share for vLLM.")
    vllm_server_base_url: str = _f("", "server mode: URL of `trl vllm-serve`.")

    def __post_init__(self) -> None:
        self._check_common()
        if self.num_generations < 2:
            raise _bad("num_generations must be >= 2: group-normalised advantages need at least two samples per prompt")
        if self.prompts_per_batch < 1 or self.mini_batch_prompts < 1:
            raise _bad("prompts_per_batch and mini_batch_prompts must be >= 1")
        if self.prompts_per_batch % self.mini_batch_prompts:
            raise _bad(f"mini_batch_prompts ({self.mini_batch_prompts}) must divide prompts_per_batch ({self.prompts_per_batch})")
        if self.micro_batch_size < 0 or (self.micro_batch_size and (self.mini_batch_prompts * self.num_generations) % self.micro_batch_size):
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
        if self.vllm_mode == "server" and self.use_vllm != "off" and not self.vllm_server_base_url:
            raise _bad("vllm_mode server needs vllm_server_base_url (the `trl vllm-serve` URL)")

    @property
    def prompt_limit(self) -> int:
        return self.max_prompt_length or self.context_length - self.max_completion_length

    @property
    def micro(self) -> int:
        # GRPO batches are counted in completions: one optimizer step = mini_batch_prompts × G.
        return self.micro_batch_size or max(1, self.mini_batch_prompts * self.num_generations // self.world_size)


@dataclass
class ServeConfig:
    """OpenAI-compatible serving of one checkpoint: transformers (any device) or `vllm serve` (GPU)."""

    checkpoint: str = _f("", "Checkpoint directory (full model or LoRA adapter), or a Hugging Face model id. Required.")
    served_model_name: str = _f("", "Model name clients send; empty = `<parent dir>/<checkpoint dir>` of the checkpoint.")
    host: str = _f("127.0.0.1", "Interface to bind (0.0.0.0 inside containers and on cluster nodes).")
    advertise_host: str = _f("", "Host named in the `serving` URL; empty = host, or this machine's address when host is 0.0.0.0.")
    port: int = _f(0, "TCP port; 0 = pick a free one (reported in the `serving` status event).")
    backend: Literal["auto", "transformers", "vllm"] = _f("auto", "`auto`: `vllm serve` where CUDA and vLLM exist, else the built-in transformers server.")
    max_batch_size: int = _f(16, "transformers: most requests generated together.")
    batch_wait_ms: float = _f(5.0, "transformers: how long the batcher waits for more requests after the first one (ms).")
    prompt_cache_size: int = _f(64, "transformers: prompts whose prefill is kept for reuse (0: off); ~0.3 MB each for the CPU demo's model.")
    default_max_tokens: int = _f(256, "max_tokens when a request omits it.")
    num_threads: int = _f(1, "Torch CPU threads.")
    device: Literal["auto", "cpu", "cuda"] = _f("auto", "transformers: `auto` = CUDA when visible, else CPU.")
    dtype: Literal["auto", "bfloat16", "float16", "float32"] = _f("auto", "Weights' precision (`auto`: bfloat16 on GPU, float32 on CPU; vLLM: its own choice).")
    base_model: str = _f("", "LoRA adapters: the base model, when the adapter's own `base_model_name_or_path` is not reachable here.")
    max_model_len: int = _f(0, "Longest prompt + completion; 0 = the model's max_position_embeddings.")
    gpu_memory_utilization: float = _f(0.9, "vLLM --gpu-memory-utilization.")
    seed: int = _f(0, "vLLM --seed; transformers: the seed of requests that send none is random, this seeds nothing else.")

    def __post_init__(self) -> None:
        if not self.checkpoint:
            raise _bad("checkpoint is required: set it to a checkpoint-<step> directory")
        if not 0 <= self.port <= 65535:
            raise _bad("port must be in [0, 65535]")
        if self.max_batch_size < 1 or self.batch_wait_ms < 0 or self.default_max_tokens < 1 or self.num_threads < 1:
            raise _bad("max_batch_size, default_max_tokens and num_threads must be >= 1; batch_wait_ms >= 0")
        if self.prompt_cache_size < 0:
            raise _bad("prompt_cache_size must be >= 0 (0 turns the prompt cache off)")
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
