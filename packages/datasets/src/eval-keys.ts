/**
 * The evaluation items a built dataset holds: the seed (Sokoban) or task index (GP) of each row of
 * its `eval/<split>.jsonl`, in file order. Evaluation plays exactly these, so the matrix describes
 * the items the dataset's overlap report covers.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { ArtifactStore } from "./store.js";

/** Keys per split; a split the dataset has no file (or no keyed row) for is absent. */
export async function readEvalKeys(store: ArtifactStore, datasetUri: string, splits: readonly string[]): Promise<Record<string, number[]>> {
  const out: Record<string, number[]> = {};
  for (const split of splits) {
    const text = await readFile(join(store.pathFor(datasetUri), "eval", `${split}.jsonl`), "utf8").catch(() => null);
    if (text === null) continue;
    const keys = text
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as { seed?: unknown; index?: unknown })
      .map((r) => r.seed ?? r.index)
      .filter((k): k is number => typeof k === "number");
    if (keys.length) out[split] = keys;
  }
  return out;
}
