/**
 * The one interface every compute backend implements, and the launch spec they all take.
 *
 * A backend starts the trainer (`python -m trainyard_trainer <mode> --config FILE.json`) and hands
 * back a RunHandle. Events come back through whatever log stream the backend offers (child stdout,
 * Docker logs, pod logs, a Slurm job's output files), so the trainer needs no network path back to us.
 *
 * Re-attachable backends (slurm) also implement `attach`, `RunHandle.position` and `RunHandle.detach`:
 * a run outlives the worker that started it, and a later worker re-attaches to it by run id and
 * replays its output from the start, telling (through `position`) which events it had already seen.
 */
import { createHash } from "node:crypto";
import { isAbsolute, posix } from "node:path";
import { SLURM_NAME, type TrainerEvent } from "@trainyard/contracts";
import { ComputeError } from "./errors.js";

export type BackendName = "process" | "docker" | "kubernetes" | "slurm";

export interface Resources {
  /** Whole GPUs; 0 hides GPUs from the trainer. */
  gpus: number;
  /** CPU cores, fractions allowed. */
  cpus: number;
  /** Memory limit in GiB (2^30 bytes). */
  memoryGiB: number;
}

/** Resources as the backend applies them; `enforced` is false where nothing caps them (process). */
export interface EffectiveResources extends Resources {
  enforced: boolean;
}

export interface Toleration {
  key?: string;
  operator?: "Exists" | "Equal";
  value?: string;
  effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
  tolerationSeconds?: number;
}

export interface ArtifactMount {
  /** A relative path under the artifact store (no `..`), e.g. `checkpoints/<experiment id>`. */
  key: string;
  readOnly: boolean;
}

/** Host path and container path of each mount (the whole store read-write when none are named). */
export function artifactBinds(spec: Pick<LaunchSpec, "artifactDir" | "artifactMountPath" | "mounts">): {
  source: string;
  target: string;
  subPath: string;
  readOnly: boolean;
}[] {
  const target = spec.artifactMountPath ?? spec.artifactDir;
  if (!spec.mounts) return [{ source: spec.artifactDir, target, subPath: "", readOnly: false }];
  return spec.mounts.map((m) => ({
    source: posix.join(spec.artifactDir, m.key),
    target: posix.join(target, m.key),
    subPath: m.key,
    readOnly: m.readOnly,
  }));
}

export interface LaunchSpec {
  /** Stable id of the run (a Trainyard job id + attempt); container and Job names derive from it. */
  runId: string;
  /** Trainer image; required by docker and kubernetes, refused by process. */
  image?: string;
  /** Full argv. In containers it replaces the image's ENTRYPOINT, as a Kubernetes `command` does. */
  command: string[];
  env: Record<string, string>;
  /** Working directory (host path for process, container path otherwise). */
  workdir?: string;
  /** Artifact store root on the host (process, docker) or on the PVC's mount in the worker (kubernetes). */
  artifactDir: string;
  /** Where containers see the artifact store; default: the same path as `artifactDir`. */
  artifactMountPath?: string;
  /**
   * The parts of the artifact store the run may see (keys relative to `artifactDir`, e.g. the
   * experiment's checkpoints read-write and its dataset read-only). Container backends (docker,
   * kubernetes, slurm with a container runtime) mount only these, each at its own place under
   * `artifactMountPath`; absent, the whole store is mounted read-write (tools and tests only: the
   * worker always names them, so a tenant's image never sees another experiment's files). The
   * process backend and bare Slurm share the host's filesystem and cannot narrow it.
   */
  mounts?: ArtifactMount[];
  resources: Resources;
  /**
   * Nodes of a multi-node training run (default 1); `resources` are per node. The trainer starts
   * its ranks on each node itself: the backend runs one copy of `command` per node and gives it
   * the rendezvous (Slurm: the allocation; Kubernetes: MASTER_ADDR/NODE_RANK from an Indexed Job).
   */
  nodes?: number;
  /** Kubernetes only. */
  nodeSelector?: Record<string, string>;
  /** Kubernetes only. */
  tolerations?: Toleration[];
  /** Kubernetes only; default: the backend's namespace. */
  namespace?: string;
  /** Kubernetes only: the PVC holding the artifact store; default: the backend's. */
  pvcName?: string;
  /** Wall-clock limit in seconds; the run is stopped (with its grace period) and reports `timeout`. */
  timeoutSeconds?: number;
  /**
   * Process backend only: the run's CPU niceness (0–19, Linux `nice`), so background work on a
   * shared host (evaluation servers) yields the CPU to training. The others leave scheduling to
   * their cluster.
   */
  niceness?: number;
  /** Slurm only: partition, account and QoS (validated against the operator's allow-list at submit). */
  partition?: string;
  account?: string;
  qos?: string;
  /** Kubernetes only: pod retries before the Job fails; default 0 (the worker owns retries). */
  backoffLimit?: number;
  /** Seconds between SIGTERM and SIGKILL; default 10 (process, docker) or 30 (kubernetes). */
  graceSeconds?: number;
}

