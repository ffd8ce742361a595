/**
 * Job state machine over Postgres (the record). Every transition appends a `status` event and
 * advances the experiment DAG in the same transaction.
 *
 *   queued → running → succeeded | failed
 *   queued → cancelled;  running → cancel_requested → cancelled
 *   running → queued (infra error with attempts left, or a lost lease)
 */
import {
  TERMINAL_JOB_STATES,
  type FailureKind,
  type JobCompute,
  type JobErrorInfo,
  type JobEventType,
  type JobState,
} from "@trainyard/contracts";
import type { Db, Tx } from "./client.js";
import type { Job } from "./generated/prisma/client.js";
import { appendEvent, lockExperiment } from "./events.js";
import { fromDbKind } from "./kinds.js";
import { writeOutbox } from "./outbox.js";
import { emitExperimentCompleted, emitJobWebhook } from "./webhooks.js";

const isTerminal = (s: string) => (TERMINAL_JOB_STATES as readonly string[]).includes(s);

async function lockJob(tx: Tx, jobId: string): Promise<Job | null> {
  const job = await tx.job.findUnique({ where: { id: jobId } });
  if (!job) return null;
  await lockExperiment(tx, job.experimentId);
  await tx.$queryRaw`SELECT id FROM jobs WHERE id = ${jobId}::uuid FOR UPDATE`;
  return tx.job.findUnique({ where: { id: jobId } });
}

async function setState(
  tx: Tx,
  job: Job,
  state: JobState,
  extra: { failureKind?: FailureKind | null; error?: JobErrorInfo | null; message?: string; data?: Partial<Job> } = {},
): Promise<void> {
  const terminal = isTerminal(state);
  await tx.job.update({
    where: { id: job.id },
    data: {
      state,
      ...(extra.failureKind !== undefined ? { failureKind: extra.failureKind } : {}),
      ...(extra.error !== undefined ? { error: extra.error === null ? undefined : (extra.error as object) } : {}),
      ...(terminal ? { finishedAt: new Date(), leaseOwner: null, leaseUntil: null } : {}),
      ...(state === "succeeded" ? { progress: 1 } : {}),
      ...(extra.data as object),
    },
  });
  await appendEvent(tx, job, "status", {
    state,
    attempt: (extra.data?.attempts as number | undefined) ?? job.attempts,
    ...(extra.failureKind ? { failureKind: extra.failureKind } : {}),
    ...(extra.error ? { error: extra.error } : {}),
    ...(extra.message ? { message: extra.message } : {}),
  });
  // Only terminal failures reach here as `failed` (a retry goes back to `queued`).
  if (state === "failed" || state === "cancelled") await emitJobWebhook(tx, job.id, state === "failed" ? "job.failed" : "job.cancelled");
}

/**
 * After any transition: enqueue jobs whose dependencies all succeeded, cancel jobs whose
 * dependencies can no longer succeed, and derive the experiment's state and progress.
 */
export async function advanceExperiment(tx: Tx, experimentId: string): Promise<{ finished: boolean; state: string }> {
  for (;;) {
    const jobs = await tx.job.findMany({ where: { experimentId } });
    const byName = new Map(jobs.map((j) => [j.name, j]));
    let changed = false;
    for (const j of jobs) {
      if (j.state !== "queued" || j.enqueuedAt) continue;
      const deps = j.dependsOn.map((d) => byName.get(d));
      const broken = deps.find((d) => !d || d.state === "failed" || d.state === "cancelled");
      if (broken) {
        await setState(tx, j, "cancelled", {
          error: { code: "TY_ERR_JOB_CANCELLED", message: `skipped: dependency ${broken?.name ?? "?"} did not succeed` },
        });
        changed = true;
      } else if (deps.every((d) => d?.state === "succeeded")) {
        await tx.job.update({ where: { id: j.id }, data: { enqueuedAt: new Date() } });
        await writeOutbox(tx, "job.enqueue", { jobId: j.id, experimentId, kind: fromDbKind(j.kind) });
        await appendEvent(tx, j, "status", { state: "queued", attempt: j.attempts, message: "ready" });
        changed = true;
      }
    }
    if (!changed) break;
  }
  const jobs = await tx.job.findMany({ where: { experimentId }, select: { state: true, progress: true } });
  const exp = await tx.experiment.findUniqueOrThrow({ where: { id: experimentId } });
  const all = jobs.every((j) => isTerminal(j.state));
  let state: JobState;
  if (all)
    state = jobs.some((j) => j.state === "failed") ? "failed" : jobs.some((j) => j.state === "cancelled") ? "cancelled" : "succeeded";
  else if (exp.state === "cancel_requested") state = "cancel_requested";
  else if (jobs.some((j) => j.state !== "queued")) state = "running";
  else state = "queued";
  const progress = jobs.length ? jobs.reduce((s, j) => s + (isTerminal(j.state) ? 1 : j.progress), 0) / jobs.length : 0;
  const finished = all && !isTerminal(exp.state);
  await tx.experiment.update({
    where: { id: experimentId },
    data: { state, progress, ...(finished ? { finishedAt: new Date() } : {}) },
  });
  if (finished) await emitExperimentCompleted(tx, experimentId);
  return { finished, state };
}

