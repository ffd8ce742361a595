"""SFT through TRL's SFTTrainer, top to bottom.

The paper's settings: AdamW β = (0.9, 0.95), linear warm-up then cosine decay to 0,
completion-only loss with EOS appended, raw prompts used byte for byte (Sokoban) or the
tokenizer's chat template (template chat, General Points). Ours, off by default: with observation
markers set, the observation's tokens (the board) are trained too. Rows are tokenized by data.py the way
serving will encode them, then handed to TRL already tokenized.
"""
from __future__ import annotations

from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from .config import SftConfig
from .data import encode_sft, load_rows, observation_mask
from .protocol import Emitter, StopFlag
from .training import AtomicCheckpoints, ProtocolCallback, batch_layout, checked, common_args, load_trainable, prepare, train
from .checkpoint import generation_config
from .copyhead import is_copy_model


class Trainer(AtomicCheckpoints, SFTTrainer):
    pass


def sft_args(cfg: SftConfig, rt, model=None) -> SFTConfig:
    per_device, accum = batch_layout(cfg.batch_size, cfg.micro)
    return checked(SFTConfig, {
        **common_args(cfg, rt, model),
        "lr_scheduler_type": "cosine",
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accum,
        "max_length": cfg.context_length,  # rows were checked against it: nothing is truncated
        "completion_only_loss": True,
        "packing": False,
        # TRL's default `chunked_nll` computes the loss from the hidden states through lm_head,
        # bypassing the model's forward: a copy head would get no gradient.
        **({"loss_type": "nll"} if model is not None and is_copy_model(model) else {}),
    })


def run(cfg: SftConfig, emit: Emitter, stop: StopFlag) -> None:
    emit.status("loading", cfg.init_from or cfg.model)
    rows = load_rows(cfg.train_file, cfg.template, need_completion=True, need_reward=False)
    rt = prepare(cfg, rows, emit)
    examples = [
        encode_sft(rt.tokenizer, r, cfg.template, cfg.context_length, observation_mask(rt.tokenizer, r, cfg.observation_after, cfg.observation_before) if cfg.observation_after else None)
        for r in rows
    ]
    model, peft = load_trainable(cfg, rt, emit)
    trainer = Trainer(
        model=model,
        args=sft_args(cfg, rt, model),
        train_dataset=Dataset.from_list(examples),
        processing_class=rt.tokenizer,
        peft_config=peft,
    )
    trainer.trainyard_generation = generation_config(model, rt.tokenizer, cfg.eval_temperature, cfg.eval_top_p, cfg.eval_max_tokens)
    callback = ProtocolCallback(emit, stop)
    trainer.add_callback(callback)
    train(trainer, callback, cfg, emit, stop)
