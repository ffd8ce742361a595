"""Chat rows (General Points) encode as serving sees them, whatever the tokenizer merges."""
from __future__ import annotations

import pytest

from test_tiny import tiny_cfg
from trainyard_trainer.data import encode_prompt, encode_sft, parse_row
from trainyard_trainer.models import load_tokenizer
from trainyard_trainer.protocol import TrainerError
from trainyard_trainer.tiny import build_tiny

PROMPT = [{"role": "user", "content": "Cards: [2, 7, Q, 5]. Make 24."}]
REPLY = [{"role": "assistant", "content": '{"cards": [2, 7, 12, 5], "formula": "12*2+7-5-2"}'}]
# The tokenizer's training text holds the reply after the generation prompt, so its `lines` split
# (a piece starts at a newline) learns `\n{"cards"…` as one piece across the prompt's end.
TEXTS = [f"<|im_start|>user\n{PROMPT[0]['content']}<|im_end|>\n<|im_start|>assistant\n{REPLY[0]['content']}<|im_end|>\n"] * 50


@pytest.fixture(scope="module")
def tok(tmp_path_factory):
    return load_tokenizer(build_tiny(tiny_cfg(tiny_tokenizer="lines"), TEXTS, str(tmp_path_factory.mktemp("tok") / "m")))


def test_demo_cpu_gp_chat_rows_encode_when_the_tokenizer_merges_across_the_prompts_end(tok):
    """Regression: `demo-cpu-gp` failed both SFT jobs with "the chat template renders the prompt
    differently with the reply appended": the whole conversation was tokenized at once, and the
    tiny `lines` tokenizer merges the generation prompt's last newline into the reply's first piece."""
    row = parse_row({"prompt": PROMPT, "completion": REPLY}, "chat", "rows.jsonl:1", True, False)
    whole = tok.apply_chat_template(PROMPT + REPLY, tokenize=True, return_dict=False)
    p = encode_prompt(tok, PROMPT, "chat")
    assert list(whole[: len(p)]) != p  # the case this guards: a merge across the boundary

    enc = encode_sft(tok, row, "chat", 256)
    ids, mask = enc["input_ids"], enc["completion_mask"]
    assert ids[: len(p)] == p and mask[: len(p)] == [0] * len(p)  # the prompt as serving sends it
    reply = ids[len(p):]
    assert mask[len(p):] == [1] * len(reply) and reply[-1] == tok.eos_token_id
    assert tok.decode(reply, skip_special_tokens=False).startswith(REPLY[0]["content"] + "<|im_end|>")


def test_a_template_whose_prompt_is_not_a_prefix_is_still_a_data_error(tok):
    tok = type(tok).from_pretrained(tok.name_or_path)
    # A template that renders the generation prompt differently from the turn that follows it.
    tok.chat_template = ("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
                         "{% if add_generation_prompt %}<open>{% endif %}")
    row = parse_row({"prompt": PROMPT, "completion": REPLY}, "chat", "rows.jsonl:7", True, False)
    with pytest.raises(TrainerError) as e:
        encode_sft(tok, row, "chat", 256)
    assert e.value.code == "TY_ERR_TRAINER_DATA" and "rows.jsonl:7" in str(e.value) and "prefix" in str(e.value)
