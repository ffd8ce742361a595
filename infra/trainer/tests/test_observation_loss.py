"""Observation loss: with two markers set, SFT also trains on the prompt tokens between them."""
from __future__ import annotations

import math

import pytest

from conftest import TINY, of_type, run_trainer, toy_rows, write_jsonl
from test_tiny import TEXTS, tiny_cfg
from trainyard_trainer.config import SftConfig
from trainyard_trainer.data import Row, encode_sft, observation_mask, parse_row
from trainyard_trainer.models import load_tokenizer
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.tiny import build_tiny

AFTER, BEFORE = "Colour:", "\nDecide the next action:"
TRAIL = "Trail:"


def trail_rows(n: int, seed: int = 0) -> list[dict]:
    """An observation of TAB-ended cells (one token each, as a Sokoban board's): one move, said
    three times; the answer is that move."""
    import random

    r = random.Random(seed)
    rows = []
    for _ in range(n):
        move = r.choice(["Up", "Down", "Left", "Right"])
        rows.append({"prompt": f"You are a solver.\nTrail:\n {move} \t {move} \t {move} \t\nDecide the next action:",
                     "completion": f" <answer> {move} </answer>\n"})
    return rows


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    return load_tokenizer(build_tiny(tiny_cfg(tiny_tokenizer="labels"), TEXTS, str(tmp_path_factory.mktemp("tok") / "m")))


def row(prompt: str) -> Row:
    return parse_row({"prompt": prompt, "completion": " <answer> Up </answer>\n"}, "raw", "rows.jsonl:1", True, False)


def test_the_mask_covers_exactly_the_tokens_between_the_markers(tok):
    r = row(toy_rows(1)[0]["prompt"])
    mask = observation_mask(tok, r, AFTER, BEFORE)
    ids = tok(r.prompt)["input_ids"]
    assert len(mask) == len(ids) and sum(mask) > 0
    trained = tok.decode([i for i, m in zip(ids, mask) if m])
    colour = r.prompt[r.prompt.index(AFTER) + len(AFTER): r.prompt.index(BEFORE)]
    assert trained.strip() == colour.strip()
    # Every trained token lies inside the observation; every token outside stays untrained.
    start, end = r.prompt.index(AFTER) + len(AFTER), r.prompt.index(BEFORE)
    offsets = tok(r.prompt, return_offsets_mapping=True)["offset_mapping"]
    assert all((start <= u and v <= end) == bool(m) for (u, v), m in zip(offsets, mask) if v > u)


def test_encode_sft_trains_the_masked_prompt_tokens_and_the_whole_completion(tok):
    r = row(toy_rows(1)[0]["prompt"])
    mask = observation_mask(tok, r, AFTER, BEFORE)
    plain = encode_sft(tok, r, "raw", 256)
    with_obs = encode_sft(tok, r, "raw", 256, mask)
    assert with_obs["input_ids"] == plain["input_ids"]
    n_prompt = len(mask)
    assert with_obs["completion_mask"][:n_prompt] == mask and plain["completion_mask"][:n_prompt] == [0] * n_prompt
    assert with_obs["completion_mask"][n_prompt:] == plain["completion_mask"][n_prompt:] == [1] * (len(plain["input_ids"]) - n_prompt)


def test_a_prompt_without_a_marker_is_a_data_error_naming_the_row(tok):
    with pytest.raises(TrainerError) as e:
        observation_mask(tok, row("You are a solver.\nDecide the next action:"), AFTER, BEFORE)
    assert e.value.code == "TY_ERR_TRAINER_DATA" and "rows.jsonl:1" in str(e.value) and "observation_after" in str(e.value)
    with pytest.raises(TrainerError) as e:
        observation_mask(tok, row("Colour: red"), AFTER, BEFORE)
    assert e.value.code == "TY_ERR_TRAINER_DATA" and "observation_before" in str(e.value)


