"""SFT through TRL's SFTTrainer, top to bottom.

The paper's settings: AdamW β = (0.9, 0.95), linear warm-up then cosine decay to 0,
completion-only loss with EOS appended, raw prompts used byte for byte (Sokoban) or the
tokenizer's chat template (template chat, General Points). Ours, off by default: with observation
markers set, the observation's tokens (the board) are trained too. Rows are tokenized by data.py the way
serving will encode them, then handed to TRL already tokenized. With an observation weight below 1
the loss is a weighted mean: each board token counts that much against each completion token; the
linear schedule lowers that weight to 0 by the last step. With position jitter, each training row's
position ids jump by a random amount at a random token before the board (randomized positional
encodings, Ruoss et al. 2023): a model trained from scratch on one prompt layout otherwise learns
to place its answer by counting tokens, and breaks on a layout a few tokens longer or shorter.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from datasets import Dataset
from trl import SFTConfig, SFTTrainer

from .config import SftConfig
from .data import encode_sft, load_rows, observation_mask
from .protocol import Emitter, StopFlag
from .training import AtomicCheckpoints, ProtocolCallback, batch_layout, checked, common_args, load_trainable, prepare, train
from .checkpoint import generation_config
from .copyhead import is_copy_model


def loss_weights(targets: torch.Tensor, observation_weight: float) -> torch.Tensor:
    """Per-target weights: 1 for each row's completion, `observation_weight` for its other trained
    targets (the observation's), 0 for untrained ones (-100).

    The completion is the last unbroken run of trained targets: rows are prompt ⧺ completion ⧺ EOS,
    and the observation's tokens end before the untrained marker that closes the observation, so
    the two runs never touch (TRL's collator keeps only labels, so the kinds are told apart here).
    """
    trained = targets != -100
    weights = trained.to(torch.float32) * observation_weight
    pos = torch.arange(targets.shape[1], device=targets.device).expand_as(targets)
    # The completion starts after the last untrained target that precedes the row's last trained one.
    last_trained = torch.where(trained, pos, -1).amax(1, keepdim=True)
    gap = torch.where(~trained & (pos < last_trained), pos, -1).amax(1, keepdim=True)
    weights[trained & (pos > gap)] = 1.0
    return weights


def weighted_nll(logits: torch.Tensor, labels: torch.Tensor, observation_weight: float) -> torch.Tensor:
    """Σ w · NLL / Σ w over next-token targets (labels shifted by one, -100 untrained)."""
    targets = labels[:, 1:]
    w = loss_weights(targets, observation_weight)
    nll = F.cross_entropy(logits[:, :-1].float().transpose(1, 2), targets.clamp_min(0), reduction="none")
    return (w * nll).sum() / w.sum().clamp_min(1e-8)


def weighted_nll_rows(rows: torch.Tensor, labels: torch.Tensor, observation_weight: float) -> torch.Tensor:
    """`weighted_nll` from the logits of the trained targets alone ([trained, vocabulary], in
    row-major order of `labels[:, 1:] != -100`, as the copy head's `scored_only` returns them):
    the untrained rows weigh 0, so the value is the same without their logits."""
    targets = labels[:, 1:]
    w = loss_weights(targets, observation_weight)
    trained = targets != -100
    nll = F.cross_entropy(rows.float(), targets[trained], reduction="none")
    return (w[trained] * nll).sum() / w.sum().clamp_min(1e-8)


def jittered_positions(labels: torch.Tensor, jitter: int) -> torch.Tensor:
    """Position ids for a right-padded training batch: 0, 1, 2, … up to a random token b in each
    row, then shifted by a random whole number g in [-jitter, jitter] (both uniform, drawn from
    torch's global generator, which the Trainer seeds and checkpoints, so a resumed run draws the
    same). b lies in [1, f], f the row's first trained target (the observation's first token when
    the observation loss marks it), so the jump never falls inside the board or the answer: their
    own spacing, which reading a board needs, is untouched. Every id is offset by `jitter` so none
    is negative (rotary attention sees only differences)."""
    b, n = labels.shape
    trained = labels != -100
    first = torch.where(trained.any(1), trained.to(torch.int64).argmax(1), torch.full((b,), n - 1))
    cut = (torch.rand(b) * first.clamp_min(1).float()).long() + 1  # uniform in [1, first]
    shift = torch.randint(-jitter, jitter + 1, (b,))
    pos = torch.arange(n).expand(b, n)
    return (pos + jitter + shift[:, None] * (pos >= cut[:, None])).to(labels.device)


class Trainer(AtomicCheckpoints, SFTTrainer):
    observation_weight = 1.0
    observation_schedule = "constant"
    position_jitter = 0

    def observation_weight_now(self) -> float:
        """The observation's weight at this optimizer step: constant, or falling linearly from
        `observation_weight` at the first step to 0 at the last (answer-only by the end)."""
        if self.observation_schedule == "linear":
            return self.observation_weight * max(0.0, 1 - self.state.global_step / max(1, self.state.max_steps))
        return self.observation_weight

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        jitter = self.position_jitter if model.training else 0
        if self.observation_weight == 1.0 and self.observation_schedule == "constant" and not jitter:
            return super().compute_loss(model, inputs, return_outputs=return_outputs, num_items_in_batch=num_items_in_batch)
        # Weighted: our own mean, per micro-batch (rows share one layout, so micro-batches carry
        # equal weight), divided by the accumulation steps here exactly when transformers will not
        # (it skips that for a model taking loss kwargs that was given the batch's token count).
        labels = inputs["labels"]
        # The copy head scores only the labelled rows when given labels (its training shortcut);
        # a plain model given labels may skip its logits, so it gets none.
        extra = {"labels": labels} if is_copy_model(model) else {}
        if jitter:
            extra["position_ids"] = jittered_positions(labels, jitter)
            if is_copy_model(model):
                # The copy head's position keys stay plain: the k-th announced label sits at the
                # same place in every layout, and that is what they key on.
                extra["copy_position_ids"] = torch.arange(labels.shape[1], device=labels.device).expand_as(labels)
        # Only the trained rows' logits where the caller needs no outputs: the loss needs nothing else.
        rows_only = is_copy_model(model) and not return_outputs
        if rows_only:
            extra["scored_only"] = True
        out = model(input_ids=inputs["input_ids"], attention_mask=inputs.get("attention_mask"), **extra)
        loss = (weighted_nll_rows if rows_only else weighted_nll)(out.logits, labels, self.observation_weight_now())
        if model.training and self.model_accepts_loss_kwargs and num_items_in_batch is not None:
            loss = loss / self.current_gradient_accumulation_steps
        return (loss, out) if return_outputs else loss


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
    trainer.observation_weight = cfg.observation_weight
    trainer.observation_schedule = cfg.observation_schedule
    trainer.position_jitter = cfg.position_jitter
    trainer.trainyard_generation = generation_config(model, rt.tokenizer, cfg.eval_temperature, cfg.eval_top_p, cfg.eval_max_tokens)
    callback = ProtocolCallback(emit, stop)
    trainer.add_callback(callback)
    train(trainer, callback, cfg, emit, stop)
