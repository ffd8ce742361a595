"""The process layout's settings, without starting ranks: FSDP (GPU only; built and checked here
through transformers' own translation into accelerate's plugin arguments), DDP, rendezvous, vLLM."""
from __future__ import annotations

import types

import pytest
from transformers import TrainingArguments

from conftest import TINY, write_jsonl, toy_rows
from trainyard_trainer import launch
from trainyard_trainer.config import GrpoConfig, SftConfig, from_dict
from trainyard_trainer.grpo import vllm_layout
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.training import parallel_args


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    return str(write_jsonl(tmp_path_factory.mktemp("d") / "toy.jsonl", toy_rows(8)))


def cfg(data, **kw) -> SftConfig:
    return from_dict(SftConfig, {"train_file": data, **TINY, **kw})


def plugin_args(args: dict) -> dict:
    """What transformers hands accelerate's FullyShardedDataParallelPlugin for these arguments."""
    ns = types.SimpleNamespace(fsdp=args["fsdp"], fsdp_config=dict(args["fsdp_config"]), gradient_checkpointing=args["gradient_checkpointing"],
                               _apply_legacy_fsdp_to_config=TrainingArguments._apply_legacy_fsdp_to_config)
    # (A real TrainingArguments with fsdp needs a process group and an accelerator to construct.)
    return TrainingArguments._process_fsdp_args(ns)


def test_auto_picks_fsdp_for_full_parameter_hf_models_on_gpus_and_ddp_otherwise(data):
    full = cfg(data, model="Qwen/Qwen2.5-7B", processes=4)
    assert full.resolved_strategy("cuda") == "fsdp"
    assert full.resolved_strategy("cpu") == "ddp"
    assert cfg(data, model="Qwen/Qwen2.5-7B", processes=4, lora={}).resolved_strategy("cuda") == "ddp"
    assert cfg(data, processes=4).resolved_strategy("cuda") == "ddp"  # the tiny model
    assert cfg(data, model="Qwen/Qwen2.5-7B").resolved_strategy("cuda") == "ddp"  # one process


def test_fsdp_is_full_shard_bf16_with_activation_checkpointing_and_a_gathered_state_dict(data):
    c = cfg(data, model="Qwen/Qwen2.5-7B", processes=4)
    qwen = types.SimpleNamespace(modules=lambda: [types.new_class("Qwen2DecoderLayer")(), types.new_class("Qwen2Model")()])
    args = parallel_args(c, "cuda", 4, qwen)
    assert args["ddp_backend"] == "nccl" and args["gradient_checkpointing"] is False
    p = plugin_args(args)
    assert p["fsdp_version"] == 2
    assert p["reshard_after_forward"] is True  # full shard
    assert p["activation_checkpointing"] is True
    assert p["state_dict_type"] == "FULL_STATE_DICT"
    assert p["transformer_cls_names_to_wrap"] == "Qwen2DecoderLayer"
    assert p["auto_wrap_policy"] == "TRANSFORMER_BASED_WRAP"


def test_ddp_over_gloo_on_cpu_and_nothing_for_one_process(data):
    c = cfg(data, processes=2)
    assert parallel_args(c, "cpu", 2) == {"ddp_backend": "gloo", "ddp_find_unused_parameters": False}
    assert parallel_args(c, "cpu", 1) == {}


def test_fsdp_on_cpu_and_fsdp_with_lora_are_refused(data):
    with pytest.raises(TrainerError, match="strategy: fsdp needs GPUs"):
        parallel_args(cfg(data, processes=2, strategy="fsdp"), "cpu", 2)
    with pytest.raises(TrainerError, match="use ddp"):
        cfg(data, processes=2, strategy="fsdp", lora={})
    with pytest.raises(TrainerError, match="processes and nodes"):
        cfg(data, processes=0)


def test_the_default_micro_batch_splits_the_batch_over_the_ranks(data):
    assert cfg(data, batch_size=16, processes=2).micro == 8
    g = from_dict(GrpoConfig, {"train_file": data, **TINY, "mini_batch_prompts": 4, "prompts_per_batch": 4, "num_generations": 4, "processes": 2})
    assert g.micro == 8


def test_rendezvous_from_the_environment_slurm_or_this_host():
    assert launch.rendezvous(1, {"MASTER_PORT": "4000"}) == ("127.0.0.1", 4000, 0)
    assert launch.rendezvous(2, {"MASTER_ADDR": "job-0.job.ns.svc", "JOB_COMPLETION_INDEX": "1"}) == ("job-0.job.ns.svc", 29500, 1)
    addr, port, node = launch.rendezvous(2, {"SLURM_JOB_NODELIST": "nodeA", "SLURM_JOB_ID": "1234", "SLURM_NODEID": "1"})
    assert (addr, port, node) == ("nodeA", 21234, 1)
    with pytest.raises(TrainerError, match="rendezvous"):
        launch.rendezvous(2, {})


def test_rank_environment_is_torchruns():
    env = launch.rank_env({}, local_rank=1, processes=4, nodes=2, node_rank=1, addr="a", port=5, device="cuda")
    assert {k: env[k] for k in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")} == {
        "RANK": "5", "LOCAL_RANK": "1", "WORLD_SIZE": "8", "LOCAL_WORLD_SIZE": "4", "MASTER_ADDR": "a", "MASTER_PORT": "5"}
    assert env[launch.RANK_ENV] == "1" and "ACCELERATE_USE_CPU" not in env


def test_vllm_colocate_runs_one_engine_per_rank_with_sleep_mode(data):
    g = from_dict(GrpoConfig, {"train_file": data, **TINY, "processes": 4})
    assert vllm_layout(g, True, 4) == {"vllm_tensor_parallel_size": 1, "vllm_enable_sleep_mode": True}
    assert vllm_layout(g, False, 4) == {} and vllm_layout(g, True, 1) == {}
    server = from_dict(GrpoConfig, {"train_file": data, **TINY, "processes": 4, "vllm_mode": "server", "vllm_server_base_url": "http://v:8000"})
    assert vllm_layout(server, True, 4) == {}
