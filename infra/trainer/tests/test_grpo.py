"""GRPO warm-started from the SFT checkpoint, rewarded by a real subprocess."""
from __future__ import annotations

import os

import pytest
import torch
from safetensors.torch import load_file

from conftest import TINY, of_type, run_trainer
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.rewards import RewardClient, env_batch_reward

TRL_METRICS = ["reward", "reward_std", "frac_reward_zero_std", "completions/mean_length", "rewards/env_batch/mean", "clip_ratio/region_mean", "loss", "learning_rate", "num_tokens"]


def grpo_config(train_file, output_dir, init_from: str, reward_command, max_steps: int) -> dict:
    """The GRPO test runs' settings: 8 prompts × 4 completions per generation batch, two optimizer
    steps per batch, a checkpoint every 2 steps."""
    return {
        "train_file": str(train_file), "output_dir": str(output_dir), "init_from": init_from,
        "max_steps": max_steps, "num_generations": 4, "prompts_per_batch": 8, "mini_batch_prompts": 4,
        "learning_rate": 3e-3, "temperature": 1.5, "max_prompt_length": 48, "max_completion_length": 12,
        "context_length": TINY["context_length"], "save_steps": 2, "reward_command": reward_command,
    }


@pytest.fixture(scope="module")
def grpo_run(tmp_path_factory, sft_run, toy_file, reward_command):
    sft_cfg, sft_events, _ = sft_run
    tmp = tmp_path_factory.mktemp("grpo")
    # The half-trained checkpoint: still uncertain, so groups disagree and advantages are non-zero.
    cfg = grpo_config(toy_file, tmp / "out", of_type(sft_events, "checkpoint")[0]["path"], reward_command, max_steps=4)
    rc, events, err = run_trainer("grpo", cfg, tmp)
    assert rc == 0, err
    return cfg, events


def test_grpo_logs_trl_metrics_every_step(grpo_run):
    cfg, events = grpo_run
    metrics = of_type(events, "metrics")
    assert [m["step"] for m in metrics] == [1, 2, 3, 4]
    # Two optimizer steps per generation batch: rollout metrics come with the first of each.
    for m in metrics:
        assert {"loss", "learning_rate", "grad_norm", "clip_ratio/region_mean", "entropy"} <= set(m["values"]), sorted(m["values"])
    for m in (metrics[0], metrics[2]):
        assert all(k in m["values"] for k in TRL_METRICS), sorted(m["values"])
        assert 0.0 <= m["values"]["reward"] <= 1.0 and 0.0 <= m["values"]["frac_reward_zero_std"] <= 1.0
        assert m["values"]["tokens_per_second"] > 0
    # The first mini-batch is on-policy: importance ratio 1, nothing clipped.
    assert metrics[0]["values"]["clip_ratio/region_mean"] == 0.0
    assert metrics[0]["values"]["reward"] > 0.0  # the SFT warm start earns reward already
    assert min(m["values"]["frac_reward_zero_std"] for m in (metrics[0], metrics[2])) < 1.0  # some learning signal


def test_grpo_saves_and_changes_the_warm_start(grpo_run):
    cfg, events = grpo_run
    assert [c["step"] for c in of_type(events, "checkpoint")] == [2, 4]
    assert events[-1]["type"] == "done" and events[-1]["step"] == 4
    assert events[-1]["result"]["train_config"]["num_generations"] == 4
    before = load_file(os.path.join(cfg["init_from"], "model.safetensors"))
    after = load_file(os.path.join(of_type(events, "checkpoint")[-1]["path"], "model.safetensors"))
    changed = [n for n, p in after.items() if not torch.equal(p, before[n])]
    assert len(changed) == len(before)


def test_reward_client_batches_in_order_and_scores_failures_zero(reward_command):
    client = RewardClient(reward_command)
    warnings: list[str] = []
    try:
        scores = env_batch_reward(
            [" <answer> Up </answer>", "nothing", " <answer> Left </answer>", "x"] * 50,
            prompts=["p"] * 200,
            reward=[{"op": "reward", "label": "Up"}, {"op": "reward", "label": "Up"}, {"op": "reward", "label": "Left"}, {"op": "oops"}] * 50,
            client=client,
            warn=warnings.append,
        )
    finally:
        client.close()
    assert scores == [1.0, 0.0, 1.0, 0.0] * 50
    assert len(warnings) == 50 and "TY_ERR_ENV_BAD_REQUEST" in warnings[0]


