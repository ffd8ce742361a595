/**
 * A job's trainer run on its compute backend: started fresh, or re-attached when the previous
 * attempt ended only because its worker went away (the lease reconciler's TY_ERR_LEASE_LOST) and
 * the backend keeps runs alive without us (slurm). Where it runs is recorded on the job row
 * (`compute`: the job page shows the Slurm job id) before and after the start, so a worker that
 * dies in between still leaves the run id to re-attach by.
 *
 * A re-attached run replays its output from the start. `RunRecorder` records only what no earlier
 * reader recorded: every event written from a run carries `src` (the run id and the reader's
 * position), and the last recorded `src` of the run says where the earlier reader had got to. The
 * caller still sees replayed events, to rebuild its tally.
 */
import { resolve } from "node:path";
import { JobCompute, type JobEventType } from "@trainyard/contracts";
import {
  isReplayed,
  REATTACHABLE_BACKENDS,
  type BackendName,
  type ComputeBackend,
  type LaunchSpec,
  type RunEvent,
  type RunHandle,
  type RunPosition,
} from "@trainyard/compute";
import { setJobCompute, type Db } from "@trainyard/db";
import type { JobContext } from "../context.js";

export interface ComputeRun {
  handle: RunHandle;
  compute: JobCompute;
  /** Where the earlier reader of a re-attached run had got to; null for a fresh run. */
  seen: RunPosition | null;
}

/** Start a new run, recording where it runs before (the run id) and after (the backend's id) the start. */
export async function startRun(ctx: JobContext, backend: ComputeBackend, stepOffset: number, spec: LaunchSpec): Promise<ComputeRun> {
  const compute: JobCompute = { backend: backend.name, runId: spec.runId, id: null, attempt: ctx.job.attempts, stepOffset };
  await setJobCompute(ctx.db, ctx.job.id, compute);
  const handle = await backend.start(spec);
  compute.id = handle.id;
  await setJobCompute(ctx.db, ctx.job.id, compute, { level: "info", message: `trainer started on ${backend.name} (${handle.id})` });
  return { handle, compute, seen: null };
}

/**
 * The run the previous attempt left behind, when that attempt ended only because its worker went
 * away (TY_ERR_LEASE_LOST) and the backend can re-attach (slurm); null otherwise.
 */
export async function attachEarlierRun(ctx: JobContext, backend: ComputeBackend): Promise<ComputeRun | null> {
  if (ctx.job.attempts <= 1 || !backend.attach) return null;
  const row = await ctx.db.job.findUnique({ where: { id: ctx.job.id }, select: { compute: true, error: true } });
  const lastError = (row?.error as { code?: unknown } | null)?.code;
  const prior = JobCompute.safeParse(row?.compute);
  if (lastError !== "TY_ERR_LEASE_LOST" || !prior.success || prior.data.backend !== backend.name) return null;
  const handle = await backend.attach({
    runId: prior.data.runId,
    ...(prior.data.id ? { id: prior.data.id } : {}),
    artifactDir: resolve(ctx.artifactDir),
    resources: ctx.spec.compute.resources,
  });
  if (!handle) {
    await ctx.log(`the run ${prior.data.runId} of attempt ${prior.data.attempt} is gone from ${backend.name}; starting a new one`, "warn");
    return null;
  }
  const compute = { ...prior.data, id: handle.id };
  const seen = await lastRecordedPosition(ctx, compute.runId);
  await setJobCompute(ctx.db, ctx.job.id, compute, {
    level: "info",
    message: `re-attached to the trainer on ${backend.name} (${handle.id}) started by attempt ${compute.attempt}; replaying its output`,
  });
  return { handle, compute, seen };
}

async function lastRecordedPosition(ctx: JobContext, runId: string): Promise<RunPosition | null> {
  const rows = await ctx.db.$queryRaw<{ src: { stdout?: unknown; stderr?: unknown } | null }[]>`
    SELECT data->'src' AS src FROM job_events
    WHERE job_id = ${ctx.job.id}::uuid AND data->'src'->>'run' = ${runId}
    ORDER BY seq DESC LIMIT 1`;
  const src = rows[0]?.src;
  return src ? { stdout: Number(src.stdout) || 0, stderr: Number(src.stderr) || 0 } : null;
}

/**
 * Runs that outlived their job: a job cancelled (or failed for good) while no worker held it
 * leaves its Slurm job running, and nothing else would stop it before its time limit. The
 * reconciler calls this: each such run is stopped once, then the job's `compute` is marked
 * `released`. Returns how many runs it stopped.
 */
export async function releaseOrphanRuns(
  db: Db,
  backendFor: (name: BackendName) => ComputeBackend,
  artifactDir: string,
  log: (message: string, jobId: string) => void,
): Promise<number> {
  const rows = await db.$queryRaw<{ id: string; compute: unknown }[]>`
    SELECT id::text AS id, compute FROM jobs
    WHERE state IN ('cancelled', 'failed') AND compute->>'released' IS NULL
      AND compute->>'backend' = ANY(${[...REATTACHABLE_BACKENDS]}::text[])
    ORDER BY finished_at LIMIT 50`;
  let stopped = 0;
  for (const row of rows) {
    const c = JobCompute.safeParse(row.compute);
    if (c.success) {
      const backend = backendFor(c.data.backend as BackendName);
      const ref = {
        runId: c.data.runId,
        ...(c.data.id ? { id: c.data.id } : {}),
        artifactDir: resolve(artifactDir),
        resources: { gpus: 0, cpus: 1, memoryGiB: 1 },
      };
      if (await backend.release?.(ref)) {
        stopped++;
        log(`stopped the ${c.data.backend} run ${c.data.id ?? c.data.runId} its ended job left running`, row.id);
      }
    }
    await db.$executeRaw`UPDATE jobs SET compute = compute || '{"released": true}'::jsonb WHERE id = ${row.id}::uuid`;
  }
  return stopped;
}

/**
 * Records the job events a run's output produces, each tagged with where it came from; events an
 * earlier reader of the same run already recorded are skipped (`fresh` is false for them).
 */
export class RunRecorder {
  /** Whether the event last passed to `next` is new (false: replayed, already recorded). */
  fresh = true;

  constructor(
    private readonly ctx: JobContext,
    private readonly run: ComputeRun,
  ) {}

  next(ev: RunEvent): boolean {
    const pos = this.run.handle.position?.();
    this.fresh = !pos || !isReplayed(ev, pos, this.run.seen);
    return this.fresh;
  }

  async event(type: Exclude<JobEventType, "status">, data: Record<string, unknown>): Promise<void> {
    if (this.fresh) await this.ctx.event(type, this.tagged(data));
  }

  async log(message: string, level: "debug" | "info" | "warn" | "error" = "info"): Promise<void> {
    if (this.fresh) await this.ctx.event("log", this.tagged({ level, message }));
  }

  private tagged(data: Record<string, unknown>): Record<string, unknown> {
    const pos = this.run.handle.position?.();
    return pos ? { ...data, src: { run: this.run.compute.runId, ...pos } } : data;
  }
}
