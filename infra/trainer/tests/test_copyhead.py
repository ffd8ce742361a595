"""The copy head (pointer-generator) of the tiny Llama: a proper distribution, cache-exact decoding
through the serving sampler's calling convention, Auto-class round trip, and a copy learned on some
tokens that copies tokens no training target contained."""
from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
import torch

from trainyard_trainer.copyhead import CopyLlamaConfig, CopyLlamaForCausalLM
from trainyard_trainer.models import load_model


def small(vocab: int = 60, ctx: int = 64, **kw) -> CopyLlamaForCausalLM:
    torch.manual_seed(0)
    cfg = CopyLlamaConfig(vocab_size=vocab, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                          num_key_value_heads=4, max_position_embeddings=ctx, copy_dim=16, **kw)
    return CopyLlamaForCausalLM(cfg)


def token_gated(**kw) -> CopyLlamaForCausalLM:
    """A token-gated model whose gate entries are random (they all start equal)."""
    m = small(copy_gate="token", **kw)
    with torch.no_grad():
        m.copy_gate.weight.normal_(0, 0.1)
    return m


def left_padded(row: int, pad: int, model: CopyLlamaForCausalLM | None = None, **kw):
    """A model (`model`, or a small one built with `kw`), a 2 × 12 batch with `pad` left-padding
    tokens in `row`, the serving sampler's position ids, and the full forward's logits to compare
    against."""
    m = (model if model is not None else small(**kw)).eval()
    ids = torch.randint(0, 12, (2, 12))  # a small id range, so tokens repeat (first-mention copy)
    mask = torch.ones_like(ids)
    mask[row, :pad] = 0
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        full = m(input_ids=ids, attention_mask=mask, position_ids=pos).logits
    return m, ids, mask, pos, full


def test_logits_are_the_log_of_a_distribution():
    m = small().eval()
    ids = torch.randint(0, 60, (3, 10))
    probs = m(input_ids=ids).logits.exp().sum(-1)
    assert torch.allclose(probs, torch.ones_like(probs), atol=1e-4)


@pytest.mark.parametrize("first_only", [False, True])
def test_incremental_decoding_with_left_padding_equals_the_full_forward(first_only):
    """As serve's sampler calls it: left padding, position ids from each row's first real token,
    a DynamicCache, then one token at a time. With first-mention copy, the cached flags of earlier
    positions and each step's own flags must mask what the full forward masks."""
    from transformers import DynamicCache

    m, ids, mask, pos, full = left_padded(row=1, pad=3, copy_first_only=first_only)
    with torch.no_grad():
        cache = DynamicCache(config=m.config)
        parts = [m(input_ids=ids[:, :8], attention_mask=mask[:, :8], position_ids=pos[:, :8], past_key_values=cache, use_cache=True).logits]
        for t in range(8, 12):
            parts.append(m(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], position_ids=pos[:, t:t + 1],
                           past_key_values=cache, use_cache=True).logits)
    inc = torch.cat(parts, 1)
    assert torch.isfinite(full).all()
    assert (full[0] - inc[0]).abs().max() < 1e-4
    assert (full[1, 3:] - inc[1, 3:]).abs().max() < 1e-4  # the padded row's real tokens


def test_a_prefill_that_keeps_only_the_last_row_gives_the_same_next_tokens():
    """The sampler's prefill asks for the last row only (`logits_to_keep=1`): the copy keys must
    still cover every prompt position, so later steps match the full forward."""
    from transformers import DynamicCache

    m, ids, mask, pos, full = left_padded(row=0, pad=4)
    with torch.no_grad():
        cache = DynamicCache(config=m.config)
        last = m(input_ids=ids[:, :10], attention_mask=mask[:, :10], position_ids=pos[:, :10], past_key_values=cache,
                 use_cache=True, logits_to_keep=1).logits
        step = m(input_ids=ids[:, 10:11], attention_mask=mask[:, :11], position_ids=pos[:, 10:11], past_key_values=cache,
                 use_cache=True).logits
    assert last.shape == (2, 1, 60)
    assert (last[:, 0] - full[:, 9]).abs().max() < 1e-4
    assert (step[:, 0] - full[:, 10]).abs().max() < 1e-4


