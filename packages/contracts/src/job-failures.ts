/**
 * How a failed job ends: its failure kind and whether it is retried, decided by the error's code
 * alone (errors cross process boundaries as job error bodies, so never by `instanceof`).
 *
 * `JOB_FAILURE_CODES` covers the codes a job can end with that are not HTTP answers: the trainer's
 * `error` events (infra/trainer/PROTOCOL.md) and the worker's own. The compute package adds its
 * `TY_ERR_COMPUTE_*` table; the worker looks a code up in the union (`classifyJobFailure`), and
 * docs/errors.md shows the same kind and retry flag per code (tested).
 *
 * Failure kinds: `user_error` (the spec or its data; the user fixes it), `config_error` (the
 * deployment: a missing trainer dependency, a missing executable or client; an operator fixes it),
 * `infra_error` (transient: retried unless marked permanent), `crashed` (retried: the next attempt
 * resumes from the last checkpoint), `timed_out` (not retried).
 */
import { ERROR_CODES, type ErrorCode } from "./errors.js";
import type { FailureKind } from "./jobs.js";

export interface JobFailureInfo {
  failureKind: FailureKind;
  retry: boolean;
}

export const JOB_FAILURE_CODES = {
  // The trainer's codes (its `error` event's own failure kind is overridden by this table).
  TY_ERR_TRAINER_CONFIG: { failureKind: "user_error", retry: false },
  TY_ERR_TRAINER_DATA: { failureKind: "user_error", retry: false },
  TY_ERR_TRAINER_CHECKPOINT: { failureKind: "user_error", retry: false },
  TY_ERR_TRAINER_OOM: { failureKind: "infra_error", retry: true },
  TY_ERR_TRAINER_IO: { failureKind: "infra_error", retry: true },
  TY_ERR_TRAINER_REWARD: { failureKind: "infra_error", retry: true },
  TY_ERR_TRAINER_SERVE: { failureKind: "infra_error", retry: true },
  TY_ERR_TRAINER_INTERNAL: { failureKind: "crashed", retry: true },
  // One rank of a distributed run died; the others were stopped. Retried from the last checkpoint.
  TY_ERR_TRAINER_RANK: { failureKind: "crashed", retry: true },
  // A missing trainer dependency (no torch/TRL in the venv or image) or a capability this
  // deployment lacks: retrying on the same host cannot help.
  TY_ERR_NOT_AVAILABLE: { failureKind: "config_error", retry: false },
  // The worker's own.
  TY_ERR_JOB_TIMED_OUT: { failureKind: "timed_out", retry: false },
  TY_ERR_LEASE_LOST: { failureKind: "infra_error", retry: true },
  TY_ERR_EVAL_ENDPOINT: { failureKind: "infra_error", retry: true },
  TY_ERR_DEPENDENCY_UNAVAILABLE: { failureKind: "infra_error", retry: true },
  TY_ERR_TEACHER_UNAVAILABLE: { failureKind: "infra_error", retry: true },
} as const satisfies Record<string, JobFailureInfo>;

const KINDS: readonly FailureKind[] = ["user_error", "config_error", "infra_error", "timed_out", "crashed"];

/**
 * The one decision for a failed job. Order: the catalogue (`extra` first: the compute codes), then
 * the API catalogue (a 4xx code is the user's, never retried), then what the reporter said (a
 * trainer's unknown code with its failure kind), else an unexpected error: infra, retried.
 */
export function classifyJobFailure(
  code: string | undefined,
  reported?: { failureKind?: unknown },
  extra: Readonly<Record<string, JobFailureInfo>> = {},
): JobFailureInfo {
  if (code !== undefined) {
    const known = extra[code] ?? (JOB_FAILURE_CODES as Record<string, JobFailureInfo>)[code];
    if (known) return { failureKind: known.failureKind, retry: known.retry };
    if (code in ERROR_CODES) {
      const status = ERROR_CODES[code as ErrorCode].status;
      if (status >= 400 && status < 500) return { failureKind: "user_error", retry: false };
    }
  }
  const kind = reported?.failureKind;
  if (typeof kind === "string" && (KINDS as readonly string[]).includes(kind)) {
    const k = kind as FailureKind;
    return { failureKind: k, retry: k === "infra_error" || k === "crashed" };
  }
  return { failureKind: "infra_error", retry: true };
}

/** The catalogue without the compute codes (kept for callers that classify by code alone). */
export function classifyJobError(code: string | undefined): JobFailureInfo {
  return classifyJobFailure(code);
}
