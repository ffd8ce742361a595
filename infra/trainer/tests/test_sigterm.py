"""Stopping and resuming: SIGTERM saves and exits cleanly; a killed run resumes exactly."""
from __future__ import annotations

import json
import os
import signal

import pytest
import torch
from safetensors.torch import load_file

from conftest import TINY, of_type, run_trainer, start_trainer


def test_sigterm_saves_and_exits_cleanly(tmp_path, toy_file):
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "max_steps": 100000, "batch_size": 8,
           "save_steps": 0, **TINY}
    p = start_trainer("sft", cfg, tmp_path)
    events = []
    assert p.stdout is not None
    for line in p.stdout:  # wait until training is under way
        events.append(json.loads(line))
        if events[-1]["type"] == "metrics" and events[-1]["step"] >= 3:
            break
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=60)
    events += [json.loads(line) for line in out.splitlines()]
    assert p.returncode == 0, err
    ckpt = of_type(events, "checkpoint")
    done = events[-1]
    assert done["type"] == "done" and done["result"]["stopped_early"] is True
    assert len(ckpt) == 1 and ckpt[0]["step"] == done["step"] == of_type(events, "metrics")[-1]["step"]
    assert {"model.safetensors", "optimizer.pt", "trainer_state.json"} <= set(os.listdir(ckpt[0]["path"]))
    assert of_type(events, "status")[-1]["state"] == "stopping"
    assert not os.listdir(tmp_path / "out" / ".staging")


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, toy_file):
    tmp = tmp_path_factory.mktemp("full")
    cfg = {"train_file": str(toy_file), "output_dir": str(tmp / "out"), "max_steps": 12, "batch_size": 8, "save_steps": 4,
           "learning_rate": 5e-3, "warmup_ratio": 0.2, "seed": 5, **TINY}
    rc, events, err = run_trainer("sft", cfg, tmp)
    assert rc == 0, err
    return cfg, events


def test_a_killed_run_resumes_from_its_checkpoint_exactly(tmp_path, uninterrupted):
    """Optimizer, scheduler, RNG and data order come back: the resumed steps match an uninterrupted run."""
    cfg, full = uninterrupted
    cfg = {**cfg, "output_dir": str(tmp_path / "out")}
    p = start_trainer("sft", cfg, tmp_path)
    assert p.stdout is not None
    for line in p.stdout:
        ev = json.loads(line)
        if ev["type"] == "checkpoint" and ev["step"] == 4:
            break
    p.kill()  # no chance to save: as a node failure or an OOM kill would
    p.wait()
    rc, events, err = run_trainer("sft", {**cfg, "resume_from": ev["path"]}, tmp_path)
    assert rc == 0, err
    metrics = of_type(events, "metrics")
    assert [m["step"] for m in metrics] == list(range(5, 13))
    expected = {m["step"]: m["values"] for m in of_type(full, "metrics")}
    for m in metrics:
        assert m["values"]["learning_rate"] == pytest.approx(expected[m["step"]]["learning_rate"], rel=1e-6)
        assert m["values"]["loss"] == pytest.approx(expected[m["step"]]["loss"], rel=1e-4, abs=1e-5), m["step"]
    assert [c["step"] for c in of_type(events, "checkpoint")] == [8, 12]
    a = load_file(os.path.join(of_type(full, "checkpoint")[-1]["path"], "model.safetensors"))
    b = load_file(os.path.join(of_type(events, "checkpoint")[-1]["path"], "model.safetensors"))
    assert all(torch.allclose(a[k], b[k], atol=1e-5) for k in a)