def test_logits_to_keep_as_row_indices_gives_those_rows_of_the_full_forward():
    """transformers also passes `logits_to_keep` as a tensor of row indices; the copy head must
    return exactly those rows (it used to ignore a tensor and return every row)."""
    m, ids, mask, pos, full = left_padded(row=1, pad=2, copy_first_only=True)
    with torch.no_grad():
        some = m(input_ids=ids, attention_mask=mask, position_ids=pos, logits_to_keep=torch.tensor([3, 7, 11])).logits
        last = m(input_ids=ids, attention_mask=mask, position_ids=pos, logits_to_keep=2).logits
    assert some.shape == (2, 3, 60)
    assert (some - full[:, [3, 7, 11]]).abs().max() < 1e-5
    assert (last - full[:, -2:]).abs().max() < 1e-5
    with torch.no_grad():  # more rows asked for than there are: every row, as for a plain model
        every = m(input_ids=ids, attention_mask=mask, position_ids=pos, logits_to_keep=50).logits
    assert (every - full).abs().max() < 1e-5


@pytest.mark.parametrize("build", [small, token_gated], ids=["hidden gate", "token gate"])
def test_training_with_labels_scores_only_the_labelled_rows_with_the_same_loss_and_gradients(build):
    """With labels, the mixture is built for the rows a label scores only (answer-only SFT: a few
    per sequence). Loss and gradients must equal those of the full mixture; with the token gate,
    each scored row must be gated on its own input token."""
    import torch.nn.functional as F

    m = build().train()
    ids = torch.randint(0, 60, (3, 14))
    labels = ids.clone()
    labels[:, :9] = -100
    labels[1, :12] = -100
    out = m(input_ids=ids, labels=labels)
    out.loss.backward()
    fast = {k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None}
    m.zero_grad()
    full = m(input_ids=ids).logits
    ref = F.cross_entropy(full[:, :-1].reshape(-1, 60), labels[:, 1:].reshape(-1), ignore_index=-100)
    ref.backward()
    assert abs(out.loss.item() - ref.item()) < 1e-5
    for k, p in m.named_parameters():
        assert torch.allclose(fast[k], p.grad, atol=1e-6), k
    scored = labels[:, 1:] != -100
    assert torch.allclose(out.logits[:, :-1][scored], full[:, :-1][scored], atol=1e-5)
    assert fast["copy_gate.weight"].abs().sum() > 0


@pytest.mark.parametrize("build", [small, token_gated], ids=["hidden gate", "token gate"])
def test_scored_only_gives_the_scored_rows_and_weighted_loss_of_the_full_forward(build):
    """`scored_only` (the weighted SFT loss's path) returns the scored rows alone, in row-major
    order, with no loss; `weighted_nll_rows` over them equals `weighted_nll` over every row, with
    the same gradients (observation and completion runs, two weights)."""
    from trainyard_trainer.sft import weighted_nll, weighted_nll_rows

    m = build().train()
    ids = torch.randint(0, 60, (3, 16))
    labels = ids.clone()
    labels[:, :3] = -100
    labels[:, 7:10] = -100  # the observation (3..6) and the completion (10..15) are two runs
    labels[2, :12] = -100
    scored = labels[:, 1:] != -100
    for weight in (0.2, 1.0):
        m.zero_grad()
        rows = m(input_ids=ids, labels=labels, scored_only=True)
        assert rows.loss is None and rows.logits.shape == (int(scored.sum()), 60)
        fast = weighted_nll_rows(rows.logits, labels, weight)
        fast.backward()
        grads = {k: p.grad.clone() for k, p in m.named_parameters() if p.grad is not None}
        m.zero_grad()
        out = m(input_ids=ids, labels=labels)
        assert torch.allclose(rows.logits, out.logits[:, :-1][scored], atol=1e-6)
        ref = weighted_nll(out.logits, labels, weight)
        ref.backward()
        assert abs(fast.item() - ref.item()) < 1e-5
        for k, p in m.named_parameters():
            assert torch.allclose(grads[k], p.grad, atol=1e-6), k


