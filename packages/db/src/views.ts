import type { JobCompute } from "@trainyard/contracts";
import type { Experiment, Job, JobEvent } from "./generated/prisma/client.js";
import { fromDbKind } from "./kinds.js";

/** The API's JSON shapes of stored rows (also what idempotent replays return). */
export function jobView(j: Job) {
  return {
    id: j.id,
    experimentId: j.experimentId,
    name: j.name,
    kind: fromDbKind(j.kind),
    arm: j.arm,
    seed: j.seed,
    dependsOn: j.dependsOn,
    state: j.state,
    failureKind: j.failureKind,
    error: j.error,
    result: j.result,
    progress: j.progress,
    attempts: j.attempts,
    maxAttempts: j.maxAttempts,
    /** Where its trainer runs (backend, run id, the backend's id such as the Slurm job id), or null. */
    compute: (j.compute as JobCompute | null) ?? null,
    /** Last event sequence number of the job: stream with `?after=` it to see only what follows. */
    eventSeq: j.eventSeq,
    createdAt: j.createdAt.toISOString(),
    startedAt: j.startedAt?.toISOString() ?? null,
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}
export type JobView = ReturnType<typeof jobView>;

export function experimentView(e: Experiment, jobs?: Job[]) {
  return {
    id: e.id,
    name: e.name,
    task: e.task,
    preset: e.preset,
    state: e.state,
    progress: e.progress,
    specHash: e.specHash,
    spec: e.spec,
    /** Last experiment-wide event sequence number (an experiment stream's `?after=`). */
    eventSeq: e.eventSeq,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    finishedAt: e.finishedAt?.toISOString() ?? null,
    ...(jobs ? { jobs: jobs.map(jobView) } : {}),
  };
}
export type ExperimentView = ReturnType<typeof experimentView>;

export function eventView(ev: JobEvent) {
  return {
    jobId: ev.jobId,
    experimentId: ev.experimentId,
    seq: ev.seq,
    experimentSeq: ev.experimentSeq,
    type: ev.type,
    data: ev.data as Record<string, unknown>,
    createdAt: ev.createdAt.toISOString(),
  };
}
export type EventView = ReturnType<typeof eventView>;
