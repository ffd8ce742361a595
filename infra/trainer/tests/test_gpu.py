"""The GPU path (engine hf: TRL + vLLM) on a tiny random Llama built offline.

Marked `gpu`: skipped where TRL is not importable (conftest.py). NEVER RUN on the development
machine; run in the CUDA image with `pytest -m gpu infra/trainer/tests`.
"""
from __future__ import annotations

import json
import os

import pytest

from conftest import of_type, run_trainer

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def tiny_llama(tmp_path_factory):
    """A byte-level tokenizer with a chat template and a 2-layer Llama, saved locally (no download)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    path = tmp_path_factory.mktemp("tiny-llama")
    vocab = {c: i for i, c in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    for special in ("<|endoftext|>", "<|im_start|>", "<|im_end|>"):
        vocab[special] = len(vocab)
    tk = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    tk.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tk.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|endoftext|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=["<|im_start|>", "<|im_end|>"])
    tok.chat_template = (
        "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
        "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
    )
    eos = vocab["<|endoftext|>"]
    model = LlamaForCausalLM(LlamaConfig(vocab_size=len(vocab), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                                         num_attention_heads=4, num_key_value_heads=4, max_position_embeddings=1024,
                                         bos_token_id=eos, eos_token_id=eos, pad_token_id=eos))
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


def test_hf_sft_emits_the_protocol_and_saves(tiny_llama, toy_file, tmp_path):
    cfg = {"engine": "hf", "model_id": tiny_llama, "train_file": str(toy_file), "output_dir": str(tmp_path / "out"),
           "max_steps": 4, "batch_size": 8, "micro_batch_size": 4, "learning_rate": 1e-3, "save_steps": 2,
           "context_length": 512, "dtype": "float32", "gradient_checkpointing": False}
    rc, events, err = run_trainer("sft", cfg, tmp_path, timeout=600)
    assert rc == 0, err
    metrics = of_type(events, "metrics")
    assert metrics and all(m["max_steps"] == 4 for m in metrics) and any("loss" in m["values"] for m in metrics)
    ckpts = of_type(events, "checkpoint")
    assert [c["step"] for c in ckpts][-1] == 4 and all(os.path.isdir(c["path"]) for c in ckpts)
    assert events[-1]["type"] == "done" and events[-1]["step"] == 4


def test_hf_grpo_with_vllm_colocate_and_the_reward_subprocess(tiny_llama, toy_file, reward_command, tmp_path):
    cfg = {"engine": "hf", "model_id": tiny_llama, "train_file": str(toy_file), "output_dir": str(tmp_path / "out"),
           "max_steps": 2, "num_generations": 4, "prompts_per_batch": 4, "mini_batch_prompts": 4, "learning_rate": 1e-5,
           "max_prompt_length": 192, "max_completion_length": 16, "context_length": 256, "save_steps": 0,
           "reward_command": reward_command, "vllm_gpu_memory_utilization": 0.2, "dtype": "float32",
           "gradient_checkpointing": False}
    rc, events, err = run_trainer("grpo", cfg, tmp_path, timeout=900)
    assert rc == 0, err
    values = of_type(events, "metrics")[0]["values"]
    assert "reward" in values and "frac_reward_zero_std" in values
    assert of_type(events, "checkpoint")[-1]["step"] == 2
    assert events[-1]["type"] == "done"


def test_lora_sft_saves_an_adapter(tiny_llama, toy_file, tmp_path):
    cfg = {"engine": "hf", "model_id": tiny_llama, "train_file": str(toy_file), "output_dir": str(tmp_path / "out"),
           "max_steps": 2, "batch_size": 4, "micro_batch_size": 4, "learning_rate": 1e-3, "save_steps": 0,
           "context_length": 512, "dtype": "float32", "gradient_checkpointing": False,
           "lora": {"rank": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["all-linear"]}}
    rc, events, err = run_trainer("sft", cfg, tmp_path, timeout=600)
    assert rc == 0, err
    assert os.path.isfile(os.path.join(of_type(events, "checkpoint")[-1]["path"], "adapter_config.json"))
