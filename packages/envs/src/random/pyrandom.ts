/**
 * Port of CPython 3.11's `random.Random` (Modules/_randommodule.c + Lib/random.py), written from
 * the public algorithms, for the methods the reference generators call. Given the same integer
 * seed, every method here returns exactly what CPython 3.11 returns and consumes the generator
 * identically, so interleaved calls stay in lock-step with the Python reference.
 *
 * Integer arguments are JS numbers (safe integers); BigInt only appears in seeding and in the
 * explicit *Big helpers, never on the hot paths.
 */

import { MT19937, type MT19937State } from "./mt19937.js";

const TWO32 = 4294967296;

/** Number of bits needed to write n >= 0 (Python's int.bit_length) for a safe integer. */
function bitLength(n: number): number {
  if (n < TWO32) return 32 - Math.clz32(n);
  return 64 - Math.clz32(Math.floor(n / TWO32));
}

function checkInt(x: number, what: string): void {
  // CPython accepts only integers here (3.11 also tolerates integral floats, which JS numbers are).
  if (!Number.isSafeInteger(x)) throw new TypeError(`${what} must be a safe integer, got ${x}`);
}

/**
 * CPython's random_seed for an int: key = the 32-bit words of abs(n), least significant word
 * first; n == 0 gives the one-word key [0]. Negative seeds use abs(), as CPython does.
 */
export function pySeedKey(seed: number | bigint): number[] {
  let n: bigint;
  if (typeof seed === "number") {
    if (!Number.isInteger(seed)) throw new TypeError(`PyRandom seeds must be integers, got ${seed}`);
    n = BigInt(seed);
  } else {
    n = seed;
  }
  if (n < 0n) n = -n;
  const key: number[] = [];
  do {
    key.push(Number(n & 0xffffffffn));
    n >>= 32n;
  } while (n > 0n);
  return key;
}

export class PyRandom {
  private readonly mt = new MT19937();

  constructor(seed: number | bigint) {
    this.seed(seed);
  }

  /** random.seed(n) for an int n (all bits used, sign ignored). */
  seed(n: number | bigint): void {
    this.mt.initByArray(pySeedKey(n));
  }

  /** The underlying 32-bit generator (shared state). */
  get generator(): MT19937 {
    return this.mt;
  }

  getState(): MT19937State {
    return this.mt.getState();
  }

  setState(state: MT19937State): void {
    this.mt.setState(state);
  }

  /** random_random: (a>>5, b>>6) combined into a 53-bit double in [0, 1). */
  random(): number {
    return this.mt.genrandRes53();
  }

