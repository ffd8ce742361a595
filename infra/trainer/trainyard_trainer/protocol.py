"""The trainer's stdout protocol: one JSON object per line (infra/trainer/PROTOCOL.md).

Mirrors packages/contracts/src/trainer-protocol.ts field by field (parity-tested on both sides).
Only this module writes to the real stdout; everything else that prints goes to stderr, because
an unknown stdout line is read as a plain log line and would only add noise.
"""
from __future__ import annotations

import json
import math
import os
import signal
import sys
import threading
from typing import Any, Callable, TextIO

STATES = ("starting", "loading", "training", "saving", "serving", "stopping")
LEVELS = ("debug", "info", "warn", "error")
FAILURE_KINDS = ("user_error", "infra_error", "timed_out", "crashed")

# Every code the trainer can emit in an `error` event, with its failure kind. The failure kind
# decides whether the worker retries (only infra_error is retried).
ERROR_CODES: dict[str, str] = {
    "TY_ERR_TRAINER_CONFIG": "user_error",  # the config JSON is malformed or impossible
    "TY_ERR_TRAINER_DATA": "user_error",  # the train file is missing, malformed or too long
    "TY_ERR_TRAINER_CHECKPOINT": "user_error",  # init_from / checkpoint is not a usable checkpoint
    "TY_ERR_NOT_AVAILABLE": "infra_error",  # engine hf without TRL/vLLM in this image
    "TY_ERR_TRAINER_OOM": "infra_error",  # out of (GPU or host) memory
    "TY_ERR_TRAINER_IO": "infra_error",  # reading/writing the artifact store failed
    "TY_ERR_TRAINER_REWARD": "infra_error",  # the reward subprocess died or spoke garbage
    "TY_ERR_TRAINER_SERVE": "infra_error",  # the serving engine (vllm serve) failed to start or died
    "TY_ERR_TRAINER_INTERNAL": "crashed",  # a bug: any other exception
    "TY_ERR_TRAINER_RANK": "crashed",  # one rank of a distributed run died (its stderr tail in the message)
}


class TrainerError(Exception):
    """An error that ends the run with one `error` event (code → failure kind above)."""

    def __init__(self, code: str, message: str, failure_kind: str | None = None):
        super().__init__(message)
        if code not in ERROR_CODES:
            raise ValueError(f"unknown trainer error code {code}")
        self.code = code
        self.failure_kind = failure_kind or ERROR_CODES[code]


class Emitter:
    """Writes protocol events to a stream, one line each, flushed (thread-safe)."""

    def __init__(self, stream: TextIO):
        self._stream = stream
        self._lock = threading.Lock()

    def _write(self, event: dict[str, Any]) -> None:
        line = json.dumps(event, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
        with self._lock:
            self._stream.write(line + "\n")
            self._stream.flush()

    def discard(self) -> None:
        """The reader is gone (the process that started us died): later events go nowhere instead
        of failing with EPIPE, so a shutdown still runs to its end."""
        with self._lock:
            self._stream = open(os.devnull, "w")

    def raw(self, event: dict[str, Any]) -> None:
        """Pass on an event another process emitted (the distributed launcher relays rank 0)."""
        self._write(event)

    def status(self, state: str, message: str | None = None) -> None:
        assert state in STATES, state
        ev: dict[str, Any] = {"type": "status", "state": state}
        if message is not None:
            ev["message"] = message
        self._write(ev)

    def log(self, message: str, level: str = "info") -> None:
        assert level in LEVELS, level
        self._write({"type": "log", "level": level, "message": message})

    def metrics(self, step: int, max_steps: int, values: dict[str, float]) -> None:
        # JSON has no NaN/Infinity (and zod's z.number() rejects them): drop such values.
        clean = {k: float(v) for k, v in values.items() if v is not None and math.isfinite(float(v))}
        self._write({"type": "metrics", "step": int(step), "max_steps": int(max_steps), "values": clean})

    def checkpoint(self, step: int, path: str, sha256: str) -> None:
        self._write({"type": "checkpoint", "step": int(step), "path": path, "sha256": sha256})

    def done(self, step: int, result: dict[str, Any] | None = None) -> None:
        clean = {k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in (result or {}).items()}
        self._write({"type": "done", "step": int(step), "result": clean})

    def error(self, code: str, message: str, failure_kind: str) -> None:
        assert failure_kind in FAILURE_KINDS, failure_kind
        self._write({"type": "error", "code": code, "message": message, "failure_kind": failure_kind})


def claim_stdout() -> Emitter:
    """Route sys.stdout to stderr and return an Emitter on the real stdout.

    Libraries (and stray prints) then cannot interleave half-lines with events.
    """
    real = sys.stdout
    sys.stdout = sys.stderr
    return Emitter(real)


class RankEmitter(Emitter):
    """The emitter of a rank other than 0: only its error reaches its stderr (rank 0 speaks for the job)."""

    def _write(self, event: dict[str, Any]) -> None:
        if event.get("type") == "error":
            super()._write(event)


def claim_stdout_for_rank(rank: int) -> Emitter:
    """claim_stdout for rank 0; an errors-only emitter on stderr for the other ranks."""
    if rank == 0:
        return claim_stdout()
    sys.stdout = sys.stderr
    return RankEmitter(sys.stderr)


class StopFlag:
    """Set by SIGTERM/SIGINT; the training loops poll it between steps.

    A signal handler must not do work (it can interrupt a half-written event line or an optimizer
    step); it only records the request, the loop finishes its step, saves and emits `done`.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None
        self._callbacks: list[Callable[[], None]] = []

    def install(self) -> "StopFlag":
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handle)
        return self

    def on_stop(self, fn: Callable[[], None]) -> None:
        """Run fn (must be cheap and thread-safe) when the stop is requested (serve shutdown)."""
        self._callbacks.append(fn)

    def _handle(self, signum: int, _frame: Any) -> None:
        self.signal_name = signal.Signals(signum).name
        self._event.set()
        for fn in self._callbacks:
            fn()

    def request(self, reason: str = "requested") -> None:
        self.signal_name = reason
        self._event.set()

    @property
    def is_set(self) -> bool:
        return self._event.is_set()
