"""Regression: the evaluation prompt's stray backslash (`Decide the next action:\\`, the
reference environment's) must not cost the `labels` tokenizer an extra token.

Training rows end that line without it. A tokenizer trained on training rows alone cut the
backslash into a token of its own, one position more between the board and the answer than in
any training row; from-scratch models that place the answer by that distance then wrote
`</think> </answer>` on every evaluation prompt (docs/demo.md). Trained also on the line as the
evaluation environment renders it (the environment's texts, no level), the line is one token.
"""
from __future__ import annotations

from trainyard_trainer.tiny import train_tokenizer

BOARD = " # \t # \t # \t\n # \t P \t # \t\n # \t # \t # \t"


def prompt(trailer: str, labels=("Up", "Down", "Left", "Right")) -> str:
    u, d, l, r = labels
    return (f"<|im_start|>user\nYou are a Sokoban solver.\n\nAnswers:\n<answer> {u} </answer> | <answer> {d} </answer> | "
            f"<answer> {l} </answer> | <answer> {r} </answer>\n\n[Current Observation]:\n{BOARD}\nDecide the next action:{trailer}"
            "\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra text. <|im_end|>\n<|im_start|>assistant\n<think>")


def rows() -> list[str]:
    return [prompt("") + "</think> <answer> Up </answer>\n"] * 50


def test_without_the_evaluation_trailer_the_backslash_is_an_extra_token():
    tok = train_tokenizer(rows(), 2048, "labels")
    assert len(tok(prompt("\\"))["input_ids"]) == len(tok(prompt(""))["input_ids"]) + 1


def test_eval_prompt_stray_backslash_keeps_the_training_token_count():
    tok = train_tokenizer(rows() + ["\nDecide the next action:", "\nDecide the next action:\\"], 2048, "labels")
    train, ev = tok(prompt(""))["input_ids"], tok(prompt("\\"))["input_ids"]
    assert len(ev) == len(train)
    # The same tokens but one: the trailer line, the same piece of text plus the backslash.
    diff = [(a, b) for a, b in zip(train, ev) if a != b]
    assert len(diff) == 1
    assert tok.decode([diff[0][1]]) == tok.decode([diff[0][0]]) + "\\"
    assert tok.decode(ev) == prompt("\\")
