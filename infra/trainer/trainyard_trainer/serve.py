"""Serve mode: any Hugging Face checkpoint (full or LoRA) behind the OpenAI-compatible subset the
eval harness uses. On a GPU with vLLM installed (backend auto) this launches `vllm serve`
(serve_vllm.py); otherwise this server, on transformers, runs on whatever device there is.

Routes: GET /health, GET /v1/models, POST /v1/completions (raw prompt), POST /v1/chat/completions
(the tokenizer's chat template). Honoured: temperature, top_p, top_k, max_tokens, seed, stop, n;
omitted sampling fields come from the checkpoint's generation_config.json, as vLLM's
`--generation-config auto` would; every answer carries `usage`. Errors use OpenAI's body
{"error": {message, type, param, code}}.

Concurrency: HTTP threads only parse and queue; one batcher thread owns the model. It takes the
first waiting request, waits `batch_wait_ms` for more (up to `max_batch_size`), and generates
them together with one KV cache. A prompt asked again (Sokoban shows the same board after an
invalid turn) reuses its earlier prefill from an LRU of `prompt_cache_size` prompts. Every choice samples from its own generator (seeded from the
request's `seed`, or at random), so the same request with the same seed gives the same text
however it was batched.
Output: a `status serving` event whose message is the base URL `http://HOST:PORT` (port 0 binds
a free port), then nothing until SIGTERM → `status stopping`, `done`, exit 0. The server also stops
(exit 0) when the process that started it dies.
"""
from __future__ import annotations

import json
import os
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import socket

import torch

from .config import ServeConfig
from .data import eos_ids
from .models import is_adapter, load_model, load_tokenizer, pick_device, pick_dtype
from .protocol import Emitter, StopFlag, TrainerError
from .sampling import PromptCache, Sample, SampleParams, generate

MAX_BODY = 1 << 20


def default_model_name(checkpoint: str) -> str:
    """`<run dir>/<checkpoint dir>`, e.g. `arm-ans-seed0/checkpoint-300`: stable per checkpoint."""
    path = os.path.abspath(checkpoint)
    return f"{os.path.basename(os.path.dirname(path))}/{os.path.basename(path)}"


class ApiError(Exception):
    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None):
        super().__init__(message)
        self.status, self.param, self.code = status, param, code


@dataclass
class Job:
    prompt_ids: list[int]
    params: SampleParams
    done: threading.Event = field(default_factory=threading.Event)
    result: Sample | None = None
    error: BaseException | None = None


class Batcher:
    def __init__(self, model, tok, eos: set[int], max_batch: int, wait_s: float, prompt_cache_size: int = 0):
        self.model, self.tok, self.eos = model, tok, eos
        self.max_batch, self.wait_s = max_batch, wait_s
        self.prompt_cache = PromptCache(prompt_cache_size)
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.batch_sizes: list[int] = []  # observable by tests and the final `done` result
        self.generate_s = 0.0  # time spent generating: against the serving time, how busy the model was
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="batcher", daemon=True)

    def wait(self, job: Job) -> Sample:
        job.done.wait()
        if job.error is not None:
            raise job.error
        assert job.result is not None
        return job.result

    def stop(self) -> None:
        self._stopped.set()

    def _loop(self) -> None:
        while not self._stopped.is_set():
            try:
                first = self.jobs.get(timeout=0.1)
            except queue.Empty:
                continue
            batch = [first]
            deadline = time.monotonic() + self.wait_s
            while len(batch) < self.max_batch:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                try:
                    batch.append(self.jobs.get(timeout=left))
                except queue.Empty:
                    break
            self.batch_sizes.append(len(batch))
            started = time.perf_counter()
            try:
                out = generate(self.model, self.tok, [j.prompt_ids for j in batch], [j.params for j in batch], self.eos,
                               prompt_cache=self.prompt_cache)
                for j, s in zip(batch, out):
                    j.result = s
            except BaseException as e:  # hand the failure to every waiting request, keep serving
                for j in batch:
                    j.error = e
            self.generate_s += time.perf_counter() - started
            for j in batch:
                j.done.set()


def _num(body: dict, key: str, default: float, lo: float, hi: float) -> float:
    v = body.get(key, default)
    if v is None:
        v = default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise ApiError(400, f"{key} must be a number in [{lo}, {hi}]", key)
    return float(v)


