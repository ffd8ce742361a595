/**
 * @trainyard/compute: compute backends (process, docker, kubernetes, slurm) behind one interface,
 * streaming the trainer's stdout protocol back as run events, with graceful cancellation.
 */
import type { BackendName, ComputeBackend } from "./backend.js";
import { DockerBackend, type DockerBackendOptions } from "./docker.js";
import { ComputeError } from "./errors.js";
import { KubernetesBackend, type KubernetesBackendOptions } from "./kubernetes.js";
import { ProcessBackend, type ProcessBackendOptions } from "./process.js";
import { SlurmBackend, type SlurmBackendOptions } from "./slurm.js";

export * from "./backend.js";
export * from "./errors.js";
export * from "./lines.js";
export * from "./outcome.js";
export * from "./resources.js";
export * from "./process.js";
export * from "./docker.js";
export { DockerLogDemuxer, dockerFrame, type DockerStream } from "./docker-logs.js";
export * from "./kubernetes.js";
export {
  jobFinished,
  kubernetesJobManifest,
  rendezvousService,
  runExitOf,
  runStatusOf,
  TRAINER_CONTAINER,
  type JobManifestOptions,
} from "./kubernetes-job.js";
export { LogResumeCursor, parseStamp } from "./kubernetes-logs.js";
export * from "./slurm.js";
export * from "./slurm-job.js";
export { SlurmCli, SlurmPoller, type SlurmCliOptions } from "./slurm-cli.js";
export { ByteLines, FileTail, type OffsetLine } from "./slurm-output.js";

/** Options of every backend, keyed by name; `createBackend` uses the one it builds. */
export interface ComputeOptions {
  process?: ProcessBackendOptions;
  docker?: DockerBackendOptions;
  kubernetes?: KubernetesBackendOptions;
  slurm?: SlurmBackendOptions;
}

export const BACKEND_NAMES: readonly BackendName[] = ["process", "docker", "kubernetes", "slurm"];

/** Backends whose runs outlive the worker that started them (they implement attach and release). */
export const REATTACHABLE_BACKENDS: readonly BackendName[] = ["slurm"];

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** The backend named by an experiment's `compute.backend`; TY_ERR_COMPUTE_UNKNOWN_BACKEND otherwise. */
export function createBackend(name: string, options: ComputeOptions = {}): ComputeBackend {
  if (!isBackendName(name)) {
    throw new ComputeError("TY_ERR_COMPUTE_UNKNOWN_BACKEND", `unknown compute backend '${name}'; one of ${BACKEND_NAMES.join(", ")}`);
  }
  switch (name) {
    case "process":
      return new ProcessBackend(options.process);
    case "docker":
      return new DockerBackend(options.docker);
    case "kubernetes":
      return new KubernetesBackend(options.kubernetes);
    case "slurm":
      return new SlurmBackend(options.slurm);
    default: {
      const never: never = name;
      throw new ComputeError("TY_ERR_COMPUTE_UNKNOWN_BACKEND", `unknown compute backend '${String(never)}'`);
    }
  }
}
