#!/usr/bin/env python3
"""Regenerate the RNG fixtures of packages/envs/src/random/{pyrandom,nprandom}.test.ts.

The TypeScript ports of CPython's `random.Random` and NumPy's legacy `RandomState` (see
docs/sokoban-rules.md#level-generation for why levels need them) are checked against values
the reference implementations print. This script is that reference: it runs the op lists and long
runs the tests replay, computes the same FNV-1a digests, and rewrites the fixture block of each test
file (from its seed list to the end of its last fixture constant), formatted by prettier.

    .venv/bin/python scripts/gen-rng-fixtures.py          # rewrite the fixture blocks
    .venv/bin/python scripts/gen-rng-fixtures.py --check  # exit 1 if a block would change

Needs CPython 3.11 (its `random` algorithms) and NumPy (any version: the legacy RandomState stream
is frozen); the trainer's virtual environment has both (scripts/python-env.sh).
"""

import random
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RANDOM_DIR = ROOT / "packages" / "envs" / "src" / "random"


# ---- digests, as the tests compute them -------------------------------------------------------


def fnv(words):
    h = 0x811C9DC5
    for w in words:
        h = ((h ^ w) * 16777619) & 0xFFFFFFFF
    return h


def int_words(vals):
    for v in vals:
        yield v % 2**32
        yield v // 2**32


def float_bits(x):
    lo, hi = struct.unpack("<II", struct.pack("<d", x))
    return [lo, hi]


