/**
 * Evaluation of a training run: every checkpoint, on every split, against a server started for
 * that checkpoint. Each scored item is stored as it finishes (so a retried job never asks an item
 * twice), each split's aggregates when the checkpoint is done, then `onSplit` and the store's
 * `completed` (the `eval.completed` webhook) fire; a retry skips a checkpoint already completed.
 * Storage and serving are passed in: the repository is packages/db's `evalRepository`, the server
 * the worker's compute launch.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { createModelClient, type Sampling } from "@trainyard/outbound";
import type { ItemResult } from "./episodes.js";
import { evaluate } from "./evaluate.js";
import { splitKeys, type EvalEnv } from "./splits.js";

const WIDEN_POLL_MS = 2000;

export interface CheckpointRef {
  id: string;
  step: number;
  /** Model name the server answers to. */
  servingName: string;
}

export interface ServedModel {
  url: string;
  stop(): Promise<void>;
}

export interface StoredItem {
  itemIndex: number;
  itemKey: number;
  success: boolean;
  valid: boolean;
  reward: number;
  reason: string | null;
  turns: unknown;
  usage: unknown;
}

export interface SplitSummary {
  split: string;
  n: number;
  success: number;
  validity: number;
  meanReward: number;
}

/** Where results go (packages/db `evalRepository` satisfies it). */
export interface EvalStore {
  openResults(cp: CheckpointRef, splits: readonly string[]): Promise<Map<string, string>>;
  storedResults(resultIds: readonly string[]): Promise<unknown[]>;
  /** Whether `completed` already ran for these results (an earlier attempt of the job). */
  isCompleted(resultIds: readonly string[]): Promise<boolean>;
  saveItem(resultId: string, item: StoredItem): Promise<void>;
  finishResult(resultId: string, s: Omit<SplitSummary, "split"> & { metrics: Record<string, unknown> }): Promise<void>;
  /** Marks the results completed (atomically with queueing `eval.completed`). */
  completed(resultIds: readonly string[], summary: Record<string, unknown>): Promise<void>;
}

export interface EvaluateCheckpointsOptions<C extends CheckpointRef> {
  env: EvalEnv;
  splits: readonly string[];
  n: number;
  /** Item keys per split read from the experiment's dataset; a split without any uses the paper's first `n`. */
  datasetKeys?: Readonly<Record<string, readonly number[]>>;
  checkpoints: readonly C[];
  serve(cp: C, index: number): Promise<ServedModel>;
  store: EvalStore;
  sampling: Partial<Sampling>;
  /** Per-request seed base and the arm's label in webhook summaries. */
  seed: number;
  arm: string;
  scoring: string;
  concurrency: number;
  /**
   * Checkpoints evaluated at once, each against its own server (default 1: one after another).
   * Above 1 only where servers are cheap to run side by side (CPU models): the last checkpoints
   * of a long arm otherwise play on one core while the others idle. A failing checkpoint stops
   * the others (their servers are stopped) and its error is thrown.
   */
  checkpointConcurrency?: number;
  /**
   * Whether a checkpoint beyond the first in flight may start now (default: always). Asked again
   * every 2 s while it may not: the worker says no while a trainer shares the host, where a
   * second server would slow the training that ends last more than it gains.
   */
  widen?(): boolean;
  /** Prefix of idempotency keys; the checkpoint's step is appended. */
  runId: string;
  signal?: AbortSignal;
  onProgress?(fraction: number): void;
  onSplit?(step: number, s: SplitSummary): Promise<void>;
  /** After a checkpoint's items are all scored: how many this call asked, how many were already stored. */
  onCheckpoint?(step: number, items: { asked: number; reused: number }): Promise<void>;
}

export interface CheckpointsReport {
  checkpoints: number[];
  generatedTokens: number;
}

/** The keys each split plays: the dataset's (first `n`) where it has them, else the paper's first `n`. */
export function resolveSplitKeys(
  env: EvalEnv,
  splits: readonly string[],
  n: number,
  fromDataset: Readonly<Record<string, readonly number[]>> = {},
): Record<string, number[]> {
  const keys: Record<string, number[]> = {};
  for (const split of splits) {
    const given = fromDataset[split] ?? [];
    keys[split] = given.length ? given.slice(0, n) : splitKeys(env, split, n);
  }
  return keys;
}

function itemRow(r: ItemResult, itemIndex: number): StoredItem {
  return {
    itemIndex,
    itemKey: r.key,
    success: r.success,
    valid: r.validity > 0,
    reward: r.reward,
    reason: r.reason,
    turns: r.turns,
    usage: { promptTokens: r.promptTokens, completionTokens: r.completionTokens, result: r },
  };
}

