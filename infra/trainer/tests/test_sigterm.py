"""SIGTERM mid-run: the current step finishes, a checkpoint is saved, `done`, exit 0."""
from __future__ import annotations

import json
import os
import signal

from conftest import TINY, of_type, start_trainer


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
    assert sorted(os.listdir(ckpt[0]["path"])) == ["config.json", "model.pt", "tokenizer.json"]
    assert of_type(events, "status")[-1]["state"] == "stopping"
    assert not [d for d in os.listdir(tmp_path / "out") if d.endswith(".tmp")]
