"""Position jitter: training rows' position ids jump by a random amount before the observation, so a
from-scratch model cannot place its answer by counting tokens from the instructions."""
from __future__ import annotations

import math

import pytest
import torch

from conftest import TINY, of_type, run_trainer, write_jsonl
from test_copyhead import small
from test_observation_loss import BEFORE, TRAIL, trail_rows
from trainyard_trainer.config import SftConfig
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.sft import jittered_positions

X = -100


def batch_labels() -> torch.Tensor:
    # Row 0: observation targets from position 5; row 1: from position 2; row 2: a completion at 7.
    return torch.tensor([[X, X, X, X, X, 5, 6, X, 7, 8, X, X],
                         [X, X, 3, 4, X, 7, 8, 9, X, X, X, X],
                         [X, X, X, X, X, X, X, 7, 8, 9, 2, X]])


def test_jittered_positions_jump_once_before_the_first_trained_token_by_at_most_the_jitter():
    labels = batch_labels()
    first = [5, 2, 7]
    seen = set()
    torch.manual_seed(0)
    for _ in range(300):
        pos = jittered_positions(labels, 6)
        steps = pos[:, 1:] - pos[:, :-1]
        for r in range(3):
            assert int(pos[r, 0]) == 6  # offset by the jitter: never negative
            jumps = [(k + 1, int(s)) for k, s in enumerate(steps[r]) if s != 1]
            assert len(jumps) <= 1
            for at, s in jumps:
                # The jump lands at a token in [1, first]: from there on, the spacing is plain again.
                assert 1 <= at <= first[r] and -6 <= s - 1 <= 6
                seen.add(s - 1)
            assert torch.all(steps[r, first[r]:] == 1)
    # Both directions and the extremes occur: the layout seems shorter and longer than it is.
    assert {-6, 6} <= seen and min(seen) < 0 < max(seen)


def test_jittered_positions_repeat_under_the_same_seed():
    labels = batch_labels()
    torch.manual_seed(5)
    a = jittered_positions(labels, 9)
    torch.manual_seed(5)
    assert torch.equal(a, jittered_positions(labels, 9))


def test_a_jump_in_the_position_ids_neither_splits_attention_nor_moves_the_copy_keys():
    """Regression guard: transformers treats position ids that restart as packed sequences (a
    block-diagonal mask) when no attention mask is given. With the mask, the last row still sees
    the tokens before the jump; and the copy head's keys take `copy_position_ids` when given."""
    m = small(copy_gate="token").eval()
    torch.manual_seed(1)
    ids = torch.randint(0, 50, (1, 20))
    mask = torch.ones_like(ids)
    plain = torch.arange(20)[None]
    jumped = plain + 4 * (plain >= 8) - 0  # positions jump by +4 at token 8
    back = plain + 10 - 6 * (plain >= 8)  # and by -6 (offset so none is negative)
    with torch.no_grad():
        base = m(input_ids=ids, attention_mask=mask, position_ids=plain).logits[0, -1]
        for pos in (jumped, back):
            out = m(input_ids=ids, attention_mask=mask, position_ids=pos, copy_position_ids=plain).logits[0, -1]
            assert not torch.allclose(out, base)  # the body sees the jump
            changed = ids.clone()
            changed[0, 2] = (changed[0, 2] + 1) % 50
            after = m(input_ids=changed, attention_mask=mask, position_ids=pos, copy_position_ids=plain).logits[0, -1]
            assert not torch.allclose(after, out)  # a token before the jump still reaches the last row
        # The copy keys use copy_position_ids: plain body positions, jumped copy positions differ.
        keys_moved = m(input_ids=ids, attention_mask=mask, position_ids=plain, copy_position_ids=jumped).logits[0, -1]
        assert not torch.allclose(keys_moved, base)
        same = m(input_ids=ids, attention_mask=mask, position_ids=plain, copy_position_ids=plain).logits[0, -1]
        assert torch.allclose(same, base)


@pytest.mark.parametrize("fields, message", [
    ({"position_jitter": 4}, "set observation_after"),
    ({"observation_after": TRAIL, "observation_before": BEFORE, "position_jitter": -1}, "0 (off) or more"),
])
def test_position_jitter_config_errors_name_the_field(fields, message, tmp_path):
    data = write_jsonl(tmp_path / "trail.jsonl", trail_rows(2))
    with pytest.raises(TrainerError) as e:
        SftConfig(train_file=str(data), **fields)
    assert e.value.code == "TY_ERR_TRAINER_CONFIG" and "position_jitter" in str(e.value) and message in str(e.value)


def test_a_jittered_run_trains_differently_and_still_learns_the_answer(tmp_path):
    """The jitter reaches the model (same seed and rows, different weights than without it), and
    the run still learns the answer, served with plain positions."""
    from safetensors.torch import load_file

    from trainyard_trainer.models import load_model, load_tokenizer

    data = write_jsonl(tmp_path / "trail.jsonl", trail_rows(160))
    base = {"train_file": str(data), "max_steps": 30, "batch_size": 16, "learning_rate": 1e-2, "warmup_ratio": 0.1,
            "seed": 3, "save_steps": 0, "tiny_tokenizer": "labels", "observation_after": TRAIL,
            "observation_before": BEFORE, **TINY, "copy_head": True, "copy_dim": 8, "copy_gate": "token"}
    weights = {}
    for name, jitter in (("plain", 0), ("jitter", 8)):
        rc, events, err = run_trainer("sft", {**base, "output_dir": str(tmp_path / name), "position_jitter": jitter}, tmp_path)
        assert rc == 0, err
        assert math.isfinite(of_type(events, "done")[0]["result"]["loss"])
        ckpt = str(tmp_path / name / "checkpoint-30")
        weights[name] = load_file(f"{ckpt}/model.safetensors")
        t = load_tokenizer(ckpt)
        model = load_model(ckpt, torch.float32, trainable=False).eval()
        right = 0
        rows = trail_rows(24, seed=9)
        for r in rows:
            out = model.generate(torch.tensor([t(r["prompt"])["input_ids"]]), max_new_tokens=6, do_sample=False,
                                 pad_token_id=t.pad_token_id)
            move = r["prompt"].split("\n")[2].split()[0]
            right += f"<answer> {move} </answer>" in t.decode(out[0])
        assert right >= 20, (name, right)
    key = "model.layers.0.mlp.up_proj.weight"
    assert not torch.equal(weights["plain"][key], weights["jitter"][key])
