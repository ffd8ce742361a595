/**
 * Read models for the dashboard: a job's checkpoints and attempts, and an experiment's success
 * curves over checkpoints. Shapes are the contracts' schemas (CheckpointView, AttemptView,
 * CurvesResponse).
 */
import {
  attemptsFromStatusEvents,
  buildCurves,
  type AttemptView,
  type CheckpointView,
  type CurvesResponse,
  parseStoredSpec,
} from "@trainyard/contracts";
import type { Db } from "./client.js";

export async function jobCheckpoints(db: Db, jobId: string): Promise<CheckpointView[]> {
  const rows = await db.checkpoint.findMany({ where: { jobId }, orderBy: { step: "asc" } });
  return rows.map((c) => ({
    id: c.id,
    step: c.step,
    kind: c.kind,
    uri: c.uri,
    sha256: c.sha256,
    servingName: c.servingName,
    metrics: (c.metrics as Record<string, unknown> | null) ?? null,
    pinned: c.pinned,
    createdAt: c.createdAt.toISOString(),
  }));
}

export async function jobAttempts(db: Db, jobId: string): Promise<AttemptView[]> {
  const events = await db.jobEvent.findMany({
    where: { jobId, type: "status" },
    orderBy: { seq: "asc" },
    select: { createdAt: true, data: true },
  });
  return attemptsFromStatusEvents(events.map((e) => ({ createdAt: e.createdAt.toISOString(), data: e.data as Record<string, unknown> })));
}

/** Null when the experiment is not in the project. */
export async function experimentCurves(db: Db, projectId: string, experimentId: string): Promise<CurvesResponse | null> {
  const exp = await db.experiment.findFirst({ where: { id: experimentId, projectId }, select: { spec: true } });
  if (!exp) return null;
  const spec = parseStoredSpec(exp.spec);
  const rows = await db.evalResult.findMany({
    where: { experimentId },
    select: { id: true, arm: true, seed: true, split: true, step: true, n: true, success: true, validity: true, meanReward: true },
  });
  const arms = spec.arms.map((a) => a.name);
  return { experimentId, task: spec.task, splits: [...spec.splits], arms, curves: buildCurves(spec.task, arms, spec.splits, rows) };
}
