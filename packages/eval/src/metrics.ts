/**
 * Per-split metrics, as the paper defines them (docs/paper.md#evaluation-protocol): success rate; validity
 * (Sokoban: mean over episodes of valid turns / turns — `action_is_valid`; GP: share of answers
 * with reward ≥ −1); mean reward (Sokoban: episode env reward; GP: verifier reward).
 * Items the endpoint failed on count as failures (success 0, validity 0) and are also counted
 * in `endpointErrors`, so a flaky server is visible rather than silently shrinking n.
 */
import type { FailureReason } from "@trainyard/envs";
import type { ItemResult } from "./episodes.js";

export interface SplitMetrics {
  n: number;
  success: number;
  validity: number;
  meanReward: number;
  /** Tokens reported by the server, summed over every turn of every item. */
  promptTokens: number;
  completionTokens: number;
  /** Model calls made (Sokoban: one per turn). */
  turns: number;
  endpointErrors: number;
  /** Items per failure reason (successful items are not counted). */
  reasons: Partial<Record<FailureReason, number>>;
}

export function splitMetrics(items: readonly ItemResult[]): SplitMetrics {
  const m: SplitMetrics = {
    n: 0,
    success: 0,
    validity: 0,
    meanReward: 0,
    promptTokens: 0,
    completionTokens: 0,
    turns: 0,
    endpointErrors: 0,
    reasons: {},
  };
  for (const r of items) {
    m.n++;
    if (r.success) m.success++;
    m.validity += r.validity;
    m.meanReward += r.reward;
    m.promptTokens += r.promptTokens;
    m.completionTokens += r.completionTokens;
    m.turns += r.turns.length;
    if (r.reason === "endpoint_error") m.endpointErrors++;
    if (r.reason !== null) m.reasons[r.reason] = (m.reasons[r.reason] ?? 0) + 1;
  }
  if (m.n > 0) {
    m.success /= m.n;
    m.validity /= m.n;
    m.meanReward /= m.n;
  }
  return m;
}

/** Metrics of every split present in `items`, in the order of `splits`. */
export function aggregate(splits: readonly string[], items: Iterable<ItemResult>): Record<string, SplitMetrics> {
  const by = new Map<string, ItemResult[]>(splits.map((s) => [s, []]));
  for (const r of items) by.get(r.split)?.push(r);
  const out: Record<string, SplitMetrics> = {};
  for (const s of splits) out[s] = splitMetrics(by.get(s) ?? []);
  return out;
}
