/**
 * Leak-aware splits. The key is each env's canonical `stateHash` (Sokoban: board + player;
 * General Points: value multiset + face-card rule), never the prompt text, so a level shown
 * with another vocabulary or a task with other card strings but the same values still counts.
 *
 * Every build reports, per evaluation split, how many of its items occur in the training data
 * (any state of any training level counts for Sokoban); with `leaks: "remove"` the training items
 * whose state occurs in any evaluation split are dropped as the files are written.
 */
import { emptySet } from "./errors.js";
import type { EvalEntry } from "./tasks/types.js";

export type Data = "frozen" | "diverse";

export interface SplitOverlap {
  items: number;
  /** Items whose state occurs in the training data as written (0 after `remove`). */
  inTrain: number;
  /** Items whose state occurs in the training data before the leak policy was applied. */
  inTrainBefore: number;
  /** Per training data variant, before the policy: items of this split found there. */
  bySet: Partial<Record<Data, number>>;
  /** Per training data variant, before the policy: training rows sharing a state with this split. */
  trainRows: Partial<Record<Data, number>>;
}

export interface OverlapReport {
  key: "stateHash";
  policy: "keep" | "remove";
  splits: Record<string, SplitOverlap>;
  /** Training items dropped per data variant (all 0 with `keep`). */
  removed: Partial<Record<Data, number>>;
}

/**
 * The evaluation side of the leak check, built first (evaluation sets are small): each distinct
 * evaluation state hash (a fixed-size SHA-256 hex string) gets a slot, and per training data
 * variant one counter per slot. Training rows are looked up as they stream past and never kept,
 * so the index's size depends on the evaluation sets only, whatever the training set's size.
 */
export class LeakIndex {
  /** Distinct evaluation state hash -> slot. */
  private readonly slots = new Map<string, number>();
  /** Per evaluation split, in spec order: the slot of each item, in order. */
  private readonly splitSlots: { name: string; slots: Uint32Array }[] = [];
  /** Per training data variant, in build order: training rows seen per slot (before the policy). */
  private readonly counts = new Map<Data, Float64Array>();
  private readonly seen = new Map<Data, number>();

  constructor(
    readonly policy: "keep" | "remove",
    evals: Iterable<readonly [string, readonly Pick<EvalEntry, "hash">[]]>,
    datas: readonly Data[],
  ) {
    for (const [name, items] of evals) {
      const slots = new Uint32Array(items.length);
      items.forEach((it, i) => {
        let slot = this.slots.get(it.hash);
        if (slot === undefined) this.slots.set(it.hash, (slot = this.slots.size));
        slots[i] = slot;
      });
      this.splitSlots.push({ name, slots });
    }
    for (const d of datas) {
      this.counts.set(d, new Float64Array(this.slots.size));
      this.seen.set(d, 0);
    }
  }

  /** Distinct evaluation hashes held. */
  get size(): number {
    return this.slots.size;
  }

  /** The hashes held (the index's only keys). */
  hashes(): IterableIterator<string> {
    return this.slots.keys();
  }

  /**
   * Counts one training row of `data` (call once per row of the variant, on its first pass) and
   * says whether the policy drops it.
   */
  count(data: Data, hash: string): boolean {
    this.seen.set(data, (this.seen.get(data) ?? 0) + 1);
    const slot = this.slots.get(hash);
    if (slot === undefined) return false;
    this.counts.get(data)![slot]!++;
    return this.policy === "remove";
  }

  /** Whether the policy drops a training row with this state. */
  drops(hash: string): boolean {
    return this.policy === "remove" && this.slots.has(hash);
  }

  /** After `data`'s first pass: refuses a `remove` that left its training set empty. */
  checkNotEmpty(data: Data): void {
    const seen = this.seen.get(data) ?? 0;
    if (this.policy === "remove" && seen > 0 && this.removed(data) === seen) {
      throw emptySet(
        ["leaks"],
        `removing the training items that occur in the evaluation splits would leave the ${data} training set empty`,
      );
    }
  }

  /** Whether an evaluation item's state occurs in the training data as written (every variant counted). */
  inTrain(hash: string): boolean {
    const slot = this.slots.get(hash);
    if (slot === undefined || this.policy === "remove") return false;
    for (const c of this.counts.values()) if (c[slot]! > 0) return true;
    return false;
  }

  private removed(data: Data): number {
    if (this.policy === "keep") return 0;
    return this.counts.get(data)!.reduce((a, b) => a + b, 0);
  }

  /** The overlap report, once every data variant has been counted. */
  report(): OverlapReport {
    const splits: Record<string, SplitOverlap> = {};
    for (const { name, slots } of this.splitSlots) {
      const bySet: Partial<Record<Data, number>> = {};
      const trainRows: Partial<Record<Data, number>> = {};
      let before = 0;
      for (const slot of slots) if ([...this.counts.values()].some((c) => c[slot]! > 0)) before++;
      for (const [data, c] of this.counts) {
        bySet[data] = slots.filter((slot) => c[slot]! > 0).length;
        let rows = 0;
        for (const slot of new Set(slots)) rows += c[slot]!;
        trainRows[data] = rows;
      }
      splits[name] = { items: slots.length, inTrain: this.policy === "remove" ? 0 : before, inTrainBefore: before, bySet, trainRows };
    }
    const removed: Partial<Record<Data, number>> = {};
    for (const data of this.counts.keys()) removed[data] = this.removed(data);
    return { key: "stateHash", policy: this.policy, splits, removed };
  }
}
