"""engine hf GRPO through TRL's GRPOTrainer + vLLM, top to bottom. NOT RUN here (no GPU, no TRL).

Mapping of the paper's verl run (trainer-and-serving.md §6.6): rollout.n → num_generations;
train_batch_size (prompts) × n → generation_batch_size (TRL counts completions); one optimizer
step per mini-batch of prompts → per_device × GPUs × accumulation = mini_batch_prompts × G;
token-mean → loss_type "dapo"; norm_adv_by_std_in_grpo → scale_rewards "group"; kl_coef 0 →
beta 0 (no reference model); clip 0.2 → epsilon. Rewards come from the same `env batch`
subprocess as the CPU engine.
"""
from __future__ import annotations

import dataclasses
import json

from datasets import Dataset
from transformers import AutoTokenizer
from trl import GRPOConfig, GRPOTrainer

from ..config import GrpoConfig
from ..protocol import Emitter, StopFlag
from ..rewards import RewardClient, env_batch_reward
from .common import ProtocolCallback, batch_layout, check_lengths, hf_rows, is_main_process, known_fields, peft_config


def run(cfg: GrpoConfig, emit: Emitter, stop: StopFlag) -> None:
    model_path = cfg.init_from or cfg.model_id
    emit.status("loading", model_path)
    rows = hf_rows(cfg.train_file, cfg.template, need_completion=False, need_reward=True)
    tokenizer = AutoTokenizer.from_pretrained(model_path)
    check_lengths(tokenizer, rows, cfg.template, cfg.prompt_limit, "the prompt limit")
    G = cfg.num_generations
    per_device, accum = batch_layout(cfg.mini_batch_prompts * G, cfg.micro_batch_size or G)
    client = RewardClient(cfg.reward_command)

    # TRL names reward metrics after the function (`rewards/env_batch/mean`), so a named def.
    def env_batch(completions, reward_json, prompts, **kwargs):
        return env_batch_reward(
            completions,
            prompts=prompts,
            reward=[json.loads(r) for r in reward_json],
            client=client,
            warn=lambda m: emit.log(m, "warn"),
        )

    args = GRPOConfig(**known_fields(GRPOConfig, {
        "output_dir": cfg.output_dir,
        "seed": cfg.seed,
        "max_steps": cfg.max_steps,
        "num_train_epochs": cfg.epochs,
        "learning_rate": cfg.learning_rate,
        "lr_scheduler_type": "constant_with_warmup",
        "warmup_ratio": cfg.warmup_ratio,
        "weight_decay": cfg.weight_decay,
        "max_grad_norm": cfg.grad_clip,
        "per_device_train_batch_size": per_device,
        "gradient_accumulation_steps": accum,
        "generation_batch_size": cfg.prompts_per_batch * G,
        "num_generations": G,
        "num_iterations": 1,
        "epsilon": cfg.epsilon,
        "beta": cfg.beta,
        "loss_type": "dapo",
        "scale_rewards": cfg.scale_rewards,
        "temperature": cfg.temperature,
        "top_p": cfg.top_p,
        "max_prompt_length": cfg.prompt_limit,
        "max_completion_length": cfg.max_completion_length,
        "mask_truncated_completions": False,
        "use_vllm": True,
        "vllm_mode": cfg.vllm_mode,
        "vllm_gpu_memory_utilization": cfg.vllm_gpu_memory_utilization,
        "vllm_server_base_url": cfg.vllm_server_base_url or None,
        "vllm_max_model_length": cfg.context_length,
        "save_strategy": "steps",
        "save_steps": cfg.save_steps if cfg.save_steps > 0 else 10**9,
        "logging_steps": cfg.logging_steps,
        "bf16": cfg.dtype == "bfloat16",
        "fp16": cfg.dtype == "float16",
        "gradient_checkpointing": cfg.gradient_checkpointing,
        "remove_unused_columns": False,
        "report_to": "none",
    }, emit))
    trainer = GRPOTrainer(
        model=model_path,
        reward_funcs=[env_batch],
        args=args,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
        peft_config=peft_config(cfg),
    )
    callback = ProtocolCallback(emit, stop)
    trainer.add_callback(callback)
    try:
        trainer.train()
        state = trainer.state
        if callback.last_saved != state.global_step:  # the final weights are always a checkpoint
            trainer.save_model(f"{cfg.output_dir}/checkpoint-{state.global_step}")
            callback.on_save(args, state, trainer.control)
    finally:
        client.close()
    if is_main_process():
        emit.done(state.global_step, {
            "max_steps": state.max_steps,
            "stopped_early": state.global_step < state.max_steps,
            "train_config": dataclasses.asdict(cfg),
        })
