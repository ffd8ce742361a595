"""engine hf SFT through TRL's SFTTrainer, top to bottom. NOT RUN here (no GPU, no TRL).

Paper settings (experiments.md §4): AdamW β=(0.9, 0.95), 10 % warm-up then cosine to 0,
completion-only loss with EOS appended (TRL's default for prompt/completion rows), raw prompts
used as-is (Sokoban) or the model's chat template (template chat, General Points).
"""
from __future__ import annotations

import dataclasses

from datasets import Dataset
from transformers import AutoTokenizer
from trl import SFTConfig, SFTTrainer

from ..config import SftConfig
from ..protocol import Emitter, StopFlag
from .common import ProtocolCallback, batch_layout, check_lengths, hf_rows, is_main_process, known_fields, peft_config


def run(cfg: SftConfig, emit: Emitter, stop: StopFlag) -> None:
    emit.status("loading", f"{cfg.init_from or cfg.model_id}")
    model_path = cfg.init_from or cfg.model_id
    rows = hf_rows(cfg.train_file, cfg.template, need_completion=True, need_reward=False)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    check_lengths(tokenizer, rows, cfg.template, cfg.context_length, "context_length")
    per_device, accum = batch_layout(cfg.batch_size, cfg.micro_batch_size or 1)
    args = SFTConfig(**known_fields(SFTConfig, {
        "output_dir": cfg.output_dir,
        "seed": cfg.seed,
        "max_steps": cfg.max_steps,
        "num_train_epochs": cfg.epochs,
        "learning_rate": cfg.learning_rate,
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accum,
        "warmup_ratio": cfg.warmup_ratio,
        "lr_scheduler_type": "cosine",
        "weight_decay": cfg.weight_decay,
        "adam_beta1": 0.9,
        "adam_beta2": 0.95,
        "max_grad_norm": cfg.grad_clip,
        "save_strategy": "steps",
        "save_steps": cfg.save_steps if cfg.save_steps > 0 else 10**9,
        "logging_steps": cfg.logging_steps,
        "max_length": cfg.context_length,
        "completion_only_loss": True,
        "bf16": cfg.dtype == "bfloat16",
        "fp16": cfg.dtype == "float16",
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "report_to": "none",
        "dataset_num_proc": 1,
    }, emit))
    trainer = SFTTrainer(
        model=model_path,
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config(cfg),
    )
    callback = ProtocolCallback(emit, stop)
    trainer.add_callback(callback)
    out = trainer.train()
    state = trainer.state
    if callback.last_saved != state.global_step:  # the final weights are always a checkpoint
        trainer.save_model(f"{cfg.output_dir}/checkpoint-{state.global_step}")
        callback.on_save(args, state, trainer.control)
    if is_main_process():
        emit.done(state.global_step, {
            "max_steps": state.max_steps,
            "stopped_early": state.global_step < state.max_steps,
            "final_loss": float(out.training_loss),
            "train_config": dataclasses.asdict(cfg),
        })
