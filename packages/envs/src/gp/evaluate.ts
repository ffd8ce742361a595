/**
 * Step 7 of the verifier: does the parsed formula equal the target?
 *
 * `paper` mode is Python's `eval(formula) == 24` (docs/gp-rules.md#verifier): int literals; `+ - *` on
 * ints stay exact ints (arbitrary precision); `/` is true division (a correctly rounded float);
 * once a float is involved the rest is IEEE double arithmetic. So `8/(3-8/3)` gives
 * 23.99999999999999 and fails — a documented quirk kept on purpose for paper fidelity.
 * Errors (division by zero, an int too large for a float) count as "not equal" (reward −1).
 *
 * `exact` mode evaluates the same postfix program in exact rationals.
 *
 * Both try doubles first and redo the work with BigInt only when an exact integer/rational would
 * leave the 2^53 range (never with card values; only with large values given to `env batch`).
 */

import type { Tokens } from "./formula.js";

const ADD = -1;
const SUB = -2;
const MUL = -3;
const BAIL = 2;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const LIMIT = 2 ** 26;

let fst = new Float64Array(16);
let fint = new Uint8Array(16);
let fden = new Float64Array(16);

function ensure(n: number): void {
  if (fst.length < n) {
    fst = new Float64Array(n);
    fint = new Uint8Array(n);
    fden = new Float64Array(n);
  }
}

/** Paper mode, doubles with an "is int" tag: 1 equal, 0 not equal / error, BAIL = need BigInt. */
function paperFast(tk: Tokens, target: number): number {
  ensure(tk.postLen);
  const st = fst;
  const isInt = fint;
  const post = tk.post;
  let sp = 0;
  for (let i = 0; i < tk.postLen; i++) {
    const code = post[i]!;
    if (code >= 0) {
      st[sp] = tk.value[code]!;
      isInt[sp++] = 1;
      continue;
    }
    const b = st[--sp]!;
    const a = st[sp - 1]!;
    const ints = isInt[sp - 1]! & isInt[sp]!;
    let r: number;
    if (code === ADD) r = a + b;
    else if (code === SUB) r = a - b;
    else if (code === MUL) r = a * b;
    else {
      if (b === 0) return 0; // ZeroDivisionError (int or float divisor, including -0.0)
      r = a / b; // int/int true division and float division are both correctly rounded
      isInt[sp - 1] = 0;
      st[sp - 1] = r;
      continue;
    }
    if (ints === 1 && !(Math.abs(r) <= MAX_SAFE)) return BAIL; // exact int left the double range
    st[sp - 1] = r;
    isInt[sp - 1] = ints;
  }
  return st[0] === target ? 1 : 0;
}

class PyError extends Error {}
const PY_ERROR = new PyError("ZeroDivisionError/OverflowError");

function bitLength(x: bigint): number {
  return x.toString(2).length;
}

/** Multiply a double by 2^k without spurious overflow/underflow in between. */
function ldexp(m: number, k: number): number {
  while (k > 1000) {
    m *= 2 ** 1000;
    k -= 1000;
  }
  while (k < -1000) {
    m *= 2 ** -1000;
    k += 1000;
  }
  return m * 2 ** k;
}

/** CPython's int / int: correctly rounded (half-even); OverflowError past the double range. */
function trueDivide(a: bigint, b: bigint): number {
  if (b === 0n) throw PY_ERROR;
  const neg = a < 0n !== b < 0n;
  const x = a < 0n ? -a : a;
  const y = b < 0n ? -b : b;
  if (x === 0n) return neg ? -0 : 0;
  const lx = bitLength(x);
  const ly = bitLength(y);
  let r: number;
  if (lx <= 53 && ly <= 53) r = Number(x) / Number(y);
  else {
    r = NaN;
    if (lx - ly <= -1020) {
      // Tiny quotient: round at the subnormal ulp 2^-1074 directly (no double rounding).
      const num = x << 1074n;
      let q = num / y;
      const rem2 = (num % y) * 2n;
      if (rem2 > y || (rem2 === y && (q & 1n) === 1n)) q += 1n;
      if (q < 2n ** 53n) r = Number(q) * 2 ** -1074;
    }
    if (Number.isNaN(r)) {
      // q has 55–56 bits, plus a sticky bit for the remainder, so Number(q) rounds once, correctly.
      const shift = ly - lx + 55;
      const num = shift >= 0 ? x << BigInt(shift) : x;
      const den = shift >= 0 ? y : y << BigInt(-shift);
      let q = num / den;
      if (num % den !== 0n) q |= 1n;
      r = ldexp(Number(q), -shift);
    }
  }
  if (!Number.isFinite(r)) throw PY_ERROR; // "integer division result too large for a float"
  return neg ? -r : r;
}

