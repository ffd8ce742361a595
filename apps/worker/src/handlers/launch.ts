/**
 * How a trainer process (training or serving) is launched for an experiment: on the spec's
 * compute backend, with the spec's resources (GPUs included), image and placement. Shared by the
 * training and evaluation jobs so both run where the experiment asked.
 */
import { resolve } from "node:path";
import { ServeTrainerConfig, type ExperimentSpec } from "@trainyard/contracts";
import type { LaunchSpec } from "@trainyard/compute";
import type { TrainerRuntime } from "./train.js";

/** The experiment's own part of the artifact store: its checkpoints, trainer configs and serve configs. */
export const experimentArtifactsKey = (experimentId: string) => `checkpoints/${experimentId}`;

export function launchSpec(
  rt: TrainerRuntime,
  spec: ExperimentSpec,
  run: {
    runId: string;
    args: string[];
    artifactDir: string;
    /** Whose artifacts the run may see: the experiment's checkpoint tree, read-write. */
    experimentId: string;
    /** Further keys it may read (its dataset), mounted read-only. */
    readOnly?: string[];
    /** The submitting request's id (the job's `requestId`): the trainer gets it as TRAINYARD_REQUEST_ID. */
    requestId: string | null;
  },
): LaunchSpec {
  const c = spec.compute;
  const gpu = c.resources.gpus > 0;
  const containers = c.backend === "docker" || c.backend === "kubernetes";
  return {
    runId: run.runId,
    // Containers always need an image; Slurm runs bare (a shared .venv) unless the spec names one.
    ...(containers
      ? { image: c.image ?? (gpu ? rt.image?.gpu : rt.image?.cpu) ?? "trainyard-trainer:latest" }
      : c.image
        ? { image: c.image }
        : {}),
    command: [...rt.trainerCommand, ...run.args],
    env: { ...rt.trainerEnv, ...(run.requestId ? { TRAINYARD_REQUEST_ID: run.requestId } : {}) },
    artifactDir: resolve(run.artifactDir),
    // A tenant's image sees its own experiment's files only, never the whole store.
    mounts: [
      { key: experimentArtifactsKey(run.experimentId), readOnly: false },
      ...(run.readOnly ?? []).map((key) => ({ key, readOnly: true })),
    ],
    resources: c.resources,
    ...(c.nodes > 1 ? { nodes: c.nodes } : {}),
    ...(c.nodeSelector ? { nodeSelector: c.nodeSelector } : {}),
    ...(c.namespace ? { namespace: c.namespace } : {}),
    ...(c.partition ? { partition: c.partition } : {}),
    ...(c.account ? { account: c.account } : {}),
    ...(c.qos ? { qos: c.qos } : {}),
    timeoutSeconds: c.timeoutSeconds,
  };
}

/** Serve mode's config for one checkpoint of this experiment. */
export function serveConfig(spec: ExperimentSpec, checkpointDir: string, servedName: string, remoteHost = "0.0.0.0"): ServeTrainerConfig {
  const gpus = spec.compute.resources.gpus;
  return ServeTrainerConfig.parse({
    checkpoint: checkpointDir,
    served_model_name: servedName,
    // In a container or on another node the server must listen beyond loopback; it reports the
    // address the worker can reach (its own) in the `serving` event.
    // (Slurm: SLURM_SERVE_HOST, default 0.0.0.0; the backend names the node in the URL.)
    host: spec.compute.backend === "process" ? "127.0.0.1" : remoteHost,
    port: 0,
    max_model_len: spec.model.engine === "hf" ? spec.model.maxModelLength : spec.model.contextLength,
    ...(spec.model.engine === "hf" && gpus > 0 ? { dtype: spec.model.dtype } : {}),
    device: gpus > 0 ? "cuda" : "cpu",
    num_threads: Math.max(1, Math.floor(spec.compute.resources.cpus)),
  });
}
