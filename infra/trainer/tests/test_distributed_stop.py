"""Stopping a two-rank run: SIGTERM saves collectively and ends both ranks cleanly; a rank that
dies fails the job with its stderr kept."""
from __future__ import annotations

import json
import os
import signal
import time

from transformers import AutoModelForCausalLM

from conftest import TINY, of_type, start_trainer


def rank_pids(supervisor: int) -> dict[int, int]:
    """{rank: pid} of the launcher's children (read from /proc: Linux only, like the launcher)."""
    out: dict[int, int] = {}
    with open(f"/proc/{supervisor}/task/{supervisor}/children") as f:
        for pid in map(int, f.read().split()):
            try:
                with open(f"/proc/{pid}/environ", "rb") as e:
                    env = dict(kv.split(b"=", 1) for kv in e.read().split(b"\0") if b"=" in kv)
            except OSError:
                continue
            if b"RANK" in env:
                out[int(env[b"RANK"])] = pid
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def read_until(p, events: list[dict], pred) -> None:
    assert p.stdout is not None
    for line in p.stdout:
        events.append(json.loads(line))
        if pred(events[-1]):
            return
    raise AssertionError(f"the trainer ended first: {events[-3:]}")


def test_sigterm_stops_both_ranks_with_one_collective_save(tmp_path, toy_file):
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "max_steps": 100000, "batch_size": 8,
           "save_steps": 0, "processes": 2, **TINY}
    p = start_trainer("sft", cfg, tmp_path)
    events: list[dict] = []
    read_until(p, events, lambda e: e["type"] == "metrics" and e["step"] >= 3)
    ranks = rank_pids(p.pid)
    assert sorted(ranks) == [0, 1]
    p.send_signal(signal.SIGTERM)  # what the worker sends: the launcher passes it to every rank
    out, err = p.communicate(timeout=120)
    events += [json.loads(line) for line in out.splitlines()]
    assert p.returncode == 0, err[-3000:]
    assert not any(alive(pid) for pid in ranks.values())
    done = events[-1]
    assert done["type"] == "done" and done["result"]["stopped_early"] is True
    (ckpt,) = of_type(events, "checkpoint")
    assert ckpt["step"] == done["step"] == of_type(events, "metrics")[-1]["step"]
    assert of_type(events, "status")[-1]["state"] == "stopping"
    assert AutoModelForCausalLM.from_pretrained(ckpt["path"]) is not None
    for r in (0, 1):  # both ranks ended through the normal path, not a kill
        with open(os.path.join(cfg["output_dir"], "logs", f"rank-{r}.stderr.log")) as f:
            assert "Traceback" not in f.read()


def test_a_rank_that_dies_fails_the_job_with_its_stderr(tmp_path, toy_file):
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "max_steps": 100000, "batch_size": 8,
           "save_steps": 0, "processes": 2, **TINY}
    p = start_trainer("sft", cfg, tmp_path)
    events: list[dict] = []
    read_until(p, events, lambda e: e["type"] == "metrics" and e["step"] >= 2)
    ranks = rank_pids(p.pid)
    os.kill(ranks[1], signal.SIGKILL)  # as the kernel's OOM killer would
    t0 = time.monotonic()
    out, err = p.communicate(timeout=120)
    events += [json.loads(line) for line in out.splitlines()]
    assert p.returncode == 1
    assert time.monotonic() - t0 < 60  # rank 0 is not left waiting in a collective for its timeout
    assert not alive(ranks[0])
    error = events[-1]
    assert error["type"] == "error" and error["code"] == "TY_ERR_TRAINER_RANK" and error["failure_kind"] == "crashed"
    assert "rank 1 of 2" in error["message"] and "SIGKILL" in error["message"]
    assert not of_type(events, "done")
    assert os.path.isfile(os.path.join(cfg["output_dir"], "logs", "rank-1.stderr.log"))