@pytest.mark.parametrize("fields, message", [
    ({"observation_after": AFTER}, "come together"),
    ({"observation_before": BEFORE}, "come together"),
    ({"observation_after": AFTER, "observation_before": BEFORE, "template": "chat"}, "template raw"),
    ({"observation_after": AFTER, "observation_before": BEFORE, "observation_weight": 0.0}, "(0, 1]"),
    ({"observation_after": AFTER, "observation_before": BEFORE, "observation_weight": 1.5}, "(0, 1]"),
    ({"observation_weight": 0.5}, "set observation_after"),
    ({"observation_schedule": "linear"}, "set observation_after"),
    ({"observation_after": AFTER, "observation_before": BEFORE, "observation_schedule": "cosine"}, "constant or linear"),
])
def test_observation_config_errors_name_the_field(fields, message, tmp_path):
    """Markers come together and need a raw prompt; weight in (0, 1] and schedule constant or
    linear, each only with markers."""
    data = write_jsonl(tmp_path / "toy.jsonl", toy_rows(2))
    with pytest.raises(TrainerError) as e:
        SftConfig(train_file=str(data), **fields)
    assert e.value.code == "TY_ERR_TRAINER_CONFIG" and message in str(e.value)


def test_a_run_with_markers_learns_the_observation_and_still_the_answer(tmp_path):
    """The auxiliary loss is really applied: the trained model predicts the observation's tokens
    (a run without markers never trains those positions), and it still answers in format."""
    import torch
    from trainyard_trainer.models import load_model

    data = write_jsonl(tmp_path / "trail.jsonl", trail_rows(160))
    base = {"train_file": str(data), "max_steps": 40, "batch_size": 16, "learning_rate": 1e-2,
            "warmup_ratio": 0.1, "seed": 3, "save_steps": 0, "tiny_tokenizer": "labels", **TINY}
    nll = {}
    for name, extra in (("plain", {}), ("obs", {"observation_after": TRAIL, "observation_before": BEFORE})):
        rc, events, err = run_trainer("sft", {**base, "output_dir": str(tmp_path / name), **extra}, tmp_path)
        assert rc == 0, err
        assert math.isfinite(of_type(events, "done")[0]["result"]["loss"])
        ckpt = str(tmp_path / name / "checkpoint-40")
        t = load_tokenizer(ckpt)
        model = load_model(ckpt, torch.float32, trainable=False).eval()
        # Mean negative log-likelihood of the observation's tokens on rows the run never saw.
        total, count = 0.0, 0
        for r in trail_rows(24, seed=9):
            parsed = row(r["prompt"])
            mask = observation_mask(t, parsed, TRAIL, BEFORE)
            ids = t(r["prompt"])["input_ids"]
            with torch.no_grad():
                logp = model(torch.tensor([ids])).logits[0].log_softmax(-1)
            for k in range(1, len(ids)):
                if mask[k]:
                    total -= float(logp[k - 1, ids[k]])
                    count += 1
        nll[name] = total / count
        answer = model.generate(torch.tensor([t(r["prompt"])["input_ids"]]), max_new_tokens=6, do_sample=False, pad_token_id=t.pad_token_id)
        assert "<answer>" in t.decode(answer[0]), name
    # The first move is uniform (ln 4 ≈ 1.39 nats), the two repeats are certain: ≈ 0.46 at best.
    assert nll["obs"] < 0.9 and nll["plain"] > nll["obs"] + 1.0, nll


def test_loss_weights_give_the_completion_1_and_the_observation_its_weight():
    import torch
    from trainyard_trainer.sft import loss_weights

    x = -100
    # Row 0: two observation targets, a gap, a three-token completion, right padding.
    # Row 1: a completion only (no observation in this row). Row 2: nothing trained.
    targets = torch.tensor([[x, 5, 6, x, x, 7, 8, 9, x],
                            [x, x, x, x, x, x, 7, 8, 9],
                            [x, x, x, x, x, x, x, x, x]])
    w = loss_weights(targets, 0.25)
    assert w.tolist() == [[0, 0.25, 0.25, 0, 0, 1, 1, 1, 0],
                          [0, 0, 0, 0, 0, 0, 1, 1, 1],
                          [0] * 9]


