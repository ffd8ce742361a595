"""`model: DIR`: any small causal LM directory saved by transformers trains, saves and serves."""
from __future__ import annotations

import json
import os

import pytest

from conftest import last_checkpoint, of_type, run_trainer, start_trainer, toy_rows, write_jsonl


@pytest.mark.parametrize("arch", ["qwen2", "gpt2"])
def test_sft_on_a_model_directory(tmp_path, hf_dirs, toy_file, arch):
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM

    from trainyard_trainer.models import load_tokenizer

    cfg = {"model": str(hf_dirs[arch]), "train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "max_steps": 6,
           "batch_size": 8, "micro_batch_size": 4, "learning_rate": 5e-3, "save_steps": 3, "context_length": 256}
    rc, events, err = run_trainer("sft", cfg, tmp_path)
    assert rc == 0, err
    assert [c["step"] for c in of_type(events, "checkpoint")] == [3, 6]
    assert not os.path.exists(tmp_path / "out" / "tiny-init")
    path = last_checkpoint(events)
    assert AutoModelForCausalLM.from_pretrained(path).config.model_type == arch
    # The custom tokenizer travels with the checkpoint and still encodes as trained.
    saved = Tokenizer.from_file(os.path.join(hf_dirs[arch], "tokenizer.json"))
    text = toy_rows(1)[0]["prompt"]
    assert load_tokenizer(path)(text)["input_ids"] == saved.encode(text).ids
    if arch == "qwen2":
        assert any("ignores" in e["message"] for e in of_type(events, "log")), "the Qwen2 trap was not noticed"


def test_chat_rows_train_with_the_models_template_and_serve_on_chat_completions(tmp_path, hf_dirs):
    rows = [{"prompt": [{"role": "user", "content": r["prompt"]}], "completion": [{"role": "assistant", "content": r["completion"]}]}
            for r in toy_rows(64)]
    data = write_jsonl(tmp_path / "chat.jsonl", rows)
    cfg = {"model": str(hf_dirs["qwen2"]), "train_file": str(data), "template": "chat", "output_dir": str(tmp_path / "out"),
           "max_steps": 4, "batch_size": 8, "save_steps": 0, "context_length": 256}
    rc, events, err = run_trainer("sft", cfg, tmp_path)
    assert rc == 0, err
    p = start_trainer("serve", {"checkpoint": last_checkpoint(events), "port": 0, "served_model_name": "chat-test"}, tmp_path)
    try:
        assert p.stdout is not None
        for line in p.stdout:
            ev = json.loads(line)
            if ev["type"] == "error" or ev.get("state") == "serving":
                break
        import urllib.request

        body = json.dumps({"model": "chat-test", "messages": rows[0]["prompt"], "max_tokens": 5, "seed": 3}).encode()
        req = urllib.request.Request(ev["message"] + "/v1/chat/completions", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=60) as r:
            out = json.loads(r.read())
        assert out["model"] == "chat-test" and out["choices"][0]["message"]["role"] == "assistant"
        assert 1 <= out["usage"]["completion_tokens"] <= 5
    finally:
        p.terminate()
        p.wait(timeout=30)


def test_chat_rows_on_a_model_without_a_chat_template_are_a_data_error(tmp_path, hf_dirs):
    rows = [{"prompt": [{"role": "user", "content": "hi"}], "completion": [{"role": "assistant", "content": "yo"}]}]
    data = write_jsonl(tmp_path / "chat.jsonl", rows)
    cfg = {"model": str(hf_dirs["gpt2"]), "train_file": str(data), "template": "chat", "output_dir": str(tmp_path / "out"), "max_steps": 1}
    rc, events, _ = run_trainer("sft", cfg, tmp_path)
    assert rc == 1 and events[-1]["code"] == "TY_ERR_TRAINER_DATA" and "chat template" in events[-1]["message"]
