"""Byte-level BPE tokenizer for the CPU engine, trained deterministically on the training file.

Vocabulary: ids 0–255 are the bytes, 256 is EOS, 257.. are learned merges in order. Any string
encodes (bytes are the base vocabulary), and decoding is exact.

Pre-splitting: text is cut into chunks that merges never cross — a chunk starts at a newline
(the newline belongs to the line it opens) and ends after a TAB. Lines of fixed instruction text
collapse into one token each (the ~800-byte Sokoban prompt becomes 63 tokens), the TAB that ends
each rendered grid cell (' # \\t') keeps every cell one token, and text appended to a line (the
eval prompt's stray `\\` after "Decide the next action:") adds a token instead of changing the
line's token.
"""
from __future__ import annotations

import heapq
import json
import re
from collections import Counter, defaultdict
from typing import Iterable

EOS_ID = 256
EOS_TEXT = "<|endoftext|>"
_CHUNK = re.compile(rb"\n?[^\n\t]*\t|\n?[^\n\t]+|\n")


def split_chunks(data: bytes) -> list[bytes]:
    return _CHUNK.findall(data)


class BPETokenizer:
    def __init__(self, merges: list[tuple[int, int]]):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {pair: i for i, pair in enumerate(self.merges)}
        self.vocab: list[bytes] = [bytes([i]) for i in range(256)] + [b""]
        for a, b in self.merges:
            self.vocab.append(self.vocab[a] + self.vocab[b])
        self._cache: dict[bytes, list[int]] = {}

    @property
    def vocab_size(self) -> int:
        return len(self.vocab)

    eos_id = EOS_ID

    # -- training ---------------------------------------------------------------------------
    @classmethod
    def train(cls, texts: Iterable[str], num_merges: int) -> "BPETokenizer":
        """Greedy BPE over unique chunks weighted by count; ties go to the smallest pair ids.

        Incremental: each merge touches only the chunks containing the pair, and a lazy max-heap
        finds the next pair, so ~1k merges over a few MB take seconds.
        """
        counts: Counter[bytes] = Counter()
        for t in texts:
            counts.update(split_chunks(t.encode("utf-8")))
        words = [list(w) for w in counts]
        freq = [counts[w] for w in counts]
        pair_count: dict[tuple[int, int], int] = defaultdict(int)
        where: dict[tuple[int, int], set[int]] = defaultdict(set)
        for wi, w in enumerate(words):
            for p in zip(w, w[1:]):
                pair_count[p] += freq[wi]
                where[p].add(wi)
        heap = [(-c, p) for p, c in pair_count.items()]
        heapq.heapify(heap)
        merges: list[tuple[int, int]] = []
        next_id = EOS_ID + 1
        while len(merges) < num_merges and heap:
            negc, pair = heapq.heappop(heap)
            cur = pair_count.get(pair, 0)
            if cur <= 0:
                continue
            if -negc != cur:  # stale entry: re-queue with the current count
                heapq.heappush(heap, (-cur, pair))
                continue
            if cur < 2:  # a pair seen once compresses nothing worth a vocabulary slot
                break
            merges.append(pair)
            new = next_id
            next_id += 1
            touched: set[tuple[int, int]] = set()
            for wi in sorted(where.pop(pair, ())):
                w = words[wi]
                f = freq[wi]
                for p in zip(w, w[1:]):
                    pair_count[p] -= f
                    touched.add(p)
                merged = _merge(w, pair, new)
                words[wi] = merged
                for p in zip(merged, merged[1:]):
                    pair_count[p] += f
                    where[p].add(wi)
                    touched.add(p)
            pair_count.pop(pair, None)
            for p in touched:
                c = pair_count.get(p, 0)
                if c > 0:
                    heapq.heappush(heap, (-c, p))
                else:
                    pair_count.pop(p, None)
        return cls(merges)

    # -- encoding ---------------------------------------------------------------------------
    def _encode_chunk(self, chunk: bytes) -> list[int]:
        hit = self._cache.get(chunk)
        if hit is not None:
            return hit
        ids = list(chunk)
        ranks = self.ranks
        while len(ids) > 1:
            best = min(zip(ids, ids[1:]), key=lambda p: ranks.get(p, 1 << 30))
            rank = ranks.get(best)
            if rank is None:
                break
            ids = _merge(ids, best, EOS_ID + 1 + rank)
        if len(self._cache) < 200_000:
            self._cache[chunk] = ids
        return ids

    def encode(self, text: str) -> list[int]:
        out: list[int] = []
        for chunk in split_chunks(text.encode("utf-8")):
            out.extend(self._encode_chunk(chunk))
        return out

    def decode_bytes(self, ids: Iterable[int]) -> bytes:
        return b"".join(self.vocab[i] for i in ids if i != EOS_ID)

    def decode(self, ids: Iterable[int]) -> str:
        return self.decode_bytes(ids).decode("utf-8", errors="replace")

    # -- persistence --------------------------------------------------------------------------
    def to_json(self) -> dict:
        return {"kind": "byte-bpe", "version": 1, "eos_id": EOS_ID, "merges": [list(m) for m in self.merges]}

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(self.to_json(), f)

    @classmethod
    def load(cls, path: str) -> "BPETokenizer":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("kind") != "byte-bpe" or data.get("eos_id") != EOS_ID:
            raise ValueError(f"{path} is not a trainyard byte-bpe tokenizer")
        return cls([tuple(m) for m in data["merges"]])


def _merge(ids: list[int], pair: tuple[int, int], new: int) -> list[int]:
    a, b = pair
    out: list[int] = []
    i, n = 0, len(ids)
    while i < n:
        if i + 1 < n and ids[i] == a and ids[i + 1] == b:
            out.append(new)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out
