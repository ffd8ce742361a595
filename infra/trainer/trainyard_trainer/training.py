"""What SFT and GRPO share on top of TRL: the model to start from, the protocol callback, atomic
checkpoints, the batch layout, and config arguments checked against the installed TRL.
"""
from __future__ import annotations

import dataclasses
import os
import shutil
import time
from typing import Any

from transformers import TrainerCallback

from . import checkpoint as ckpt
from . import launch
from .data import Row, row_text
from .models import adapter_base, is_adapter, load_model, load_tokenizer, pick_device, pick_dtype
from .protocol import Emitter, StopFlag, TrainerError
from .tiny import build_tiny

TINY_DIR = "tiny-init"


@dataclasses.dataclass
class Runtime:
    device: str
    dtype: Any
    model_dir: str  # what the weights load from (tiny-init, init_from, or cfg.model)
    tokenizer: Any
    revision: str = ""


def prepare(cfg: Any, rows: list[Row], emit: Emitter) -> Runtime:
    """Decide device and dtype; build the tiny model if asked; load the tokenizer."""
    device = pick_device(cfg.device)
    dtype = pick_dtype(cfg.dtype, device)
    if cfg.init_from:
        source = cfg.init_from
    elif cfg.model == "tiny":
        source = os.path.join(cfg.output_dir, TINY_DIR)
        # A resumed run keeps the base it started from (the build is deterministic anyway).
        # Ranks share the output directory: rank 0 builds, the others wait and load the same files.
        if launch.rank() == 0 and not (cfg.resume_from and os.path.isfile(os.path.join(source, "config.json"))):
            os.makedirs(cfg.output_dir, exist_ok=True)
            build_tiny(cfg, [row_text(r) for r in rows] + list(cfg.tokenizer_texts), source)
            emit.log(f"built the tiny model ({cfg.tiny_arch}, {cfg.layers} × {cfg.d_model}, vocabulary {cfg.vocab_size}) in {source}")
        launch.barrier()
    else:
        source = cfg.model
    revision = cfg.model_revision if source == cfg.model else ""
    return Runtime(device, dtype, source, load_tokenizer(source, emit, revision), revision)


def load_trainable(cfg: Any, rt: Runtime, emit: Emitter):
    """(model, peft_config for TRL or None). A LoRA adapter to start from keeps training that adapter."""
    if is_adapter(rt.model_dir):
        if cfg.lora is not None:
            emit.log(f"{rt.model_dir} is a LoRA adapter: training continues on it (its rank and targets, not the config's lora)", "warn")
        base = adapter_base(rt.model_dir)
        if base and not os.path.exists(base) and os.path.sep in base:
            raise TrainerError("TY_ERR_TRAINER_CHECKPOINT", f"the adapter {rt.model_dir} was trained on {base}, which is not here")
        return load_model(rt.model_dir, rt.dtype, trainable=True), None
    from .models import peft_config

    dtype = rt.dtype
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and cfg.resolved_strategy(rt.device) == "fsdp":
        import torch

        dtype = torch.float32  # FSDP's float32 master weights; bf16 is its compute dtype (mixed precision)
    model = load_model(rt.model_dir, dtype, revision=rt.revision)
    if getattr(cfg, "freeze_embeddings", False):
        # The trainer's optimizer takes only parameters that require gradients.
        model.get_input_embeddings().weight.requires_grad_(False)
    limit = getattr(model.config, "max_position_embeddings", None) or getattr(model.config, "n_positions", None)
    if limit and cfg.context_length > limit:
        emit.log(f"context_length {cfg.context_length} exceeds the model's {limit} positions: rows longer than that are outside what it was built for", "warn")
    return model, peft_config(cfg.lora)


