/**
 * Load an experiment's stored evaluations, jobs and dataset overlap and hand them to
 * `assembleMatrix` (contracts/matrix.ts), the one place the generalization matrix is computed.
 */
import { assembleMatrix, parseStoredSpec, type MatrixItemOutcome, type Selection } from "@trainyard/contracts";
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

export async function experimentMatrix(db: Db, projectId: string, experimentId: string, select: Selection = "paper") {
  const exp = await db.experiment.findFirst({ where: { id: experimentId, projectId } });
  if (!exp) return null;
  const spec = parseStoredSpec(exp.spec);
  const outcomes = await loadOutcomes(db, experimentId);
  const jobs = await db.job.findMany({ where: { experimentId } });
  const dataset = await db.dataset.findFirst({ where: { experimentId }, orderBy: { createdAt: "desc" } });
  const manifest = (dataset?.manifest ?? null) as { overlap?: unknown } | null;
  return assembleMatrix({
    experimentId,
    spec,
    preset: exp.preset,
    state: exp.state,
    select,
    outcomes,
    jobs,
    overlap: manifest?.overlap ?? null,
  });
}

// The API's CSV export reaches the matrix through this package.
export { matrixCsv } from "@trainyard/contracts";