export type ClaimResult = { job: Job } | { skip: string };

/** Take a delivered job: queued → running with a lease. Duplicate or stale deliveries are skipped. */
export async function claimJob(db: Db, jobId: string, owner: string, leaseMs: number): Promise<ClaimResult> {
  return db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) return { skip: "no such job" };
    if (job.state === "cancel_requested") {
      await setState(tx, job, "cancelled", { error: { code: "TY_ERR_JOB_CANCELLED", message: "cancelled before it started" } });
      await advanceExperiment(tx, job.experimentId);
      return { skip: "cancelled" };
    }
    // A live lease means some handler runs this attempt, this worker's own included: a second
    // delivery (BullMQ's stalled entry after the reconciler re-delivered it) must not start another.
    if (job.state === "running" && job.leaseUntil && job.leaseUntil > new Date()) {
      return { skip: job.leaseOwner === owner ? "already running here" : "running elsewhere" };
    }
    if (job.state !== "queued" && job.state !== "running") return { skip: `already ${job.state}` };
    if (!job.enqueuedAt) return { skip: "dependencies not met" };
    const attempts = job.attempts + 1;
    await setState(tx, job, "running", {
      message: `attempt ${attempts} of ${job.maxAttempts} on ${owner}`,
      data: {
        attempts,
        leaseOwner: owner,
        leaseUntil: new Date(Date.now() + leaseMs),
        startedAt: job.startedAt ?? new Date(),
        failureKind: null,
      },
    });
    await advanceExperiment(tx, job.experimentId);
    const fresh = await tx.job.findUniqueOrThrow({ where: { id: jobId } });
    return { job: fresh };
  });
}

/** Extend the lease. Tells the owner whether a cancel was requested or the lease was lost. */
export async function heartbeat(
  db: Db,
  jobId: string,
  owner: string,
  leaseMs: number,
): Promise<{ cancelRequested: boolean; lost: boolean }> {
  const n = await db.job.updateMany({
    where: { id: jobId, leaseOwner: owner, state: { in: ["running", "cancel_requested"] } },
    data: { leaseUntil: new Date(Date.now() + leaseMs) },
  });
  const job = await db.job.findUnique({ where: { id: jobId }, select: { state: true } });
  return { cancelRequested: job?.state === "cancel_requested", lost: n.count === 0 };
}

export async function completeJob(db: Db, jobId: string, owner: string, result: Record<string, unknown>): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job || job.leaseOwner !== owner || (job.state !== "running" && job.state !== "cancel_requested")) return false;
    await setState(tx, job, "succeeded", { data: { result: result as object } });
    await advanceExperiment(tx, job.experimentId);
    return true;
  });
}

/**
 * A handler failed. With `retry` (infra errors with attempts left) the job goes back to queued
 * for BullMQ's backoff; otherwise it fails for good and its dependents are skipped.
 */
export async function failJob(
  db: Db,
  jobId: string,
  owner: string | null,
  f: { failureKind: FailureKind; error: JobErrorInfo; retry: boolean },
): Promise<"retrying" | "failed" | "ignored"> {
  return db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job || isTerminal(job.state)) return "ignored";
    if (owner !== null && job.leaseOwner !== owner) return "ignored";
    const retry = f.retry && job.attempts < job.maxAttempts && job.state !== "cancel_requested";
    if (retry) {
      await setState(tx, job, "queued", {
        failureKind: f.failureKind,
        error: f.error,
        message: `attempt ${job.attempts} failed (${f.failureKind}); retrying`,
        data: { leaseOwner: null, leaseUntil: null },
      });
      await advanceExperiment(tx, job.experimentId);
      return "retrying";
    }
    await setState(tx, job, "failed", { failureKind: f.failureKind, error: f.error });
    await advanceExperiment(tx, job.experimentId);
    return "failed";
  });
}

/** The handler stopped after a cancel request. */
export async function markCancelled(db: Db, jobId: string, message = "cancelled by request"): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job || isTerminal(job.state)) return false;
    await setState(tx, job, "cancelled", { error: { code: "TY_ERR_JOB_CANCELLED", message } });
    await advanceExperiment(tx, job.experimentId);
    return true;
  });
}

/**
 * Cancel an experiment: queued jobs are cancelled at once, running ones become
 * cancel_requested (their worker is told through Redis and on its next heartbeat).
 * Returns the ids of the running jobs to signal, or null when there is no such experiment.
 */
