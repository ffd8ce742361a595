"""AdamW and the learning-rate schedules shared by the CPU SFT and GRPO scripts."""
from __future__ import annotations

import math

import torch


def adamw(model: torch.nn.Module, lr: float, weight_decay: float) -> torch.optim.AdamW:
    # Decay matrices and embeddings only; biases and LayerNorm gains are left alone (GPT-2 recipe).
    decay = [p for p in model.parameters() if p.requires_grad and p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.requires_grad and p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.95), eps=1e-8)


def lr_at(step: int, max_steps: int, warmup_steps: int, peak: float, cosine: bool) -> float:
    """LR for optimizer step `step` (1-based): linear warm-up, then cosine to 0 or constant."""
    if warmup_steps > 0 and step <= warmup_steps:
        return peak * step / warmup_steps
    if not cosine:
        return peak
    progress = (step - warmup_steps) / max(1, max_steps - warmup_steps)
    return peak * 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress)))


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for g in opt.param_groups:
        g["lr"] = lr