/** PyLong_AsDouble: correctly rounded, OverflowError when out of range. */
function toFloat(x: bigint | number): number {
  if (typeof x === "number") return x;
  const r = Number(x);
  if (!Number.isFinite(r)) throw PY_ERROR;
  return r;
}

/** Paper mode with Python's arbitrary-precision ints (typeof bigint = int, number = float). */
function paperBig(tk: Tokens, target: number): boolean {
  const st: (bigint | number)[] = [];
  try {
    for (let i = 0; i < tk.postLen; i++) {
      const code = tk.post[i]!;
      if (code >= 0) {
        st.push(BigInt(tk.value[code]!));
        continue;
      }
      const b = st.pop()!;
      const a = st.pop()!;
      if (typeof a === "bigint" && typeof b === "bigint") {
        st.push(code === ADD ? a + b : code === SUB ? a - b : code === MUL ? a * b : trueDivide(a, b));
        continue;
      }
      const fa = toFloat(a);
      const fb = toFloat(b);
      if (code === ADD) st.push(fa + fb);
      else if (code === SUB) st.push(fa - fb);
      else if (code === MUL) st.push(fa * fb);
      else {
        if (fb === 0) throw PY_ERROR;
        st.push(fa / fb);
      }
    }
  } catch (e) {
    if (e === PY_ERROR) return false;
    throw e;
  }
  const v = st[0]!;
  return typeof v === "bigint" ? v === BigInt(target) : v === target;
}

/** Exact rationals in doubles (unnormalised): 1 equal, 0 not equal / division by zero, BAIL. */
function exactFast(tk: Tokens, target: number): number {
  ensure(tk.postLen);
  const sn = fst;
  const sd = fden;
  let sp = 0;
  for (let i = 0; i < tk.postLen; i++) {
    const code = tk.post[i]!;
    if (code >= 0) {
      const v = tk.value[code]!;
      if (!(v <= LIMIT)) return BAIL;
      sn[sp] = v;
      sd[sp++] = 1;
      continue;
    }
    sp--;
    const bn = sn[sp]!;
    const bd = sd[sp]!;
    const an = sn[sp - 1]!;
    const ad = sd[sp - 1]!;
    let n: number;
    let d: number;
    if (code === ADD) {
      n = an * bd + bn * ad;
      d = ad * bd;
    } else if (code === SUB) {
      n = an * bd - bn * ad;
      d = ad * bd;
    } else if (code === MUL) {
      n = an * bn;
      d = ad * bd;
    } else {
      if (bn === 0) return 0;
      n = an * bd;
      d = ad * bn;
    }
    // Operands within 2^26 keep every product (≤ 2^52) and sum (≤ 2^53) above exact.
    if (!(Math.abs(n) <= LIMIT && Math.abs(d) <= LIMIT)) return BAIL;
    sn[sp - 1] = n;
    sd[sp - 1] = d;
  }
  const goal = target * sd[0]!;
  if (!(Math.abs(goal) <= MAX_SAFE)) return BAIL;
  return sn[0] === goal ? 1 : 0;
}

/** Exact rationals in BigInt. */
function exactBig(tk: Tokens, target: number): boolean {
  const sn: bigint[] = [];
  const sd: bigint[] = [];
  for (let i = 0; i < tk.postLen; i++) {
    const code = tk.post[i]!;
    if (code >= 0) {
      sn.push(BigInt(tk.value[code]!));
      sd.push(1n);
      continue;
    }
    const bn = sn.pop()!;
    const bd = sd.pop()!;
    const an = sn.pop()!;
    const ad = sd.pop()!;
    if (code === ADD) sn.push(an * bd + bn * ad);
    else if (code === SUB) sn.push(an * bd - bn * ad);
    else if (code === MUL) sn.push(an * bn);
    else {
      if (bn === 0n) return false;
      sn.push(an * bd);
    }
    sd.push(code === -4 ? ad * bn : ad * bd);
  }
  return sn[0]! === BigInt(target) * sd[0]!;
}

export type ScoringMode = "paper" | "exact";

/** True when the postfix program in `tk` evaluates, without error, to exactly `target`. */
export function equalsTarget(tk: Tokens, target: number, mode: ScoringMode): boolean {
  if (mode === "paper") {
    const r = paperFast(tk, target);
    return r === BAIL ? paperBig(tk, target) : r === 1;
  }
  const r = exactFast(tk, target);
  return r === BAIL ? exactBig(tk, target) : r === 1;
}
