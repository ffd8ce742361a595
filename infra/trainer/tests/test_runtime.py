"""The trainer's process set-up: glibc keeps freed CPU memory for reuse (keep_freed_memory)."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

# Holds a 24 MB tensor and prints how many bytes glibc has in mmap()ed blocks meanwhile
# (mallinfo2's hblkhd). A block glibc maps is unmapped when freed, so the next tensor of that size
# is mapped again and faults on every page it touches; one in the heap is reused as it is.
PROBE = r"""
import ctypes, sys
sys.path.insert(0, sys.argv[1])
from trainyard_trainer.models import configure_runtime
configure_runtime(1)
import torch

class MallInfo2(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in
                ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
before = libc.mallinfo2().hblkhd
t = torch.empty(6 << 20)  # 24 MB of float32
t.fill_(1.0)
print(libc.mallinfo2().hblkhd - before)
"""


def mapped_bytes(keep: str) -> int:
    env = {**os.environ, "TRAINYARD_KEEP_FREED_MEMORY": keep}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = subprocess.run([sys.executable, "-c", PROBE, root], env=env, capture_output=True, text=True, timeout=120, check=True)
    return int(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt and mallinfo2 are glibc's")
def test_a_large_tensor_comes_from_the_heap_and_the_switch_turns_that_off():
    assert mapped_bytes("1") == 0  # kept in the heap: reused after it is freed
    assert mapped_bytes("0") >= 24 << 20  # glibc's default: its own mapping, unmapped when freed
