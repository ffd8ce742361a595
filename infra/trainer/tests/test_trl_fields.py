"""Every field we hand to TRL and PEFT exists in the installed versions, with the value we meant.

Regression: TRL 1.13 removed `warmup_ratio` (SFT/GRPO) and `max_prompt_length` (GRPO); the old
code dropped unknown fields with a warning and ran without warm-up. `checked()` now refuses
them, and these tests build the real configs from our dataclasses so a TRL upgrade that renames
a field fails here, not in a user's run.
"""
from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch
from trl import GRPOConfig, SFTConfig

from trainyard_trainer.config import GrpoConfig, LoraConfig, SftConfig, from_dict
from trainyard_trainer.grpo import grpo_args
from trainyard_trainer.models import peft_config
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.sft import sft_args
from trainyard_trainer.training import checked

CPU = SimpleNamespace(device="cpu", dtype=torch.float32)


def test_sft_config_has_every_field_we_pass(toy_file, tmp_path):
    cfg = from_dict(SftConfig, {"train_file": str(toy_file), "output_dir": str(tmp_path), "batch_size": 16, "micro_batch_size": 4,
                                "warmup_ratio": 0.1, "max_steps": 100})
    args = sft_args(cfg, CPU)
    assert isinstance(args, SFTConfig)
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (4, 4)
    assert args.get_warmup_steps(100) == 10 and args.lr_scheduler_type == "cosine"
    assert args.max_length == cfg.context_length and args.completion_only_loss is True
    assert args.adam_beta2 == 0.95 and args.use_cpu is True and args.bf16 is False


def test_micro_batch_zero_means_no_accumulation(toy_file, tmp_path):
    """Regression: `micro_batch_size or 1` ran batch 1 with 16 accumulation steps (half speed)."""
    cfg = from_dict(SftConfig, {"train_file": str(toy_file), "output_dir": str(tmp_path), "batch_size": 16})
    args = sft_args(cfg, CPU)
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (16, 1)


def test_grpo_config_has_every_field_we_pass(toy_file, tmp_path):
    cfg = from_dict(GrpoConfig, {"train_file": str(toy_file), "output_dir": str(tmp_path), "num_generations": 8,
                                 "prompts_per_batch": 32, "mini_batch_prompts": 16, "micro_batch_size": 32})
    args = grpo_args(cfg, CPU)
    assert isinstance(args, GRPOConfig)
    # one optimizer step = 16 prompts × 8 = 128 completions = 32 per device × 4 accumulation
    assert (args.per_device_train_batch_size, args.gradient_accumulation_steps) == (32, 4)
    assert args.generation_batch_size == 256 and args.steps_per_generation == 8
    assert args.use_vllm is False and args.loss_type == "dapo" and args.beta == 0.0 and args.epsilon == 0.2


def test_checked_refuses_a_field_the_installed_trl_lacks():
    with pytest.raises(TrainerError) as e:
        checked(SFTConfig, {"output_dir": "x", "warmup_ratio": 0.1})
    assert "warmup_ratio" in str(e.value)
    with pytest.raises(TrainerError):
        checked(GRPOConfig, {"output_dir": "x", "max_prompt_length": 512})


def test_lora_config_maps_onto_peft():
    from peft import LoraConfig as PeftLora

    ours = LoraConfig(rank=16, alpha=32, dropout=0.1, target_modules=["q_proj", "v_proj"])
    p = peft_config(ours)
    assert isinstance(p, PeftLora) and p.r == 16 and p.lora_alpha == 32 and p.lora_dropout == 0.1
    assert set(p.target_modules) == {"q_proj", "v_proj"} and p.task_type == "CAUSAL_LM"
    assert peft_config(LoraConfig()).target_modules == "all-linear"
    assert {f.name for f in dataclasses.fields(LoraConfig)} == {"rank", "alpha", "dropout", "target_modules"}


def test_cpu_defaults_need_no_cuda_no_vllm_and_no_bf16(toy_file, tmp_path):
    """Regression: the old hf path refused to start without CUDA, GRPO insisted on vLLM, and the
    bf16 default crashed on CPU. `auto` now resolves to CPU, float32 and transformers' generate."""
    from trainyard_trainer.models import pick_device, pick_dtype

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible: auto picks it")
    device = pick_device("auto")
    rt = SimpleNamespace(device=device, dtype=pick_dtype("auto", device))
    assert rt.device == "cpu" and rt.dtype == torch.float32
    args = grpo_args(from_dict(GrpoConfig, {"train_file": str(toy_file), "output_dir": str(tmp_path)}), rt)
    assert args.use_vllm is False and args.bf16 is False and args.use_cpu is True
    with pytest.raises(TrainerError) as e:
        pick_dtype("bfloat16", "cpu")
    assert e.value.code == "TY_ERR_TRAINER_CONFIG"
    with pytest.raises(TrainerError) as e:
        pick_device("cuda")
    assert e.value.code == "TY_ERR_NOT_AVAILABLE"


def test_chat_rows_over_the_context_are_refused_not_truncated(tmp_path):
    """Regression: apply_chat_template(tokenize=True) returns a BatchEncoding in transformers 5, so
    the old length check measured len() == 2 and over-long chat rows were truncated silently."""
    from types import SimpleNamespace as NS

    from trainyard_trainer.data import Row, encode_sft
    from trainyard_trainer.tiny import build_tiny
    from transformers import AutoTokenizer

    cfg = NS(tiny_arch="llama", tiny_tokenizer="lines", d_model=32, layers=1, heads=2, intermediate_size=0,
             vocab_size=320, tie_embeddings=True, context_length=64, seed=0)
    tok = AutoTokenizer.from_pretrained(build_tiny(cfg, ["a b c"], str(tmp_path / "m")))
    ok = Row("f.jsonl:1", [{"role": "user", "content": "hi"}], [{"role": "assistant", "content": "yo"}], None)
    enc = encode_sft(tok, ok, "chat", 64)
    assert enc["input_ids"][-1] == tok.eos_token_id and sum(enc["completion_mask"]) >= 3
    long = Row("f.jsonl:2", [{"role": "user", "content": "word " * 100}], [{"role": "assistant", "content": "yo"}], None)
    with pytest.raises(TrainerError) as e:
        encode_sft(tok, long, "chat", 64)
    assert e.value.code == "TY_ERR_TRAINER_DATA" and "f.jsonl:2" in str(e.value) and "context_length 64" in str(e.value)
