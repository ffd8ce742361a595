/**
 * Training metrics from `metrics` job events (`{ step, maxSteps, values }`, keys as the trainer
 * emits them, TRL's names), gathered into the charts the job page draws.
 */

export interface MetricPoint {
  step: number;
  /** The run's planned steps, when the trainer knows them. */
  maxSteps: number | null;
  /** Event time, ms since the epoch. */
  t: number;
  values: Record<string, number>;
}

export interface ChartSpec {
  id: string;
  title: string;
  keys: string[];
  /** y-axis label. */
  unit: string;
}

export const TOKENS_PER_SECOND = "tokens_per_second";

/** Keys that belong to a named chart; every other key is offered under "More metrics". */
const GROUPS: { id: string; title: string; unit: string; match: (k: string) => boolean }[] = [
  { id: "loss", title: "Loss", unit: "loss", match: (k) => k === "loss" || k === "train_loss" },
  { id: "reward", title: "Reward", unit: "reward", match: (k) => k === "reward" || k === "reward_std" || /^rewards?\//.test(k) },
  { id: "lengths", title: "Completion lengths", unit: "tokens", match: (k) => /length/.test(k) && !/clipped/.test(k) },
  { id: "lr", title: "Learning rate", unit: "lr", match: (k) => k === "learning_rate" || k === "lr" },
  { id: "throughput", title: "Tokens per second", unit: "tokens/s", match: (k) => k === TOKENS_PER_SECOND },
];

export function metricPoint(ev: { createdAt: string; data: Record<string, unknown> }): MetricPoint | null {
  const step = ev.data.step;
  const values = ev.data.values;
  if (typeof step !== "number" || typeof values !== "object" || values === null) return null;
  const clean: Record<string, number> = {};
  for (const [k, v] of Object.entries(values)) if (typeof v === "number" && Number.isFinite(v)) clean[k] = v;
  const maxSteps = typeof ev.data.maxSteps === "number" && ev.data.maxSteps > 0 ? ev.data.maxSteps : null;
  return { step, maxSteps, t: Date.parse(ev.createdAt), values: clean };
}

/**
 * Tokens per second where the trainer does not report it (GRPO): the growth of `num_tokens`
 * between consecutive points over the time between their events.
 */
export function withThroughput(points: readonly MetricPoint[]): MetricPoint[] {
  return points.map((p, i) => {
    if (TOKENS_PER_SECOND in p.values || i === 0) return p;
    const prev = points[i - 1]!;
    const dTok = (p.values.num_tokens ?? NaN) - (prev.values.num_tokens ?? NaN);
    const dt = (p.t - prev.t) / 1000;
    return Number.isFinite(dTok) && dt > 0 ? { ...p, values: { ...p.values, [TOKENS_PER_SECOND]: dTok / dt } } : p;
  });
}

export function chartsFor(points: readonly MetricPoint[]): { charts: ChartSpec[]; other: string[] } {
  const keys = new Set<string>();
  for (const p of points) for (const k of Object.keys(p.values)) keys.add(k);
  const charts: ChartSpec[] = [];
  const used = new Set<string>();
  for (const g of GROUPS) {
    const ks = [...keys].filter((k) => g.match(k)).sort();
    if (!ks.length) continue;
    ks.forEach((k) => used.add(k));
    charts.push({ id: g.id, title: g.title, keys: ks, unit: g.unit });
  }
  return { charts, other: [...keys].filter((k) => !used.has(k)).sort() };
}

/**
 * Aligned columns for a chart: x = steps, one y array per key (null where a point lacks it).
 * A retried attempt resumes at its last checkpoint and reports some steps again: the later
 * report of a step wins.
 */
export function columns(points: readonly MetricPoint[], keys: readonly string[]): { x: number[]; ys: (number | null)[][] } {
  const byStep = new Map<number, MetricPoint>();
  for (const p of points) byStep.set(p.step, p);
  const sorted = [...byStep.values()].sort((a, b) => a.step - b.step);
  return { x: sorted.map((p) => p.step), ys: keys.map((k) => sorted.map((p) => p.values[k] ?? null)) };
}
