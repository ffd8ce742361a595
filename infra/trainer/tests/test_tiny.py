"""The tiny model family: a deterministic tokenizer and model that load back with the Auto classes."""
from __future__ import annotations

import json
import os
from types import SimpleNamespace

import pytest

from conftest import toy_rows
from trainyard_trainer.config import SftConfig
from trainyard_trainer.tiny import CHAT_TEMPLATE, build_tiny

TEXTS = [r["prompt"] + r["completion"] for r in toy_rows(200)] + ["<|im_start|>user\nColour: red<|im_end|>\n"]


def tiny_cfg(**kw):
    base = {f: getattr(SftConfig, f, None) for f in ()}
    defaults = dict(tiny_arch="llama", tiny_tokenizer="lines", d_model=32, layers=1, heads=2, intermediate_size=0,
                    vocab_size=320, tie_embeddings=True, context_length=128, seed=0)
    return SimpleNamespace(**{**base, **defaults, **kw})


def test_same_inputs_give_byte_identical_files(tmp_path):
    a = build_tiny(tiny_cfg(), TEXTS, str(tmp_path / "a"))
    b = build_tiny(tiny_cfg(), TEXTS, str(tmp_path / "b"))
    for name in ("tokenizer.json", "model.safetensors", "config.json"):
        assert open(os.path.join(a, name), "rb").read() == open(os.path.join(b, name), "rb").read(), name
    c = build_tiny(tiny_cfg(seed=1), TEXTS, str(tmp_path / "c"))
    assert open(os.path.join(a, "model.safetensors"), "rb").read() != open(os.path.join(c, "model.safetensors"), "rb").read()


@pytest.mark.parametrize(("arch", "split"), [("llama", "lines"), ("llama", "qwen"), ("qwen2", "qwen")])
def test_auto_tokenizer_encodes_as_the_saved_tokenizer_json(tmp_path, arch, split):
    """Regression: AutoTokenizer on a Qwen2 directory rebuilds Qwen's pre-tokenizer and ignores a custom
    tokenizer.json; the tiny Qwen2 therefore trains with Qwen's split, and loads back unchanged."""
    from tokenizers import Tokenizer
    from transformers import AutoModelForCausalLM, AutoTokenizer

    d = build_tiny(tiny_cfg(tiny_arch=arch, tiny_tokenizer=split), TEXTS, str(tmp_path / "m"))
    saved = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    tok = AutoTokenizer.from_pretrained(d)
    for t in TEXTS:
        assert tok(t)["input_ids"] == saved.encode(t).ids
    assert tok.decode(tok(TEXTS[0])["input_ids"]) == TEXTS[0]
    assert tok.convert_ids_to_tokens(tok("<|im_start|>user")["input_ids"])[0] == "<|im_start|>"
    assert AutoModelForCausalLM.from_pretrained(d).config.model_type == arch
    assert json.load(open(os.path.join(d, "config.json")))["max_position_embeddings"] == 128


def test_a_custom_tokenizer_next_to_a_qwen2_config_is_honoured(tmp_path):
    """Regression (same defect, any directory): our loader notices that AutoTokenizer rebuilt the
    pre-tokenizer and loads tokenizer.json as saved instead."""
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    from trainyard_trainer.models import load_tokenizer

    d = build_tiny(tiny_cfg(tiny_arch="llama", tiny_tokenizer="lines"), TEXTS, str(tmp_path / "m"))
    cfg = json.load(open(os.path.join(d, "config.json")))
    cfg.update(model_type="qwen2", architectures=["Qwen2ForCausalLM"])
    json.dump(cfg, open(os.path.join(d, "config.json"), "w"))
    saved = Tokenizer.from_file(os.path.join(d, "tokenizer.json"))
    assert AutoTokenizer.from_pretrained(d)(TEXTS[0])["input_ids"] != saved.encode(TEXTS[0]).ids  # the trap
    assert load_tokenizer(d)(TEXTS[0])["input_ids"] == saved.encode(TEXTS[0]).ids


