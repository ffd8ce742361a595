/**
 * Runs one delivered job: claim it in Postgres (lease), run the handler with an AbortSignal,
 * heartbeat the lease, stop it on cancel/timeout, and record the outcome. Returns what BullMQ
 * should do: nothing more (done), retry with backoff, or never retry.
 */
import type { Logger } from "pino";
import { classifyJobError, JOB_CATALOGUE, parseStoredSpec, JobParams, type JobKind } from "@trainyard/contracts";
import {
  claimJob,
  completeJob,
  failJob,
  fromDbKind,
  heartbeat,
  markCancelled,
  recordJobEvent,
  reportProgress,
  type Db,
} from "@trainyard/db";
import type { AbortReason, HandlerRegistry, JobContext } from "./context.js";

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
  const log = logger.child({ jobId, job: row.name, experimentId: row.experimentId, attempt: row.attempts });

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
      params: JobParams.parse(row.payload),
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
      await recordJobEvent(db, jobId, "log", { level, message });
    },
    async event(type, data) {
      await recordJobEvent(db, jobId, type, data);
    },
  };

  try {
    const result = await deps.handlers[kind](ctx);
    if (ac.signal.aborted) throw ac.signal.reason instanceof Error ? ac.signal.reason : new Error(String(ac.signal.reason));
    await completeJob(db, jobId, owner, result);
    log.info("job succeeded");
    return "succeeded";
  } catch (e) {
    const reason = ac.signal.aborted ? (ac.signal.reason as AbortReason) : null;
    if (reason === "cancel") {
      await markCancelled(db, jobId);
      log.info("job cancelled");
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
    const cls = classifyJobError(info.code);
    // The compute layer may know better (a crash, an OOM, a deadline): honour its failure kind.
    const kind = (e as { failureKind?: unknown }).failureKind;
    const failureKind =
      kind === "crashed" || kind === "timed_out" || kind === "user_error" || kind === "infra_error" ? kind : cls.failureKind;
    const retry = failureKind === "crashed" || (failureKind === "infra_error" && cls.retry);
    const r = await failJob(db, jobId, owner, { failureKind, error: info, retry });
    log.warn({ err: e, failureKind: cls.failureKind, outcome: r }, "job failed");
    return r === "retrying" ? "retry" : "failed";
  } finally {
    clearTimeout(timer);
    clearInterval(beat);
    deps.running.delete(jobId);
  }
}
