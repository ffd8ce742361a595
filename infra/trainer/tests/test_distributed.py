"""Two ranks (gloo on CPU) of SFT and of GRPO: one protocol stream, loadable checkpoints, loss falling.

The ranks are real processes started by the trainer's own launcher (`processes: 2`), exactly as
the worker and `trainyard train --processes 2` start them.
"""
from __future__ import annotations

import os

import pytest
from transformers import AutoModelForCausalLM

from conftest import TINY, of_type, run_trainer


def one_stream(events: list[dict]) -> None:
    """What the worker relies on: one start, one terminal event (last), each step's metrics once."""
    starts = [e for e in of_type(events, "status") if e["state"] == "starting"]
    assert len(starts) == 1
    assert [e["type"] for e in events].count("done") == 1 and events[-1]["type"] == "done"
    steps = [m["step"] for m in of_type(events, "metrics")]
    assert steps == sorted(set(steps)), "a step's metrics came twice (more than one rank emitting)"
    saved = [c["step"] for c in of_type(events, "checkpoint")]
    assert saved == sorted(set(saved))


@pytest.fixture(scope="module")
def sft2(tmp_path_factory, toy_file):
    tmp = tmp_path_factory.mktemp("sft2")
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "max_steps": 12, "batch_size": 16, "save_steps": 6,
           "learning_rate": 1e-2, "warmup_ratio": 0.1, "seed": 3, "processes": 2, **TINY}
    rc, events, err = run_trainer("sft", cfg, tmp, timeout=240)
    assert rc == 0, err[-3000:]
    return cfg, events, tmp


def test_two_rank_sft_emits_one_stream_and_learns(sft2):
    cfg, events, _ = sft2
    one_stream(events)
    assert any(e["type"] == "log" and "launching 2 process(es)" in e["message"] for e in events)
    losses = [m["values"]["loss"] for m in of_type(events, "metrics")]
    assert len(losses) == 12 and sum(losses[-3:]) / 3 < 0.7 * sum(losses[:3]) / 3
    assert [c["step"] for c in of_type(events, "checkpoint")] == [6, 12]
    # Each rank's stderr is kept beside the checkpoints.
    logs = os.path.join(cfg["output_dir"], "logs")
    assert sorted(os.listdir(logs)) == ["rank-0.stderr.log", "rank-1.stderr.log"]


def test_each_checkpoint_of_a_two_rank_run_loads_with_auto_model(sft2):
    _, events, _ = sft2
    for c in of_type(events, "checkpoint"):
        model = AutoModelForCausalLM.from_pretrained(c["path"])
        assert model.config.num_hidden_layers == TINY["layers"]
        assert "optimizer.pt" in os.listdir(c["path"])
    assert not os.listdir(os.path.join(os.path.dirname(c["path"]), ".staging"))


def test_two_rank_grpo_from_the_sft_checkpoint(sft2, toy_file, reward_command, tmp_path):
    _, events, _ = sft2
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "init_from": of_type(events, "checkpoint")[-1]["path"],
           "max_steps": 3, "save_steps": 0, "num_generations": 4, "prompts_per_batch": 4, "mini_batch_prompts": 4,
           "max_completion_length": 8, "context_length": TINY["context_length"], "learning_rate": 1e-3,
           "reward_command": reward_command, "processes": 2}
    rc, gev, err = run_trainer("grpo", cfg, tmp_path, timeout=240)
    assert rc == 0, err[-3000:]
    one_stream(gev)
    metrics = of_type(gev, "metrics")
    assert [m["step"] for m in metrics] == [1, 2, 3]
    assert all("reward" in m["values"] for m in metrics)
    (ckpt,) = of_type(gev, "checkpoint")
    assert AutoModelForCausalLM.from_pretrained(ckpt["path"]) is not None
