/**
 * `evaluate()`: the first N items of each split, played against one model client with at most
 * `concurrency` items in flight, scored by the env, aggregated per split.
 *
 * Resumable: items in `previous` (results a store kept) or `skip` (ids only) are not asked again;
 * `onResult` is awaited for every new result before it counts as done, so a store that persists
 * there never loses an item it was told about. Endpoint failures are item results
 * (`endpoint_error`), never a failed evaluation; an env error (a bug) stops new work and is
 * re-thrown once in-flight items finish; so is the caller's abort.
 */
import { randomUUID } from "node:crypto";
import type { ModelClient, Sampling, TemplateMode } from "@trainyard/outbound";
import { runItem, type ItemResult } from "./episodes.js";
import { aggregate, type SplitMetrics } from "./metrics.js";
import { templateFor } from "@trainyard/envs";
import { itemKey, paperSampling, splitKeys, type EvalEnv } from "./splits.js";

export interface EvaluateOptions {
  env: EvalEnv;
  splits: readonly string[];
  /** Items per split: the first `n`, in the paper's order. */
  n: number;
  client: ModelClient;
  /** Item keys per split (e.g. a dataset's evaluation seeds); default: the paper's first `n`. */
  keys?: Readonly<Record<string, readonly number[]>> | undefined;
  /** Default per env: Sokoban raw, GP chat. */
  template?: TemplateMode | undefined;
  /** Overrides of the paper's sampling for this env. */
  sampling?: Partial<Sampling> | undefined;
  /** Base of per-request seeds (see `requestSeed`); no seed is sent when undefined. */
  seed?: number | undefined;
  /** Items in flight at once (default 32). The client's own `maxInFlight` bounds requests too. */
  concurrency?: number | undefined;
  /** Results already scored: not asked again, included in the metrics. */
  previous?: Iterable<ItemResult> | undefined;
  /** Ids (`<split>/<key>`) already scored elsewhere: not asked again, absent from the metrics. */
  skip?: ReadonlySet<string> | undefined;
  /** Called (and awaited) once per newly scored item. */
  onResult?: ((r: ItemResult) => void | Promise<void>) | undefined;
  onProgress?: ((p: EvalProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** Prefix of idempotency keys (default: a random UUID per call). */
  runId?: string | undefined;
}

export interface EvalProgress {
  /** Items finished, those from `previous`/`skip` included. */
  done: number;
  total: number;
  /** Split of the item that just finished. */
  split: string;
  splitDone: number;
  splitTotal: number;
  successes: number;
  endpointErrors: number;
}

export interface EvalReport {
  env: EvalEnv;
  provider: ModelClient["provider"];
  model: string;
  template: TemplateMode;
  /** Sampling as sent (the per-request seed is derived from `seed`). */
  sampling: Sampling;
  seed: number | null;
  n: number;
  splits: Record<string, SplitMetrics>;
  /** Every result, previous ones included, ordered by split then key. */
  items: ItemResult[];
  /** Items asked in this call / taken from `previous`. */
  asked: number;
  reused: number;
  durationMs: number;
}

export function resolveSampling(env: EvalEnv, over: Partial<Sampling> = {}): Sampling {
  const s: Sampling = { ...paperSampling(env) };
  for (const [k, v] of Object.entries(over)) if (v !== undefined) (s as unknown as Record<string, unknown>)[k] = v;
  if (s.n !== 1) throw new RangeError(`sampling.n: only one sample per request is scored, got ${s.n}`);
  return s;
}

export async function evaluate(o: EvaluateOptions): Promise<EvalReport> {
  const t0 = performance.now();
  if (o.splits.length === 0) throw new RangeError("splits: at least one split is required");
  const template = templateFor(o.env, o.template);
  const sampling = resolveSampling(o.env, o.sampling);
  const concurrency = o.concurrency ?? 32;
  if (!Number.isSafeInteger(concurrency) || concurrency < 1)
    throw new RangeError(`concurrency must be a positive integer, got ${concurrency}`);
  const splits = [...new Set(o.splits)];
  const wanted = splits.flatMap((split) =>
    (o.keys?.[split] ?? splitKeys(o.env, split, o.n)).map((key) => ({ split, key, id: itemKey(split, key) })),
  );
  const wantedIds = new Set(wanted.map((w) => w.id));

  const results = new Map<string, ItemResult>();
  for (const r of o.previous ?? []) if (r.env === o.env && wantedIds.has(r.id)) results.set(r.id, r);
  const reused = results.size;
  const queue = wanted.filter((w) => !results.has(w.id) && !o.skip?.has(w.id));

  const perSplitDone = new Map<string, number>(splits.map((s) => [s, 0]));
  for (const w of wanted) if (results.has(w.id) || o.skip?.has(w.id)) perSplitDone.set(w.split, perSplitDone.get(w.split)! + 1);
  let done = wanted.length - queue.length;
  let successes = [...results.values()].filter((r) => r.success).length;
  let endpointErrors = [...results.values()].filter((r) => r.reason === "endpoint_error").length;

  const ctx = { client: o.client, template, sampling, seed: o.seed, signal: o.signal, runId: o.runId ?? randomUUID() };
  let next = 0;
  let failure: { error: unknown } | null = null;
  const worker = async () => {
    while (failure === null && !o.signal?.aborted && next < queue.length) {
      const w = queue[next++]!;
      try {
        const r = await runItem(o.env, w.split, w.key, ctx);
        await o.onResult?.(r);
        results.set(r.id, r);
        done++;
        if (r.success) successes++;
        if (r.reason === "endpoint_error") endpointErrors++;
        const splitDone = perSplitDone.get(w.split)! + 1;
        perSplitDone.set(w.split, splitDone);
        o.onProgress?.({ done, total: wanted.length, split: w.split, splitDone, splitTotal: o.n, successes, endpointErrors });
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(queue.length, 1)) }, worker));
  if (o.signal?.aborted) throw o.signal.reason ?? new Error("evaluation aborted");
  if (failure !== null) throw (failure as { error: unknown }).error;

  const items = wanted.map((w) => results.get(w.id)).filter((r): r is ItemResult => r !== undefined);
  return {
    env: o.env,
    provider: o.client.provider,
    model: o.client.model,
    template,
    sampling,
    seed: o.seed ?? null,
    n: o.n,
    splits: aggregate(splits, items),
    items,
    asked: items.length - reused,
    reused,
    durationMs: Math.round(performance.now() - t0),
  };
}