def test_weighted_nll_is_the_token_mean_at_weight_1_and_down_weights_the_observation():
    import torch
    import torch.nn.functional as F
    from trainyard_trainer.sft import weighted_nll

    torch.manual_seed(0)
    logits = torch.randn(2, 8, 11)
    labels = torch.tensor([[-100, -100, 3, 4, -100, 5, 6, 2], [-100, 1, 2, -100, -100, -100, 7, 2]])
    plain = F.cross_entropy(logits[:, :-1].reshape(-1, 11), labels[:, 1:].reshape(-1), ignore_index=-100)
    assert torch.allclose(weighted_nll(logits, labels, 1.0), plain)
    nll = F.cross_entropy(logits[:, :-1].transpose(1, 2), labels[:, 1:].clamp_min(0), reduction="none")
    obs = [(0, 1), (0, 2), (1, 0), (1, 1)]
    comp = [(0, 4), (0, 5), (0, 6), (1, 5), (1, 6)]
    want = (0.1 * sum(nll[i] for i in obs) + sum(nll[i] for i in comp)) / (0.1 * len(obs) + len(comp))
    assert torch.allclose(weighted_nll(logits, labels, 0.1), want)


def test_a_down_weighted_observation_is_learned_less(tmp_path):
    """Same rows and seed, weight 1 against 0.05: the down-weighted run predicts the observation
    clearly worse, and both still learn the answer (here the observation repeats the move, so
    learning it helps the answer: no claim that the answer gains)."""
    import torch
    from trainyard_trainer.models import load_model

    data = write_jsonl(tmp_path / "trail.jsonl", trail_rows(160))
    base = {"train_file": str(data), "max_steps": 30, "batch_size": 16, "learning_rate": 1e-2,
            "warmup_ratio": 0.1, "seed": 3, "save_steps": 0, "tiny_tokenizer": "labels",
            "observation_after": TRAIL, "observation_before": BEFORE, **TINY}
    obs_nll, ans_nll = {}, {}
    for name, weight in (("full", 1.0), ("low", 0.05)):
        rc, events, err = run_trainer("sft", {**base, "output_dir": str(tmp_path / name), "observation_weight": weight}, tmp_path)
        assert rc == 0, err
        assert math.isfinite(of_type(events, "done")[0]["result"]["loss"])
        ckpt = str(tmp_path / name / "checkpoint-30")
        t = load_tokenizer(ckpt)
        model = load_model(ckpt, torch.float32, trainable=False).eval()
        o_total = o_count = a_total = a_count = 0.0
        for r in trail_rows(24, seed=9):
            mask = observation_mask(t, row(r["prompt"]), TRAIL, BEFORE)
            p = t(r["prompt"])["input_ids"]
            ids = p + t(r["completion"], add_special_tokens=False)["input_ids"]
            with torch.no_grad():
                logp = model(torch.tensor([ids])).logits[0].log_softmax(-1)
            for k in range(1, len(ids)):
                if k < len(p) and mask[k]:
                    o_total -= float(logp[k - 1, ids[k]]); o_count += 1
                elif k >= len(p):
                    a_total -= float(logp[k - 1, ids[k]]); a_count += 1
        obs_nll[name], ans_nll[name] = o_total / o_count, a_total / a_count
    assert obs_nll["low"] > obs_nll["full"] + 0.2, obs_nll
    assert max(ans_nll.values()) < 0.6, ans_nll  # ln 4 ≈ 1.39 for the uniform move alone


def test_the_linear_schedule_lowers_the_observation_weight_to_0_by_the_last_step():
    from types import SimpleNamespace

    from trainyard_trainer.sft import Trainer

    t = Trainer.__new__(Trainer)  # only the schedule: no model, no data
    t.observation_weight, t.observation_schedule = 0.2, "linear"
    weights = []
    for step in (0, 150, 300, 600):
        t.state = SimpleNamespace(global_step=step, max_steps=600)
        weights.append(round(t.observation_weight_now(), 6))
    assert weights == [0.2, 0.15, 0.1, 0.0]
    t.observation_schedule = "constant"
    assert t.observation_weight_now() == 0.2
