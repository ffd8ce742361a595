"""Byte-level BPE: exact round trips, determinism, and the compression the CPU engine relies on."""
from __future__ import annotations

from trainyard_trainer.tokenizer import EOS_ID, BPETokenizer

GRID = "\n".join(" # \t" + "".join(f" {c} \t" for c in row) + " # \t" for row in ["P X _", "_ _ O", "_ _ _"])
PROMPT = "You are a Sokoban solver.\n\nRules:\n1. Push boxes (can't pull).\n[Current Observation]:\n{}\nDecide the next action:"


def corpus() -> list[str]:
    rows = ["P", "X", "_", "O"]
    out = []
    for i in range(40):
        cells = [rows[(i + j) % 4] for j in range(9)]
        grid = "\n".join(" # \t" + "".join(f" {c} \t" for c in cells[r * 3 : r * 3 + 3]) + " # \t" for r in range(3))
        out.append(PROMPT.format(grid))
        out.append(" <answer> Up </answer>\n")
    return out


def test_round_trip_is_exact_for_any_text():
    tok = BPETokenizer.train(corpus(), 200)
    for text in ["", "plain", "ünïcödé √ ⬆️ 中文", "\t\n\n", "x" * 300, corpus()[0]]:
        ids = tok.encode(text)
        assert tok.decode(ids) == text
        assert all(0 <= i < tok.vocab_size and i != EOS_ID for i in ids)


def test_training_is_deterministic_and_saves(tmp_path):
    a = BPETokenizer.train(corpus(), 80)
    b = BPETokenizer.train(list(corpus()), 80)
    assert a.merges == b.merges and len(a.merges) == 80
    a.save(str(tmp_path / "tok.json"))
    c = BPETokenizer.load(str(tmp_path / "tok.json"))
    assert c.encode(corpus()[2]) == a.encode(corpus()[2])


def test_fixed_text_collapses_and_every_grid_cell_is_one_token():
    tok = BPETokenizer.train(corpus(), 1000)
    text = corpus()[0]
    ids = tok.encode(text)
    assert len(ids) < len(text.encode()) / 5  # several-fold shorter than bytes
    # Merges never cross a TAB, and a newline only opens a chunk: each ' X \t' cell is one token
    # (a row's first cell carries the row's newline).
    cells = [tok.vocab[i] for i in ids if tok.vocab[i].endswith(b"\t")]
    assert len(cells) == 15 and all(c.lstrip(b"\n")[:1] == b" " and len(c.lstrip(b"\n")) == 4 for c in cells)
    assert [tok.vocab[i] for i in tok.encode(" <answer> Up </answer>\n")] == [b" <answer> Up </answer>", b"\n"]


def test_appending_to_a_known_line_adds_a_token_and_keeps_the_rest():
    tok = BPETokenizer.train(corpus(), 1000)
    text = corpus()[0]
    ids = tok.encode(text)
    variant = tok.encode(text.replace("Decide the next action:", "Decide the next action:\\"))
    assert variant[:-1] == ids and tok.vocab[variant[-1]] == b"\\"