export async function evaluateCheckpoints<C extends CheckpointRef>(o: EvaluateCheckpointsOptions<C>): Promise<CheckpointsReport> {
  const keys = resolveSplitKeys(o.env, o.splits, o.n, o.datasetKeys);
  const indexOf = new Map(o.splits.map((s) => [s, new Map(keys[s]!.map((k, i) => [k, i]))]));
  const positionOf = (split: string, key: number): number => {
    const i = indexOf.get(split)?.get(key);
    if (i === undefined) throw new Error(`evaluation returned ${split}/${key}, which is not among the split's keys`);
    return i;
  };
  let generatedTokens = 0;
  const evaluated: number[] = [];
  // Each checkpoint's share of the job's progress; the job's progress is their mean.
  const done = o.checkpoints.map(() => 0);
  const progress = (ci: number, fraction: number): void => {
    done[ci] = fraction;
    o.onProgress?.(done.reduce((a, b) => a + b, 0) / o.checkpoints.length);
  };
  // One failing checkpoint aborts the others: their evaluations stop asking and their servers stop.
  const stop = new AbortController();
  const signal = o.signal ? AbortSignal.any([o.signal, stop.signal]) : stop.signal;

  const one = async (cp: C, ci: number): Promise<void> => {
    const results = await o.store.openResults(cp, o.splits);
    const resultIds = o.splits.map((split) => results.get(split)!);
    const previous = (await o.store.storedResults(resultIds)) as ItemResult[];
    // An earlier attempt of the job finished this checkpoint (its aggregates, `onSplit` and
    // `eval.completed` all went out): serving it again only to announce it twice was the
    // duplicate the SIGKILL-mid-evaluation drill found.
    if (await o.store.isCompleted(resultIds)) {
      for (const r of previous) generatedTokens += r.completionTokens;
      await o.onCheckpoint?.(cp.step, { asked: 0, reused: previous.length });
      evaluated.push(cp.step);
      progress(ci, 1);
      return;
    }
    if (signal.aborted) return;
    const served = await o.serve(cp, ci);
    try {
      const client = createModelClient("openai", { baseURL: served.url, model: cp.servingName, apiKey: "none" });
      const report = await evaluate({
        env: o.env,
        splits: o.splits,
        n: o.n,
        keys,
        client,
        sampling: o.sampling,
        seed: o.seed,
        concurrency: o.concurrency,
        previous,
        signal,
        runId: `${o.runId}-${cp.step}`,
        onResult: (r) => o.store.saveItem(results.get(r.split)!, itemRow(r, positionOf(r.split, r.key))),
        onProgress: (pr) => progress(ci, pr.done / pr.total),
      });
      await o.onCheckpoint?.(cp.step, { asked: report.asked, reused: report.reused });
      const summary: SplitSummary[] = [];
      for (const [split, m] of Object.entries(report.splits)) {
        generatedTokens += m.completionTokens;
        const s = { split, n: m.n, success: m.success, validity: m.validity, meanReward: m.meanReward };
        summary.push(s);
        const metrics = { ...m, sampling: report.sampling, template: report.template, scoring: o.scoring, model: cp.servingName };
        await o.store.finishResult(results.get(split)!, { ...s, metrics });
        await o.onSplit?.(cp.step, s);
      }
      await o.store.completed(resultIds, { arm: o.arm, seed: o.seed, step: cp.step, splits: summary });
      evaluated.push(cp.step);
    } finally {
      await served.stop();
    }
  };

  // A small pool in checkpoint order: each runner takes the next checkpoint when its last one ends.
  let next = 0;
  let failure: { error: unknown } | null = null;
  let inFlight = 0;
  const runner = async (): Promise<void> => {
    while (failure === null && !signal.aborted && next < o.checkpoints.length) {
      if (inFlight > 0 && o.widen && !o.widen()) {
        await sleep(WIDEN_POLL_MS, undefined, { signal }).catch(() => undefined);
        continue;
      }
      const ci = next++;
      inFlight++;
      try {
        await one(o.checkpoints[ci]!, ci);
      } catch (error) {
        if (failure === null) failure = { error };
        stop.abort(error);
      } finally {
        inFlight--;
      }
    }
  };
  const width = Math.max(1, Math.min(o.checkpointConcurrency ?? 1, o.checkpoints.length));
  await Promise.all(Array.from({ length: width }, runner));
  if (failure !== null) throw (failure as { error: unknown }).error;
  if (o.signal?.aborted) throw o.signal.reason ?? new Error("evaluation aborted");
  evaluated.sort((a, b) => a - b);
  return { checkpoints: evaluated, generatedTokens };
}