class Server:
    def __init__(self, cfg: ServeConfig, emit: Emitter):
        from transformers import GenerationConfig

        self.cfg, self.emit = cfg, emit
        device = pick_device(cfg.device)
        dtype = pick_dtype(cfg.dtype, device)
        self.tok = load_tokenizer(cfg.checkpoint, emit)
        model = load_model(cfg.checkpoint, dtype, trainable=False, base_model=cfg.base_model)
        if is_adapter(cfg.checkpoint):
            model = model.merge_and_unload()  # one set of weights: faster, same outputs
        self.model = model.to(device).eval()
        try:
            self.gen = GenerationConfig.from_pretrained(cfg.checkpoint)
        except OSError:
            self.gen = GenerationConfig()
        self.eos = set(eos_ids(self.tok, self.gen.eos_token_id))
        self.name = cfg.served_model_name or default_model_name(cfg.checkpoint)
        self.ctx = cfg.max_model_len or int(getattr(self.model.config, "max_position_embeddings", 0) or 4096)
        self.batcher = Batcher(self.model, self.tok, self.eos, cfg.max_batch_size, cfg.batch_wait_ms / 1000.0,
                               cfg.prompt_cache_size)
        self.requests = 0
        self.created = int(time.time())

    # -- request handling ----------------------------------------------------------------------
    def params_from(self, body: dict, prompt_len: int) -> tuple[list[SampleParams], int]:
        """One SampleParams per choice (n of them), from the request and generation_config.json."""
        if body.get("stream"):
            raise ApiError(400, "stream is not supported by this server", "stream")
        n = body.get("n", 1)
        n = 1 if n is None else n
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 16:
            raise ApiError(400, "n must be an integer in [1, 16]", "n")
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens"))
        if max_tokens is None:  # what the checkpoint suggests, cut to what the context leaves (as vLLM)
            max_tokens = max(1, min(self.gen.max_new_tokens or self.cfg.default_max_tokens, self.ctx - prompt_len))
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise ApiError(400, "max_tokens must be a positive integer", "max_tokens")
        if prompt_len + max_tokens > self.ctx:
            raise ApiError(
                400,
                f"This model's maximum context length is {self.ctx} tokens. However, you requested "
                f"{prompt_len + max_tokens} tokens ({prompt_len} in the prompt, {max_tokens} for the completion).",
                "max_tokens",
            )
        gen = self.gen
        default_t = (gen.temperature if gen.temperature is not None else 1.0) if gen.do_sample else 0.0
        temperature = _num(body, "temperature", default_t, 0.0, 2.0)
        top_p = _num(body, "top_p", gen.top_p if gen.top_p is not None else 1.0, 1e-9, 1.0)
        top_k = body.get("top_k", gen.top_k or 0)
        if isinstance(top_k, bool) or not isinstance(top_k, int) or top_k < -1:
            raise ApiError(400, "top_k must be an integer >= -1 (-1 or 0: off)", "top_k")
        stop = body.get("stop") or []
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) for s in stop):
            raise ApiError(400, "stop must be a string or a list of up to 4 strings", "stop")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ApiError(400, "seed must be an integer", "seed")
        base = seed if seed is not None else secrets.randbits(62)
        out = []
        for i in range(n):
            # Choice i of a seeded request draws from seed + i: reproducible, and the n differ.
            g = torch.Generator().manual_seed((base + i) & ((1 << 63) - 1))
            out.append(SampleParams(max_tokens, temperature, top_p, max(top_k, 0), stop, g))
        return out, max_tokens

    def complete(self, body: dict, chat: bool) -> dict:
        if body.get("model") not in (None, self.name):
            raise ApiError(404, f"The model `{body.get('model')}` does not exist.", "model", "model_not_found")
        if chat:
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs or not all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in msgs
            ):
                raise ApiError(400, "messages must be a non-empty list of {role, content} strings", "messages")
            if not getattr(self.tok, "chat_template", None):
                raise ApiError(400, "this model's tokenizer has no chat template: use /v1/completions", "messages")
            ids = self.tok.apply_chat_template(msgs, add_generation_prompt=True, tokenize=True, return_dict=False)
            ids = list(ids["input_ids"] if hasattr(ids, "keys") else ids)
        else:
            prompt = body.get("prompt")
            if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
                prompt = prompt[0]
            if not isinstance(prompt, str):
                raise ApiError(400, "prompt must be a string", "prompt")
            ids = self.tok(prompt)["input_ids"] if prompt else []
        if not ids:
            raise ApiError(400, "prompt must not be empty", "prompt")
        params, _ = self.params_from(body, len(ids))
        jobs = [Job(ids, p) for p in params]
        for j in jobs:
            self.batcher.jobs.put(j)
        samples = [self.batcher.wait(j) for j in jobs]
        self.requests += 1
        completion_tokens = sum(len(s.tokens) for s in samples)
        usage = {"prompt_tokens": len(ids), "completion_tokens": completion_tokens, "total_tokens": len(ids) + completion_tokens}
        base = {"created": int(time.time()), "model": self.name, "usage": usage}
        if chat:
            choices = [{"index": i, "message": {"role": "assistant", "content": s.text}, "finish_reason": s.finish_reason, "logprobs": None} for i, s in enumerate(samples)]
            return {"id": "chatcmpl-" + secrets.token_hex(12), "object": "chat.completion", "choices": choices, **base}
        choices = [{"index": i, "text": s.text, "finish_reason": s.finish_reason, "logprobs": None} for i, s in enumerate(samples)]
        return {"id": "cmpl-" + secrets.token_hex(12), "object": "text_completion", "choices": choices, **base}

    def models(self) -> dict:
        return {"object": "list", "data": [{"id": self.name, "object": "model", "created": self.created, "owned_by": "trainyard", "max_model_len": self.ctx}]}

    def handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # access logs would flood stderr
                pass

            def _send(self, status: int, obj: dict) -> None:
                data = json.dumps(obj).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, e: ApiError) -> None:
                kind = "invalid_request_error" if e.status < 500 else "internal_error"
                self._send(e.status, {"error": {"message": str(e), "type": kind, "param": e.param, "code": e.code}})

            def do_GET(self) -> None:
                if self.path == "/health":
                    self._send(200, {"status": "ok"})
                elif self.path == "/v1/models":
                    self._send(200, server.models())
                else:
                    self._error(ApiError(404, f"no route GET {self.path}"))

            def do_POST(self) -> None:
                try:
                    if self.path not in ("/v1/completions", "/v1/chat/completions"):
                        raise ApiError(404, f"no route POST {self.path}")
                    n = int(self.headers.get("Content-Length") or 0)
                    if n > MAX_BODY:
                        raise ApiError(413, "request body too large")
                    try:
                        body = json.loads(self.rfile.read(n) or b"null")
                    except (json.JSONDecodeError, UnicodeDecodeError):
                        raise ApiError(400, "the body is not valid JSON") from None
                    if not isinstance(body, dict):
                        raise ApiError(400, "the body must be a JSON object")
                    self._send(200, server.complete(body, chat=self.path == "/v1/chat/completions"))
                except ApiError as e:
                    self._error(e)
                except Exception as e:  # a bug in generation: answer 500, keep serving
                    server.emit.log(f"request failed: {type(e).__name__}: {e}", "error")
                    self._error(ApiError(500, f"{type(e).__name__}: {e}"))

        return Handler


