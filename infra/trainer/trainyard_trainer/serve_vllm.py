"""Serve mode on `vllm serve` (GPU, vLLM installed): the same protocol as serve.py.

Full weights: `vllm serve <ckpt> --served-model-name <name>`. A LoRA adapter directory
(adapter_config.json) is served without merging: its base model plus
`--enable-lora --max-lora-rank R --lora-modules <name>=<ckpt>`; clients send the adapter's name as
`model`. `--generation-config vllm` stops the checkpoint's generation_config.json from supplying
sampling defaults silently: the eval harness sends every sampling field, and records them.
Emits `status serving` with the base URL once vLLM's /health answers 200; SIGTERM is passed on.
vLLM's own output goes to stderr (logs only).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

from .config import ServeConfig
from .models import adapter_base, is_adapter
from .protocol import Emitter, StopFlag, TrainerError

STARTUP_TIMEOUT_S = 1800  # a 7B model loads in minutes; a cold download can take longer
# vLLM accepts only these LoRA ranks as --max-lora-rank; round an adapter's rank up to one.
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)


def lora_rank(adapter_dir: str) -> int:
    with open(os.path.join(adapter_dir, "adapter_config.json"), encoding="utf-8") as f:
        r = int(json.load(f).get("r", 0))
    for allowed in VLLM_LORA_RANKS:
        if r <= allowed:
            return allowed
    raise TrainerError("TY_ERR_TRAINER_CHECKPOINT", f"LoRA rank {r} is above what vLLM serves ({VLLM_LORA_RANKS[-1]}); merge the adapter first")


def vllm_serve_argv(cfg: ServeConfig, port: int, name: str) -> list[str]:
    adapter = is_adapter(cfg.checkpoint)
    if adapter:
        base = cfg.base_model or adapter_base(cfg.checkpoint)
        if not base:
            raise TrainerError("TY_ERR_TRAINER_CONFIG", "the checkpoint is a LoRA adapter without base_model_name_or_path: set base_model")
        argv = ["vllm", "serve", base, "--served-model-name", f"{name}-base"]
    else:
        argv = ["vllm", "serve", cfg.checkpoint, "--served-model-name", name]
    argv += [
        "--host", cfg.host,
        "--port", str(port),
        "--dtype", cfg.dtype,
        "--gpu-memory-utilization", str(cfg.gpu_memory_utilization),
        "--seed", str(cfg.seed),
        "--generation-config", "vllm",
    ]
    if cfg.max_model_len:
        argv += ["--max-model-len", str(cfg.max_model_len)]
    if adapter:
        argv += ["--enable-lora", "--max-loras", "1", "--max-lora-rank", str(lora_rank(cfg.checkpoint)), "--lora-modules", f"{name}={cfg.checkpoint}"]
    return argv


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run(cfg: ServeConfig, emit: Emitter, stop: StopFlag) -> None:
    from .serve import advertised_url, default_model_name

    port = cfg.port or _free_port(cfg.host)
    argv = vllm_serve_argv(cfg, port, cfg.served_model_name or default_model_name(cfg.checkpoint))
    emit.status("loading", " ".join(argv))
    proc = subprocess.Popen(argv, stdout=sys.stderr, stderr=sys.stderr)
    local = f"http://{'127.0.0.1' if cfg.host in ('0.0.0.0', '') else cfg.host}:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise TrainerError("TY_ERR_TRAINER_SERVE", f"vllm serve exited with status {proc.returncode} before it was healthy (its log is on stderr)")
        if stop.is_set:
            break
        try:
            with urllib.request.urlopen(local + "/health", timeout=2) as r:
                if r.status == 200:
                    emit.status("serving", advertised_url(cfg, port))
                    break
        except OSError:
            pass
        if time.monotonic() > deadline:
            proc.terminate()
            raise TrainerError("TY_ERR_TRAINER_SERVE", f"vllm serve was not healthy after {STARTUP_TIMEOUT_S} s")
        time.sleep(2)
    while not stop.is_set and proc.poll() is None:
        time.sleep(0.5)
    emit.status("stopping", stop.signal_name or f"vllm exited with {proc.returncode}")
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
    if not stop.is_set:
        raise TrainerError("TY_ERR_TRAINER_SERVE", f"vllm serve exited with status {proc.returncode}")
    emit.done(0, {})
