"""The `tiny` model: a small Llama or Qwen2 built from scratch, with its own BPE tokenizer.

Built once per run into `<output_dir>/tiny-init/` with `save_pretrained` (config.json,
model.safetensors, tokenizer.json, tokenizer_config.json with the chat template,
generation_config.json), so training, serving and evaluation load it like any Hugging Face model.
Everything is seeded: the same train file and settings give byte-identical files.

Tokenizer: byte-level BPE trained by the `tokenizers` library on the training rows' text (prompt
and completion), never on evaluation items. Every byte is in the base alphabet, so any text
encodes. Special tokens: `<|endoftext|>` (EOS and padding), `<|im_start|>`, `<|im_end|>`.
Three ways to split text before merges (`tiny_tokenizer`):
  * `lines`: a chunk starts at a newline and ends after a TAB or before the next newline, so lines
    of fixed instruction text become single tokens and each rendered grid cell (' # \\t') one
    token: a Sokoban prompt is ~70 tokens instead of ~270, and training is ~3x faster.
  * `labels`: `lines`, except that the answer tags, the `Answers:` line, the `where` line and the
    completion are cut at every label: ` tree`, ` A`, ` 1`, ` *` are one piece each, spelled the
    same in the prompt and in the answer. A model that learns to copy the announced label then
    copies a whole label token, whatever the vocabulary (lines: a label is merged into its
    neighbours, differently in every line).
  * `qwen`: Qwen2's own word-level split. AutoTokenizer rebuilds every `qwen2` model's tokenizer
    with Qwen's pre-tokenizer whatever tokenizer.json says, so a tiny Qwen2 must use this split
    for its checkpoints to load with AutoTokenizer unchanged.
"""
from __future__ import annotations

import os
import shutil
from typing import Any, Iterable

from .protocol import TrainerError

EOS = "<|endoftext|>"
IM_START, IM_END = "<|im_start|>", "<|im_end|>"
SPECIAL = [EOS, IM_START, IM_END]
# ChatML, as Qwen2.5 writes it (without a default system message).
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
LINES_SPLIT = r"\n?[^\n\t]*\t|\n?[^\n\t]+|\n"
# Tags, separators and `is <direction>` are pieces; what lies between them is one label piece.
# Lines that start with a tag or `where` are cut this way, every other line as in LINES_SPLIT.
LABELS_SPLIT = (
    r"\n?[^\n\t]*\t| ?</?answer>| ?</?think>| \| |\n?where(?= )| is (?:Up|Down|Left|Right)[,.]| [^\s<|,.][^\s<|,]*"
    r"|\n?(?! ?</?answer>| ?</?think>|where )[^\n\t]+|\n"
)
# transformers' Qwen2Tokenizer PRETOKENIZE_REGEX.
QWEN_SPLIT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""


def train_tokenizer(texts: Iterable[str], vocab_size: int, split: str):
    """A PreTrainedTokenizerFast with the chat template, EOS = pad = <|endoftext|>."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    if split == "qwen":
        tk.normalizer = normalizers.NFC()
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex({"qwen": QWEN_SPLIT, "labels": LABELS_SPLIT}.get(split, LINES_SPLIT)), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tk.train_from_iterator(texts, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token=EOS, pad_token=EOS, unk_token=None)
    tok.chat_template = CHAT_TEMPLATE
    return tok


def model_config(cfg: Any, vocab_size: int, eos_id: int):
    from transformers import LlamaConfig, Qwen2Config

    from .copyhead import CopyLlamaConfig

    Config = Qwen2Config if cfg.tiny_arch == "qwen2" else LlamaConfig
    extra = {}
    if getattr(cfg, "copy_head", False):
        Config, extra = CopyLlamaConfig, {"copy_dim": cfg.copy_dim, "copy_first_only": cfg.copy_first_only,
                                    "copy_gate_bias": cfg.copy_gate_bias, "copy_gate": cfg.copy_gate,
                                    "copy_key_content": cfg.copy_key_content}
    return Config(
        **extra,
        vocab_size=vocab_size,
        hidden_size=cfg.d_model,
        intermediate_size=cfg.intermediate_size or 4 * cfg.d_model,
        num_hidden_layers=cfg.layers,
        num_attention_heads=cfg.heads,
        num_key_value_heads=cfg.heads,
        max_position_embeddings=cfg.context_length,
        tie_word_embeddings=cfg.tie_embeddings,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=eos_id,
    )


def build_tiny(cfg: Any, texts: list[str], out_dir: str) -> str:
    """Train the tokenizer, initialise the model from `cfg.seed`, save both to `out_dir` (atomic)."""
    import torch
    from transformers import AutoModelForCausalLM, set_seed

    tok = train_tokenizer(texts, cfg.vocab_size, cfg.tiny_tokenizer)
    tok.model_max_length = cfg.context_length
    eos_id = tok.convert_tokens_to_ids(EOS)
    set_seed(cfg.seed)
    model = AutoModelForCausalLM.from_config(model_config(cfg, len(tok), eos_id), dtype=torch.float32)
    # As Qwen's instruct models: a chat turn ends at <|im_end|>, plain text at <|endoftext|>.
    model.generation_config.eos_token_id = [eos_id, tok.convert_tokens_to_ids(IM_END)]
    tmp = out_dir + ".tmp"
    try:
        shutil.rmtree(tmp, ignore_errors=True)
        model.save_pretrained(tmp)
        tok.save_pretrained(tmp)
        shutil.rmtree(out_dir, ignore_errors=True)
        os.replace(tmp, out_dir)
    except OSError as e:
        raise TrainerError("TY_ERR_TRAINER_IO", f"cannot write the tiny model to {out_dir}: {e}") from e
    return out_dir
