import type { ExperimentResponse, JobCompute, JobErrorInfo, JobEventResponse, JobResponse } from "@trainyard/contracts";
import type { Experiment, Job, JobEvent } from "./generated/prisma/client.js";
import { fromDbKind } from "./kinds.js";

/** The API's JSON shapes of stored rows (also what idempotent replays return); contracts' responses.ts types them. */
export function jobView(j: Job): JobResponse {
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
    error: j.error as JobErrorInfo | null,
    result: j.result as Record<string, unknown> | null,
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

export function experimentView(e: Experiment): ExperimentSummaryView {
  return {
    id: e.id,
    name: e.name,
    task: e.task,
    preset: e.preset,
    state: e.state,
    progress: e.progress,
    specHash: e.specHash,
    spec: e.spec as ExperimentResponse["spec"],
    /** Last experiment-wide event sequence number (an experiment stream's `?after=`). */
    eventSeq: e.eventSeq,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
    finishedAt: e.finishedAt?.toISOString() ?? null,
  };
}
/** A list item: the experiment without its jobs. */
type ExperimentSummaryView = Omit<ExperimentResponse, "jobs">;

/** The experiment with its jobs (jobs last, as every single-experiment answer has them). */
export function experimentWithJobs(e: Experiment, jobs: Job[]): ExperimentResponse {
  return { ...experimentView(e), jobs: jobs.map(jobView) };
}

export function eventView(ev: JobEvent): JobEventResponse {
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
