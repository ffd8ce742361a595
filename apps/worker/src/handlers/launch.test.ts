/**
 * Where trainer processes run. Regression: the eval job served every checkpoint on the process
 * backend with `gpus: 0`, which sets CUDA_VISIBLE_DEVICES="" — GPU evaluation could never see a
 * GPU. Serving now launches like training: the spec's backend, resources, image and placement.
 */
import { describe, expect, it } from "vitest";
import { expandExperimentRequest } from "@trainyard/contracts";
import { launchSpec, serveConfig } from "./launch.js";
import type { TrainerRuntime } from "./train.js";

const rt = {
  backendFor: () => {
    throw new Error("not used");
  },
  trainerCommand: ["/venv/bin/python", "-m", "trainyard_trainer"],
  trainerEnv: { PYTHONPATH: "/repo/infra/trainer" },
  rewardCommand: [],
  image: { cpu: "trainer:cpu", gpu: "trainer:cuda" },
} satisfies TrainerRuntime;

describe("launching the trainer's serve mode for evaluation", () => {
  it("a GPU experiment serves on its backend with its GPUs, image and placement, listening beyond loopback", () => {
    const spec = expandExperimentRequest({ preset: "paper-sokoban", compute: { nodeSelector: { pool: "h100" } } });
    const launch = launchSpec(rt, spec, {
      runId: "r1",
      args: ["serve", "--config", "/a/serve.json"],
      artifactDir: "/a",
      experimentId: "e1",
      requestId: null,
    });
    expect(launch).toMatchObject({
      resources: { gpus: 4, cpus: 32, memoryGiB: 256 },
      image: "trainer:cuda",
      nodeSelector: { pool: "h100" },
      command: ["/venv/bin/python", "-m", "trainyard_trainer", "serve", "--config", "/a/serve.json"],
    });
    const cfg = serveConfig(spec, "/a/checkpoint-50", "exp/ans/s0/sft-step-50");
    expect(cfg).toMatchObject({ host: "0.0.0.0", device: "cuda", dtype: "bfloat16", max_model_len: 9216, backend: "auto" });
  });

  it("the process backend keeps the GPUs the spec asked for (gpus > 0 leaves CUDA_VISIBLE_DEVICES alone)", () => {
    const spec = expandExperimentRequest({
      preset: "paper-sokoban",
      compute: { backend: "process", resources: { gpus: 1, cpus: 8, memoryGiB: 64 } },
    });
    const launch = launchSpec(rt, spec, { runId: "r2", args: ["serve"], artifactDir: "/a", experimentId: "e1", requestId: null });
    expect(launch.resources.gpus).toBe(1);
    expect(launch.image).toBeUndefined();
    expect(serveConfig(spec, "/a/c", "n")).toMatchObject({ host: "127.0.0.1", device: "cuda", num_threads: 8 });
  });

  it("the CPU demo serves on loopback, on the CPU, within the tiny model's context", () => {
    const spec = expandExperimentRequest({ preset: "demo-cpu" });
    expect(launchSpec(rt, spec, { runId: "r3", args: [], artifactDir: "/a", experimentId: "e1", requestId: null }).resources.gpus).toBe(0);
    expect(serveConfig(spec, "/a/c", "n")).toMatchObject({ host: "127.0.0.1", device: "cpu", max_model_len: 1536, dtype: "auto" });
  });
});

describe("each job mounts only its experiment's artifacts", () => {
  it("names the experiment's checkpoint tree read-write and the given dataset read-only", () => {
    const spec = expandExperimentRequest({ preset: "demo-cpu" });
    const launch = launchSpec(rt, spec, {
      runId: "r4",
      args: [],
      artifactDir: "/a",
      experimentId: "e1",
      readOnly: ["datasets/h1"],
      requestId: null,
    });
    expect(launch.mounts).toEqual([
      { key: "checkpoints/e1", readOnly: false },
      { key: "datasets/h1", readOnly: true },
    ]);
  });
});

describe("the trainer's environment", () => {
  const spec = expandExperimentRequest({ preset: "demo-cpu" });
  it("carries the submitting request's id as TRAINYARD_REQUEST_ID, beside the runtime's own variables", () => {
    const launch = launchSpec(rt, spec, { runId: "r5", args: [], artifactDir: "/a", experimentId: "e1", requestId: "req-42" });
    expect(launch.env).toEqual({ PYTHONPATH: "/repo/infra/trainer", TRAINYARD_REQUEST_ID: "req-42" });
  });
  it("sets no request id for a job stored without one", () => {
    const launch = launchSpec(rt, spec, { runId: "r6", args: [], artifactDir: "/a", experimentId: "e1", requestId: null });
    expect(launch.env).toEqual({ PYTHONPATH: "/repo/infra/trainer" });
  });
});
