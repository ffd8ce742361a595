"""engine hf serve: run `vllm serve` under the protocol. NOT RUN here (no GPU, no vLLM).

Emits `status serving` with the base URL once vLLM's /health answers 200; SIGTERM is passed
on to vLLM, then `done`. vLLM's own output goes to stderr (logs only).
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request

from ..config import ServeConfig
from ..protocol import Emitter, StopFlag, TrainerError
from .vllm_serve import vllm_serve_argv

STARTUP_TIMEOUT_S = 1800  # a 7B model loads in minutes; a cold cache download can take longer


def _free_port(host: str) -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def run(cfg: ServeConfig, emit: Emitter, stop: StopFlag) -> None:
    port = cfg.port or _free_port(cfg.host)
    argv = vllm_serve_argv(cfg, port)
    emit.status("loading", " ".join(argv))
    proc = subprocess.Popen(argv, stdout=sys.stderr, stderr=sys.stderr)
    url = f"http://{cfg.host}:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise TrainerError("TY_ERR_TRAINER_SERVE", f"vllm serve exited with status {proc.returncode} before it was healthy (its log is on stderr)")
        if stop.is_set:
            break
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as r:
                if r.status == 200:
                    emit.status("serving", url)
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
