"""Rewards through `trainyard env batch`: the same TypeScript verifier as evaluation.

One long-lived subprocess; requests are JSON lines on its stdin, answers JSON lines on its
stdout, one per request, in order. A batch is written whole (by a writer thread, so a large
batch cannot deadlock on full pipes) and then read back.

Request  = {**row["reward"], "prompt": <prompt text>, "response": <completion text>}
Response = {"ok": true, "reward": x} | {"ok": false, "error": {...}}  (→ reward 0 and a warn log)
"""
from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
from pathlib import Path
from typing import Any, Callable

from .protocol import TrainerError

RESPONSE_TIMEOUT_S = 300.0


def default_reward_command() -> list[str]:
    """node + the bundled CLI: $TRAINYARD_CLI (the images set it), else this checkout's."""
    cli = os.environ.get("TRAINYARD_CLI") or str(Path(__file__).resolve().parents[3] / "apps" / "cli" / "bin" / "trainyard.js")
    return ["node", cli, "env", "batch"]


class RewardClient:
    def __init__(self, argv: list[str]):
        self.argv = list(argv) or default_reward_command()
        try:
            # A new session: a signal sent to the trainer's process group (Ctrl-C, a backend's
            # group kill) must not kill the verifier in the middle of the step we still finish.
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
                encoding="utf-8",
                bufsize=1,
                start_new_session=True,
            )
        except OSError as e:
            raise TrainerError("TY_ERR_TRAINER_REWARD", f"cannot start the reward command {self.argv}: {e}") from e
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.put(line)
        self._lines.put(None)  # EOF: the process exited

    def _write(self, payload: str, failed: list[BaseException]) -> None:
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.write(payload)
            self.proc.stdin.flush()
        except (OSError, ValueError) as e:
            failed.append(e)

    def call(self, requests: list[dict[str, Any]]) -> list[dict[str, Any]]:
        payload = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in requests)
        failed: list[BaseException] = []
        writer = threading.Thread(target=self._write, args=(payload, failed), daemon=True)
        writer.start()
        out = []
        for _ in requests:
            try:
                line = self._lines.get(timeout=RESPONSE_TIMEOUT_S)
            except queue.Empty:
                raise TrainerError("TY_ERR_TRAINER_REWARD", f"the reward command sent no answer for {RESPONSE_TIMEOUT_S:.0f} s") from None
            if line is None:
                code = self.proc.wait()
                raise TrainerError("TY_ERR_TRAINER_REWARD", f"the reward command exited (status {code}) before answering every request")
            try:
                resp = json.loads(line)
            except json.JSONDecodeError:
                raise TrainerError("TY_ERR_TRAINER_REWARD", f"the reward command answered a non-JSON line: {line[:200]!r}") from None
            if not isinstance(resp, dict):
                raise TrainerError("TY_ERR_TRAINER_REWARD", f"the reward command answered a non-object: {line[:200]!r}")
            out.append(resp)
        writer.join()
        if failed:
            raise TrainerError("TY_ERR_TRAINER_REWARD", f"cannot write to the reward command: {failed[0]}")
        return out

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()  # EOF ends `env batch` cleanly
                self.proc.wait(timeout=5)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()


def _text(c: Any) -> str:
    # TRL hands conversational completions as message lists; the verifier scores the text.
    if isinstance(c, list):
        return "".join(m.get("content", "") for m in c if isinstance(m, dict))
    return c


def env_batch_reward(
    completions: list[Any],
    *,
    prompts: list[Any],
    reward: list[dict[str, Any]],
    client: RewardClient,
    warn: Callable[[str], None] | None = None,
    **_: Any,
) -> list[float]:
    """A plain reward function (TRL's contract): one float per completion.

    `prompts` and `reward` are the rows' columns; `client` and `warn` are bound by the caller.
    """
    reqs = [{**r, "prompt": _text(p), "response": _text(c)} for p, c, r in zip(prompts, completions, reward)]
    scores: list[float] = []
    for resp in client.call(reqs):
        value = resp.get("reward")
        if resp.get("ok") is True and isinstance(value, (int, float)) and not isinstance(value, bool):
            scores.append(float(value))
        else:
            scores.append(0.0)
            if warn is not None:
                warn(f"reward request failed, scored 0: {json.dumps(resp.get('error', resp))[:300]}")
    return scores
