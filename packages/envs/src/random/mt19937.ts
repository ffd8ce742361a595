/**
 * MT19937 (Matsumoto & Nishimura, 1998), written from the public reference algorithm
 * (mt19937ar.c: init_genrand / init_by_array / genrand_int32). Both CPython's `random`
 * and NumPy's legacy `RandomState` use exactly this generator; they differ only in how
 * they seed it and how they turn 32-bit words into values (see pyrandom.ts / nprandom.ts).
 *
 * State is a Uint32Array; all 32-bit products go through Math.imul so no BigInt is needed.
 *
 * The twist is lazy: words of a new block are regenerated in order, a few at a time, only as
 * they are read. Word k of the new block reads old words k, k+1 and k+397 (k < 227) or new word
 * k-227, so computing them in order gives exactly the full twist's values. A level generator
 * reseeds per level and reads a few dozen words, so it no longer pays for 624 per seed.
 */

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** Snapshot of the generator: the 624 state words and the read position (624 = "regenerate next"). */
export interface MT19937State {
  readonly key: Uint32Array;
  readonly pos: number;
}

/** init_genrand(19650218), the fixed first step of every init_by_array (computed once). */
let initByArrayBase: Uint32Array | null = null;

/** Words regenerated per refill of the lazy twist. */
const CHUNK = 16;

export class MT19937 {
  private readonly mt = new Uint32Array(N);
  private mti = N + 1;
  /** Words of the current block that are valid to read (the lazy twist has reached them). */
  private ready = N;

  /** With no seed, behaves like mt19937ar.c's lazy default (init_genrand(5489)). */
  constructor(seed?: number) {
    this.initGenrand(seed ?? 5489);
  }

  /** init_genrand: seed with a single 32-bit word (only the low 32 bits of `s` are used). */
  initGenrand(s: number): void {
    const mt = this.mt;
    mt[0] = s >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      // 1812433253 * (prev ^ (prev >> 30)) + i, mod 2^32 (Uint32Array store wraps)
      mt[i] = Math.imul(1812433253, prev ^ (prev >>> 30)) + i;
    }
    this.mti = N;
    this.ready = N;
  }

  /** init_by_array: seed with an array of 32-bit words (each taken mod 2^32). */
  initByArray(key: readonly number[] | Uint32Array): void {
    const mt = this.mt;
    const len = key.length;
    if (initByArrayBase === null) {
      this.initGenrand(19650218);
      initByArrayBase = mt.slice();
    } else mt.set(initByArrayBase);
    let i = 1;
    let j = 0;
    for (let k = N > len ? N : len; k > 0; k--) {
      const prev = mt[i - 1]!;
      // (mt[i] ^ ((prev ^ (prev >> 30)) * 1664525)) + key[j] + j   (non linear)
      // The sum stays below 2^35, so it is exact as a double; the store wraps mod 2^32.
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1664525)) >>> 0) + (key[j]! >>> 0) + j;
      i++;
      j++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (let k = N - 1; k > 0; k--) {
      const prev = mt[i - 1]!;
      // (mt[i] ^ ((prev ^ (prev >> 30)) * 1566083941)) - i   (non linear); negative wraps on store
      mt[i] = ((mt[i]! ^ Math.imul(prev ^ (prev >>> 30), 1566083941)) >>> 0) - i;
      i++;
      if (i >= N) {
        mt[0] = mt[N - 1]!;
        i = 1;
      }
    }
    mt[0] = UPPER_MASK; // MSB is 1, assuring a non-zero initial array
    this.mti = N;
    this.ready = N;
  }

  /** Regenerate words [from, to) of the next block, in order (the twist, done piecewise). */
  private twistRange(from: number, to: number): void {
    const mt = this.mt;
    let kk = from;
    let y: number;
    for (const end = to < N - M ? to : N - M; kk < end; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (const end = to < N - 1 ? to : N - 1; kk < end; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    if (kk === N - 1 && to === N) {
      y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
      mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
  }

  /** Make word `mti` readable: start a new block when the current one is spent, then twist ahead. */
  private refill(): void {
    // Words are read in order, so a spent block (mti = N) is always fully twisted (ready = N).
    if (this.mti >= N) {
      this.mti = 0;
      this.ready = 0;
    }
    const to = this.ready + CHUNK < N ? this.ready + CHUNK : N;
    this.twistRange(this.ready, to);
    this.ready = to;
  }

  /** Finish the current block's twist (before the state is exposed). */
  private settle(): void {
    if (this.ready < N) {
      this.twistRange(this.ready, N);
      this.ready = N;
    }
  }

  /** genrand_int32: next tempered word, as an unsigned integer in [0, 2^32). */
  genrandInt32(): number {
    if (this.mti >= this.ready) this.refill();
    let y = this.mt[this.mti++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** genrand_res53: 53-bit double in [0, 1) from two words (shared by CPython and NumPy). */
  genrandRes53(): number {
    const a = this.genrandInt32() >>> 5;
    const b = this.genrandInt32() >>> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
  }

  getState(): MT19937State {
    this.settle();
    return { key: this.mt.slice(), pos: this.mti };
  }

  setState(state: MT19937State): void {
    if (state.key.length !== N) throw new RangeError(`MT19937 state must have ${N} words`);
    if (!(state.pos >= 0 && state.pos <= N)) throw new RangeError("MT19937 position out of range");
    this.mt.set(state.key);
    this.mti = state.pos;
    this.ready = N;
  }
}
