"""Config dataclasses: JSON parsing, impossible combinations, and how the CLI reports them."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from conftest import PYTHON, TINY, of_type, run_trainer, trainer_env
from trainyard_trainer.config import GrpoConfig, ServeConfig, SftConfig, from_dict
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.schema import schema


def err(cls, data) -> TrainerError:
    with pytest.raises(TrainerError) as e:
        from_dict(cls, data)
    assert e.value.code == "TY_ERR_TRAINER_CONFIG" and e.value.failure_kind == "user_error"
    return e.value


def test_defaults_parse_and_every_field_has_help(toy_file):
    cfg = from_dict(SftConfig, {"train_file": str(toy_file)})
    assert cfg.model == "tiny" and cfg.template == "raw" and cfg.lora is None and cfg.device == "auto"
    for cls, fields in schema().items():
        for f in fields:
            assert f["help"], f"{cls}.{f['name']} has no help text"


@pytest.mark.parametrize(
    ("cls", "data", "needle"),
    [
        (SftConfig, {}, "train_file"),
        (SftConfig, {"train_file": "/nonexistent.jsonl"}, "does not exist"),
        (SftConfig, {"learning_rte": 1}, "unknown config field"),
        (SftConfig, {"max_steps": "ten"}, "max_steps"),
        (SftConfig, {"device": "tpu"}, "device"),
        (SftConfig, {"model": ""}, "model"),
        (SftConfig, {"resume_from": "/nonexistent-ckpt"}, "resume_from"),
        (SftConfig, {"vocab_size": 100}, "vocab_size"),
        (SftConfig, {"tiny_arch": "qwen2"}, "tiny_tokenizer"),
        (SftConfig, {"copy_first_only": True}, "set copy_head true"),
        (SftConfig, {"copy_gate_bias": 2.0}, "copy_gate_bias shapes the copy head"),
        (SftConfig, {"copy_gate": "token"}, "copy_gate shapes the copy head"),
        (SftConfig, {"copy_key_content": False}, "copy_key_content shapes the copy head"),
        (SftConfig, {"copy_gate": "pointer", "copy_head": True}, "copy_gate"),
        (SftConfig, {"eval_top_p": 0}, "eval_top_p"),
        (SftConfig, {"d_model": 30, "heads": 4}, "divisible"),
        (SftConfig, {"d_model": 12, "heads": 4}, "even head size"),
        (SftConfig, {"batch_size": 10, "micro_batch_size": 4}, "micro_batch_size"),
        (SftConfig, {"init_from": "/nonexistent-ckpt"}, "init_from"),
        (SftConfig, {"lora": {"rank": 0}}, "lora.rank"),
        (SftConfig, {"lora": {"rank": 8, "alpah": 3}}, "lora.alpah"),
        (GrpoConfig, {"prompts_per_batch": 16, "mini_batch_prompts": 5}, "must divide"),
        (GrpoConfig, {"num_generations": 1}, "num_generations"),
        (GrpoConfig, {"max_prompt_length": 200, "max_completion_length": 100, "context_length": 256}, "exceeds context_length"),
        (GrpoConfig, {"max_completion_length": 256, "context_length": 256}, "no room for a prompt"),
        (GrpoConfig, {"temperature": 0}, "temperature"),
        (GrpoConfig, {"vllm_mode": "server"}, "vllm_server_base_url"),
        (GrpoConfig, {"micro_batch_size": 3}, "micro_batch_size"),
    ],
)
def test_impossible_combinations_are_rejected_with_what_to_do(toy_file, cls, data, needle):
    base = {} if "train_file" in data or data == {} else {"train_file": str(toy_file)}
    assert needle in str(err(cls, {**base, **data}))


def test_serve_config_needs_a_checkpoint(tmp_path):
    assert "checkpoint" in str(err(ServeConfig, {}))
    assert "backend" in str(err(ServeConfig, {"checkpoint": str(tmp_path), "backend": "tgi"}))


def test_a_directory_that_is_no_model_is_a_checkpoint_error(tmp_path, toy_file):
    rc, events, _ = run_trainer("sft", {"train_file": str(toy_file), "output_dir": str(tmp_path / "o"), "init_from": str(tmp_path)}, tmp_path)
    assert rc == 1 and events[-1]["code"] == "TY_ERR_TRAINER_CHECKPOINT" and events[-1]["failure_kind"] == "user_error"


def test_bad_config_is_an_error_event_and_exit_1(tmp_path, toy_file):
    rc, events, _ = run_trainer("grpo", {"train_file": str(toy_file), "prompts_per_batch": 6, "mini_batch_prompts": 4}, tmp_path)
    assert rc == 1
    assert events[0] == {"type": "status", "state": "starting", "message": events[0]["message"]}
    last = events[-1]
    assert last["type"] == "error" and last["code"] == "TY_ERR_TRAINER_CONFIG" and last["failure_kind"] == "user_error"
    assert "mini_batch_prompts" in last["message"]


def test_unparseable_config_and_bad_arguments(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    for argv in (["sft", "--config", str(bad)], ["train", "--config", str(bad)], ["sft"]):
        p = subprocess.run([PYTHON, "-m", "trainyard_trainer", *argv], capture_output=True, text=True, env=trainer_env(), timeout=60)
        ev = json.loads(p.stdout.splitlines()[-1])
        assert p.returncode == 1 and ev["code"] == "TY_ERR_TRAINER_CONFIG", p.stdout


def test_malformed_and_too_long_rows_are_data_errors(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "a", "completion": "b"}\n{"prompt": 3}\n', encoding="utf-8")
    rc, events, _ = run_trainer("sft", {"train_file": str(bad), "output_dir": str(tmp_path / "o"), **TINY}, tmp_path)
    assert rc == 1 and events[-1]["code"] == "TY_ERR_TRAINER_DATA" and ":2:" in events[-1]["message"]
    long = tmp_path / "long.jsonl"
    rows = [{"prompt": "short", "completion": "y"}, {"prompt": " ".join(str(i) for i in range(300)), "completion": "y"}]
    long.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rc, events, _ = run_trainer("sft", {"train_file": str(long), "output_dir": str(tmp_path / "o"), **TINY, "vocab_size": 300}, tmp_path)
    assert events[-1]["code"] == "TY_ERR_TRAINER_DATA" and "context_length 128" in events[-1]["message"]
    assert "long.jsonl:2:" in events[-1]["message"]  # the row is named, nothing was truncated


def test_an_interpreter_without_the_stack_is_not_available(tmp_path, toy_file):
    """The interpreter the venv was made from has no TRL: one clean error, not a traceback."""
    base = os.path.join(sys.base_prefix, "bin", "python3")
    probe = subprocess.run([base, "-c", "import trl"], capture_output=True)
    if probe.returncode == 0:
        pytest.skip(f"{base} has trl installed")
    cfg = tmp_path / "c.json"
    cfg.write_text(json.dumps({"train_file": str(toy_file), "output_dir": str(tmp_path / "o")}))
    p = subprocess.run([base, "-m", "trainyard_trainer", "sft", "--config", str(cfg)], capture_output=True, text=True, env=trainer_env(), timeout=60)
    error = of_type([json.loads(line) for line in p.stdout.splitlines()], "error")
    assert p.returncode == 1 and len(error) == 1
    assert error[0]["code"] == "TY_ERR_NOT_AVAILABLE" and error[0]["failure_kind"] == "infra_error" and "setup.sh" in error[0]["message"]


def test_the_starting_line_names_the_request_id_it_was_given(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")

    def first_event(extra: dict[str, str]) -> dict:
        env = {k: v for k, v in trainer_env().items() if k != "TRAINYARD_REQUEST_ID"} | extra
        p = subprocess.run([PYTHON, "-m", "trainyard_trainer", "sft", "--config", str(bad)], capture_output=True, text=True, env=env, timeout=60)
        return json.loads(p.stdout.splitlines()[0])

    with_id = first_event({"TRAINYARD_REQUEST_ID": "req-7f3a"})
    assert with_id["state"] == "starting" and with_id["message"].endswith(" sft request req-7f3a"), with_id
    assert "request" not in first_event({})["message"]
