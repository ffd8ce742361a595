/**
 * Assemble the generalization matrix of an experiment from its stored evaluations
 * (statistics in contracts/matrix.ts), with the paper's values, each split's overlap with the
 * training data (from the dataset manifest) and the compute each arm used.
 */
import {
  buildCells,
  pairedDiff,
  paperValues,
  PAPER_SPLITS,
  SPLIT_GROUPS,
  parseStoredSpec,
  type MatrixItemOutcome,
  type Selection,
} from "@trainyard/contracts";
import type { Db } from "./client.js";

export async function loadOutcomes(db: Db, experimentId: string): Promise<MatrixItemOutcome[]> {
  const results = await db.evalResult.findMany({ where: { experimentId }, orderBy: [{ arm: "asc" }, { seed: "asc" }, { step: "asc" }] });
  if (!results.length) return [];
  const items = await db.evalItem.findMany({
    where: { evalResultId: { in: results.map((r) => r.id) } },
    select: { evalResultId: true, itemIndex: true, success: true },
    orderBy: [{ evalResultId: "asc" }, { itemIndex: "asc" }],
  });
  const byResult = new Map<string, boolean[]>();
  for (const it of items) {
    const arr = byResult.get(it.evalResultId) ?? [];
    arr[it.itemIndex] = it.success;
    byResult.set(it.evalResultId, arr);
  }
  return results.map((r) => ({
    arm: r.arm,
    seed: r.seed,
    split: r.split,
    step: r.step,
    // Results stored without items (older rows) fall back to their aggregate rate.
    success: byResult.get(r.id) ?? Array.from({ length: r.n }, (_, i) => i < Math.round(r.success * r.n)),
    validity: r.validity,
  }));
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

export async function experimentMatrix(db: Db, projectId: string, experimentId: string, select: Selection = "paper") {
  const exp = await db.experiment.findFirst({ where: { id: experimentId, projectId } });
  if (!exp) return null;
  const spec = parseStoredSpec(exp.spec);
  const task = spec.task;
  const outcomes = await loadOutcomes(db, experimentId);
  const rowsIn = spec.arms.map((a) => ({ arm: a.name, outcomes: outcomes.filter((o) => o.arm === a.name) }));
  const built = buildCells(task, spec.splits, rowsIn, select);
  const paper = exp.preset?.startsWith("paper-") ? paperValues(task, spec.model.engine === "hf" ? spec.model.id : null) : null;

  const jobs = await db.job.findMany({ where: { experimentId } });
  const dataset = await db.dataset.findFirst({ where: { experimentId }, orderBy: { createdAt: "desc" } });
  const manifest = (dataset?.manifest ?? null) as { overlap?: unknown } | null;
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
    preset: exp.preset,
    state: exp.state,
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
    overlap: manifest?.overlap ?? null,
  };
}
export type ExperimentMatrix = NonNullable<Awaited<ReturnType<typeof experimentMatrix>>>;

/** CSV export: one line per arm × split. */
export function matrixCsv(m: ExperimentMatrix): string {
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