def test_a_dead_reward_process_is_an_infra_error(tmp_path):
    script = tmp_path / "dies.py"
    script.write_text("import sys\nsys.stdin.readline()\nsys.exit(3)\n")
    import sys

    client = RewardClient([sys.executable, str(script)])
    with pytest.raises(TrainerError) as e:
        client.call([{"op": "reward"}, {"op": "reward"}])
    assert e.value.code == "TY_ERR_TRAINER_REWARD" and e.value.failure_kind == "infra_error"
    client.close()


def test_an_over_long_prompt_is_a_data_error_naming_the_row(tmp_path, sft_run, toy_file):
    """Regression: GRPOConfig has no max_prompt_length, so TRL would take any prompt; we refuse it."""
    _, sft_events, _ = sft_run
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "o"), "init_from": of_type(sft_events, "checkpoint")[-1]["path"],
           "max_prompt_length": 5, "max_completion_length": 12, "context_length": TINY["context_length"]}
    rc, events, _ = run_trainer("grpo", cfg, tmp_path)
    assert rc == 1 and events[-1]["code"] == "TY_ERR_TRAINER_DATA" and "toy.jsonl:1:" in events[-1]["message"]
    assert "prompt limit 5" in events[-1]["message"]


def test_a_missing_reward_command_fails_the_run_cleanly(tmp_path, sft_run, toy_file):
    _, sft_events, _ = sft_run
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "o"), "init_from": of_type(sft_events, "checkpoint")[-1]["path"],
           "max_prompt_length": 48, "max_completion_length": 12, "context_length": TINY["context_length"],
           "reward_command": ["/nonexistent/reward-binary"]}
    rc, events, _ = run_trainer("grpo", cfg, tmp_path)
    assert rc == 1 and events[-1]["code"] == "TY_ERR_TRAINER_REWARD" and events[-1]["failure_kind"] == "infra_error"


def test_the_real_env_batch_cli_scores_sokoban_answers():
    """The default reward command: `node apps/cli/bin/trainyard.js env batch` (needs `npm run build`)."""
    from trainyard_trainer.rewards import default_reward_command

    client = RewardClient([])
    assert client.argv == default_reward_command()
    try:
        item = client.call([{"op": "generate", "env": "sokoban", "setting": "id", "seed": 123}])[0]
        assert item["ok"] is True, item
        right = item["optimal"][0]
        wrong = next(a for a in ("Up", "Down", "Left", "Right") if a != right)
        answer_id = ["Up", "Down", "Left", "Right"].index(right) + 1
        warnings: list[str] = []
        scores = env_batch_reward(
            [f"</think> <answer> {right} </answer>", f"</think> <answer> {wrong} </answer>", "no tags"],
            prompts=[item["prompt"]] * 3,
            reward=[{"op": "reward", "env": "sokoban", "answerId": answer_id}] * 2 + [{"op": "reward", "env": "sokoban"}],
            client=client,
            warn=warnings.append,
        )
    finally:
        client.close()
    assert scores == [1.0, 0.0, 0.0]
    assert len(warnings) == 1 and "TY_ERR_ENV_BAD_REQUEST" in warnings[0]


def test_grpo_trains_a_copy_head_model_through_its_mixture(tmp_path, toy_file, reward_command):
    """GRPO on a copy-head tiny model (SFT warm start, then GRPO): TRL's log-probabilities come from
    the model's forward with `logits_to_keep`, so they must be the copy mixture's. The run finishes,
    rewards are in range, and the copy head's own weights change, not only the body's."""
    from conftest import last_checkpoint

    head = {**TINY, "copy_head": True, "copy_dim": 8, "copy_first_only": True, "copy_gate_bias": 2.0}
    sft = {"train_file": str(toy_file), "output_dir": str(tmp_path / "sft"), "max_steps": 20, "batch_size": 16,
           "save_steps": 0, "learning_rate": 1e-2, "seed": 3, **head}
    rc, events, err = run_trainer("sft", sft, tmp_path)
    assert rc == 0, err
    warm = last_checkpoint(events)
    cfg = grpo_config(toy_file, tmp_path / "grpo", warm, reward_command, max_steps=2)
    rc, events, err = run_trainer("grpo", cfg, tmp_path)
    assert rc == 0, err
    metrics = of_type(events, "metrics")
    assert [m["step"] for m in metrics] == [1, 2]
    assert 0.0 <= metrics[0]["values"]["reward"] <= 1.0
    assert metrics[0]["values"]["clip_ratio/region_mean"] == 0.0  # on-policy: the mixture's own log-probs
    before = load_file(os.path.join(warm, "model.safetensors"))
    after = load_file(os.path.join(of_type(events, "checkpoint")[-1]["path"], "model.safetensors"))
    for name in ("copy_query.weight", "copy_key.weight", "copy_position.weight", "copy_gate.weight"):
        assert not torch.equal(before[name], after[name]), name
