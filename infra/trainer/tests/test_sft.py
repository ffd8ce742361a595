"""CPU-engine SFT really trains: loss logged and falling, weights changed, checkpoints verifiable."""
from __future__ import annotations

import hashlib
import json
import os

import torch

from conftest import of_type
from trainyard_trainer.checkpoint import load_checkpoint
from trainyard_trainer.model import ModelArgs, TinyGPT


def test_events_follow_the_protocol_order(sft_run):
    cfg, events, _ = sft_run
    states = [e["state"] for e in of_type(events, "status")]
    assert states[:3] == ["starting", "loading", "training"]
    assert events[-1]["type"] == "done" and events[-1]["step"] == cfg["max_steps"]
    assert events[-1]["result"]["stopped_early"] is False
    steps = [e["step"] for e in of_type(events, "metrics")]
    assert steps == list(range(1, cfg["max_steps"] + 1))
    assert all(e["max_steps"] == cfg["max_steps"] for e in of_type(events, "metrics"))


def test_loss_was_logged_and_fell(sft_run):
    _, events, _ = sft_run
    losses = [e["values"]["loss"] for e in of_type(events, "metrics")]
    assert all(k in of_type(events, "metrics")[0]["values"] for k in ("loss", "learning_rate", "grad_norm", "num_tokens"))
    assert sum(losses[-5:]) / 5 < 0.5 * sum(losses[:5]) / 5, losses
    lrs = [e["values"]["learning_rate"] for e in of_type(events, "metrics")]
    assert max(lrs) == lrs[7] and lrs[-1] == 0.0  # 8 warm-up steps, then cosine to 0


def test_checkpoints_are_complete_and_hashed(sft_run):
    cfg, events, _ = sft_run
    ckpts = of_type(events, "checkpoint")
    assert [c["step"] for c in ckpts] == [40, 80]
    for c in ckpts:
        assert sorted(os.listdir(c["path"])) == ["config.json", "model.pt", "tokenizer.json"]
        with open(os.path.join(c["path"], "model.pt"), "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == c["sha256"]
    meta = json.load(open(os.path.join(ckpts[-1]["path"], "config.json")))
    assert meta["template"] == "raw" and meta["train_config"]["max_steps"] == cfg["max_steps"]


def test_parameters_changed_from_their_initialisation(sft_run):
    cfg, events, _ = sft_run
    model, tok, _ = load_checkpoint(of_type(events, "checkpoint")[-1]["path"])
    torch.manual_seed(cfg["seed"])  # the trainer seeds torch before building the model
    init = TinyGPT(ModelArgs(tok.vocab_size, cfg["context_length"], cfg["d_model"], cfg["layers"], cfg["heads"]))
    trained = model.state_dict()
    for name, p0 in init.state_dict().items():
        assert not torch.equal(p0, trained[name]), f"{name} did not change"


def test_the_trained_model_answers_the_toy_task(sft_run):
    from trainyard_trainer.sampling import SampleParams, generate

    _, events, _ = sft_run
    model, tok, _ = load_checkpoint(of_type(events, "checkpoint")[-1]["path"])
    prompt = "You are a solver.\nRules: answer with the direction of the colour.\nColour: blue\nDecide the next action:"
    out = generate(model, [tok.encode(prompt)], [SampleParams(8, temperature=0.0)], tok.vocab, tok.eos_id)[0]
    assert out.text.decode() == " <answer> Left </answer>\n" and out.finish_reason == "stop"