def encode(v, is_float, out):
    if isinstance(v, list):
        out += [3, len(v)]
        for e in v:
            encode(e, is_float, out)
    elif is_float:
        out += [2, *float_bits(v)]
    else:
        a = abs(v)
        out += [1 if v < 0 else 0, a % 2**32, a // 2**32]
    return out


def digest(ops, results, float_ops):
    words = []
    for op, v in zip(ops, results):
        encode(v, op[0] in float_ops, words)
    return fnv(words)


# ---- TypeScript literals ----------------------------------------------------------------------


def js_num(x):
    """A number as JavaScript prints it (shortest round-trip digits, JS exponent rules)."""
    if isinstance(x, int) or (isinstance(x, float) and x.is_integer() and abs(x) < 1e21):
        return str(int(x))
    r = repr(x)
    mant, _, exp = r.partition("e")
    if not exp:
        return r
    e = int(exp)
    digits = mant.replace("-", "").replace(".", "")
    sign = "-" if x < 0 else ""
    point = 1 + e  # position of the decimal point in `digits`
    if -6 <= e < 21:
        if point <= 0:
            return sign + "0." + "0" * (-point) + digits
        if point >= len(digits):
            return sign + digits + "0" * (point - len(digits))
        return sign + digits[:point] + "." + digits[point:]
    frac = digits[1:]
    return f"{sign}{digits[0]}{'.' + frac if frac else ''}e{'+' if e > 0 else '-'}{abs(e)}"


def lit(v):
    if isinstance(v, list) or isinstance(v, tuple):
        return "[" + ", ".join(lit(e) for e in v) + "]"
    if isinstance(v, str):
        return '"' + v + '"'
    return js_num(v)


def prettier(text, filepath):
    out = subprocess.run(
        ["npx", "prettier", "--stdin-filepath", str(filepath)],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return out.stdout


# ---- CPython random.Random --------------------------------------------------------------------


def py_ops():
    ops = [["getrandbits", 32]] * 5 + [["random"]] * 5
    for k in (1, 5, 31, 32, 33, 40, 53):
        ops += [["getrandbits", k]] * 2
    ops += [["randint", 1, 13]] * 12 + [["randint", 0, 5]] * 8 + [["randint", 11, 13]] * 4
    ops += [["randint", 1, 2**40]] * 4
    ops += [["randrange", 10]] * 3 + [["randrange", -5, 20, 3]] * 3 + [["randrange", 20, -5, -3]] * 3
    ops += [["randrange", 0, 2**32]] * 2 + [["randrange", 0, 2**32 + 1]] * 2 + [["randrange", -1000, 1000]] * 2
    ops += [["uniform", 2.5, 7.25]] * 2
    ops += [["choice", n] for n in range(1, 31)]
    ops += [["shuffle", n] for n in range(1, 31)]
    for n in range(1, 31):
        ops += [["sample", n, k] for k in sorted({0, 1, n // 2, n - 1, n})]
    extra = [(21, 5), (22, 5), (50, 5), (100, 90), (1000, 5), (10000, 20), (85, 20), (86, 20)]
    extra += [(2000, 600), (5000, 600), (1045, 90), (1046, 90)]
    ops += [["sample", n, k] for n, k in extra]
    return ops


PY_FLOAT_OPS = {"random", "uniform"}


def py_run(r, op):
    name, args = op[0], op[1:]
    if name == "getrandbits":
        return r.getrandbits(args[0])
    if name == "random":
        return r.random()
    if name == "randint":
        return r.randint(*args)
    if name == "randrange":
        return r.randrange(*args)
    if name == "uniform":
        return r.uniform(*args)
    if name == "choice":
        return r.choice(range(args[0]))
    if name == "shuffle":
        x = list(range(args[0]))
        r.shuffle(x)
        return x
    if name == "sample":
        return r.sample(range(args[0]), args[1])
    raise ValueError(name)


def py_per_seed(seed, ops):
    r = random.Random(seed)
    state = r.getstate()[1]
    per = {}
    results = [py_run(r, op) for op in ops]
    per["resultsDigest"] = digest(ops, results, PY_FLOAT_OPS)
    per["posAfter"] = r.getstate()[1][624]
    per["stateDigest"] = fnv(state[:624])
    per["firstWord"] = random.Random(seed).getrandbits(32)
    r = random.Random(seed)
    per["int32"] = fnv(r.getrandbits(32) for _ in range(20000))
    r = random.Random(seed)
    per["random"] = fnv(int_words(int(r.random() * 2**53) for _ in range(20000)))
    r = random.Random(seed)
    per["randint_1_13"] = fnv(r.randint(1, 13) for _ in range(20000))
    r = random.Random(seed)
    per["randbelow_mixed"] = fnv(r.randrange(1 + (i * 7919) % 100000) for i in range(20000))
    r = random.Random(seed)
    big_mod = 2**53 - 1
    per["randbelow_big"] = fnv(int_words(r.randrange(1 + (i * 104729 * 7919 * 31337) % big_mod) for i in range(5000)))
    r = random.Random(seed)
    sh = []
    for i in range(500):
        x = list(range(1 + i % 120))
        r.shuffle(x)
        sh += x
    per["shuffle"] = fnv(sh)
    r = random.Random(seed)
    sa = []
    for i in range(500):
        n = 1 + (i * 37) % 3000
        k = (i * 13) % (n + 1) if i % 2 else min(n, i % 9)
        sa += r.sample(range(n), k)
    per["sample"] = fnv(sa)
    r = random.Random(seed)
    mx = []
    dirs = [0, 1, 2, 3]
    for i in range(5000):
        m = i % 6
        if m == 0:
            mx.append(r.choice(dirs))
        elif m == 1:
            mx.append(1 if r.random() < 0.35 else 0)
        elif m == 2:
            mx.append(r.randint(1, 13))
        elif m == 3:
            x = list(range(24))
            r.shuffle(x)
            mx += x
        elif m == 4:
            mx += r.sample(range(40), 4)
        else:
            mx.append(r.randint(1, 5))
    per["mixed"] = fnv(mx)
    return per


def py_block():
    seeds = [0, 1, 42, 123, 2**32 + 5, 12345678901234, -42, 2**100 + 7]
    ops = py_ops()
    out = ["/** Seeds as Python ints (strings so 2**100 + 7 survives). */"]
    out.append(f"const SEEDS: string[] = {lit([str(s) for s in seeds])};")
    for seed, label in ((42, "42"), (2**32 + 5, "2**32 + 5")):
        r = random.Random(seed)
        rows = ", ".join(f"[{lit(op)}, {lit(py_run(r, op))}]" for op in ops)
        out.append("")
        out.append(f"/** Random({label}): every op's result, in order. */")
        out.append(f"const FULL_{seed}: [Op, Result][] = [{rows}];")
    out.append("")
    out.append("/** The op list replayed on Random(seed) for every seed. */")
    out.append("const OPS: Op[] = FULL_42.map(([op]) => op);")
    out.append("")
    out.append("/** Per seed: digest of the op replay, MT position after it, digest of the seeded state, long-run digests. */")
    per = ", ".join(f'"{s}": {{' + ", ".join(f"{k}: {v}" for k, v in py_per_seed(s, ops).items()) + "}" for s in seeds)
    out.append(f"const PER_SEED: Record<string, Record<string, number>> = {{{per}}};")
    out.append("")
    bigbits = ", ".join(f'"{s}": {lit([str(random.Random(s).getrandbits(k)) for k in (64, 100, 129)])}' for s in (0, 42))
    out.append(f"const BIGBITS: Record<string, string[]> = {{{bigbits}}}; // getrandbits(64, 100, 129) on fresh Random(seed)")
    r = random.Random(7)
    seqbig = [str(r.getrandbits(100)), str(r.randrange(2**80 + 3)), str(r.randrange(10**30))]
    out.append(
        f"const SEQBIG: string[] = {lit(seqbig)}; // Random(7): getrandbits(100), randrange(2**80 + 3), randrange(10**30)"
    )
    return "\n".join(out) + "\n"


# ---- NumPy legacy RandomState -----------------------------------------------------------------


def np_ops():
    ops = [["raw"]] * 3 + [["random_sample"]] * 3
    for n in (1, 2, 3, 5, 6, 13, 36, 100, 2**31, 2**32 - 1, 2**32, 2**32 + 1, 2**40, 2**53 - 1):
        ops += [["randint1", n]] * 2
    for lo, hi in ((1, 13), (0, 5), (-10, 10), (5, 6), (0, 2**40), (-(2**40), 2**40), (7, 8), (0, 2)):
        ops += [["randint", lo, hi]] * 3
    ops += [["randint_size", 0, 10, 6], ["randint_size", 3, 4, 3]]
    ops += [["permutation", n] for n in range(1, 31)]
    for n in range(1, 31):
        ops += [["choice_norep", n, k] for k in sorted({0, 1, n // 2, n})]
    ops += [["choice_norep_scalar", 10], ["choice_rep_scalar", 10], ["choice_rep", 10, 5]]
    ops += [["shuffle_list", 30], ["random_sample_n", 3]]
    return ops


NP_FLOAT_OPS = {"random_sample", "random_sample_n"}


def np_run(rs, op):
    import numpy as np

    name, args = op[0], op[1:]
    if name == "raw":  # a full 32-bit range is one MT19937 word in the legacy bounded draw
        return int(rs.randint(0, 2**32, dtype=np.uint32))
    if name == "random_sample":
        return float(rs.random_sample())
    if name == "randint1":
        return int(rs.randint(args[0]))
    if name == "randint":
        return int(rs.randint(args[0], args[1]))
    if name == "randint_size":
        return rs.randint(args[0], args[1], size=args[2]).tolist()
    if name == "permutation":
        return rs.permutation(args[0]).tolist()
    if name == "choice_norep":
        return rs.choice(args[0], args[1], replace=False).tolist()
    if name == "choice_norep_scalar":
        return int(rs.choice(args[0], replace=False))
    if name == "choice_rep_scalar":
        return int(rs.choice(args[0]))
    if name == "choice_rep":
        return rs.choice(args[0], args[1]).tolist()
    if name == "shuffle_list":
        x = list(range(args[0]))
        rs.shuffle(x)
        return x
    if name == "random_sample_n":
        return rs.random_sample(args[0]).tolist()
    raise ValueError(name)


def np_per_seed(seed, ops):
    from numpy.random import RandomState as RS

    rs = RS(seed)
    per = {}
    state = [int(w) for w in rs.get_state()[1]]
    results = [np_run(rs, op) for op in ops]
    per["resultsDigest"] = digest(ops, results, NP_FLOAT_OPS)
    per["posAfter"] = int(rs.get_state()[2])
    per["stateDigest"] = fnv(state)
    rs = RS(seed)
    per["randint_mixed"] = fnv(int(rs.randint(1 + (i * 7919) % 100000)) for i in range(20000))
    rs = RS(seed)
    big_mod = 2**53 - 1
    per["randint_big"] = fnv(int_words(int(rs.randint(1 + (i * 104729 * 7919 * 31337) % big_mod)) for i in range(5000)))
    rs = RS(seed)
    per["random_sample"] = fnv(int_words(int(rs.random_sample() * 2**53) for _ in range(20000)))
    rs = RS(seed)
    perm = []
    for i in range(500):
        perm += rs.permutation(1 + i % 120).tolist()
    per["permutation"] = fnv(perm)
    rs = RS(seed)
    ch = []
    for i in range(500):
        n = 1 + (i * 37) % 300
        ch += rs.choice(n, (i * 13) % (n + 1), replace=False).tolist()
    per["choice_norep"] = fnv(ch)
    return per


def np_block():
    from numpy.random import RandomState as RS

    seeds = [0, 1, 42, 123, 12345678, 4294967295]
    ops = np_ops()
    out = [f"const SEEDS: number[] = {lit(seeds)};"]
    for seed in (42, 0):
        rs = RS(seed)
        rows = ", ".join(f"[{lit(op)}, {lit(np_run(rs, op))}]" for op in ops)
        out.append("")
        out.append(f"/** RandomState({seed}): every op's result, in order. */")
        out.append(f"const FULL_{seed}: [Op, Result][] = [{rows}];")
    out.append("")
    out.append(
        '/** The op list replayed on RandomState(seed) for every seed ("raw" = one MT19937 word, "randint1" = randint(n)). */'
    )
    out.append("const OPS: Op[] = FULL_42.map(([op]) => op);")
    out.append("")
    out.append("/** Per seed: digest of the op replay, MT position after it, digest of the seeded state, long-run digests. */")
    per = ", ".join(f'"{s}": {{' + ", ".join(f"{k}: {v}" for k, v in np_per_seed(s, ops).items()) + "}" for s in seeds)
    out.append(f"const PER_SEED: Record<string, Record<string, number>> = {{{per}}};")
    out.append("")
    out.append("/** RandomState(array).randint(0, 1000, size=8) for array seeds (init_by_array). */")
    arrays = ", ".join(f"[{lit(a)}, {lit(RS(a).randint(0, 1000, size=8).tolist())}]" for a in ([1, 2, 3], [4294967295, 0], [42]))
    out.append(f"const ARRAY_SEEDS: [number[], number[]][] = [{arrays}];")
    return "\n".join(out) + "\n"


# ---- splice -----------------------------------------------------------------------------------


def regenerate(path, start_marker, end_after, block, check):
    """Replace the text from `start_marker` through the first `end_after` after the last constant."""
    text = path.read_text()
    i = text.index(start_marker)
    j = text.index(end_after, i) + len(end_after)
    candidate = prettier(text[:i] + block + text[j:], path)
    if candidate == text:
        print(f"{path.relative_to(ROOT)}: fixtures reproduced byte for byte")
        return True
    if check:
        print(f"{path.relative_to(ROOT)}: fixtures differ from the reference", file=sys.stderr)
        return False
    path.write_text(candidate)
    print(f"{path.relative_to(ROOT)}: fixtures rewritten")
    return True


def main():
    check = "--check" in sys.argv[1:]
    ok = regenerate(RANDOM_DIR / "pyrandom.test.ts", "/** Seeds as Python ints", "randrange(10**30)\n", py_block(), check)
    ok = regenerate(RANDOM_DIR / "nprandom.test.ts", "const SEEDS: number[]", "\n];\n\ndescribe(", np_block() + "\ndescribe(", check) and ok
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
