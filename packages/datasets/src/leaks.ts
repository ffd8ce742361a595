/**
 * Leak-aware splits. The key is each env's canonical `stateHash` (Sokoban: board + player;
 * General Points: value multiset + face-card rule), never the prompt text, so a level shown
 * with another vocabulary or a task with other card strings but the same values still counts.
 *
 * Every build reports, per evaluation split, how many of its items occur in the training data
 * (any state of any training level counts for Sokoban); with `leaks: "remove"` the training items
 * whose state occurs in any evaluation split are dropped before the files are written.
 */
import { emptySet } from "./errors.js";
import type { EvalEntry, TrainEntry } from "./tasks/types.js";

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

export function applyLeakPolicy(
  policy: "keep" | "remove",
  train: Map<Data, TrainEntry[]>,
  evals: Map<string, EvalEntry[]>,
): { report: OverlapReport; train: Map<Data, TrainEntry[]> } {
  const trainHashes = new Map<Data, Map<string, number>>();
  for (const [data, entries] of train) {
    const counts = new Map<string, number>();
    for (const e of entries) counts.set(e.hash, (counts.get(e.hash) ?? 0) + 1);
    trainHashes.set(data, counts);
  }
  const allEval = new Set<string>();
  const splits: Record<string, SplitOverlap> = {};
  for (const [name, items] of evals) {
    const bySet: Partial<Record<Data, number>> = {};
    const trainRows: Partial<Record<Data, number>> = {};
    let before = 0;
    const hashes = new Set(items.map((i) => i.hash));
    for (const h of hashes) allEval.add(h);
    for (const it of items) if ([...trainHashes.values()].some((m) => m.has(it.hash))) before++;
    for (const [data, counts] of trainHashes) {
      bySet[data] = items.filter((i) => counts.has(i.hash)).length;
      let rows = 0;
      for (const h of hashes) rows += counts.get(h) ?? 0;
      trainRows[data] = rows;
    }
    splits[name] = { items: items.length, inTrain: before, inTrainBefore: before, bySet, trainRows };
  }
  const removed: Partial<Record<Data, number>> = {};
  if (policy === "keep") {
    for (const data of train.keys()) removed[data] = 0;
    return { report: { key: "stateHash", policy, splits, removed }, train };
  }
  const kept = new Map<Data, TrainEntry[]>();
  for (const [data, entries] of train) {
    const rest = entries.filter((e) => !allEval.has(e.hash));
    if (rest.length === 0 && entries.length > 0) {
      throw emptySet(
        ["leaks"],
        `removing the training items that occur in the evaluation splits would leave the ${data} training set empty`,
      );
    }
    removed[data] = entries.length - rest.length;
    kept.set(data, rest);
  }
  for (const s of Object.values(splits)) s.inTrain = 0;
  return { report: { key: "stateHash", policy, splits, removed }, train: kept };
}
