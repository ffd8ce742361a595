/**
 * The generalization matrix: arms × splits, from per-item evaluation outcomes.
 *
 * - Cell = mean success over seeds (each seed's success rate, then the mean), with a 95 %
 *   percentile-bootstrap CI that resamples items (and seeds when there are several).
 * - Checkpoint per arm × seed chosen by the paper's rule (best average over every column but
 *   Fake) and by ours (best on the held-out `validation` split, which no column reports).
 * - Paired differences between arms on the same items (same split, same item index, same seed).
 * `assembleMatrix` puts these together into the table the API serves (and `matrixCsv` its CSV);
 * packages/db only loads its inputs, the CLI and the dashboard only draw it.
 * Pure and deterministic: the bootstrap uses a seeded xorshift generator.
 */
import type { ExperimentSpec } from "./experiment.js";
import { paperValues } from "./paper-table.js";
import { PAPER_SPLITS, SPLIT_GROUPS, type TaskName } from "./tasks.js";

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

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

/** What the matrix is computed from: an experiment's spec, evaluations, jobs and dataset overlap. */
export interface MatrixInput {
  experimentId: string;
  spec: ExperimentSpec;
  preset: string | null;
  state: string;
  select: Selection;
  outcomes: MatrixItemOutcome[];
  jobs: readonly { arm: string | null; startedAt: Date | null; finishedAt: Date | null; result: unknown }[];
  overlap: unknown;
}

/**
 * The generalization matrix as the API serves it (JSON, and CSV through `matrixCsv`): cells with
 * CIs under the chosen checkpoint rule, the paper's values for a paper preset, paired
 * differences between arms, each arm's compute. The one place the matrix is computed.
 */
export function assembleMatrix(input: MatrixInput) {
  const { experimentId, spec, select, outcomes, jobs } = input;
  const task = spec.task;
  const rowsIn = spec.arms.map((a) => ({ arm: a.name, outcomes: outcomes.filter((o) => o.arm === a.name) }));
  const built = buildCells(task, spec.splits, rowsIn, select);
  const paper = input.preset?.startsWith("paper-") ? paperValues(task, spec.model.engine === "hf" ? spec.model.id : null) : null;

  const device = spec.model.engine === "hf" ? "gpu" : "cpu";
  const units = device === "gpu" ? spec.compute.resources.gpus : spec.compute.resources.cpus;

  const rows = spec.arms.map((arm, i) => {
    const b = built[i]!;
    const armJobs = jobs.filter((j) => j.arm === arm.name);
    let seconds = 0;
    let trainedTokens = 0;
    let generatedTokens = 0;
    for (const j of armJobs) {
      if (j.startedAt && j.finishedAt) seconds += ((j.finishedAt.getTime() - j.startedAt.getTime()) / 1000) * units;
      const r = (j.result ?? {}) as Record<string, unknown>;
      trainedTokens += num(r.trainedTokens ?? r.num_tokens);
      generatedTokens += num(r.generatedTokens);
    }
    const cells = Object.fromEntries(
      spec.splits.map((s) => [s, b.cells[s] ? { ...b.cells[s]!, paper: paper?.rows[arm.name]?.[s] ?? null } : null]),
    );
    return {
      arm: arm.name,
      method: arm.method,
      data: arm.data,
      target: arm.target,
      checkpoints: b.steps,
      cells,
      compute: { device, [`${device}Seconds`]: Math.round(seconds * 10) / 10, trainedTokens, generatedTokens },
    };
  });

  const paired = [];
  for (let a = 0; a < spec.arms.length; a++) {
    for (let c = a + 1; c < spec.arms.length; c++) {
      for (const split of spec.splits) {
        const seeds = [...built[a]!.chosen.keys()].filter((s) => built[c]!.chosen.has(s));
        const pick = (k: number) => seeds.map((s) => built[k]!.chosen.get(s)!.find((o) => o.split === split)?.success ?? []);
        const xa = pick(a);
        const xb = pick(c);
        if (!xa.some((x) => x.length) || !xb.some((x) => x.length)) continue;
        paired.push({ a: spec.arms[c]!.name, b: spec.arms[a]!.name, split, ...pairedDiff(xb, xa, 500) });
      }
    }
  }

  return {
    experimentId,
    task,
    preset: input.preset,
    state: input.state,
    selection: select,
    selectionRules: {
      paper:
        "per arm and seed, the checkpoint with the best average success over every reported split except Fake (the paper's Table 1 rule)",
      ours: "per arm and seed, the checkpoint with the best success on the held-out validation split (no reported column is used to choose)",
      last: "the last checkpoint",
    },
    splits: spec.splits,
    groups: Object.fromEntries(spec.splits.map((s) => [s, SPLIT_GROUPS[task][s] ?? "id"])),
    paperColumns: PAPER_SPLITS[task],
    paperModel: paper?.model ?? null,
    rows,
    paired,
    overlap: input.overlap,
  };
}
export type GeneralizationMatrix = ReturnType<typeof assembleMatrix>;

/** CSV export: one line per arm × split. */
export function matrixCsv(m: GeneralizationMatrix): string {
  const head = "arm,method,data,target,split,group,mean,ci_low,ci_high,n,seeds,validity,paper";
  const lines = [head];
  for (const r of m.rows) {
    for (const s of m.splits) {
      const c = r.cells[s] as {
        mean: number;
        ci95: [number, number];
        n: number;
        seeds: number;
        validity: number;
        paper: number | null;
      } | null;
      const f = (x: number | null | undefined) => (x === null || x === undefined ? "" : String(Math.round(x * 10000) / 10000));
      lines.push(
        [
          r.arm,
          r.method,
          r.data,
          r.target,
          s,
          m.groups[s],
          f(c?.mean),
          f(c?.ci95[0]),
          f(c?.ci95[1]),
          c?.n ?? 0,
          c?.seeds ?? 0,
          f(c?.validity),
          f(c?.paper),
        ].join(","),
      );
    }
  }
  return lines.join("\n") + "\n";
}
