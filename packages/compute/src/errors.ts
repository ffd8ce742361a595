/**
 * The compute package's error catalogue: stable `TY_ERR_COMPUTE_*` codes.
 *
 * Codes are forever: a retired code is never reused. Callers (the worker) classify by `code`, never
 * by `instanceof`, because these errors cross process boundaries as job error bodies.
 * `failureKind` and `retry` say what a job that fails with the code should do: the worker looks
 * codes up here (with the contracts' JOB_FAILURE_CODES) and never retries one marked `retry: false`.
 */
import type { FailureKind, JobFailureInfo } from "@trainyard/contracts";

interface ComputeCodeInfo extends JobFailureInfo {
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
    action: "Use one of `process`, `docker`, `kubernetes`, `slurm`.",
  },
  TY_ERR_COMPUTE_SPAWN_FAILED: {
    failureKind: "config_error",
    retry: false,
    meaning: "The local trainer process could not be started (executable not found, bad working directory).",
    action: "Check the command's executable is on PATH and the workdir exists.",
  },
  TY_ERR_COMPUTE_UNAVAILABLE: {
    failureKind: "infra_error",
    retry: true,
    meaning: "The Docker daemon, the Kubernetes API server or the Slurm controller could not be reached.",
    action: "Retried automatically; operators: check DOCKER_HOST / the kubeconfig / `sinfo` on the worker host.",
  },
  TY_ERR_COMPUTE_API: {
    failureKind: "infra_error",
    retry: true,
    meaning: "The Docker or Kubernetes API, or a Slurm command, answered with an unexpected error.",
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
    meaning: "A container, Job or Slurm job with the run's name exists but belongs to another run.",
    action: "Remove the stray container/Job (Slurm: `scancel --name NAME`), or use a fresh run id.",
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
    meaning:
      "The trainer was killed for running out of memory (container OOMKilled; Slurm OUT_OF_MEMORY, or slurmstepd's 'Exceeded job memory limit').",
    action: "Raise `compute.resources.memoryGiB` or lower batch sizes.",
  },
  TY_ERR_COMPUTE_TIMED_OUT: {
    failureKind: "timed_out",
    retry: false,
    meaning:
      "The trainer ran past `timeoutSeconds` (Kubernetes: activeDeadlineSeconds; Slurm: the job's time limit, TIMEOUT or DEADLINE) and was stopped.",
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
    meaning:
      "The container or Job disappeared while it was being watched (removed by someone else, node lost, TTL expired; Slurm NODE_FAIL, BOOT_FAIL, or a job neither squeue nor sacct knows).",
    action: "Retried automatically; operators: check the cluster's events.",
  },
  TY_ERR_COMPUTE_PREEMPTED: {
    failureKind: "infra_error",
    retry: true,
    meaning:
      "The scheduler took the run's resources back: Slurm preempted or requeued the job. The trainer got SIGTERM and saved a checkpoint if it could.",
    action: "Nothing: the job is retried and resumes from its last checkpoint.",
  },
  TY_ERR_COMPUTE_REJECTED: {
    failureKind: "user_error",
    retry: false,
    meaning:
      "The scheduler refused the job at submission (sbatch: invalid partition, account or QoS, a time or size over a limit, an unknown GRES).",
    action: "Read sbatch's message in the error; change the spec or ask the cluster's operators.",
  },
  TY_ERR_COMPUTE_NOT_CONFIGURED: {
    failureKind: "config_error",
    retry: false,
    meaning: "The backend's client is missing on the worker host (no `sbatch` on PATH or in SLURM_BIN_DIR).",
    action: "Operators: install the Slurm client commands (and munge) on the worker host, or set SLURM_BIN_DIR.",
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
