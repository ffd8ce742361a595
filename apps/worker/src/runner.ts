/**
 * Runs one delivered job: claim it in Postgres (lease), run the handler with an AbortSignal,
 * heartbeat the lease, stop it on cancel/timeout, and record the outcome. Returns what BullMQ
 * should do: nothing more (done), retry with backoff, or never retry.
 */
import type { Logger } from "pino";
import { classifyJobFailure, JOB_CATALOGUE, parseStoredSpec, type JobKind } from "@trainyard/contracts";
import { COMPUTE_ERROR_CODES } from "@trainyard/compute";
import {
  claimJob,
  completeJob,
  failJob,
  fromDbKind,
  heartbeat,
  jobRequestIds,
  markCancelled,
  reportProgress,
  type Db,
} from "@trainyard/db";
import type { AbortReason, HandlerRegistry, JobContext } from "./context.js";
import { EventBuffer } from "./event-buffer.js";

export interface RunnerDeps {
  db: Db;
  handlers: HandlerRegistry;
  owner: string;
  leaseMs: number;
  logger: Logger;
  artifactDir: string;
  /** Per-kind timeout overrides in ms (tests); default: the catalogue. */
  timeouts?: Partial<Record<JobKind, number>>;
  /** Running jobs' abort controllers, so a cancel message can reach them. */
  running: Map<string, AbortController>;
  /** How often a running job's buffered events are written (ms; default 200). */
  eventFlushMs?: number;
}

export type RunOutcome = "succeeded" | "retry" | "failed" | "cancelled" | "skipped";

function errorInfo(e: unknown): { code: string; message: string } {
  const code = typeof (e as { code?: unknown })?.code === "string" ? (e as { code: string }).code : "TY_ERR_JOB_FAILED";
  const message = e instanceof Error ? e.message : String(e);
  return { code: code.startsWith("TY_ERR_") ? code : "TY_ERR_JOB_FAILED", message: message.slice(0, 4000) };
}

export async function runJob(deps: RunnerDeps, jobId: string): Promise<RunOutcome> {
  const { db, owner, leaseMs, logger } = deps;
  const claim = await claimJob(db, jobId, owner, leaseMs);
  if ("skip" in claim) {
    logger.info({ jobId, reason: claim.skip }, "job delivery skipped");
    return "skipped";
  }
  const row = claim.job;
  const kind = fromDbKind(row.kind);
  const exp = await db.experiment.findUniqueOrThrow({ where: { id: row.experimentId } });
  const spec = parseStoredSpec(exp.spec);
  // The submitting request's id joins this job's lines to the API's (`reqId`, as Fastify logs it).
  const { requestId } = jobRequestIds(row.payload);
  const log = logger.child({
    jobId,
    job: row.name,
    experimentId: row.experimentId,
    attempt: row.attempts,
    ...(requestId ? { reqId: requestId } : {}),
  });

  const ac = new AbortController();
  deps.running.set(jobId, ac);
  const abort = (reason: AbortReason) => {
    if (!ac.signal.aborted) ac.abort(reason);
  };
  const timeoutMs =
    deps.timeouts?.[kind] ?? (kind === "sft" || kind === "grpo" ? spec.compute.timeoutSeconds * 1000 : JOB_CATALOGUE[kind].timeoutMs);
  const timer = setTimeout(() => abort("timeout"), timeoutMs);
  const beat = setInterval(
    () => {
      heartbeat(db, jobId, owner, leaseMs).then(
        (h) => {
          if (h.cancelRequested) abort("cancel");
          else if (h.lost) abort("lease-lost");
        },
        (err: unknown) => log.warn({ err }, "heartbeat failed"),
      );
    },
    Math.max(100, Math.floor(leaseMs / 3)),
  );

  const events = new EventBuffer(
    db,
    { id: row.id, experimentId: row.experimentId },
    {
      ...(deps.eventFlushMs !== undefined ? { flushMs: deps.eventFlushMs } : {}),
      onError: (err) => log.warn({ err }, "writing job events failed; kept for the next write"),
    },
  );
  // Before any transition: the job's own output precedes its status event. Best effort where the
  // job is ending anyway (a database that is down must not hide the job's real outcome).
  const flushEvents = () => events.flush().catch((err: unknown) => log.warn({ err, lost: events.size }, "job events not written"));

  let lastProgress = 0;
  const ctx: JobContext = {
    job: {
      id: row.id,
      experimentId: row.experimentId,
      kind,
      name: row.name,
      arm: row.arm,
      seed: row.seed,
      attempts: row.attempts,
      params: JOB_CATALOGUE[kind].params.parse(row.payload),
      requestId,
    },
    spec,
    signal: ac.signal,
    db,
    logger: log,
    artifactDir: deps.artifactDir,
    async progress(fraction) {
      const now = Date.now();
      if (now - lastProgress < 500 && fraction < 1) return;
      lastProgress = now;
      // Progress is best effort: a slow database must never fail (or crash) the job.
      await reportProgress(db, jobId, owner, fraction).catch((err: unknown) => log.warn({ err }, "progress update failed"));
    },
    async log(message, level = "info") {
      await events.add({ type: "log", data: { level, message } });
    },
    async event(type, data) {
      await events.add({ type, data });
    },
  };

  try {
    const result = await deps.handlers[kind](ctx);
    if (ac.signal.aborted) throw ac.signal.reason instanceof Error ? ac.signal.reason : new Error(String(ac.signal.reason));
    await events.flush();
    await completeJob(db, jobId, owner, result);
    log.info("job succeeded");
    return "succeeded";
  } catch (e) {
    const reason = ac.signal.aborted ? (ac.signal.reason as AbortReason) : null;
    await flushEvents();
    if (reason === "cancel") {
      await markCancelled(db, jobId);
      // The cancelling request's id (stored by the cancel), beside the submit's `reqId`.
      const stored = await db.job.findUnique({ where: { id: jobId }, select: { payload: true } }).catch(() => null);
      const { cancelRequestId } = jobRequestIds(stored?.payload);
      log.info(cancelRequestId ? { cancelReqId: cancelRequestId } : {}, "job cancelled");
      return "cancelled";
    }
    if (reason === "timeout") {
      await failJob(db, jobId, owner, {
        failureKind: "timed_out",
        error: { code: "TY_ERR_JOB_TIMED_OUT", message: `ran past ${timeoutMs} ms` },
        retry: false,
      });
      log.warn("job timed out");
      return "failed";
    }
    if (reason === "lease-lost" || reason === "shutdown") {
      // Another worker (or the reconciler) owns the job now; record nothing over its state.
      log.warn({ reason }, "job abandoned");
      return reason === "shutdown" ? "retry" : "skipped";
    }
    const info = errorInfo(e);
    // One catalogue decides (the compute codes, the trainer's and the worker's, then the API's
    // 4xx codes): a permanent failure fails at once, whatever kind the reporter attached.
    const { failureKind, retry } = classifyJobFailure(info.code, e as { failureKind?: unknown }, COMPUTE_ERROR_CODES);
    const r = await failJob(db, jobId, owner, { failureKind, error: info, retry });
    log.warn({ err: e, failureKind, retry, outcome: r }, "job failed");
    return r === "retrying" ? "retry" : "failed";
  } finally {
    clearTimeout(timer);
    clearInterval(beat);
    events.close();
    deps.running.delete(jobId);
  }
}