  /** uniform(a, b) = a + (b - a) * random(), evaluated in the same order as CPython. */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.mt.genrandRes53();
  }

  /**
   * getrandbits(k) for 0 <= k <= 53. CPython fills 32-bit words from least to most significant;
   * only the last (most significant) word is shifted right to drop its unused low bits.
   */
  getrandbits(k: number): number {
    if (k <= 32) {
      if (k < 0 || !Number.isInteger(k)) throw new RangeError("number of bits must be non-negative");
      if (k === 0) return 0; // no draw, as in CPython >= 3.9
      return this.mt.genrandInt32() >>> (32 - k);
    }
    if (k > 53 || !Number.isInteger(k)) throw new RangeError("getrandbits: use getrandbitsBig for k > 53");
    const lo = this.mt.genrandInt32();
    const hi = this.mt.genrandInt32() >>> (64 - k);
    return hi * TWO32 + lo;
  }

  /** getrandbits(k) for any k >= 0, as a bigint (same word order as getrandbits). */
  getrandbitsBig(k: number): bigint {
    if (k < 0 || !Number.isInteger(k)) throw new RangeError("number of bits must be non-negative");
    if (k === 0) return 0n;
    if (k <= 32) return BigInt(this.mt.genrandInt32() >>> (32 - k));
    let result = 0n;
    let shift = 0n;
    for (let left = k; left > 0; left -= 32, shift += 32n) {
      let r = this.mt.genrandInt32();
      if (left < 32) r >>>= 32 - left;
      result |= BigInt(r) << shift;
    }
    return result;
  }

  /**
   * _randbelow_with_getrandbits(n): k = n.bit_length(), redraw getrandbits(k) until < n.
   * Defined for 1 <= n <= 2^53 - 1.
   */
  _randbelow(n: number): number {
    if (n < TWO32 && n >= 1) {
      // Fast path: getrandbits(k) with k <= 32 is one word shifted right by 32 - k = clz32(n).
      const shift = Math.clz32(n);
      let r = this.mt.genrandInt32() >>> shift;
      while (r >= n) r = this.mt.genrandInt32() >>> shift;
      return r;
    }
    if (!(n >= 1) || !Number.isSafeInteger(n)) throw new RangeError(`_randbelow needs 1 <= n <= 2^53-1, got ${n}`);
    const k = bitLength(n);
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }

  /** _randbelow for arbitrary positive bigints. */
  randbelowBig(n: bigint): bigint {
    if (n <= 0n) throw new RangeError("randbelowBig needs n > 0");
    const k = n.toString(2).length;
    let r = this.getrandbitsBig(k);
    while (r >= n) r = this.getrandbitsBig(k);
    return r;
  }

  /** randrange(stop) or randrange(start, stop[, step]) with Python's floor-division rules. */
  randrange(start: number, stop?: number, step = 1): number {
    checkInt(start, "randrange start");
    if (stop === undefined) {
      if (step !== 1) throw new TypeError("Missing a non-None stop argument");
      if (start > 0) return this._randbelow(start);
      throw new RangeError("empty range for randrange()");
    }
    checkInt(stop, "randrange stop");
    checkInt(step, "randrange step");
    const width = stop - start;
    if (step === 1) {
      if (width > 0) return start + this._randbelow(width);
      throw new RangeError(`empty range for randrange() (${start}, ${stop}, ${width})`);
    }
    let n: number;
    if (step > 0) n = Math.floor((width + step - 1) / step);
    else if (step < 0) n = Math.floor((width + step + 1) / step);
    else throw new RangeError("zero step for randrange()");
    if (n <= 0) throw new RangeError("empty range for randrange()");
    return start + step * this._randbelow(n);
  }

  /** randint(a, b): uniform over [a, b] inclusive, i.e. randrange(a, b + 1). */
  randint(a: number, b: number): number {
    return this.randrange(a, b + 1);
  }

  /** choice(seq): seq[_randbelow(len(seq))]. */
  choice<T>(seq: readonly T[]): T {
    if (seq.length === 0) throw new RangeError("Cannot choose from an empty sequence");
    return seq[this._randbelow(seq.length)] as T;
  }

  /** shuffle(x) in place: for i from len-1 down to 1, swap x[i] with x[_randbelow(i + 1)]. */
  shuffle<T>(x: T[]): void {
    const mt = this.mt;
    for (let i = x.length - 1; i >= 1; i--) {
      // Inlined _randbelow(i + 1); i + 1 < 2^32 always holds for JS arrays.
      const n = i + 1;
      const shift = Math.clz32(n);
      let j = mt.genrandInt32() >>> shift;
      while (j >= n) j = mt.genrandInt32() >>> shift;
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
  }

  /**
   * sample(population, k) as in CPython 3.11: a size heuristic picks between a partial
   * Fisher-Yates over a copied pool (small n) and rejection against a set of chosen indices
   * (n large relative to k). Both branches consume the generator differently, so the
   * heuristic must match exactly: setsize = 21, plus 4 ** ceil(log(3k, 4)) when k > 5.
   */
  sample<T>(population: readonly T[], k: number): T[] {
    const n = population.length;
    if (!Number.isInteger(k) || k < 0 || k > n) {
      throw new RangeError("Sample larger than population or is negative");
    }
    const result = new Array<T>(k);
    let setsize = 21;
    if (k > 5) {
      // 4 ** ceil(log4(3k)), computed exactly: the smallest power of 4 that is >= 3k.
      // (3k is never itself a power of 4, so CPython's float log cannot land on the boundary.)
      let p = 1;
      while (p < 3 * k) p *= 4;
      setsize += p;
    }
    if (n <= setsize) {
      const pool = population.slice();
      for (let i = 0; i < k; i++) {
        const j = this._randbelow(n - i);
        result[i] = pool[j] as T;
        pool[j] = pool[n - i - 1] as T; // move the non-selected item into the vacancy
      }
    } else {
      const selected = new Set<number>();
      for (let i = 0; i < k; i++) {
        let j = this._randbelow(n);
        while (selected.has(j)) j = this._randbelow(n);
        selected.add(j);
        result[i] = population[j] as T;
      }
    }
    return result;
  }
}
