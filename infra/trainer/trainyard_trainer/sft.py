"""CPU-engine SFT, top to bottom: completion-only cross-entropy with the paper's optimiser.

Loss: token-mean cross-entropy over completion tokens only (the prompt is masked, EOS is
appended to every target), averaged over the whole batch (not per sequence), as the authors'
scripts do. AdamW β=(0.9, 0.95), linear warm-up then cosine decay to 0, global-norm clipping.
"""
from __future__ import annotations

import dataclasses
import math
import random
import time

import torch
import torch.nn.functional as F

from .checkpoint import load_checkpoint, save_checkpoint
from .config import SftConfig
from .data import load_rows
from .model import ModelArgs, TinyGPT
from .optim import adamw, lr_at, set_lr
from .protocol import Emitter, StopFlag, TrainerError
from .tokenizer import EOS_ID, BPETokenizer

BPE_TRAIN_ROWS = 20_000  # the tokenizer learns from at most this many rows (bounded start-up time)


def collate(seqs: list[tuple[list[int], int]]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(tokens, prompt_len) pairs → inputs, targets, loss mask (right-padded with EOS)."""
    width = max(len(s) for s, _ in seqs) - 1
    inp = torch.full((len(seqs), width), EOS_ID, dtype=torch.long)
    tgt = torch.full((len(seqs), width), EOS_ID, dtype=torch.long)
    mask = torch.zeros((len(seqs), width))
    for i, (s, p) in enumerate(seqs):
        t = torch.tensor(s, dtype=torch.long)
        inp[i, : len(s) - 1] = t[:-1]
        tgt[i, : len(s) - 1] = t[1:]
        mask[i, p - 1 : len(s) - 1] = 1.0  # predict completion tokens (incl. EOS) only
    return inp, tgt, mask


def encode_rows(tok: BPETokenizer, rows, context_length: int) -> list[tuple[list[int], int]]:
    seqs = []
    for n, ex in enumerate(rows, 1):
        p = tok.encode(ex.prompt)
        c = tok.encode(ex.completion) + [EOS_ID]
        if len(p) + len(c) > context_length:
            raise TrainerError(
                "TY_ERR_TRAINER_DATA",
                f"row {n}: prompt {len(p)} + completion {len(c)} tokens exceeds context_length {context_length}; "
                "raise context_length (rows are never truncated)",
            )
        if not p:
            raise TrainerError("TY_ERR_TRAINER_DATA", f"row {n}: empty prompt")
        seqs.append((p + c, len(p)))
    return seqs


def run(cfg: SftConfig, emit: Emitter, stop: StopFlag) -> None:
    torch.set_num_threads(cfg.num_threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    emit.status("loading", f"reading {cfg.train_file}")
    rows = load_rows(cfg.train_file, cfg.template, need_completion=True, need_reward=False)

    # Model and tokenizer: from a checkpoint (its tokenizer and shape win), or fresh.
    if cfg.init_from:
        model, tok, meta = load_checkpoint(cfg.init_from)
        if meta["template"] != cfg.template:
            raise TrainerError("TY_ERR_TRAINER_CONFIG", f"init_from was trained with template {meta['template']}, the config says {cfg.template}")
        emit.log(f"warm start from {cfg.init_from} (step {meta['step']}); its tokenizer and model shape are kept")
    else:
        t0 = time.monotonic()
        texts = [s for ex in rows[:BPE_TRAIN_ROWS] for s in (ex.prompt, ex.completion)]
        tok = BPETokenizer.train(texts, cfg.bpe_merges)
        emit.log(f"byte-level BPE: {len(tok.merges)} merges in {time.monotonic() - t0:.1f} s")
        args = ModelArgs(tok.vocab_size, cfg.context_length, cfg.d_model, cfg.layers, cfg.heads)
        model = TinyGPT(args)
    seqs = encode_rows(tok, rows, model.args.context_length)
    n_params = sum(p.numel() for p in model.parameters())
    mean_len = sum(len(s) for s, _ in seqs) / len(seqs)
    emit.log(f"{len(seqs)} rows, mean {mean_len:.1f} tokens; model {n_params:,} parameters, vocab {tok.vocab_size}")

    steps_per_epoch = math.ceil(len(seqs) / cfg.batch_size)
    max_steps = cfg.max_steps if cfg.max_steps > 0 else max(1, math.ceil(cfg.epochs * steps_per_epoch))
    warmup = int(cfg.warmup_ratio * max_steps)
    opt = adamw(model, cfg.learning_rate, cfg.weight_decay)
    train_config = dataclasses.asdict(cfg)

    # Data order: successive seeded permutations of the rows, consumed batch_size at a time.
    order: list[int] = []
    def next_batch() -> list[int]:
        while len(order) < cfg.batch_size:
            perm = list(range(len(seqs)))
            rng.shuffle(perm)
            order.extend(perm)
        batch, order[:] = order[: cfg.batch_size], order[cfg.batch_size :]
        return batch

    emit.status("training", f"{max_steps} steps")
    model.train()
    step, tokens_seen, last_saved, loss_val = 0, 0, -1, float("nan")
    t_start = time.monotonic()
    while step < max_steps:
        step += 1
        lr = lr_at(step, max_steps, warmup, cfg.learning_rate, cosine=True)
        set_lr(opt, lr)
        batch = [seqs[i] for i in next_batch()]
        n_target = sum(len(s) - p for s, p in batch)  # completion tokens incl. EOS, whole batch
        loss_sum, correct = 0.0, 0
        for j in range(0, len(batch), cfg.micro):
            inp, tgt, mask = collate(batch[j : j + cfg.micro])
            logits = model(inp)
            tok_loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), tgt.reshape(-1), reduction="none")
            loss = (tok_loss * mask.reshape(-1)).sum() / n_target
            loss.backward()
            loss_sum += float(loss)
            correct += int(((logits.argmax(-1) == tgt).float() * mask).sum())
            tokens_seen += int(sum(len(s) - 1 for s, _ in batch[j : j + cfg.micro]))
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else float("inf"))
        opt.step()
        opt.zero_grad(set_to_none=True)
        loss_val = loss_sum

        if step % cfg.logging_steps == 0 or step == max_steps:
            elapsed = time.monotonic() - t_start
            emit.metrics(step, max_steps, {
                "loss": loss_val,
                "learning_rate": lr,
                "grad_norm": float(grad_norm),
                "mean_token_accuracy": correct / n_target,
                "epoch": step * cfg.batch_size / len(seqs),
                "num_tokens": tokens_seen,
                "tokens_per_second": tokens_seen / max(elapsed, 1e-9),
            })
        stopping = stop.is_set
        if (cfg.save_steps and step % cfg.save_steps == 0) or step == max_steps or stopping:
            emit.status("saving", f"step {step}")
            path, digest = save_checkpoint(cfg.output_dir, step, model, tok, cfg.template, train_config)
            emit.checkpoint(step, path, digest)
            last_saved = step
        if stopping:
            emit.status("stopping", f"{stop.signal_name}: saved step {step} of {max_steps}")
            break

    elapsed = time.monotonic() - t_start
    emit.done(step, {
        "final_loss": loss_val,
        "max_steps": max_steps,
        "stopped_early": step < max_steps,
        "checkpoint_step": last_saved,
        "num_tokens": tokens_seen,
        "train_seconds": round(elapsed, 3),
        "tokens_per_second": tokens_seen / max(elapsed, 1e-9),
    })
