/**
 * The generalization matrix: arms × splits, from per-item evaluation outcomes.
 *
 * - Cell = mean success over seeds (each seed's success rate, then the mean), with a 95 %
 *   percentile-bootstrap CI that resamples items (and seeds when there are several).
 * - Checkpoint per arm × seed chosen by the paper's rule (best average over every column but
 *   Fake) and by ours (best on the held-out `validation` split, which no column reports).
 * - Paired differences between arms on the same items (same split, same item index, same seed).
 * Pure and deterministic: the bootstrap uses a seeded xorshift generator.
 */
import { SPLIT_GROUPS, type TaskName } from "./tasks.js";

export interface MatrixItemOutcome {
  arm: string;
  seed: number;
  split: string;
  /** Training step of the checkpoint; -1 for an external model. */
  step: number;
  /** success per item, indexed by item position in the split. */
  success: boolean[];
  validity: number;
}

export interface CellStats {
  mean: number;
  ci95: [number, number];
  n: number;
  seeds: number;
  validity: number;
  perSeed: number[];
}

export type Selection = "paper" | "ours" | "last";

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.round(p * (sorted.length - 1))));
  return sorted[i]!;
}

/** Bootstrap CI of the mean over seeds of per-seed means, resampling items within each seed. */
export function bootstrapCi(samples: number[][], resamples = 1000, seed = 1): [number, number] {
  const rnd = xorshift(seed);
  const stats: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const seedMeans: number[] = [];
    for (let s = 0; s < samples.length; s++) {
      const pick = samples[Math.floor(rnd() * samples.length)]!;
      let sum = 0;
      for (let i = 0; i < pick.length; i++) sum += pick[Math.floor(rnd() * pick.length)]!;
      seedMeans.push(pick.length ? sum / pick.length : 0);
    }
    stats.push(mean(seedMeans));
  }
  stats.sort((a, b) => a - b);
  return [percentile(stats, 0.025), percentile(stats, 0.975)];
}

function cell(outcomes: MatrixItemOutcome[], resamples: number): CellStats {
  const samples = outcomes.map((o) => o.success.map((s) => (s ? 1 : 0)));
  const perSeed = samples.map(mean);
  return {
    mean: mean(perSeed),
    ci95: bootstrapCi(samples, resamples),
    n: samples.reduce((a, s) => a + s.length, 0),
    seeds: samples.length,
    validity: mean(outcomes.map((o) => o.validity)),
    perSeed,
  };
}

/** For one arm × seed: the step chosen by each rule. */
export function chooseSteps(task: TaskName, outcomes: MatrixItemOutcome[]): Record<Selection, number | null> {
  const steps = [...new Set(outcomes.map((o) => o.step))].sort((a, b) => a - b);
  if (!steps.length) return { paper: null, ours: null, last: null };
  const groups = SPLIT_GROUPS[task];
  const rate = (o: MatrixItemOutcome) => mean(o.success.map((s) => (s ? 1 : 0)));
  const score = (step: number, pred: (split: string) => boolean) => {
    const rows = outcomes.filter((o) => o.step === step && pred(o.split));
    return rows.length ? mean(rows.map(rate)) : -1;
  };
  const best = (pred: (split: string) => boolean) =>
    steps.reduce((b, s) => (score(s, pred) > score(b, pred) ? s : b), steps[steps.length - 1]!);
  const hasValidation = outcomes.some((o) => o.split === "validation");
  return {
    paper: best((s) => s !== "validation" && groups[s] !== "fake"),
    ours: hasValidation ? best((s) => s === "validation") : null,
    last: steps[steps.length - 1]!,
  };
}

export interface PairedDiff {
  a: string;
  b: string;
  split: string;
  diff: number;
  ci95: [number, number];
  n: number;
}

/** Paired difference a − b on the same items; bootstrap over item pairs. */
export function pairedDiff(
  a: boolean[][],
  b: boolean[][],
  resamples = 1000,
  seed = 7,
): { diff: number; ci95: [number, number]; n: number } {
  const pairs: number[] = [];
  for (let s = 0; s < Math.min(a.length, b.length); s++) {
    const x = a[s]!;
    const y = b[s]!;
    for (let i = 0; i < Math.min(x.length, y.length); i++) pairs.push((x[i] ? 1 : 0) - (y[i] ? 1 : 0));
  }
  return { diff: mean(pairs), ci95: bootstrapCi([pairs], resamples, seed), n: pairs.length };
}

export interface MatrixRowInput {
  arm: string;
  outcomes: MatrixItemOutcome[];
}

export function buildCells(
  task: TaskName,
  splits: readonly string[],
  rows: MatrixRowInput[],
  select: Selection,
  resamples = 1000,
): {
  arm: string;
  steps: Record<number, Record<Selection, number | null>>;
  cells: Record<string, CellStats | null>;
  chosen: Map<number, MatrixItemOutcome[]>;
}[] {
  return rows.map(({ arm, outcomes }) => {
    const bySeed = new Map<number, MatrixItemOutcome[]>();
    for (const o of outcomes) bySeed.set(o.seed, [...(bySeed.get(o.seed) ?? []), o]);
    const steps: Record<number, Record<Selection, number | null>> = {};
    const chosen = new Map<number, MatrixItemOutcome[]>();
    for (const [seed, os] of bySeed) {
      steps[seed] = chooseSteps(task, os);
      const step = steps[seed]![select] ?? steps[seed]!.last;
      chosen.set(
        seed,
        os.filter((o) => o.step === step),
      );
    }
    const cells: Record<string, CellStats | null> = {};
    for (const split of splits) {
      const picked = [...chosen.values()].flatMap((os) => os.filter((o) => o.split === split));
      cells[split] = picked.length ? cell(picked, resamples) : null;
    }
    return { arm, steps, cells, chosen };
  });
}
