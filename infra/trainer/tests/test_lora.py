"""LoRA through PEFT: adapter checkpoints that load with AutoPeftModelForCausalLM, a GRPO warm
start from them, and serving them."""
from __future__ import annotations

import json
import os

import pytest

from conftest import TINY, last_checkpoint, of_type, run_trainer, start_trainer

LORA = {"rank": 8, "alpha": 16, "dropout": 0.0, "target_modules": ["all-linear"]}


@pytest.fixture(scope="module")
def lora_sft(tmp_path_factory, toy_file, sft_run):
    """LoRA as it is used: on a trained model (the half-trained tiny SFT checkpoint)."""
    tmp = tmp_path_factory.mktemp("lora")
    base = of_type(sft_run[1], "checkpoint")[0]["path"]
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "init_from": base, "max_steps": 20, "batch_size": 16,
           "save_steps": 10, "learning_rate": 2e-2, "warmup_ratio": 0.1, "seed": 1, "lora": LORA, **TINY}
    rc, events, err = run_trainer("sft", cfg, tmp)
    assert rc == 0, err
    return cfg, events


def test_lora_sft_saves_adapters_that_load_with_auto_peft(lora_sft):
    from peft import AutoPeftModelForCausalLM, PeftModel

    cfg, events = lora_sft
    path = last_checkpoint(events)
    files = set(os.listdir(path))
    assert {"adapter_config.json", "adapter_model.safetensors", "tokenizer.json", "generation_config.json"} <= files
    assert "model.safetensors" not in files
    adapter = json.load(open(os.path.join(path, "adapter_config.json")))
    assert adapter["r"] == 8 and adapter["base_model_name_or_path"] == cfg["init_from"]
    model = AutoPeftModelForCausalLM.from_pretrained(path)
    assert isinstance(model, PeftModel)
    losses = [m["values"]["loss"] for m in of_type(events, "metrics")]
    assert sum(losses[-5:]) < 0.85 * sum(losses[:5]), losses
    # PEFT starts every lora_B at zero: trained adapters are not.
    from safetensors.torch import load_file

    weights = load_file(os.path.join(path, "adapter_model.safetensors"))
    lora_b = [w for k, w in weights.items() if "lora_B" in k]
    assert lora_b and all(w.abs().sum() > 0 for w in lora_b)


def test_grpo_warm_starts_from_a_lora_checkpoint(tmp_path, lora_sft, toy_file, reward_command):
    """Regression: TRL's create_model_from_path cannot load an adapter directory ("unrecognized model")."""
    _, events = lora_sft
    start = of_type(events, "checkpoint")[0]["path"]
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "init_from": start, "max_steps": 2,
           "num_generations": 4, "prompts_per_batch": 4, "mini_batch_prompts": 4, "max_completion_length": 12,
           "learning_rate": 1e-2, "save_steps": 0, "reward_command": reward_command, "context_length": TINY["context_length"]}
    rc, grpo, err = run_trainer("grpo", cfg, tmp_path)
    assert rc == 0, err
    path = last_checkpoint(grpo)
    assert os.path.isfile(os.path.join(path, "adapter_model.safetensors"))
    assert of_type(grpo, "checkpoint")[-1]["sha256"] != of_type(events, "checkpoint")[0]["sha256"]
    assert "reward" in of_type(grpo, "metrics")[0]["values"]


def test_a_lora_checkpoint_is_served(tmp_path, lora_sft):
    import urllib.request

    _, events = lora_sft
    p = start_trainer("serve", {"checkpoint": last_checkpoint(events), "port": 0}, tmp_path)
    try:
        assert p.stdout is not None
        for line in p.stdout:
            ev = json.loads(line)
            if ev["type"] == "error" or ev.get("state") == "serving":
                break
        assert ev.get("state") == "serving", ev
        prompt = "You are a solver.\nRules: answer with the direction of the colour.\nColour: amber\nDecide the next action:"
        req = urllib.request.Request(ev["message"] + "/v1/completions", data=json.dumps({"prompt": prompt, "max_tokens": 10, "temperature": 0}).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            body = json.loads(r.read())
        assert body["choices"][0]["text"] == " <answer> Right </answer>\n"
    finally:
        p.terminate()
        p.wait(timeout=30)
