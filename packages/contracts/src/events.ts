/**
 * Job events: append-only records with a per-job monotonic `seq` (and a per-experiment
 * `experimentSeq` used as the SSE id of experiment streams).
 */
import { z } from "zod";
import { FailureKind, JobState } from "./jobs.js";

export const JobEventType = z.enum(["status", "log", "metrics", "checkpoint", "eval", "warning"]);
export type JobEventType = z.infer<typeof JobEventType>;

export const JobErrorInfo = z.object({
  code: z.string(),
  message: z.string(),
  /** OpenAI-style: the spec field the error is about, when there is one. */
  param: z.string().nullable().optional(),
});
export type JobErrorInfo = z.infer<typeof JobErrorInfo>;

export const StatusEventData = z.object({
  state: JobState,
  attempt: z.number().int(),
  failureKind: FailureKind.nullable().optional(),
  error: JobErrorInfo.nullable().optional(),
  message: z.string().optional(),
});
export const LogEventData = z.object({ level: z.enum(["debug", "info", "warn", "error"]).default("info"), message: z.string() });
export const MetricsEventData = z.object({
  step: z.number().int(),
  maxSteps: z.number().int().nullable(),
  values: z.record(z.string(), z.number()),
});
export const CheckpointEventData = z.object({ step: z.number().int(), path: z.string(), sha256: z.string() });
export const EvalEventData = z.object({ split: z.string(), step: z.number().int().nullable(), metrics: z.record(z.string(), z.number()) });

export const JobEvent = z.object({
  jobId: z.string(),
  experimentId: z.string(),
  seq: z.number().int(),
  experimentSeq: z.number().int(),
  type: JobEventType,
  data: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
export type JobEvent = z.infer<typeof JobEvent>;
