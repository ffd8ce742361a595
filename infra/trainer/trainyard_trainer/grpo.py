"""CPU-engine GRPO, top to bottom (the paper's verl recipe in TRL's vocabulary).

Per generation batch: prompts_per_batch prompts × G samples at `temperature` (KV-cache
sampling), rewards from the `env batch` subprocess, advantages normalised within each group
(scale_rewards="group": (r − mean) / (std + 1e-4)), then prompts_per_batch / mini_batch_prompts
optimizer steps with the PPO-clipped ratio and a token-mean loss over each mini-batch
(TRL loss_type "dapo" = verl token-mean). beta = 0 (the paper) loads no reference model.
With one mini-batch per generation batch (the paper: 256 = 256) the ratio is exactly 1, so the
clip never fires; with several, later mini-batches are off-policy and the clip matters.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import math
import random
import time

import torch
import torch.nn.functional as F

from .checkpoint import load_checkpoint, save_checkpoint
from .config import GrpoConfig
from .data import load_rows
from .model import ModelArgs, TinyGPT
from .optim import adamw, lr_at, set_lr
from .protocol import Emitter, StopFlag, TrainerError
from .rewards import RewardClient, env_batch_reward
from .sampling import SampleParams, generate
from .tokenizer import EOS_ID, BPETokenizer


def token_logps(model: TinyGPT, seqs: list[list[int]], prompt_lens: list[int], temperature: float):
    """Per-token log-probs (and entropies) of each sequence's completion part.

    Returns (logps [B, W], entropy [B, W], mask [B, W]) aligned on the completion tokens,
    right-padded. Logits are divided by the sampling temperature, as TRL does, so the ratio
    compares the distributions the samples were actually drawn from.
    """
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), EOS_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
    logits = model(ids[:, :-1]) / temperature
    logp_all = F.log_softmax(logits, dim=-1)
    logp = logp_all.gather(2, ids[:, 1:].unsqueeze(2)).squeeze(2)
    ent = -(logp_all.exp() * logp_all).sum(-1)
    cw = max(len(s) - p for s, p in zip(seqs, prompt_lens))
    out_lp = torch.zeros(len(seqs), cw)
    out_ent = torch.zeros(len(seqs), cw)
    mask = torch.zeros(len(seqs), cw)
    for i, (s, p) in enumerate(zip(seqs, prompt_lens)):
        n = len(s) - p
        out_lp[i, :n] = logp[i, p - 1 : p - 1 + n]
        out_ent[i, :n] = ent[i, p - 1 : p - 1 + n].detach()
        mask[i, :n] = 1.0
    return out_lp, out_ent, mask


def run(cfg: GrpoConfig, emit: Emitter, stop: StopFlag) -> None:
    torch.set_num_threads(cfg.num_threads)
    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    sampler = torch.Generator().manual_seed(cfg.seed)
    emit.status("loading", f"reading {cfg.train_file}")
    rows = load_rows(cfg.train_file, cfg.template, need_completion=False, need_reward=True)

    if cfg.init_from:
        model, tok, meta = load_checkpoint(cfg.init_from)
        if meta["template"] != cfg.template:
            raise TrainerError("TY_ERR_TRAINER_CONFIG", f"init_from was trained with template {meta['template']}, the config says {cfg.template}")
        emit.log(f"warm start from {cfg.init_from} (step {meta['step']})")
    else:
        emit.log("no init_from: GRPO from random weights rarely earns any reward (the paper warm-starts from SFT)", "warn")
        tok = BPETokenizer.train([ex.prompt for ex in rows[:20_000]], cfg.bpe_merges)
        model = TinyGPT(ModelArgs(tok.vocab_size, cfg.context_length, cfg.d_model, cfg.layers, cfg.heads))
    ctx = model.args.context_length
    # init_from's context length wins over the config's (the position tables are fixed).
    limit = min(cfg.prompt_limit, ctx - cfg.max_completion_length)
    if limit < 1:
        raise TrainerError("TY_ERR_TRAINER_CONFIG", f"max_completion_length leaves no room for a prompt in the model's context length {ctx}: lower it")
    prompt_ids = []
    for n, ex in enumerate(rows, 1):
        ids = tok.encode(ex.prompt)
        if not ids or len(ids) > limit:
            raise TrainerError("TY_ERR_TRAINER_DATA", f"row {n}: prompt is {len(ids)} tokens, the limit is {limit} (max_prompt_length, or context_length − max_completion_length); rows are never truncated")
        prompt_ids.append(ids)
    ref_model = None
    if cfg.beta > 0:  # the KL anchor is the initial policy, frozen
        ref_model = copy.deepcopy(model).eval()
        for p in ref_model.parameters():
            p.requires_grad_(False)

    client = RewardClient(cfg.reward_command)
    reward_fn = functools.partial(env_batch_reward, client=client, warn=lambda m: emit.log(m, "warn"))
    G = cfg.num_generations
    mini_per_gen = cfg.prompts_per_batch // cfg.mini_batch_prompts
    if cfg.max_steps > 0:
        max_steps = cfg.max_steps
    else:
        max_steps = max(1, math.ceil(cfg.epochs * len(rows) / cfg.prompts_per_batch)) * mini_per_gen
    warmup = int(cfg.warmup_ratio * max_steps)
    opt = adamw(model, cfg.learning_rate, cfg.weight_decay)
    train_config = dataclasses.asdict(cfg)
    order: list[int] = []

    emit.status("training", f"{max_steps} steps")
    step, tokens_seen, last_saved = 0, 0, -1
    last_values: dict[str, float] = {}
    t_start = time.monotonic()
    try:
        while step < max_steps:
            # ---- rollout: prompts_per_batch prompts × G samples -------------------------------
            while len(order) < cfg.prompts_per_batch:
                perm = list(range(len(rows)))
                rng.shuffle(perm)
                order.extend(perm)
            batch_rows, order[:] = order[: cfg.prompts_per_batch], order[cfg.prompts_per_batch :]
            t_roll = time.monotonic()
            flat = [i for i in batch_rows for _ in range(G)]  # groups are contiguous
            params = [SampleParams(cfg.max_completion_length, cfg.temperature, cfg.top_p, [], sampler) for _ in flat]
            samples = generate(model, [prompt_ids[i] for i in flat], params, tok.vocab, EOS_ID)
            completions = [s.text.decode("utf-8", errors="replace") for s in samples]
            rewards = torch.tensor(reward_fn(
                completions,
                prompts=[rows[i].prompt for i in flat],
                reward=[rows[i].reward for i in flat],
            ))
            grouped = rewards.view(-1, G)
            mean_g = grouped.mean(1, keepdim=True)
            std_g = grouped.std(1, keepdim=True)
            if cfg.scale_rewards == "group":
                adv = (grouped - mean_g) / (std_g + 1e-4)
            elif cfg.scale_rewards == "batch":
                adv = (grouped - mean_g) / (rewards.std() + 1e-4)
            else:
                adv = grouped - mean_g
            adv = adv.view(-1)
            lengths = [len(s.tokens) for s in samples]
            rollout_values = {
                "reward": float(rewards.mean()),
                "reward_std": float(std_g.mean()),
                "frac_reward_zero_std": float((std_g.view(-1) < 1e-6).float().mean()),
                "completions/mean_length": sum(lengths) / len(lengths),
                "completions/min_length": float(min(lengths)),
                "completions/max_length": float(max(lengths)),
                "completions/clipped_ratio": sum(s.finish_reason == "length" for s in samples) / len(samples),
                "rollout_seconds": time.monotonic() - t_roll,
            }
            seqs = [prompt_ids[i] + s.tokens for i, s in zip(flat, samples)]
            plens = [len(prompt_ids[i]) for i in flat]

            # Old log-probs are needed only when a later mini-batch is off-policy.
            old_all = None
            if mini_per_gen > 1:
                with torch.no_grad():
                    old_all = [token_logps(model, seqs[j : j + cfg.micro], plens[j : j + cfg.micro], cfg.temperature)[0]
                               for j in range(0, len(seqs), cfg.micro)]

            # ---- optimisation: one step per mini-batch of prompts --------------------------------
            mb = cfg.mini_batch_prompts * G
            for m in range(mini_per_gen):
                step += 1
                lr = lr_at(step, max_steps, warmup, cfg.learning_rate, cosine=False)
                set_lr(opt, lr)
                lo, hi = m * mb, (m + 1) * mb
                n_tok = sum(len(seqs[i]) - plens[i] for i in range(lo, hi))
                loss_sum, clip_lo, clip_hi, ent_sum, kl_sum = 0.0, 0.0, 0.0, 0.0, 0.0
                for j in range(lo, hi, cfg.micro):
                    k = min(j + cfg.micro, hi)
                    logp, ent, mask = token_logps(model, seqs[j:k], plens[j:k], cfg.temperature)
                    old = old_all[j // cfg.micro][:, : logp.size(1)] if old_all is not None else logp.detach()
                    a = adv[j:k].unsqueeze(1)
                    ratio = torch.exp(logp - old)
                    clipped = torch.clamp(ratio, 1 - cfg.epsilon, 1 + cfg.epsilon)
                    per_tok = -torch.min(ratio * a, clipped * a)
                    if ref_model is not None:
                        with torch.no_grad():
                            ref_lp = token_logps(ref_model, seqs[j:k], plens[j:k], cfg.temperature)[0]
                        d = ref_lp - logp
                        kl = torch.exp(d) - d - 1  # k3 estimator, as TRL
                        per_tok = per_tok + cfg.beta * kl
                        kl_sum += float((kl * mask).sum())
                    loss = (per_tok * mask).sum() / n_tok  # token-mean over the whole mini-batch
                    loss.backward()
                    loss_sum += float(loss)
                    with torch.no_grad():
                        clip_lo += float((((ratio < 1 - cfg.epsilon) & (a < 0)).float() * mask).sum())
                        clip_hi += float((((ratio > 1 + cfg.epsilon) & (a > 0)).float() * mask).sum())
                        ent_sum += float((ent * mask).sum())
                tokens_seen += sum(len(seqs[i]) for i in range(lo, hi))
                grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.grad_clip if cfg.grad_clip > 0 else float("inf"))
                opt.step()
                opt.zero_grad(set_to_none=True)
                values = dict(rollout_values)
                values.update({
                    "loss": loss_sum,
                    "learning_rate": lr,
                    "grad_norm": float(grad_norm),
                    "entropy": ent_sum / n_tok,
                    "clip_ratio/low_mean": clip_lo / n_tok,
                    "clip_ratio/high_mean": clip_hi / n_tok,
                    "clip_ratio/region_mean": (clip_lo + clip_hi) / n_tok,
                    "num_tokens": tokens_seen,
                    "step_time": time.monotonic() - t_roll,
                })
                if ref_model is not None:
                    values["kl"] = kl_sum / n_tok
                last_values = values
                if step % cfg.logging_steps == 0 or step == max_steps:
                    emit.metrics(step, max_steps, values)
                stopping = stop.is_set
                if (cfg.save_steps and step % cfg.save_steps == 0) or step == max_steps or stopping:
                    emit.status("saving", f"step {step}")
                    path, digest = save_checkpoint(cfg.output_dir, step, model, tok, cfg.template, train_config)
                    emit.checkpoint(step, path, digest)
                    last_saved = step
                if stopping or step >= max_steps:
                    break
            if stop.is_set:
                emit.status("stopping", f"{stop.signal_name}: saved step {step} of {max_steps}")
                break
    finally:
        client.close()

    emit.done(step, {
        "max_steps": max_steps,
        "stopped_early": step < max_steps,
        "checkpoint_step": last_saved,
        "final_reward": last_values.get("reward", 0.0),
        "num_tokens": tokens_seen,
        "train_seconds": round(time.monotonic() - t_start, 3),
    })
