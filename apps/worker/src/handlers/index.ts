/**
 * The service's job handlers, built from the runtime configuration. Backends are created on
 * first use (a worker that never sees a docker job never opens the Docker socket).
 */
import { join } from "node:path";
import { createBackend, type BackendName, type ComputeBackend, type SlurmBackendOptions } from "@trainyard/compute";
import type { RuntimeConfig } from "@trainyard/contracts";
import { repoRoot, trainerPython } from "@trainyard/db";
import type { HandlerRegistry } from "../context.js";
import { trainHandler, type TrainerRuntime } from "./train.js";
import { datasetBuildHandler } from "./dataset-build.js";
import { evalHandler } from "./eval.js";

export type HandlerConfig = Pick<
  RuntimeConfig,
  "TRAINYARD_PYTHON" | "TRAINER_IMAGE_CPU" | "TRAINER_IMAGE_GPU" | "K8S_NAMESPACE" | "K8S_ARTIFACT_PVC" | "DOCKER_SOCKET"
> &
  Partial<SlurmConfig> &
  Partial<Pick<RuntimeConfig, "EVAL_CHECKPOINTS_AT_ONCE">>;

type SlurmConfig = Pick<
  RuntimeConfig,
  | "SLURM_BIN_DIR"
  | "SLURM_CONTAINER_RUNTIME"
  | "SLURM_GPU_GRES"
  | "SLURM_SBATCH_ARGS"
  | "SLURM_RUN_DIR"
  | "SLURM_POLL_MS"
  | "SLURM_SERVE_HOST"
>;

/** The slurm backend's options from the runtime configuration (what is unset keeps the backend's default). */
export function slurmOptions(
  config: Partial<SlurmConfig> & Pick<RuntimeConfig, "TRAINER_IMAGE_CPU" | "TRAINER_IMAGE_GPU">,
): SlurmBackendOptions {
  return {
    ...(config.SLURM_BIN_DIR ? { binDir: config.SLURM_BIN_DIR } : {}),
    ...(config.SLURM_RUN_DIR ? { runRoot: config.SLURM_RUN_DIR } : {}),
    ...(config.SLURM_CONTAINER_RUNTIME ? { container: config.SLURM_CONTAINER_RUNTIME } : {}),
    ...(config.SLURM_GPU_GRES ? { gpuGres: config.SLURM_GPU_GRES } : {}),
    ...(config.SLURM_SBATCH_ARGS?.length ? { extraArgs: config.SLURM_SBATCH_ARGS } : {}),
    ...(config.SLURM_POLL_MS ? { pollMs: config.SLURM_POLL_MS } : {}),
    images: { cpu: config.TRAINER_IMAGE_CPU, gpu: config.TRAINER_IMAGE_GPU },
  };
}

export function trainerRuntime(config: HandlerConfig): TrainerRuntime {
  const root = repoRoot();
  const backends = new Map<BackendName, ComputeBackend>();
  return {
    backendFor(name) {
      let b = backends.get(name);
      if (!b) {
        b = createBackend(name, {
          kubernetes: { namespace: config.K8S_NAMESPACE, pvcName: config.K8S_ARTIFACT_PVC },
          slurm: slurmOptions(config),
        });
        backends.set(name, b);
      }
      return b;
    },
    trainerCommand: [trainerPython(config.TRAINYARD_PYTHON), "-m", "trainyard_trainer"],
    ...(config.SLURM_SERVE_HOST ? { serveHost: config.SLURM_SERVE_HOST } : {}),
    ...(config.EVAL_CHECKPOINTS_AT_ONCE ? { evalCheckpointsAtOnce: config.EVAL_CHECKPOINTS_AT_ONCE } : {}),
    trainerEnv: { PYTHONPATH: join(root, "infra", "trainer") },
    // The same verifier as evaluation, through the CLI's JSON-lines protocol.
    rewardCommand: [process.execPath, join(root, "apps", "cli", "bin", "trainyard.js"), "env", "batch"],
    image: { cpu: config.TRAINER_IMAGE_CPU, gpu: config.TRAINER_IMAGE_GPU },
  };
}

export function serviceHandlers(config: HandlerConfig): HandlerRegistry {
  const rt = trainerRuntime(config);
  const train = trainHandler(rt);
  return { "dataset-build": datasetBuildHandler, sft: train, grpo: train, eval: evalHandler(rt) };
}