def test_lines_split_keeps_sequences_short_and_the_chat_template_is_chatml(tmp_path):
    from transformers import AutoTokenizer

    lines = AutoTokenizer.from_pretrained(build_tiny(tiny_cfg(vocab_size=800), TEXTS, str(tmp_path / "l")))
    words = AutoTokenizer.from_pretrained(build_tiny(tiny_cfg(vocab_size=800, tiny_tokenizer="qwen"), TEXTS, str(tmp_path / "w")))
    n_lines, n_words = (sum(len(t(x)["input_ids"]) for x in TEXTS) for t in (lines, words))
    assert n_lines < 0.6 * n_words, (n_lines, n_words)
    assert lines.chat_template == CHAT_TEMPLATE
    text = lines.apply_chat_template([{"role": "user", "content": "hi"}], add_generation_prompt=True, tokenize=False)
    assert text == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"


def _answers(labels):
    u, d, l, r = labels
    return (f"Answers:\n<answer> {u} </answer> | <answer> {d} </answer> | <answer> {l} </answer> | <answer> {r} </answer>"
            f"\nwhere {u} is Up, {d} is Down, {l} is Left, {r} is Right.")


def test_labels_split_makes_every_label_one_piece_spelled_alike_in_prompt_and_answer(tmp_path):
    """The demo's `labels` split: a label the tokenizer only saw in tokenizer_texts (never in a training
    answer) is still one token, the same in the `Answers:` line, the `where` line and the completion."""
    from transformers import AutoTokenizer

    rows = [("tree", "fix", "jade", "freedom"), ("eagle", "lime", "mountain", "butterfly")] * 50
    train = [f"<|im_start|>user\nYou are a solver.\n\n{_answers(l)}\n\nRewards:\nMove: -0.1<|im_end|>\n<|im_start|>assistant\n<think></think> <answer> {l[3]} </answer>\n" for l in rows]
    extra = [_answers(("A", "B", "C", "D")), _answers(("*", "&", "1", "M"))]
    tok = AutoTokenizer.from_pretrained(build_tiny(tiny_cfg(vocab_size=600, tiny_tokenizer="labels"), train + extra, str(tmp_path / "t")))
    prompt = f"<|im_start|>user\nYou are a solver.\n\n{_answers(('*', '&', '1', 'M'))}\n\nRewards:\nMove: -0.1<|im_end|>\n<|im_start|>assistant\n<think>"
    pieces = tok.convert_ids_to_tokens(tok(prompt)["input_ids"])
    for label in ("*", "&", "1", "M"):
        assert pieces.count("Ġ" + label) == 2, (label, pieces)  # once in the tags, once in `where`
    assert "\nYou are a solver." in [tok.convert_tokens_to_string([p]) for p in pieces]  # other lines stay whole
    answer = tok.convert_ids_to_tokens(tok("</think> <answer> M </answer>\n")["input_ids"])
    assert "ĠM" in answer and len(answer) == 5, answer


def test_frozen_embeddings_stay_at_their_initial_values(tmp_path):
    import torch

    from conftest import write_jsonl
    from trainyard_trainer.protocol import Emitter, StopFlag
    from trainyard_trainer import sft

    train = write_jsonl(tmp_path / "t.jsonl", toy_rows(32))
    cfg = SftConfig(train_file=str(train), output_dir=str(tmp_path / "o"), d_model=32, layers=1, heads=2, vocab_size=320,
                    max_steps=3, save_steps=0, batch_size=8, freeze_embeddings=True, device="cpu")
    import io
    sft.run(cfg, Emitter(io.StringIO()), StopFlag())
    from transformers import AutoModelForCausalLM

    init = AutoModelForCausalLM.from_pretrained(str(tmp_path / "o" / "tiny-init")).get_input_embeddings().weight
    done = AutoModelForCausalLM.from_pretrained(str(tmp_path / "o" / "checkpoint-3"))
    assert torch.equal(init, done.get_input_embeddings().weight)
    assert torch.equal(done.get_input_embeddings().weight, done.get_output_embeddings().weight)  # tied: the head too
    first = AutoModelForCausalLM.from_pretrained(str(tmp_path / "o" / "tiny-init")).model.layers[0].mlp.up_proj.weight
    assert not torch.equal(first, done.model.layers[0].mlp.up_proj.weight)  # the rest did train
