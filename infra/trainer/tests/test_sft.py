"""SFT on TRL really trains the tiny model: events in protocol order, loss falls, weights move,
and every checkpoint is a standard Hugging Face directory written atomically."""
from __future__ import annotations

import json
import os

import torch
from safetensors.torch import load_file

from conftest import last_checkpoint, of_type, run_trainer

PROMPT = "You are a solver.\nRules: answer with the direction of the colour.\nColour: blue\nDecide the next action:"


def test_events_follow_the_protocol_order(sft_run):
    cfg, events, _ = sft_run
    states = [e["state"] for e in of_type(events, "status")]
    assert states[:3] == ["starting", "loading", "training"]
    assert events[-1]["type"] == "done" and events[-1]["step"] == cfg["max_steps"]
    result = events[-1]["result"]
    assert result["stopped_early"] is False and result["max_steps"] == cfg["max_steps"]
    assert result["num_tokens"] > 0 and result["train_seconds"] > 0
    assert result["loss"] == of_type(events, "metrics")[-1]["values"]["loss"]
    steps = [e["step"] for e in of_type(events, "metrics")]
    assert steps == list(range(1, cfg["max_steps"] + 1))
    assert all(e["max_steps"] == cfg["max_steps"] for e in of_type(events, "metrics"))


def test_loss_falls_with_trl_metric_names_and_tokens_per_second(sft_run):
    _, events, _ = sft_run
    metrics = of_type(events, "metrics")
    for name in ("loss", "learning_rate", "grad_norm", "num_tokens", "mean_token_accuracy", "tokens_per_second"):
        assert name in metrics[1]["values"], name
    losses = [m["values"]["loss"] for m in metrics]
    assert sum(losses[-5:]) / 5 < 0.3 * sum(losses[:5]) / 5, losses


def test_warmup_ratio_is_honoured(sft_run):
    """Regression: TRL 1.13 has no warmup_ratio; passing it was dropped with a warning (no warm-up)."""
    cfg, events, _ = sft_run
    lrs = [m["values"]["learning_rate"] for m in of_type(events, "metrics")]
    warm = round(cfg["warmup_ratio"] * cfg["max_steps"])  # 4 steps
    assert lrs[:warm] == sorted(lrs[:warm]) and lrs[0] < lrs[warm - 1] < cfg["learning_rate"]
    assert max(lrs) == lrs[warm] == cfg["learning_rate"]
    assert lrs[-1] < 0.01 * cfg["learning_rate"]  # cosine to ~0


def test_checkpoints_are_standard_hugging_face_directories(sft_run):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    cfg, events, _ = sft_run
    ckpts = of_type(events, "checkpoint")
    assert [c["step"] for c in ckpts] == [20, 40]
    out = os.listdir(cfg["output_dir"])
    assert sorted(d for d in out if d.startswith("checkpoint")) == ["checkpoint-20", "checkpoint-40"]
    assert not os.listdir(os.path.join(cfg["output_dir"], ".staging"))  # nothing half-written left
    for c in ckpts:
        files = set(os.listdir(c["path"]))
        assert {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "generation_config.json",
                "optimizer.pt", "scheduler.pt", "trainer_state.json"} <= files, files
        import hashlib

        with open(os.path.join(c["path"], "model.safetensors"), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == c["sha256"]
    model = AutoModelForCausalLM.from_pretrained(ckpts[-1]["path"])
    tok = AutoTokenizer.from_pretrained(ckpts[-1]["path"])
    assert model.config.model_type == "llama" and tok.eos_token == "<|endoftext|>"


def test_generation_config_carries_the_evaluation_sampling(tmp_path, toy_file):
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "max_steps": 2, "save_steps": 0,
           "eval_temperature": 0.7, "eval_top_p": 0.9, "eval_max_tokens": 33, "d_model": 32, "heads": 2, "layers": 1,
           "vocab_size": 320, "context_length": 128}
    rc, events, err = run_trainer("sft", cfg, tmp_path)
    assert rc == 0, err
    gen = json.load(open(os.path.join(last_checkpoint(events), "generation_config.json")))
    assert gen["do_sample"] is True and gen["temperature"] == 0.7 and gen["top_p"] == 0.9 and gen["max_new_tokens"] == 33
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(last_checkpoint(events))
    # The tiny model stops at the end of a chat turn as Qwen's instruct models do, and at EOS.
    assert gen["eos_token_id"] == [tok.eos_token_id, tok.convert_tokens_to_ids("<|im_end|>")]
    assert [c["step"] for c in of_type(events, "checkpoint")] == [2]  # save_steps 0: the final weights only


def test_every_parameter_moved_from_the_tiny_initialisation(sft_run):
    cfg, events, _ = sft_run
    init = load_file(os.path.join(cfg["output_dir"], "tiny-init", "model.safetensors"))
    trained = load_file(os.path.join(last_checkpoint(events), "model.safetensors"))
    assert init.keys() == trained.keys()
    for name, p0 in init.items():
        assert not torch.equal(p0, trained[name]), f"{name} did not change"


def test_the_trained_model_answers_the_toy_task(sft_run):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    _, events, _ = sft_run
    path = last_checkpoint(events)
    tok = AutoTokenizer.from_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    ids = tok(PROMPT, return_tensors="pt")
    out = model.generate(**ids, max_new_tokens=10, do_sample=False)
    assert tok.decode(out[0, ids["input_ids"].shape[1]:], skip_special_tokens=True) == " <answer> Left </answer>\n"
