/**
 * Jobs: kinds, states, failure kinds, payloads, and the job catalogue
 * (name → payload schema, attempts, backoff, timeout) that the worker and the relay share.
 */
import { z } from "zod";
import type { ExperimentSpec } from "./experiment.js";

export const JobKind = z.enum(["dataset-build", "sft", "grpo", "eval"]);
export type JobKind = z.infer<typeof JobKind>;

/** queued → running → succeeded | failed; queued|running → cancel_requested → cancelled. */
export const JobState = z.enum(["queued", "running", "succeeded", "failed", "cancel_requested", "cancelled"]);
export type JobState = z.infer<typeof JobState>;
export const TERMINAL_JOB_STATES: readonly JobState[] = ["succeeded", "failed", "cancelled"];

export const FailureKind = z.enum(["user_error", "config_error", "infra_error", "timed_out", "crashed"]);
export type FailureKind = z.infer<typeof FailureKind>;

/** @alias Experiments share the job states (one enum in the database too). */
export const ExperimentState = JobState;
export type ExperimentState = JobState;

/** Every BullMQ message carries only ids; the handler reads the record from Postgres. */
export const JobPayload = z.object({
  jobId: z.uuid(),
  experimentId: z.uuid(),
});
export type JobPayload = z.infer<typeof JobPayload>;

/** What each job row stores as `payload` (the job's own slice of the spec). */
export const DatasetBuildParams = z.object({ kind: z.literal("dataset-build") });
export const TrainParams = z.object({
  kind: z.enum(["sft", "grpo"]),
  arm: z.string(),
  seed: z.number().int(),
  /** For GRPO warm starts: the job whose last checkpoint initialises this one. */
  initFrom: z.string().nullable(),
  /** SFT-only warm-start steps (sft-then-grpo), else null = the spec's sft settings. */
  maxSteps: z.number().int().nullable(),
});
export const EvalParams = z.object({
  kind: z.literal("eval"),
  arm: z.string(),
  seed: z.number().int(),
  /** The training job whose checkpoints are evaluated. */
  modelFrom: z.string(),
  splits: z.array(z.string()),
});
export const JobParams = z.discriminatedUnion("kind", [DatasetBuildParams, TrainParams, EvalParams]);
export type JobParams = z.infer<typeof JobParams>;

/** Where a job's trainer runs: the job row's `compute` (on the job page), written when it starts. */
export const JobCompute = z.object({
  backend: z.string(),
  /** The run id the backend was given (job id + attempt); a re-attached run keeps the attempt that started it. */
  runId: z.string(),
  /** The backend's id of the run: a pid, a container id, `namespace/job`, a Slurm job id; null until submitted. */
  id: z.string().nullable(),
  /** The attempt that started the run. */
  attempt: z.number().int(),
  /** Added to the trainer's step numbers (the attempt resumed from a checkpoint at this step). */
  stepOffset: z.number().int().default(0),
  /** Set by the reconciler once the job had ended and its run was stopped (or found over). */
  released: z.boolean().optional(),
});
export type JobCompute = z.infer<typeof JobCompute>;

export interface CatalogueEntry {
  /** BullMQ queue name (before the deployment prefix). */
  queue: string;
  payload: typeof JobPayload;
  /** The job row's stored `payload` for this kind (read back with it: the worker parses it on every run). */
  params: z.ZodType<JobParams>;
  /** Total tries, the first included. Only infra errors are retried. */
  attempts: number;
  backoff: { type: "exponential" | "fixed"; delayMs: number };
  /** Wall-clock limit of one attempt. */
  timeoutMs: number;
}

export const JOB_CATALOGUE: Record<JobKind, CatalogueEntry> = {
  "dataset-build": {
    queue: "dataset-build",
    payload: JobPayload,
    params: DatasetBuildParams,
    attempts: 3,
    backoff: { type: "exponential", delayMs: 2_000 },
    timeoutMs: 2 * 3600_000,
  },
  sft: {
    queue: "sft",
    payload: JobPayload,
    params: TrainParams,
    attempts: 3,
    backoff: { type: "exponential", delayMs: 10_000 },
    timeoutMs: 72 * 3600_000,
  },
  grpo: {
    queue: "grpo",
    payload: JobPayload,
    params: TrainParams,
    attempts: 3,
    backoff: { type: "exponential", delayMs: 10_000 },
    timeoutMs: 72 * 3600_000,
  },
  eval: {
    queue: "eval",
    payload: JobPayload,
    params: EvalParams,
    attempts: 3,
    backoff: { type: "exponential", delayMs: 5_000 },
    timeoutMs: 24 * 3600_000,
  },
};

export interface PlannedJob {
  /** Unique within the experiment. */
  name: string;
  kind: JobKind;
  arm: string | null;
  seed: number | null;
  dependsOn: string[];
  params: JobParams;
}

/**
 * The experiment's DAG: one dataset build, then per arm × seed the training chain
 * (sft, grpo, or sft → grpo), then one eval job over every split.
 */
export function planJobs(spec: ExperimentSpec): PlannedJob[] {
  const jobs: PlannedJob[] = [
    { name: "dataset-build", kind: "dataset-build", arm: null, seed: null, dependsOn: [], params: { kind: "dataset-build" } },
  ];
  for (const arm of spec.arms) {
    for (const seed of spec.seeds) {
      const tag = `${arm.name}:s${seed}`;
      let last = "dataset-build";
      const method = arm.method;
      switch (method) {
        case "sft":
          jobs.push({
            name: `sft:${tag}`,
            kind: "sft",
            arm: arm.name,
            seed,
            dependsOn: [last],
            params: { kind: "sft", arm: arm.name, seed, initFrom: null, maxSteps: null },
          });
          last = `sft:${tag}`;
          break;
        case "grpo":
          jobs.push({
            name: `grpo:${tag}`,
            kind: "grpo",
            arm: arm.name,
            seed,
            dependsOn: [last],
            params: { kind: "grpo", arm: arm.name, seed, initFrom: null, maxSteps: null },
          });
          last = `grpo:${tag}`;
          break;
        case "sft-then-grpo":
          jobs.push({
            name: `sft:${tag}`,
            kind: "sft",
            arm: arm.name,
            seed,
            dependsOn: [last],
            params: { kind: "sft", arm: arm.name, seed, initFrom: null, maxSteps: spec.grpo.warmStartSteps },
          });
          jobs.push({
            name: `grpo:${tag}`,
            kind: "grpo",
            arm: arm.name,
            seed,
            dependsOn: [`sft:${tag}`],
            params: { kind: "grpo", arm: arm.name, seed, initFrom: `sft:${tag}`, maxSteps: null },
          });
          last = `grpo:${tag}`;
          break;
        default: {
          const never: never = method;
          throw new Error(`unknown method ${String(never)}`);
        }
      }
      jobs.push({
        name: `eval:${tag}`,
        kind: "eval",
        arm: arm.name,
        seed,
        dependsOn: [last],
        params: { kind: "eval", arm: arm.name, seed, modelFrom: last, splits: [...spec.splits] },
      });
    }
  }
  return jobs;
}
