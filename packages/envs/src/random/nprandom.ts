/**
 * Port of NumPy 1.24's legacy `numpy.random.RandomState` (mtrand.pyx, _mt19937.pyx,
 * _bounded_integers.pyx, distributions.c), written from the public algorithms, for the calls the
 * reference generators make: seed(int), randint, choice, permutation, shuffle, random_sample.
 *
 * Legacy details that decide the exact stream (checked against numpy 1.24.2):
 *  - seed(int) is MT19937 init_genrand(seed); ints outside [0, 2^32 - 1] raise. A 1-d array of
 *    words seeds with init_by_array.
 *  - randint(low, high) with the default dtype (int64) always uses *masked* rejection sampling:
 *    mask = smallest all-ones mask >= rng (rng = high - 1 - low), draw, AND with mask, redraw
 *    while > rng. For rng < 2^32 each draw is ONE 32-bit word (the int64 path's "buffered" 32-bit
 *    helper keeps no leftover bits for 32-bit draws, so nothing is shared between draws). For
 *    rng >= 2^32 each draw is a 64-bit value made of two words, the FIRST word being the HIGH
 *    half. rng == 0 (high - low == 1) returns low WITHOUT consuming the generator.
 *  - shuffle / permutation use random_interval(i) for i = n-1 .. 1 (masked rejection again,
 *    32-bit words for i < 2^32); choice(a, size, replace=False) is permutation(n)[:size], so it
 *    always consumes a full shuffle of the population (also for size = 1 / size omitted).
 *  - random_sample is the same 53-bit (a>>5, b>>6) double as CPython's random().
 */

import { MT19937, type MT19937State } from "./mt19937.js";

const TWO32 = 4294967296;

/** Smallest mask of the form 2^m - 1 that is >= x, for 0 <= x < 2^32. */
function mask32(x: number): number {
  let m = x | 0;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}

export class NpRandomState {
  private readonly mt = new MT19937();

  /** Legacy RandomState(seed). Unlike NumPy, the seed is required (no OS entropy here). */
  constructor(seed: number | readonly number[]) {
    this.seed(seed);
  }

