/**
 * Repository functions of the `eval` job: the checkpoints to evaluate, the result rows they fill,
 * the scored items (stored one by one so a retried job resumes) and the `eval.completed` webhook.
 * The evaluation itself (packages/eval `evaluateCheckpoints`) sees them through `evalRepository`.
 */
import { TyError } from "@trainyard/contracts";
import { prismaCode, type Db } from "./client.js";
import { emitWebhookEvent } from "./webhooks.js";

export interface EvalCheckpointRow {
  id: string;
  step: number;
  uri: string;
  servingName: string;
}

/** Checkpoints the job `modelFrom` of the experiment reported, by step. */
export async function checkpointsOfJob(db: Db, experimentId: string, modelFrom: string): Promise<EvalCheckpointRow[]> {
  const source = await db.job.findFirst({ where: { experimentId, name: modelFrom }, select: { id: true } });
  if (!source) return [];
  return db.checkpoint.findMany({
    where: { jobId: source.id },
    orderBy: { step: "asc" },
    select: { id: true, step: true, uri: true, servingName: true },
  });
}

/** The experiment's newest dataset (its artifact URI), if it built one. */
export async function latestDatasetUri(db: Db, experimentId: string): Promise<string | null> {
  const d = await db.dataset.findFirst({ where: { experimentId }, orderBy: { createdAt: "desc" }, select: { uri: true } });
  return d?.uri ?? null;
}

/** One scored item as stored: its position in the split, its seed or task index, the outcome. */
export interface EvalItemRow {
  itemIndex: number;
  itemKey: number;
  success: boolean;
  valid: boolean;
  reward: number;
  reason: string | null;
  turns: unknown;
  usage: unknown;
}

/** Postgres jsonb refuses NUL characters, which a small model can emit: store U+FFFD instead. */
function pgSafe(v: unknown): object {
  return JSON.parse(JSON.stringify(v ?? null).replaceAll("\\u0000", "\\ufffd")) as object;
}

/**
 * Store one scored item. Writing the same item again (a retried job re-scoring it) replaces the
 * row; a different item at a position already taken is a bug upstream (two keys mapped to one
 * index) and fails loudly instead of dropping either result.
 */
export async function saveEvalItem(db: Db, evalResultId: string, it: EvalItemRow): Promise<void> {
  const data = {
    itemKey: it.itemKey,
    success: it.success,
    valid: it.valid,
    reward: it.reward,
    reason: it.reason,
    turns: pgSafe(it.turns),
    usage: pgSafe(it.usage),
  };
  const where = { evalResultId_itemIndex: { evalResultId, itemIndex: it.itemIndex } };
  try {
    await db.evalItem.create({ data: { evalResultId, itemIndex: it.itemIndex, ...data } });
    return;
  } catch (e) {
    if (prismaCode(e) !== "P2002") throw e;
  }
  const existing = await db.evalItem.findUniqueOrThrow({ where, select: { itemKey: true } });
  if (existing.itemKey !== it.itemKey)
    throw new TyError(
      "TY_ERR_INTERNAL",
      `eval item ${it.itemIndex} of result ${evalResultId} already holds key ${existing.itemKey}; refusing to drop key ${it.itemKey}`,
    );
  await db.evalItem.update({ where, data });
}

export interface EvalScope {
  experimentId: string;
  jobId: string;
  arm: string;
  seed: number;
}

export interface SplitSummaryRow {
  n: number;
  success: number;
  validity: number;
  meanReward: number;
  metrics: Record<string, unknown>;
}

/**
 * The repository the evaluation orchestration writes through, bound to one eval job. Structural,
 * so packages/eval declares the interface without importing the database.
 */
export function evalRepository(db: Db, scope: EvalScope) {
  return {
    /** One result row per split of a checkpoint, created empty (or found, on a retry). */
    async openResults(cp: { id: string; step: number }, splits: readonly string[]): Promise<Map<string, string>> {
      const ids = new Map<string, string>();
      for (const split of splits) {
        const r = await db.evalResult.upsert({
          where: { jobId_step_split: { jobId: scope.jobId, step: cp.step, split } },
          create: {
            ...scope,
            checkpointId: cp.id,
            split,
            step: cp.step,
            n: 0,
            success: 0,
            validity: 0,
            meanReward: 0,
            metrics: {},
          },
          // A retry of the same job reuses the row; its aggregates are rewritten in finishResult.
          update: { checkpointId: cp.id },
          select: { id: true },
        });
        ids.set(split, r.id);
      }
      return ids;
    },
    /** What the items already stored under these results recorded (the harness's own result). */
    async storedResults(resultIds: readonly string[]): Promise<unknown[]> {
      const stored = await db.evalItem.findMany({ where: { evalResultId: { in: [...resultIds] } }, select: { usage: true } });
      return stored.map((it) => (it.usage as { result?: unknown } | null)?.result).filter((r) => r != null);
    },
    /** Whether an earlier attempt completed these results (`completed` ran for them). */
    async isCompleted(resultIds: readonly string[]): Promise<boolean> {
      const open = await db.evalResult.count({ where: { id: { in: [...resultIds] }, completedAt: null } });
      return open === 0;
    },
    saveItem: (resultId: string, item: EvalItemRow) => saveEvalItem(db, resultId, item),
    async finishResult(resultId: string, s: SplitSummaryRow): Promise<void> {
      await db.evalResult.update({
        where: { id: resultId },
        data: { n: s.n, success: s.success, validity: s.validity, meanReward: s.meanReward, metrics: pgSafe(s.metrics) },
      });
    },
    /**
     * Mark a checkpoint's results completed and queue `eval.completed` for the project's subscribed
     * webhooks, in one transaction: a retry of the job skips a completed checkpoint, so the webhook
     * goes out once (`evalId`: the first split's result).
     */
    async completed(resultIds: readonly string[], summary: Record<string, unknown>): Promise<void> {
      const exp = await db.experiment.findUniqueOrThrow({ where: { id: scope.experimentId }, select: { projectId: true } });
      await db.$transaction(async (tx) => {
        await tx.evalResult.updateMany({ where: { id: { in: [...resultIds] } }, data: { completedAt: new Date() } });
        await emitWebhookEvent(tx, exp.projectId, "eval.completed", {
          experimentId: scope.experimentId,
          jobId: scope.jobId,
          evalId: resultIds[0],
          state: "succeeded",
          summary,
        } as never);
      });
    },
  };
}

export type EvalRepository = ReturnType<typeof evalRepository>;