def batch_layout(batch: int, micro: int) -> tuple[int, int]:
    """(per-device batch, gradient accumulation) so that per-device × processes × accumulation = batch."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if batch % (micro * world):
        raise TrainerError("TY_ERR_TRAINER_CONFIG", f"micro_batch_size: the batch ({batch}) must be divisible by micro_batch_size × processes ({micro} × {world})")
    return micro, batch // (micro * world)


def checked(config_cls: type, kwargs: dict[str, Any]):
    """Build a TRL config, refusing any argument the installed version does not have.

    TRL renames and removes fields between releases (warmup_ratio, max_prompt_length); passing
    one it lacks must fail loudly here, not run with its default.
    """
    names = {f.name for f in dataclasses.fields(config_cls)}
    unknown = sorted(k for k in kwargs if k not in names)
    if unknown:
        raise TrainerError("TY_ERR_TRAINER_INTERNAL", f"{config_cls.__name__} of the installed TRL has no {', '.join(unknown)}")
    return config_cls(**kwargs)


# Decoder blocks FSDP wraps one by one (each is gathered, run and freed in turn).
FSDP_LAYER_CLASSES = ("LlamaDecoderLayer", "Qwen2DecoderLayer", "Qwen3DecoderLayer", "MistralDecoderLayer", "GPT2Block")


def parallel_args(cfg: Any, device: str, world: int, model: Any = None) -> dict[str, Any]:
    """TrainingArguments of the process layout: DDP, or FSDP full shard with activation checkpointing.

    FSDP keeps float32 master weights sharded over the ranks and computes in bf16 on GPUs (the
    Trainer's bf16 flag becomes FSDP's mixed-precision policy); the full state dict is gathered
    to rank 0 (offloaded to CPU) at every save, so a checkpoint is a standard HF directory.
    Activation checkpointing is always on under FSDP: it is what makes long sequences fit.
    """
    if world <= 1:
        return {}
    strategy = cfg.resolved_strategy(device)
    launch.check_strategy(cfg, device)
    if strategy == "ddp":
        return {"ddp_backend": "nccl" if device == "cuda" else "gloo", "ddp_find_unused_parameters": False}
    layers = sorted({type(m).__name__ for m in model.modules()} & set(FSDP_LAYER_CLASSES)) if model is not None else list(FSDP_LAYER_CLASSES[:2])
    return {
        "ddp_backend": "nccl" if device == "cuda" else "gloo",
        "fsdp": "full_shard auto_wrap",
        "fsdp_config": {
            # FSDP2 (per-parameter sharding; transformers 5 deprecates FSDP1). reshard_after_forward
            # = full shard (ZeRO-3): parameters are freed again after each block's forward.
            "version": 2,
            "reshard_after_forward": True,
            "transformer_layer_cls_to_wrap": layers,
            "activation_checkpointing": True,
            "state_dict_type": "FULL_STATE_DICT",
            "cpu_ram_efficient_loading": False,
        },
        # FSDP checkpoints activations itself; the Trainer's own flag would add an all-gather.
        "gradient_checkpointing": False,
    }


def common_args(cfg: Any, rt: Runtime, model: Any = None) -> dict[str, Any]:
    """TrainingArguments shared by SFTConfig and GRPOConfig."""
    return {
        "output_dir": cfg.output_dir,
        "seed": cfg.seed,
        "max_steps": cfg.max_steps,
        "num_train_epochs": cfg.epochs,
        "learning_rate": cfg.learning_rate,
        # A float below 1 is a fraction of the total steps.
        "warmup_steps": cfg.warmup_ratio,
        "weight_decay": cfg.weight_decay,
        "adam_beta1": 0.9,
        "adam_beta2": 0.95,
        "max_grad_norm": cfg.grad_clip,
        "save_strategy": "steps" if cfg.save_steps > 0 else "no",
        "save_steps": cfg.save_steps if cfg.save_steps > 0 else 500,
        "logging_steps": cfg.logging_steps,
        "report_to": "none",
        "disable_tqdm": True,
        "use_cpu": rt.device == "cpu",
        "bf16": str(rt.dtype) == "torch.bfloat16",
        "fp16": str(rt.dtype) == "torch.float16",
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "dataloader_num_workers": 0,
        "save_only_model": False,  # optimizer, scheduler and RNG state: a retried job resumes exactly
        **parallel_args(cfg, rt.device, int(os.environ.get("WORLD_SIZE", "1")), model),
    }


class AtomicCheckpoints:
    """Trainer mixin: save into .staging, add generation_config.json, rename into place."""

    trainyard_generation: Any = None  # a GenerationConfig written into every checkpoint

    def _save_checkpoint(self, model, trial):  # noqa: D401 - overrides transformers.Trainer
        step = self.state.global_step
        staging_root = os.path.join(self.args.output_dir, ckpt.STAGING)
        if self.args.should_save:
            shutil.rmtree(ckpt.staging_dir(self.args.output_dir, step), ignore_errors=True)
        # The Trainer names the directory itself (`<run dir>/checkpoint-<step>`): point its run
        # directory at the staging area for this one call.
        self._get_output_dir = lambda trial=None: staging_root
        try:
            super()._save_checkpoint(model, trial)
        finally:
            del self._get_output_dir
        self.accelerator.wait_for_everyone()
        if self.args.should_save:
            if self.trainyard_generation is not None:
                self.trainyard_generation.save_pretrained(ckpt.staging_dir(self.args.output_dir, step))
            ckpt.publish(self.args.output_dir, step)
        self.accelerator.wait_for_everyone()


class ProtocolCallback(TrainerCallback):
    """on_log → metrics (+ tokens/s), on_save → checkpoint with sha256, SIGTERM → save and stop."""

    def __init__(self, emit: Emitter, stop: StopFlag):
        self.emit, self.stop = emit, stop
        self.last_saved = -1
        self.last_loss: float | None = None
        self.num_tokens = 0.0
        self.started = time.monotonic()
        self._mark = (self.started, 0.0)

    def on_train_begin(self, args, state, control, **kw):
        self.started = time.monotonic()
        self._mark = (self.started, 0.0)
        if state.is_world_process_zero:
            self.emit.status("training", f"{state.max_steps} steps")

    def on_log(self, args, state, control, logs=None, **kw):
        if not state.is_world_process_zero or not logs:
            return
        values = {k: float(v) for k, v in logs.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if "num_tokens" in values:
            now, (t0, n0) = time.monotonic(), self._mark
            if now > t0:
                values["tokens_per_second"] = (values["num_tokens"] - n0) / (now - t0)
            self._mark = (now, values["num_tokens"])
            self.num_tokens = values["num_tokens"]
        if "loss" in values:
            self.last_loss = values["loss"]
        if "train_runtime" in values:  # the Trainer's end-of-run summary, not a step's metrics
            return
        self.emit.metrics(state.global_step, state.max_steps, values)

    def on_step_end(self, args, state, control, **kw):
        # The signal handler only set a flag; the Trainer saves and stops at this step boundary.
        # Ranks take the decision together (a rank signalled a step later would otherwise keep
        # training alone and block in its next collective).
        if launch.any_rank(self.stop.is_set) and not self.stop.is_set:
            self.stop.request("SIGTERM (another rank)")
        if self.stop.is_set:
            control.should_save = True
            control.should_training_stop = True
        elif state.global_step >= state.max_steps:
            control.should_save = True  # the final weights are always a checkpoint
        if control.should_save and state.is_world_process_zero:
            self.emit.status("saving", f"checkpoint-{state.global_step}")
        return control

    def on_save(self, args, state, control, **kw):
        self.last_saved = state.global_step  # every rank: the final save below is collective
        if state.is_world_process_zero:
            path = os.path.abspath(os.path.join(args.output_dir, f"checkpoint-{state.global_step}"))
            self.emit.checkpoint(state.global_step, path, ckpt.weights_sha256(path))

    def result(self, state, cfg: Any) -> dict[str, Any]:
        return {
            "loss": self.last_loss,
            "num_tokens": self.num_tokens,
            "train_seconds": round(time.monotonic() - self.started, 3),
            "max_steps": state.max_steps,
            "stopped_early": state.global_step < state.max_steps,
            "train_config": dataclasses.asdict(cfg),
        }


def train(trainer: Any, callback: ProtocolCallback, cfg: Any, emit: Emitter, stop: StopFlag) -> None:
    """Run the Trainer (resuming if asked) and end with `done`."""
    # Stopped while loading: nothing trained, nothing to save. Decided together, so that no rank
    # starts training alone while the others have left.
    if launch.any_rank(stop.is_set):
        emit.status("stopping", stop.signal_name or "")
        emit.done(0, {"stopped_early": True, "max_steps": cfg.max_steps})
        return
    from transformers.trainer_callback import PrinterCallback

    trainer.remove_callback(PrinterCallback)  # the metrics events carry the same numbers
    if cfg.resume_from:
        emit.log(f"resuming from {cfg.resume_from} (optimizer, scheduler, RNG and data order)")
    trainer.train(resume_from_checkpoint=cfg.resume_from or None)
    state = trainer.state
    if stop.is_set and state.is_world_process_zero:
        emit.status("stopping", stop.signal_name or "")
    if callback.last_saved != state.global_step:  # e.g. epochs ended between two save steps
        trainer._save_checkpoint(trainer.model, None)
        callback.on_save(trainer.args, state, trainer.control)
    if state.is_world_process_zero:
        emit.done(state.global_step, callback.result(state, cfg))