def test_saves_and_loads_with_the_auto_classes(tmp_path):
    m = small().eval()
    m.save_pretrained(tmp_path)
    back = load_model(str(tmp_path), torch.float32, trainable=False)
    assert type(back).__name__ == "CopyLlamaForCausalLM"
    ids = torch.randint(0, 60, (1, 9))
    assert torch.allclose(back(input_ids=ids).logits, m(input_ids=ids).logits, atol=1e-5)


def test_a_checkpoint_loads_where_trainyard_is_not_installed(tmp_path):
    """The checkpoint carries the head's code and an auto_map: a process that never imports
    trainyard_trainer loads it with trust_remote_code and computes the same logits."""
    import json
    import subprocess
    import sys

    m = small(copy_first_only=True).eval()
    m.save_pretrained(tmp_path / "ckpt")
    assert (tmp_path / "ckpt" / "copyhead.py").is_file()
    assert json.loads((tmp_path / "ckpt" / "config.json").read_text())["auto_map"]["AutoModelForCausalLM"] == "copyhead.CopyLlamaForCausalLM"
    ids = torch.randint(0, 60, (1, 9))
    torch.save(ids, tmp_path / "ids.pt")
    torch.save(m(input_ids=ids).logits, tmp_path / "want.pt")
    script = (
        "import sys, torch\n"
        "from transformers import AutoModelForCausalLM\n"
        "m = AutoModelForCausalLM.from_pretrained('ckpt', trust_remote_code=True).eval()\n"
        "assert not any(k.startswith('trainyard_trainer') for k in sys.modules), 'trainyard_trainer was imported'\n"
        "got = m(input_ids=torch.load('ids.pt')).logits\n"
        "assert torch.allclose(got, torch.load('want.pt'), atol=1e-5)\n"
        "print(type(m).__name__)\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"HF_MODULES_CACHE": str(tmp_path / "modules")}
    out = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "CopyLlamaForCausalLM"


@pytest.mark.parametrize("gate", ["hidden", "token"])
def test_a_copy_learned_on_some_tokens_copies_tokens_never_seen_as_targets(gate):
    """Sequence: four random 'labels', a selector token saying which one, then the answer. Labels in
    training come from tokens 10–39; the test's come from 40–59, which no training answer holds."""
    m = small(copy_gate=gate)
    sel = [1, 2, 3, 4]

    def batch(lo: int, hi: int, n: int, g: torch.Generator):
        labels = torch.stack([torch.randperm(hi - lo, generator=g)[:4] + lo for _ in range(n)])
        k = torch.randint(0, 4, (n,), generator=g)
        ids = torch.cat([labels, torch.tensor(sel)[k][:, None], labels.gather(1, k[:, None])], 1)
        return ids

    g = torch.Generator().manual_seed(0)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    for _ in range(300):
        ids = batch(10, 40, 32, g)
        target = torch.full_like(ids, -100)
        target[:, -1] = ids[:, -1]
        loss = m(input_ids=ids, labels=target).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
    m.eval()
    ids = batch(40, 60, 200, g)
    with torch.no_grad():
        pred = m(input_ids=ids[:, :-1]).logits[:, -1].argmax(-1)
    assert (pred == ids[:, -1]).float().mean() > 0.9


def test_a_copy_head_checkpoint_is_never_given_to_vllm(tmp_path, monkeypatch):
    """vLLM does not know the architecture: backend auto serves it with transformers, backend vllm
    refuses it by name, even where vLLM is available (the GPU is the double here)."""
    import pytest

    from trainyard_trainer import models, serve
    from trainyard_trainer.protocol import TrainerError

    small().save_pretrained(tmp_path)
    monkeypatch.setattr(models, "vllm_available", lambda: True)
    assert serve.use_vllm(SimpleNamespace(backend="auto", checkpoint=str(tmp_path))) is False
    with pytest.raises(TrainerError, match="copy head"):
        serve.use_vllm(SimpleNamespace(backend="vllm", checkpoint=str(tmp_path)))
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "config.json").write_text('{"model_type": "llama"}')
    assert serve.use_vllm(SimpleNamespace(backend="auto", checkpoint=str(plain))) is True


