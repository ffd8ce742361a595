"""What the serving benches share: the CPU demo's model shape with random weights (the time depends
on shapes, not on what was learned) and a tokenizer stand-in that only decodes ids."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "infra", "trainer"))


class Tok:
    pad_token_id = 0

    @staticmethod
    def decode(ids, skip_special_tokens=True):
        return " ".join(map(str, ids))


def demo_model():
    """Tiny Llama with a copy head: 4 layers, 192 wide, 12 heads, a 2,048-token vocabulary."""
    import torch

    from trainyard_trainer.copyhead import CopyLlamaConfig, CopyLlamaForCausalLM

    torch.manual_seed(0)
    cfg = CopyLlamaConfig(vocab_size=2048, hidden_size=192, intermediate_size=768, num_hidden_layers=4,
                          num_attention_heads=12, num_key_value_heads=12, max_position_embeddings=1536,
                          copy_first_only=True)
    return CopyLlamaForCausalLM(cfg).eval()
