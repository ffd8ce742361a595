/**
 * The compute package's error catalogue: stable `TY_ERR_COMPUTE_*` codes.
 *
 * Codes are forever: a retired code is never reused. Callers (the worker) classify by `code`, never
 * by `instanceof`, because these errors cross process boundaries as job error bodies.
 * `failureKind` and `retry` say what a job that fails with the code should do.
 */
import type { FailureKind } from "@trainyard/contracts";

interface ComputeCodeInfo {
  failureKind: FailureKind;
  retry: boolean;
  meaning: string;
  action: string;
}

export const COMPUTE_ERROR_CODES = {
  TY_ERR_COMPUTE_INVALID_SPEC: {
    failureKind: "user_error",
    retry: false,
    meaning:
      "The launch spec cannot run on this backend (empty command, no image for a container backend, no PVC on Kubernetes, bad resources).",
    action: "Fix the field named in the message.",
  },
  TY_ERR_COMPUTE_UNKNOWN_BACKEND: {
    failureKind: "user_error",
    retry: false,
    meaning: "`createBackend` was asked for a backend that does not exist.",
    action: "Use one of `process`, `docker`, `kubernetes`.",
  },
  TY_ERR_COMPUTE_SPAWN_FAILED: {
    failureKind: "infra_error",
    retry: false,
    meaning: "The local trainer process could not be started (executable not found, bad working directory).",
    action: "Check the command's executable is on PATH and the workdir exists.",
  },
  TY_ERR_COMPUTE_UNAVAILABLE: {
    failureKind: "infra_error",
    retry: true,
    meaning: "The Docker daemon or the Kubernetes API server could not be reached.",
    action: "Retried automatically; operators: check DOCKER_HOST / the kubeconfig.",
  },
  TY_ERR_COMPUTE_API: {
    failureKind: "infra_error",
    retry: true,
    meaning: "The Docker or Kubernetes API answered a request with an unexpected error.",
    action: "Read the message (status and API reason); retried automatically.",
  },
  TY_ERR_COMPUTE_IMAGE_NOT_FOUND: {
    failureKind: "user_error",
    retry: false,
    meaning: "The trainer image does not exist in the registry, or the registry refused access to it.",
    action: "Check `compute.image` (name, tag) and the daemon's registry credentials.",
  },
  TY_ERR_COMPUTE_CONFLICT: {
    failureKind: "infra_error",
    retry: false,
    meaning: "A container or Job with the run's name exists but belongs to another run.",
    action: "Remove the stray container/Job, or use a fresh run id.",
  },
  TY_ERR_COMPUTE_EVENTS_TAKEN: {
    failureKind: "infra_error",
    retry: false,
    meaning: "`events()` was called twice on one run handle; the stream has a single reader.",
    action: "Read events in one place and fan them out there.",
  },
  TY_ERR_COMPUTE_OOM: {
    failureKind: "infra_error",
    retry: true,
    meaning: "The trainer was killed for running out of memory (container OOMKilled).",
    action: "Raise `compute.resources.memoryGiB` or lower batch sizes.",
  },
  TY_ERR_COMPUTE_TIMED_OUT: {
    failureKind: "timed_out",
    retry: false,
    meaning: "The trainer ran past `timeoutSeconds` (Kubernetes: activeDeadlineSeconds) and was stopped.",
    action: "Raise `compute.timeoutSeconds` or shrink the run.",
  },
  TY_ERR_COMPUTE_CRASHED: {
    failureKind: "crashed",
    retry: true,
    meaning:
      "The trainer exited without a `done` or `error` event (a crash, a signal, or a local OOM kill, which cannot be told apart on the process backend).",
    action: "Read the run's stderr lines; a SIGKILL on the process backend may be the kernel's OOM killer.",
  },
  TY_ERR_COMPUTE_LOST: {
    failureKind: "infra_error",
    retry: true,
    meaning: "The container or Job disappeared while it was being watched (removed by someone else, node lost, TTL expired).",
    action: "Retried automatically; operators: check the cluster's events.",
  },
} as const satisfies Record<string, ComputeCodeInfo>;

export type ComputeErrorCode = keyof typeof COMPUTE_ERROR_CODES;

export class ComputeError extends Error {
  readonly code: ComputeErrorCode;
  readonly failureKind: FailureKind;
  readonly retry: boolean;
  constructor(code: ComputeErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "ComputeError";
    this.code = code;
    this.failureKind = COMPUTE_ERROR_CODES[code].failureKind;
    this.retry = COMPUTE_ERROR_CODES[code].retry;
  }
}

/** Wrap an error from the Docker/Kubernetes client: unreachable → UNAVAILABLE, else API. */
export function apiError(what: string, e: unknown): ComputeError {
  if (e instanceof ComputeError) return e;
  const err = e as { code?: unknown; statusCode?: unknown; message?: unknown; cause?: { code?: unknown } };
  const sysCode = typeof err?.code === "string" ? err.code : typeof err?.cause?.code === "string" ? err.cause.code : undefined;
  const unreachable =
    sysCode !== undefined && ["ECONNREFUSED", "ENOENT", "EHOSTUNREACH", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN"].includes(sysCode);
  const status = typeof err?.statusCode === "number" ? err.statusCode : typeof err?.code === "number" ? err.code : undefined;
  const msg = typeof err?.message === "string" ? err.message : String(e);
  return new ComputeError(
    unreachable ? "TY_ERR_COMPUTE_UNAVAILABLE" : "TY_ERR_COMPUTE_API",
    `${what}: ${status !== undefined ? `HTTP ${status}: ` : ""}${msg.slice(0, 500)}`,
    { cause: e },
  );
}

/** HTTP status carried by a dockerode (`statusCode`) or client-node (`code`) error, if any. */
export function httpStatus(e: unknown): number | undefined {
  const err = e as { statusCode?: unknown; code?: unknown };
  if (typeof err?.statusCode === "number") return err.statusCode;
  if (typeof err?.code === "number") return err.code;
  return undefined;
}