  /** Legacy np.random.seed: int in [0, 2^32 - 1] -> init_genrand; non-empty word array -> init_by_array. */
  seed(seed: number | readonly number[]): void {
    if (typeof seed === "number") {
      if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
        throw new RangeError("Seed must be between 0 and 2**32 - 1");
      }
      this.mt.initGenrand(seed);
      return;
    }
    if (seed.length === 0) throw new RangeError("Seed must be non-empty");
    for (const w of seed) {
      if (!Number.isInteger(w) || w < 0 || w > 0xffffffff) {
        throw new RangeError("Seed must be between 0 and 2**32 - 1");
      }
    }
    this.mt.initByArray(seed);
  }

  get generator(): MT19937 {
    return this.mt;
  }

  getState(): MT19937State {
    return this.mt.getState();
  }

  setState(state: MT19937State): void {
    this.mt.setState(state);
  }

  /** random_sample() / random(): 53-bit double in [0, 1). */
  randomSample(): number {
    return this.mt.genrandRes53();
  }

  /** random_sample(size): `size` doubles, drawn in order. */
  randomSampleArray(size: number): number[] {
    const out = new Array<number>(size);
    for (let i = 0; i < size; i++) out[i] = this.mt.genrandRes53();
    return out;
  }

  /**
   * One legacy bounded draw in [0, rng] (masked rejection), rng a safe integer >= 0.
   * This is random_bounded_uint64_fill's per-element step for the int64 dtype.
   */
  private boundedMasked(rng: number): number {
    const mt = this.mt;
    if (rng === 0) return 0; // no draw at all
    if (rng < TWO32) {
      const mask = mask32(rng);
      let v = (mt.genrandInt32() & mask) >>> 0;
      while (v > rng) v = (mt.genrandInt32() & mask) >>> 0;
      return v;
    }
    // 64-bit draws: value = (first word << 32) | second word, masked. Compare as (hi, lo) pairs so
    // nothing above 2^53 ever has to be represented.
    const rngHi = Math.floor(rng / TWO32);
    const rngLo = rng - rngHi * TWO32;
    const maskHi = mask32(rngHi);
    for (;;) {
      const hi = (mt.genrandInt32() & maskHi) >>> 0;
      const lo = mt.genrandInt32();
      if (hi < rngHi || (hi === rngHi && lo <= rngLo)) return hi * TWO32 + lo;
    }
  }

  /**
   * randint(low, high) (or randint(high) meaning [0, high)) with the default int64 dtype.
   * Bounds must be safe integers with high - low <= 2^53 - 1.
   */
  randint(low: number, high?: number): number {
    let lo = low;
    let hi = high;
    if (hi === undefined) {
      hi = lo;
      lo = 0;
    }
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) {
      throw new TypeError("randint bounds must be safe integers");
    }
    if (lo >= hi) throw new RangeError("low >= high");
    const rng = hi - 1 - lo;
    if (!Number.isSafeInteger(rng)) throw new RangeError("randint range too large");
    return lo + this.boundedMasked(rng);
  }

  /** randint(low, high, size): `size` draws, each exactly like the scalar call. */
  randintArray(low: number, high: number | undefined, size: number): number[] {
    const out = new Array<number>(size);
    for (let i = 0; i < size; i++) out[i] = this.randint(low, high);
    return out;
  }

  /** random_interval(max): uniform in [0, max] by masked rejection (used by legacy shuffle). */
  randomInterval(max: number): number {
    return this.boundedMasked(max);
  }

  /** Legacy shuffle in place: for i = n-1 down to 1, swap x[i] with x[random_interval(i)]. */
  shuffle<T>(x: T[]): void {
    const mt = this.mt;
    for (let i = x.length - 1; i >= 1; i--) {
      // Inlined random_interval(i) for i < 2^32.
      const mask = mask32(i);
      let j = (mt.genrandInt32() & mask) >>> 0;
      while (j > i) j = (mt.genrandInt32() & mask) >>> 0;
      const t = x[i] as T;
      x[i] = x[j] as T;
      x[j] = t;
    }
  }

  /** permutation(n) -> shuffled arange(n); permutation(array) -> shuffled copy. */
  permutation(n: number): number[];
  permutation<T>(a: readonly T[]): T[];
  permutation<T>(a: number | readonly T[]): (number | T)[] {
    let arr: (number | T)[];
    if (typeof a === "number") {
      if (!Number.isSafeInteger(a) || a < 0) throw new RangeError("negative dimensions are not allowed");
      arr = new Array<number>(a);
      for (let i = 0; i < a; i++) arr[i] = i;
    } else {
      arr = a.slice();
    }
    this.shuffle(arr);
    return arr;
  }

  /**
   * choice(a, size?, replace = true) without probabilities. `a` is a population size or an array.
   * replace=true: randint(0, n) per element. replace=false: permutation(n)[:size]
   * (size omitted counts as 1 and still shuffles all n indices), then returns a scalar.
   */
  choice(a: number, size?: undefined, replace?: boolean): number;
  choice(a: number, size: number, replace?: boolean): number[];
  choice<T>(a: readonly T[], size?: undefined, replace?: boolean): T;
  choice<T>(a: readonly T[], size: number, replace?: boolean): T[];
  choice<T>(a: number | readonly T[], size?: number, replace = true): number | T | (number | T)[] {
    const pop = typeof a === "number" ? a : a.length;
    if (typeof a === "number" && (!Number.isSafeInteger(a) || a <= 0)) {
      throw new RangeError("a must be a positive integer unless no samples are taken");
    }
    const count = size ?? 1;
    if (pop === 0 && count > 0) throw new RangeError("'a' cannot be empty unless no samples are taken");
    let idx: number[];
    if (replace) {
      idx = this.randintArray(0, pop, count);
    } else {
      if (count > pop) throw new RangeError("Cannot take a larger sample than population when 'replace=False'");
      if (count < 0) throw new RangeError("negative dimensions are not allowed");
      idx = this.permutation(pop).slice(0, count);
    }
    const pick = (i: number): number | T => (typeof a === "number" ? i : (a[i] as T));
    if (size === undefined) return pick(idx[0] as number);
    return idx.map(pick);
  }
}