@pytest.mark.parametrize("gate", ["hidden", "token"])
def test_trl_sft_trains_the_copy_head_not_only_the_body(tmp_path, toy_file, gate):
    """Regression: TRL's default `chunked_nll` loss goes from the hidden states through lm_head,
    bypassing the model's forward; the copy head then got no gradient and stayed at its
    initialisation while the body trained."""
    from safetensors.torch import load_file

    from conftest import TINY, last_checkpoint, run_trainer

    cfg = {"train_file": str(toy_file), "output_dir": str(tmp_path / "out"), "max_steps": 4, "batch_size": 8,
           "save_steps": 0, "learning_rate": 1e-2, "seed": 3, **TINY, "copy_head": True, "copy_dim": 8, "copy_gate": gate}
    rc, events, err = run_trainer("sft", cfg, tmp_path)
    assert rc == 0, err
    before = load_file(str(tmp_path / "out" / "tiny-init" / "model.safetensors"))
    after = load_file(os.path.join(last_checkpoint(events), "model.safetensors"))
    for name in ("copy_query.weight", "copy_key.weight", "copy_position.weight", "copy_gate.weight"):
        assert not torch.equal(before[name], after[name]), name
    assert not torch.equal(before["model.layers.0.mlp.up_proj.weight"], after["model.layers.0.mlp.up_proj.weight"])


def test_first_mention_copy_ignores_repeats():
    """With `copy_first_only`, a token repeated later in the prompt is copied from its first mention
    only: under a content-blind (uniform) copy, [5, 7, 5, 9] gives each distinct token 1/3, where the
    plain head gives the repeated 5 half the mass. Padding is never a first mention."""
    def copy_only(first_only: bool):
        m = small(copy_first_only=first_only).eval()
        with torch.no_grad():
            for p in (m.copy_query, m.copy_key, m.copy_position):
                p.weight.zero_()
            m.copy_gate.weight.zero_()
            m.copy_gate.bias.fill_(-40.0)  # the gate picks the copy alone
        return m

    ids = torch.tensor([[5, 7, 5, 9], [0, 5, 5, 9]])
    mask = torch.tensor([[1, 1, 1, 1], [0, 1, 1, 1]])
    pos = (mask.cumsum(-1) - 1).clamp(min=0)
    with torch.no_grad():
        plain = copy_only(False)(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -1].exp()
        first = copy_only(True)(input_ids=ids, attention_mask=mask, position_ids=pos).logits[:, -1].exp()
    assert abs(plain[0, 5] - 0.5) < 1e-4 and abs(first[0, 5] - 1 / 3) < 1e-4
    assert abs(first[0, 7] - 1 / 3) < 1e-4 and abs(first[0, 9] - 1 / 3) < 1e-4
    assert abs(first[1, 5] - 0.5) < 1e-4 and abs(first[1, 9] - 0.5) < 1e-4 and first[1, 0] < 1e-6


def test_gate_bias_starts_the_model_generating_and_survives_a_save(tmp_path):
    """`copy_gate_bias` is the gate's starting bias: at +8 an untrained model's next-token
    distribution is (almost) the output layer's alone; at 0 half of it is the copy. The bias is
    an initial value only: a saved checkpoint loads with the trained gate, not a fresh one."""
    ids = torch.randint(0, 60, (2, 10))

    def generate_share(bias: float) -> tuple[float, CopyLlamaForCausalLM]:
        m = small(copy_gate_bias=bias).eval()
        with torch.no_grad():
            h = m.model(input_ids=ids).last_hidden_state
            gen = torch.softmax(m.lm_head(h), -1)
            mix = m(input_ids=ids).logits.exp()
        # mix = g·gen + (1 − g)·copy; the distance to gen alone measures 1 − g.
        return (mix - gen).abs().sum(-1).max().item(), m

    near_gen, m = generate_share(8.0)
    even, _ = generate_share(0.0)
    assert near_gen < 2e-3 < 0.2 < even
    with torch.no_grad():
        m.copy_gate.bias.fill_(-3.0)
    m.save_pretrained(tmp_path)
    loaded = load_model(str(tmp_path), torch.float32, trainable=False)
    assert loaded.config.copy_gate_bias == 8.0
    assert loaded.copy_gate.bias.item() == -3.0


