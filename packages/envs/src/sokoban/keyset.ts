/**
 * Open-addressing set of exact numeric state keys (integers < 2^53), for the generator's DFS and
 * the BFS solver. Keys are exact encodings of a state (never hashes of one), so membership is
 * exact like the reference's `marshal.dumps(grid)` set. Clearing is O(1): a slot is occupied only
 * when its stamp equals the current generation, so one set is reused across many searches
 * without reallocating or zero-filling.
 */
export class NumKeySet {
  private keys: Float64Array;
  private stamps: Uint32Array;
  private mask: number;
  private gen = 1;
  size = 0;

  constructor(log2Capacity = 12) {
    const cap = 1 << log2Capacity;
    this.keys = new Float64Array(cap);
    this.stamps = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  clear(): void {
    this.size = 0;
    this.gen++;
    if (this.gen === 0xffffffff) {
      this.stamps.fill(0);
      this.gen = 1;
    }
  }

  private static slot(key: number, mask: number): number {
    const lo = key >>> 0;
    const hi = (key / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
    h ^= h >>> 15;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    return h & mask;
  }

  has(key: number): boolean {
    const { keys, stamps, mask, gen } = this;
    let h = NumKeySet.slot(key, mask);
    while (stamps[h] === gen) {
      if (keys[h] === key) return true;
      h = (h + 1) & mask;
    }
    return false;
  }

  /** Adds `key`; returns false if it was already present. */
  add(key: number): boolean {
    const { keys, stamps, mask, gen } = this;
    let h = NumKeySet.slot(key, mask);
    while (stamps[h] === gen) {
      if (keys[h] === key) return false;
      h = (h + 1) & mask;
    }
    stamps[h] = gen;
    keys[h] = key;
    if (++this.size * 2 > mask) this.grow();
    return true;
  }

  private grow(): void {
    const oldKeys = this.keys;
    const oldStamps = this.stamps;
    const oldGen = this.gen;
    const cap = (this.mask + 1) * 2;
    this.keys = new Float64Array(cap);
    this.stamps = new Uint32Array(cap);
    this.mask = cap - 1;
    this.gen = 1;
    for (let i = 0; i < oldKeys.length; i++) {
      if (oldStamps[i] !== oldGen) continue;
      const key = oldKeys[i]!;
      let h = NumKeySet.slot(key, this.mask);
      while (this.stamps[h] === 1) h = (h + 1) & this.mask;
      this.stamps[h] = 1;
      this.keys[h] = key;
    }
  }
}
