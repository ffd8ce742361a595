/**
 * Aggregates `/metrics` reads from the record at scrape time. Postgres counts (not the process
 * that scrapes), so every API replica reports the same figures whichever worker ran the jobs.
 */
import type { Db } from "./client.js";

export interface DurationSeries {
  kind: string;
  state: string;
  /** Cumulative counts: `buckets[i]` jobs took at most `bounds[i]` seconds. */
  buckets: number[];
  count: number;
  /** Seconds, summed over `count` jobs. */
  sum: number;
}

/**
 * Finished jobs' durations (first start to end, retries included) per job kind and final state,
 * counted into the histogram buckets `bounds` (seconds, ascending). Jobs that never started
 * (cancelled while queued, skipped) have no duration and are left out.
 */
export async function jobDurationHistogram(db: Db, bounds: readonly number[]): Promise<DurationSeries[]> {
  const rows = await db.$queryRaw<{ kind: string; state: string; le: number; n: number; total: number }[]>`
    WITH d AS (
      SELECT kind::text AS kind, state::text AS state, EXTRACT(EPOCH FROM finished_at - started_at)::float8 AS s
      FROM jobs
      WHERE state IN ('succeeded', 'failed', 'cancelled') AND started_at IS NOT NULL AND finished_at IS NOT NULL
    )
    SELECT d.kind, d.state, b.le, (count(*) FILTER (WHERE d.s <= b.le))::int AS n, sum(d.s)::float8 AS total
    FROM d CROSS JOIN unnest(${[...bounds]}::float8[] || 'Infinity'::float8) AS b(le)
    GROUP BY d.kind, d.state, b.le
    ORDER BY d.kind, d.state, b.le`;
  const out = new Map<string, DurationSeries>();
  for (const r of rows) {
    const key = `${r.kind}\u0000${r.state}`;
    let s = out.get(key);
    if (!s) out.set(key, (s = { kind: r.kind, state: r.state, buckets: [], count: 0, sum: 0 }));
    // The last bound is +Inf: every job of the series, i.e. its count.
    if (r.le === Infinity) {
      s.count = r.n;
      s.sum = r.total;
    } else s.buckets.push(r.n);
  }
  return [...out.values()];
}

/** `success`: solved; `failure`: valid answers that did not solve it; `invalid`: an answer the environment could not use. */
export type EvalItemOutcome = "success" | "failure" | "invalid";

/** Scored evaluation items per outcome (every item stored in eval_items). */
export async function evalItemOutcomes(db: Db): Promise<Record<EvalItemOutcome, number>> {
  const groups = await db.evalItem.groupBy({ by: ["success", "valid"], _count: { _all: true } });
  const out: Record<EvalItemOutcome, number> = { success: 0, failure: 0, invalid: 0 };
  for (const g of groups) out[g.success ? "success" : g.valid ? "failure" : "invalid"] += g._count._all;
  return out;
}