/** A line of output that is not a protocol event (stderr is always plain lines). */
export interface OutputLine {
  type: "line";
  stream: "stdout" | "stderr";
  line: string;
}

export type RunEvent = TrainerEvent | OutputLine;

/** `preempted`: the scheduler took the resources back (Slurm preemption or requeue); the work is retried. */
export type ExitReason = "exited" | "cancelled" | "oom" | "timeout" | "lost" | "preempted";

export interface RunExit {
  /** Null when the process was killed by a signal or the exit status could not be read. */
  exitCode: number | null;
  /** e.g. `SIGKILL`; for containers derived from an exit code above 128. */
  signal?: string;
  reason: ExitReason;
  /** What the backend knows beyond the reason (e.g. `BackoffLimitExceeded`, `Evicted`). */
  message?: string;
}

export type RunStatus = "pending" | "running" | "succeeded" | "failed" | "unknown";

/** Bytes of each output stream a reader has been handed, up to and including the last event. */
export interface RunPosition {
  stdout: number;
  stderr: number;
}

/** Where to find a run started earlier (possibly by another worker process). */
export interface AttachRef {
  runId: string;
  /** The backend id the run reported (e.g. the Slurm job id), when it was recorded. */
  id?: string;
  artifactDir: string;
  resources: Resources;
  graceSeconds?: number;
}

export interface RunHandle {
  /** Backend id: the pid, the container id, or `namespace/job-name`. */
  readonly id: string;
  /**
   * Every line of output, in order per stream, protocol events parsed. Single reader: a second
   * call throws TY_ERR_COMPUTE_EVENTS_TAKEN. Lines are queued in memory until read, never dropped.
   */
  events(): AsyncIterable<RunEvent>;
  /** SIGTERM (docker stop, Job delete), then force after the grace; resolves once the run is down. */
  cancel(graceMs?: number): Promise<void>;
  /** Resolves once the run is over and its output has been read to the end. Never rejects. */
  wait(): Promise<RunExit>;
  status(): Promise<RunStatus>;
  resources(): EffectiveResources;
  /**
   * Re-attachable backends: how far the reader has got, read while handling the event just yielded
   * (it covers that event). Stored with what the event produced, it tells a later reader which
   * replayed events it has already handled (see `isReplayed`).
   */
  position?(): RunPosition;
  /**
   * Re-attachable backends: stop watching without stopping the run (the worker is going away and
   * another one will attach). events() ends; wait() resolves with reason `lost`.
   */
  detach?(): void;
}

export interface ComputeBackend {
  readonly name: BackendName;
  start(spec: LaunchSpec): Promise<RunHandle>;
  /**
   * Re-attachable backends: a handle on a run started earlier with `ref.runId`, its output replayed
   * from the start; null when the backend has no such run.
   */
  attach?(ref: AttachRef): Promise<RunHandle | null>;
  /**
   * Re-attachable backends: stop a run started earlier if it still runs, without watching it
   * (its job ended while no worker held it). True when there was one to stop.
   */
  release?(ref: AttachRef): Promise<boolean>;
}

/** Whether an event read from a re-attached run was already handled by an earlier reader that had got to `seen`. */
export function isReplayed(ev: RunEvent, now: RunPosition, seen: RunPosition | null): boolean {
  if (!seen) return false;
  // Protocol events (and a backend's own notices) come with stdout's position.
  const stream = ev.type === "line" ? ev.stream : "stdout";
  return now[stream] <= seen[stream];
}

export const DEFAULT_GRACE_SECONDS: Record<BackendName, number> = { process: 10, docker: 10, kubernetes: 30, slurm: 30 };

