"""Serve mode for CPU-engine checkpoints: the OpenAI-compatible subset the eval harness uses.

Routes: GET /health, GET /v1/models, POST /v1/completions (raw prompt), POST /v1/chat/completions
(the CPU chat template of data.py). Honoured: temperature, top_p, max_tokens, seed, stop, n=1;
every answer carries `usage`. Errors use OpenAI's body {"error": {message, type, param, code}}.

Concurrency: HTTP threads only parse and queue; one batcher thread owns the model. It takes the
first waiting request, waits `batch_wait_ms` for more (up to `max_batch_size`), and generates
them together with one KV cache. Requests with a `seed` sample from their own generator, so the
same request with the same seed gives the same text however it was batched.
Output: a `status serving` event whose message is the base URL `http://HOST:PORT` (port 0 binds
a free port), then nothing until SIGTERM → `status stopping`, `done`, exit 0.
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

import torch

from .checkpoint import load_checkpoint
from .config import ServeConfig
from .data import render_chat
from .protocol import Emitter, StopFlag
from .sampling import Sample, SampleParams, generate
from .tokenizer import EOS_ID

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
    def __init__(self, model, tok, max_batch: int, wait_s: float):
        self.model, self.tok = model, tok
        self.max_batch, self.wait_s = max_batch, wait_s
        self.jobs: queue.Queue[Job] = queue.Queue()
        self.batch_sizes: list[int] = []  # observable by tests and the final `done` result
        self._stopped = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="batcher", daemon=True)

    def submit(self, job: Job) -> Sample:
        self.jobs.put(job)
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
            try:
                out = generate(self.model, [j.prompt_ids for j in batch], [j.params for j in batch], self.tok.vocab, EOS_ID)
                for j, s in zip(batch, out):
                    j.result = s
            except BaseException as e:  # hand the failure to every waiting request, keep serving
                for j in batch:
                    j.error = e
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
        self.cfg, self.emit = cfg, emit
        self.model, self.tok, self.meta = load_checkpoint(cfg.checkpoint)
        self.model.eval()
        self.name = cfg.served_model_name or default_model_name(cfg.checkpoint)
        self.ctx = self.model.args.context_length
        self.batcher = Batcher(self.model, self.tok, cfg.max_batch_size, cfg.batch_wait_ms / 1000.0)
        self.requests = 0
        self.created = int(time.time())

    # -- request handling ----------------------------------------------------------------------
    def params_from(self, body: dict, prompt_len: int) -> SampleParams:
        if body.get("stream"):
            raise ApiError(400, "stream is not supported by the CPU server", "stream")
        if body.get("n", 1) not in (1, None):
            raise ApiError(400, "only n=1 is supported", "n")
        max_tokens = body.get("max_tokens", body.get("max_completion_tokens")) or self.cfg.default_max_tokens
        if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
            raise ApiError(400, "max_tokens must be a positive integer", "max_tokens")
        if prompt_len + max_tokens > self.ctx:
            raise ApiError(
                400,
                f"This model's maximum context length is {self.ctx} tokens. However, you requested "
                f"{prompt_len + max_tokens} tokens ({prompt_len} in the prompt, {max_tokens} for the completion).",
                "max_tokens",
            )
        temperature = _num(body, "temperature", 1.0, 0.0, 2.0)
        top_p = _num(body, "top_p", 1.0, 1e-9, 1.0)
        stop = body.get("stop") or []
        if isinstance(stop, str):
            stop = [stop]
        if not isinstance(stop, list) or len(stop) > 4 or not all(isinstance(s, str) for s in stop):
            raise ApiError(400, "stop must be a string or a list of up to 4 strings", "stop")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ApiError(400, "seed must be an integer", "seed")
        gen = torch.Generator().manual_seed((seed if seed is not None else secrets.randbits(63)) & ((1 << 63) - 1))
        return SampleParams(max_tokens, temperature, top_p, [s.encode("utf-8") for s in stop], gen)

    def complete(self, body: dict, chat: bool) -> dict:
        if body.get("model") not in (None, self.name):
            raise ApiError(404, f"The model `{body.get('model')}` does not exist.", "model", "model_not_found")
        if chat:
            msgs = body.get("messages")
            if not isinstance(msgs, list) or not msgs or not all(
                isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str) for m in msgs
            ):
                raise ApiError(400, "messages must be a non-empty list of {role, content} strings", "messages")
            prompt = render_chat(msgs)
        else:
            prompt = body.get("prompt")
            if isinstance(prompt, list) and len(prompt) == 1 and isinstance(prompt[0], str):
                prompt = prompt[0]
            if not isinstance(prompt, str):
                raise ApiError(400, "prompt must be a string", "prompt")
        ids = self.tok.encode(prompt)
        if not ids:
            raise ApiError(400, "prompt must not be empty", "prompt")
        sample = self.batcher.submit(Job(ids, self.params_from(body, len(ids))))
        self.requests += 1
        text = sample.text.decode("utf-8", errors="replace")
        usage = {"prompt_tokens": len(ids), "completion_tokens": len(sample.tokens), "total_tokens": len(ids) + len(sample.tokens)}
        base = {"created": int(time.time()), "model": self.name, "usage": usage}
        if chat:
            choice = {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": sample.finish_reason, "logprobs": None}
            return {"id": "chatcmpl-" + secrets.token_hex(12), "object": "chat.completion", "choices": [choice], **base}
        choice = {"index": 0, "text": text, "finish_reason": sample.finish_reason, "logprobs": None}
        return {"id": "cmpl-" + secrets.token_hex(12), "object": "text_completion", "choices": [choice], **base}

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


def run(cfg: ServeConfig, emit: Emitter, stop: StopFlag) -> None:
    torch.set_num_threads(cfg.num_threads)
    emit.status("loading", f"checkpoint {cfg.checkpoint}")
    server = Server(cfg, emit)
    httpd = ThreadingHTTPServer((cfg.host, cfg.port), server.handler())
    httpd.daemon_threads = True
    host, port = httpd.server_address[:2]
    server.batcher.thread.start()
    threading.Thread(target=httpd.serve_forever, name="http", daemon=True).start()
    emit.log(f"model {server.name!r}, context {server.ctx} tokens, template {server.meta['template']}")
    emit.status("serving", f"http://{host}:{port}")
    while not stop.is_set:  # the signal handler only sets the flag; shut down from here
        time.sleep(0.1)
    emit.status("stopping", stop.signal_name or "")
    httpd.shutdown()
    httpd.server_close()
    server.batcher.stop()
    emit.done(0, {"requests": server.requests, "batches": len(server.batcher.batch_sizes),
                  "max_batch": max(server.batcher.batch_sizes, default=0)})