def advertised_url(cfg: ServeConfig, port: int) -> str:
    """The base URL clients should use: a wildcard bind is named by this machine's address."""
    host = cfg.advertise_host or cfg.host
    if host in ("0.0.0.0", "::", ""):
        try:
            host = socket.gethostbyname(socket.gethostname())
        except OSError:
            host = "127.0.0.1"
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


def use_vllm(cfg: ServeConfig) -> bool:
    from .copyhead import is_copy_checkpoint
    from .models import vllm_available

    copy = is_copy_checkpoint(cfg.checkpoint)
    if cfg.backend == "vllm":
        if not vllm_available():
            raise TrainerError("TY_ERR_NOT_AVAILABLE", "backend vllm needs a CUDA GPU and the vllm package: use backend auto or the CUDA trainer image")
        if copy:
            raise TrainerError("TY_ERR_NOT_AVAILABLE", f"{cfg.checkpoint} has a copy head, which vLLM cannot run: use backend auto or transformers")
        return True
    return cfg.backend == "auto" and vllm_available() and not copy


def stop_when_orphaned(emit: Emitter, stop: StopFlag, poll_s: float = 0.5) -> None:
    """Stop serving once the process that started this one is gone (a SIGKILLed worker). Nothing
    re-attaches to a model server (each eval attempt starts its own), so one left by a dead worker
    served, holding its memory, for ever: the eval-job SIGKILL drill found them."""
    parent = os.getppid()

    def watch() -> None:
        while not stop.is_set:
            if os.getppid() != parent:
                emit.discard()
                stop.request("parent exited")
                return
            time.sleep(poll_s)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def run(cfg: ServeConfig, emit: Emitter, stop: StopFlag) -> None:
    stop_when_orphaned(emit, stop)
    if use_vllm(cfg):
        from .serve_vllm import run as run_vllm

        return run_vllm(cfg, emit, stop)
    emit.status("loading", f"checkpoint {cfg.checkpoint}")
    server = Server(cfg, emit)
    httpd = ThreadingHTTPServer((cfg.host, cfg.port), server.handler())
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    server.batcher.thread.start()
    threading.Thread(target=httpd.serve_forever, name="http", daemon=True).start()
    emit.log(f"model {server.name!r} on {next(server.model.parameters()).device}, context {server.ctx} tokens")
    emit.status("serving", advertised_url(cfg, port))
    while not stop.is_set:  # the signal handler only sets the flag; shut down from here
        time.sleep(0.1)
    emit.status("stopping", stop.signal_name or "")
    httpd.shutdown()
    httpd.server_close()
    server.batcher.stop()
    emit.done(0, {"requests": server.requests, "batches": len(server.batcher.batch_sizes),
                  "max_batch": max(server.batcher.batch_sizes, default=0),
                  "generate_s": round(server.batcher.generate_s, 3),
                  "prompt_cache_hits": server.batcher.prompt_cache.hits,
                  "prompt_cache_misses": server.batcher.prompt_cache.misses})