/** Variables every backend sets under the spec's own env (which wins). */
export function baseEnv(spec: LaunchSpec): Record<string, string> {
  return {
    // Python block-buffers a piped stdout: events would arrive late, and be lost on a SIGKILL.
    PYTHONUNBUFFERED: "1",
    TRAINYARD_ARTIFACT_DIR: spec.artifactMountPath ?? spec.artifactDir,
    TRAINYARD_RUN_ID: spec.runId,
  };
}

/** Reject a spec the named backend cannot run (TY_ERR_COMPUTE_INVALID_SPEC, naming the field). */
export function validateLaunchSpec(spec: LaunchSpec, backend: BackendName): void {
  const bad = (field: string, why: string): never => {
    throw new ComputeError("TY_ERR_COMPUTE_INVALID_SPEC", `${backend}: ${field} ${why}`);
  };
  if (!spec.runId || spec.runId.length > 200) bad("runId", "must be 1..200 characters");
  if (spec.command.length === 0 || !spec.command[0]) bad("command", "must name an executable");
  if (!isAbsolute(spec.artifactDir)) bad("artifactDir", `must be an absolute path, got '${spec.artifactDir}'`);
  if (spec.artifactMountPath !== undefined && !isAbsolute(spec.artifactMountPath)) bad("artifactMountPath", "must be an absolute path");
  for (const [i, m] of (spec.mounts ?? []).entries()) {
    const parts = m.key.split("/");
    if (
      !m.key ||
      isAbsolute(m.key) ||
      m.key.includes("\\") ||
      m.key.includes(",") ||
      m.key.includes(":") ||
      parts.some((p) => p === "" || p === "." || p === "..")
    )
      bad(`mounts[${i}].key`, `must be a relative path inside the artifact store, got '${m.key}'`);
  }
  const { gpus, cpus, memoryGiB } = spec.resources;
  if (!Number.isInteger(gpus) || gpus < 0) bad("resources.gpus", "must be a whole number >= 0");
  if (!(cpus > 0)) bad("resources.cpus", "must be > 0");
  if (!(memoryGiB > 0)) bad("resources.memoryGiB", "must be > 0");
  if (spec.nodes !== undefined && !(Number.isInteger(spec.nodes) && spec.nodes >= 1)) bad("nodes", "must be a whole number >= 1");
  if ((spec.nodes ?? 1) > 1 && (backend === "process" || backend === "docker")) bad("nodes", "must be 1: this backend runs on one machine");
  if (spec.graceSeconds !== undefined && !(spec.graceSeconds >= 0)) bad("graceSeconds", "must be >= 0");
  if (spec.timeoutSeconds !== undefined && !(spec.timeoutSeconds > 0)) bad("timeoutSeconds", "must be > 0");
  if (spec.niceness !== undefined && !(Number.isInteger(spec.niceness) && spec.niceness >= 0 && spec.niceness <= 19))
    bad("niceness", "must be a whole number from 0 to 19");
  if (spec.backoffLimit !== undefined && !(Number.isInteger(spec.backoffLimit) && spec.backoffLimit >= 0))
    bad("backoffLimit", "must be a whole number >= 0");
  for (const k of Object.keys(spec.env)) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) bad(`env.${k}`, "is not a valid variable name");
  for (const field of ["partition", "account", "qos"] as const) {
    const v = spec[field];
    if (v === undefined) continue;
    if (backend !== "slurm") bad(field, "is only used by the slurm backend");
    if (!SLURM_NAME.test(v)) bad(field, `'${v}' is not a Slurm name (letters, digits, '.', '_', '-')`);
  }
  if (backend === "process") {
    if (spec.image) bad("image", "is not used by the process backend; use docker or kubernetes");
  } else if (backend !== "slurm" && !spec.image) {
    // Slurm runs bare (a shared .venv) unless the cluster has a container runtime.
    bad("image", "is required");
  }
}

/**
 * A DNS-1123 label (≤ 63 chars, [a-z0-9-]) derived from the run id, usable as a container name,
 * a Job name and a label value. Stable; when the id had to be altered or cut, a hash of the
 * original is appended so that two ids never share a name.
 */
export function resourceName(runId: string, prefix = "ty-"): string {
  const clean = (prefix + runId.toLowerCase())
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "");
  if (clean === prefix + runId && clean.length <= 63) return clean;
  const hash = createHash("sha256").update(runId).digest("hex").slice(0, 8);
  return `${clean.slice(0, 63 - 9).replace(/-+$/, "")}-${hash}`;
}
