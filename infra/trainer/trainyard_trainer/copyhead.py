"""A tiny Llama with a copy head: the next token is generated, or copied from an earlier position.

Why: a model trained from scratch can only emit tokens it was trained to emit. The diverse arm is
trained to answer with random pool words, so the labels of the instruction variants (` A`, ` 1`,
` *`) are tokens no training answer contains, and an ordinary output layer never learns to put
mass on them, even once the model knows *which* announced label is right. A pretrained model
brings a content-blind copy with it; this head builds one in. It is the pointer-generator of See,
Liu and Manning (2017, "Get To The Point"), on a decoder:

    p(token) = g · softmax(lm_head(h))[token] + (1 − g) · Σ_{j ≤ t, ids[j] = token} a_j
    a = softmax(q(h_t) · (k(h_j) + P[pos_j]) / √c)   (k(h_j) dropped with copy_key_content off)
    g = σ(w · h_t + b)   (copy_gate "hidden")
    g = σ(30 · G[x_t])   (copy_gate "token")

The copy attention chooses a *position*; the copied token is whatever sits there, so a copy learned
on pool words copies ` A` the same way. `P` is a learned absolute-position embedding for the copy
keys only: the prompt's fixed prefix puts the k-th announced label at the same position in every
prompt, so "copy the label of the k-th action" is learnable by position alone. `b` starts at
`copy_gate_bias`: a positive value starts the model as a plain generator, as a pretrained model
is, so it copies only where generating cannot fit the data (copying is easier to learn from
scratch, and from an even start both demo arms end up copying every label).

The gate reads either the last hidden state (`hidden`, See et al.'s choice) or only the current
input token x_t (`token`: one learned logit per vocabulary entry, starting at `copy_gate_bias`).
Why `token` exists (measured, docs/demo.md): trained from scratch with a hidden-state gate, the
demo's diverse arm never learned the move, at any budget up to 2,400 steps. The gate has to
switch to copying at exactly the row that answers the label; that row's hidden state ended up
pinned to one direction, with the board erased from it, and the pointer answered one label for
every board. A gate that reads the input token (the label always follows ` <answer>`) asks
nothing of the hidden state, and with it the diverse arm learned the move (in some seeds'
runs; others had not left the early plateau that every from-scratch run starts on within the
budget). The logit is scaled by 30 because Adam moves a parameter by about the learning rate per
step: scaled, the logit can go from generating (+8) to copying within a few hundred steps rather
than thousands.

`logits` are the log of that mixture, so the usual cross-entropy, `generate`, temperature and
top-p all work unchanged. Two shortcuts, both for speed: with `labels`, only the rows a label
scores get the mixture (the others read as uniform; answer-only SFT scores ~5 of ~100 rows, so a
training step costs about what the plain model's does), and `logits_to_keep` keeps the last rows
only (the serving sampler's prefill). Hand-written (no library ships a pointer head for transformers' decoders);
registered with AutoConfig/AutoModelForCausalLM under `trainyard_copy_llama`, so checkpoints save
and load like any Hugging Face model once this module is imported. vLLM does not know it: such a
checkpoint is served by the Hugging Face engine.
"""
from __future__ import annotations

import json
import math
import os

import torch
from torch import nn
from transformers import AutoConfig, AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM
from transformers.modeling_outputs import CausalLMOutputWithPast

MODEL_TYPE = "trainyard_copy_llama"
GATES = ("hidden", "token")
# The token gate's logit is 30 × its parameter: a reparametrisation that makes Adam move the logit
# 30× faster (see the module docstring).
TOKEN_GATE_SCALE = 30.0
# Probabilities are floored before the log so a token with no mass costs a finite loss.
FLOOR = 1e-9


class CopyLlamaConfig(LlamaConfig):
    model_type = MODEL_TYPE

    def __init__(self, copy_dim: int = 64, copy_first_only: bool = False, copy_gate_bias: float = 0.0,
                 copy_gate: str = "hidden", copy_key_content: bool = True, **kwargs):
        if copy_gate not in GATES:
            raise ValueError(f"copy_gate must be one of {GATES}, got {copy_gate!r}")
        self.copy_dim = copy_dim
        self.copy_first_only = copy_first_only
        self.copy_gate_bias = copy_gate_bias
        self.copy_gate = copy_gate
        self.copy_key_content = copy_key_content
        super().__init__(**kwargs)