def test_the_token_gate_reads_only_the_current_input_token():
    """`copy_gate: token`: the gate is σ(30 · G[x_t]), one value per input token, whatever the rest of
    the sequence is; a token whose entry says copy gets the copy distribution alone."""
    m = small(copy_gate="token").eval()
    with torch.no_grad():
        m.copy_gate.weight.fill_(1.0)
        m.copy_gate.weight[7] = -1.0  # after token 7: copy (σ(−30)); after any other: generate
    a = torch.tensor([[3, 7, 9, 11, 7, 2]])
    b = torch.tensor([[13, 21, 4, 7, 30, 7]])
    with torch.no_grad():
        for ids in (a, b):
            h = m.model(input_ids=ids).last_hidden_state
            g = m.gate(h, ids)[0, :, 0]
            want = torch.where(ids[0] == 7, torch.sigmoid(torch.tensor(-30.0)), torch.sigmoid(torch.tensor(30.0)))
            assert torch.allclose(g, want)
            attn, pointed = m.copy_attention(h, ids)
            copy = torch.zeros(ids.shape[1], 60).scatter_add_(-1, pointed[0].expand(ids.shape[1], -1), attn[0])
            probs = m(input_ids=ids).logits[0].exp()
            rows = (ids[0] == 7).nonzero().flatten()
            assert torch.allclose(probs[rows], copy[rows], atol=1e-5)


@pytest.mark.parametrize("first_only", [False, True])
def test_incremental_decoding_with_the_token_gate_equals_the_full_forward(first_only):
    """A decoding step must gate on its own input token (not the prompt's last one)."""
    from transformers import DynamicCache

    m, ids, mask, pos, full = left_padded(row=1, pad=3, model=token_gated(copy_first_only=first_only))
    with torch.no_grad():
        cache = DynamicCache(config=m.config)
        parts = [m(input_ids=ids[:, :8], attention_mask=mask[:, :8], position_ids=pos[:, :8], past_key_values=cache,
                   use_cache=True, logits_to_keep=1).logits]
        for t in range(8, 12):
            parts.append(m(input_ids=ids[:, t:t + 1], attention_mask=mask[:, :t + 1], position_ids=pos[:, t:t + 1],
                           past_key_values=cache, use_cache=True).logits)
    inc = torch.cat(parts, 1)
    assert (full[0, 7:] - inc[0]).abs().max() < 1e-4
    assert (full[1, 7:] - inc[1]).abs().max() < 1e-4


def test_the_token_gate_starts_at_the_gate_bias_and_survives_a_save(tmp_path):
    """At copy_gate_bias +8 every token starts generating; the gate kind and the trained entries
    load back, also where Trainyard is not installed (the checkpoint's own copy of the module)."""
    m = small(copy_gate="token", copy_gate_bias=8.0).eval()
    ids = torch.randint(0, 60, (2, 10))
    with torch.no_grad():
        h = m.model(input_ids=ids).last_hidden_state
        assert torch.allclose(m.gate(h, ids), torch.sigmoid(torch.tensor(8.0)).expand(2, 10, 1))
        m.copy_gate.weight[5] = -0.5
    m.save_pretrained(tmp_path)
    loaded = load_model(str(tmp_path), torch.float32, trainable=False)
    assert loaded.config.copy_gate == "token"
    assert loaded.copy_gate.weight[5].item() == -0.5
    assert torch.allclose(loaded(input_ids=ids).logits, m(input_ids=ids).logits, atol=1e-5)


def test_an_unknown_gate_kind_is_refused():
    with pytest.raises(ValueError, match="copy_gate"):
        small(copy_gate="pointer")


def test_position_only_keys_score_positions_alone():
    """`copy_key_content: false`: the copy scores are q(h_t) · P[pos_j] / √c, whatever sits at j."""
    import math

    m = small(copy_key_content=False).eval()
    assert m.copy_key is None
    ids = torch.randint(0, 60, (2, 9))
    with torch.no_grad():
        h = m.model(input_ids=ids).last_hidden_state
        attn, _ = m.copy_attention(h, ids)
        want = (m.copy_query(h) @ m.copy_position(torch.arange(9)).T / math.sqrt(16)).masked_fill(
            ~torch.ones(9, 9, dtype=torch.bool).tril(), float("-inf")).softmax(-1)
    assert torch.allclose(attn, want, atol=1e-6)
    assert torch.allclose(m(input_ids=ids).logits.exp().sum(-1), torch.ones(2, 9), atol=1e-4)