export async function requestCancelExperiment(
  db: Db,
  projectId: string,
  experimentId: string,
  /** The cancelling request's id, stored in each affected job's payload as `cancelRequestId`. */
  requestId?: string,
): Promise<{ running: string[]; state: string } | null> {
  return db.$transaction(async (tx) => {
    const exp = await tx.experiment.findFirst({ where: { id: experimentId, projectId } });
    if (!exp) return null;
    await lockExperiment(tx, experimentId);
    if (isTerminal(exp.state)) return { running: [], state: exp.state };
    await tx.experiment.update({ where: { id: experimentId }, data: { state: "cancel_requested" } });
    const jobs = await tx.job.findMany({ where: { experimentId, state: { in: ["queued", "running"] } } });
    const running: string[] = [];
    for (const j of jobs) {
      const data = requestId ? { payload: { ...(j.payload as object), cancelRequestId: requestId } } : {};
      if (j.state === "queued") {
        await setState(tx, j, "cancelled", { error: { code: "TY_ERR_JOB_CANCELLED", message: "cancelled by request" }, data });
      } else {
        await setState(tx, j, "cancel_requested", { message: "cancel requested", data });
        running.push(j.id);
      }
    }
    const { state } = await advanceExperiment(tx, experimentId);
    return { running, state };
  });
}

/**
 * The request ids a job's payload carries: the submit's (`requestId`) and, once cancelled by
 * request, the cancel's (`cancelRequestId`). Jobs stored before request ids were kept have none.
 */
export function jobRequestIds(payload: unknown): { requestId: string | null; cancelRequestId: string | null } {
  const p = (payload ?? {}) as { requestId?: unknown; cancelRequestId?: unknown };
  return {
    requestId: typeof p.requestId === "string" ? p.requestId : null,
    cancelRequestId: typeof p.cancelRequestId === "string" ? p.cancelRequestId : null,
  };
}

/** Progress in [0, 1] of a running job (no event: progress is polled/streamed via the row). */
export async function reportProgress(db: Db, jobId: string, owner: string, progress: number): Promise<void> {
  const p = Math.max(0, Math.min(1, progress));
  await db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job || job.leaseOwner !== owner) return;
    await tx.job.update({ where: { id: jobId }, data: { progress: p } });
    await advanceExperiment(tx, job.experimentId);
  });
}

/**
 * Record where a running job's trainer runs (the job page shows it), with a log event saying so.
 * Returns false when the job is no longer running.
 */
export async function setJobCompute(
  db: Db,
  jobId: string,
  compute: JobCompute,
  log?: { level: "debug" | "info" | "warn"; message: string },
): Promise<boolean> {
  return db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job || (job.state !== "running" && job.state !== "cancel_requested")) return false;
    await tx.job.update({ where: { id: jobId }, data: { compute: compute as object } });
    if (log) await appendEvent(tx, job, "log", { ...log, compute });
    return true;
  });
}

/** A handler's own event (log, metrics, checkpoint, eval, warning). */
export async function recordJobEvent(db: Db, jobId: string, type: Exclude<JobEventType, "status">, data: Record<string, unknown>) {
  return db.$transaction(async (tx) => {
    const job = await lockJob(tx, jobId);
    if (!job) return null;
    return appendEvent(tx, job, type, data);
  });
}

/** Running jobs whose lease expired: their worker died. Back to queued (or failed) as infra errors. */
export async function reclaimExpiredLeases(
  db: Db,
  now = new Date(),
): Promise<{ requeued: string[]; failed: string[]; cancelled: string[] }> {
  const stale = await db.job.findMany({
    where: { state: { in: ["running", "cancel_requested"] }, leaseUntil: { lt: now } },
    select: { id: true, state: true },
  });
  const out = { requeued: [] as string[], failed: [] as string[], cancelled: [] as string[] };
  for (const s of stale) {
    if (s.state === "cancel_requested") {
      if (await markCancelled(db, s.id, "cancelled (its worker stopped answering)")) out.cancelled.push(s.id);
      continue;
    }
    const r = await failJob(db, s.id, null, {
      failureKind: "infra_error",
      error: { code: "TY_ERR_LEASE_LOST", message: "the worker running this job stopped heart-beating" },
      retry: true,
    });
    if (r === "retrying") out.requeued.push(s.id);
    else if (r === "failed") out.failed.push(s.id);
  }
  return out;
}

/** Jobs that should be on a BullMQ queue right now (queued with dependencies met). */
export async function listEnqueuableJobs(db: Db, limit = 1000) {
  const rows = await db.job.findMany({
    where: { state: "queued", enqueuedAt: { not: null } },
    select: { id: true, experimentId: true, kind: true, attempts: true, error: true },
    take: limit,
    orderBy: { enqueuedAt: "asc" },
  });
  return rows.map((r) => ({
    jobId: r.id,
    experimentId: r.experimentId,
    kind: fromDbKind(r.kind),
    attempts: r.attempts,
    /** Re-queued because its worker stopped heart-beating (its BullMQ entry may still look active). */
    leaseLost: (r.error as { code?: unknown } | null)?.code === "TY_ERR_LEASE_LOST",
  }));
}