class CopyLlamaForCausalLM(LlamaForCausalLM):
    config_class = CopyLlamaConfig

    def __init__(self, config: CopyLlamaConfig):
        super().__init__(config)
        d, c = config.hidden_size, config.copy_dim
        self.copy_query = nn.Linear(d, c, bias=False)
        # Without content, a key is its position alone: the pointer is a classifier over positions.
        self.copy_key = nn.Linear(d, c, bias=False) if getattr(config, "copy_key_content", True) else None
        self.copy_position = nn.Embedding(config.max_position_embeddings, c)
        # "hidden": σ(w · h + b); "token": one logit per input token (TOKEN_GATE_SCALE × the entry).
        self.copy_gate = nn.Embedding(config.vocab_size, 1) if self._token_gate else nn.Linear(d, 1)
        self.post_init()

    @property
    def _token_gate(self) -> bool:
        return getattr(self.config, "copy_gate", "hidden") == "token"

    def _init_weights(self, module):
        super()._init_weights(module)
        # Unit-scale position keys: distinct positions are told apart from the first step.
        if module is getattr(self, "copy_position", None):
            nn.init.normal_(module.weight, std=1.0)
        # The gate starts at σ(copy_gate_bias) for every row: > 0 starts the model generating.
        if module is getattr(self, "copy_gate", None):
            bias = getattr(self.config, "copy_gate_bias", 0.0)
            if isinstance(module, nn.Embedding):
                nn.init.constant_(module.weight, bias / TOKEN_GATE_SCALE)
            else:
                nn.init.constant_(module.bias, bias)

    def _copy_keys(self, h, input_ids, attention_mask, position_ids, cache):
        """Keys, token ids, first-mention flags and real-token mask of every position so far (this
        call's plus the cached ones). The flags are computed for this call's positions only and cached
        with the keys: a decoding step compares one new token with the sequence, not the whole
        sequence with itself."""
        b, n = input_ids.shape
        past = getattr(cache, "trainyard_copy", None) if cache is not None else None
        start = past[1].shape[1] if past is not None else 0
        real = None
        if attention_mask is not None and attention_mask.dim() == 2:
            real = attention_mask[:, -(start + n):].bool()
        if position_ids is None:
            position_ids = torch.arange(start, start + n, device=input_ids.device).expand(b, n)
        pos = position_ids.clamp(0, self.config.max_position_embeddings - 1)
        keys, ids = self.copy_position(pos), input_ids
        if self.copy_key is not None:
            keys = keys + self.copy_key(h)
        if past is not None:
            keys, ids = torch.cat([past[0], keys], 1), torch.cat([past[1], ids], 1)
        first = None
        if getattr(self.config, "copy_first_only", False):
            first = self._first_mentions(ids, real, n)
            if past is not None:
                first = torch.cat([past[2], first], 1)
        if cache is not None:
            cache.trainyard_copy = (keys, ids, first)
        return keys, ids, first, real

    def repeat_copy_cache(self, cache, times: int) -> None:
        """Repeat the copy head's cached keys `times` times along the batch, as
        `DynamicCache.batch_repeat_interleave` does for the attention cache (a shared-prefix prefill
        runs the prefix once for the whole batch)."""
        past = getattr(cache, "trainyard_copy", None)
        if past is not None:
            cache.trainyard_copy = tuple(None if t is None else t.repeat_interleave(times, dim=0) for t in past)

    @staticmethod
    def _first_mentions(ids, real, n=None):
        """(batch, n): whether each of the last `n` positions (default: all) holds the first real
        mention of its token id in `ids`."""
        total = ids.shape[1]
        n = total if n is None else n
        same = ids[:, -n:, None] == ids[:, None, :]  # [b, j, i]: new token j equals token i
        if real is not None:
            same = same & real[:, None, :]
        earlier = torch.ones(n, total, dtype=torch.bool, device=ids.device).tril(total - n - 1)
        return ~(same & earlier[None]).any(-1)

    @staticmethod
    def _scored_rows(labels):
        """(batch, position) of every row whose next token is a label (the loss shifts by one)."""
        nxt = labels[:, 1:] != -100
        return nxt.nonzero(as_tuple=True)

    def gate(self, h, current):
        """The weight of generating over copying for rows h whose input tokens are `current` (shape
        h's without the last dimension): σ(w · h + b), or σ(30 · G[current]) with the token gate.
        Float32, shape [..., 1]."""
        if self._token_gate:
            return torch.sigmoid(TOKEN_GATE_SCALE * self.copy_gate(current).float())
        return torch.sigmoid(self.copy_gate(h).float())

    def _mixture(self, h, attn, ids, current):
        """log(g · softmax(lm_head(h)) + (1 − g) · copy) for rows h, their copy attention, the
        token ids it points at (any leading shape, the same for all three) and the rows' own input
        tokens (the leading shape)."""
        copy = torch.zeros(*attn.shape[:-1], self.config.vocab_size, device=h.device, dtype=attn.dtype)
        copy.scatter_add_(-1, ids, attn)
        gate = self.gate(h, current)
        probs = gate * torch.softmax(self.lm_head(h).float(), -1) + (1 - gate) * copy
        return probs.clamp_min(FLOOR).log()

    def copy_attention(self, h, input_ids, attention_mask=None, position_ids=None, cache=None, keep=0):
        """The copy distribution over positions for the rows of `h` that `keep` names, as
        transformers' `logits_to_keep` does (an int: the last `keep` rows, 0 every row; a 1-D tensor:
        those row indices), and the token ids of every position it can point at (cached ones included).

        `h` is the body's last hidden state for `input_ids`. Keys cover every position; queries only
        the rows asked for (a sampler's prefill needs the last row alone, and the b × n × vocabulary
        mixture is the costly part). Returns (attn [b, rows, total], ids [b, total]).
        """
        keys, ids, first, real = self._copy_keys(h, input_ids, attention_mask, position_ids, cache)
        total = ids.shape[1]
        rows = self._kept_rows(h.shape[1], keep, h.device)
        h = h[:, rows]
        scores = self.copy_query(h) @ keys.transpose(1, 2) / math.sqrt(self.config.copy_dim)
        rows = rows[:, None] + (total - input_ids.shape[1])
        allowed = (torch.arange(total, device=h.device)[None, :] <= rows)[None]
        if real is not None:
            allowed = allowed & real[:, None, :]
        if first is not None:
            allowed = allowed & first[:, None, :]
        # A left-padding row sees no real key at all: its softmax is NaN; it copies nothing.
        return torch.softmax(scores.float().masked_fill(~allowed, float("-inf")), -1).nan_to_num(0.0), ids

    @staticmethod
    def _kept_rows(n: int, keep, device) -> torch.Tensor:
        """The row indices `logits_to_keep` asks for, among this call's `n` rows."""
        if isinstance(keep, torch.Tensor):
            return keep.to(device=device, dtype=torch.long).reshape(-1) % n
        return torch.arange(max(n - keep, 0) if keep and keep > 0 else 0, n, device=device)

    def forward(self, input_ids=None, attention_mask=None, position_ids=None, past_key_values=None,
                use_cache=None, labels=None, logits_to_keep=0, copy_position_ids=None, scored_only=False, **kwargs):
        """`copy_position_ids`, when given, are the copy keys' positions instead of `position_ids`
        (training with jittered body positions keeps the copy keys' plain). `scored_only` (with
        `labels`): `logits` are only the rows a label scores, shape [scored, vocabulary] in row-major
        order of `labels[:, 1:] != -100`, and no loss is computed: a caller with its own loss (the
        weighted SFT loss) then skips the batch × length × vocabulary tensor and a cross-entropy
        over it, ~10 % of a demo training step."""
        if input_ids is None:
            raise ValueError("the copy head needs input_ids (it copies token ids), not inputs_embeds")
        out = self.model(input_ids=input_ids, attention_mask=attention_mask, position_ids=position_ids,
                         past_key_values=past_key_values, use_cache=use_cache, **kwargs)
        h = out.last_hidden_state
        cache = out.past_key_values if use_cache else None
        rows = self._kept_rows(h.shape[1], logits_to_keep, h.device)
        copy_pos = position_ids if copy_position_ids is None else copy_position_ids
        attn, ids = self.copy_attention(h, input_ids, attention_mask, copy_pos, cache, rows)
        h = h[:, rows]
        b, n = h.shape[0], h.shape[1]
        if labels is not None and n != labels.shape[1]:
            raise ValueError("labels need the logits of every position: leave logits_to_keep at 0")
        total = ids.shape[1]
        scored = None if labels is None else self._scored_rows(labels)
        if scored is None:
            logits = self._mixture(h, attn, ids[:, None, :].expand(b, n, total), input_ids[:, rows])
        else:
            # Training: only the rows a label scores get the mixture (answer-only SFT scores a few
            # tokens per sequence); the others read as uniform, and the loss ignores them.
            bi, ti = scored
            mixed = self._mixture(h[bi, ti], attn[bi, ti], ids[bi], input_ids[bi, ti])
            if scored_only:
                return CausalLMOutputWithPast(logits=mixed, past_key_values=out.past_key_values)
            logits = torch.full((b, n, self.config.vocab_size), -math.log(self.config.vocab_size), device=h.device)
            logits = logits.index_put((bi, ti), mixed)
        loss = None
        if labels is not None:
            loss = self.loss_function(logits=logits, labels=labels, vocab_size=self.config.vocab_size, **kwargs)
        return CausalLMOutputWithPast(loss=loss, logits=logits, past_key_values=out.past_key_values,
                                      hidden_states=out.hidden_states, attentions=out.attentions)


def is_copy_model(model) -> bool:
    return getattr(getattr(model, "config", None), "model_type", "") == MODEL_TYPE


def is_copy_checkpoint(path: str) -> bool:
    """The same question for a directory, without loading it (vLLM does not know this architecture)."""
    try:
        with open(os.path.join(path, "config.json"), encoding="utf-8") as f:
            return json.load(f).get("model_type") == MODEL_TYPE
    except (OSError, ValueError):
        return False


# exist_ok: a checkpoint's own copy of this file registers the same type again when it is loaded
# with trust_remote_code in a process that imported this module.
AutoConfig.register(MODEL_TYPE, CopyLlamaConfig, exist_ok=True)
AutoModelForCausalLM.register(CopyLlamaConfig, CopyLlamaForCausalLM, exist_ok=True)
# save_pretrained copies this file into every checkpoint and writes an `auto_map`, so a checkpoint
# also loads where Trainyard is not installed: AutoModelForCausalLM.from_pretrained(dir,
# trust_remote_code=True). The file imports only torch and transformers for that reason.
CopyLlamaConfig.register_for_auto_class()
CopyLlamaForCausalLM.register_for_auto_class("AutoModelForCausalLM")
