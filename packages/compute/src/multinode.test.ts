/**
 * Multi-node layouts in each backend's dialect (pure functions; the live backends are covered by
 * slurm.test.ts and kubernetes.test.ts with one node).
 */
import { describe, expect, it } from "vitest";
import {
  batchScript,
  dockerCreateBody,
  validateLaunchSpec,
  kubernetesJobManifest,
  rendezvousService,
  sbatchArgs,
  type LaunchSpec,
  type SbatchOptions,
} from "./index.js";

const spec: LaunchSpec = {
  runId: "job-7-a1",
  command: ["/venv/bin/python", "-m", "trainyard_trainer", "sft", "--config", "/art/c.json"],
  env: {},
  artifactDir: "/art",
  resources: { gpus: 4, cpus: 32, memoryGiB: 256 },
  nodes: 2,
};
const opts: SbatchOptions = { name: "ty-job-7-a1", runDir: "/art/slurm/ty-job-7-a1", container: "none", gpuGres: "gpu", extraArgs: [] };

describe("slurm", () => {
  it("asks for M nodes with one task and G GPUs each", () => {
    const args = sbatchArgs(spec, opts);
    expect(args).toContain("--nodes=2");
    expect(args).toContain("--ntasks-per-node=1");
    expect(args).toContain("--gpus-per-node=4");
    expect(args).not.toContain("--ntasks=1");
    expect(args.some((a) => a.startsWith("--gres="))).toBe(false);
  });

  it("starts the trainer once per node through srun, the step ending everywhere if one node fails", () => {
    expect(batchScript(spec, opts)).toContain(
      "exec srun --ntasks-per-node=1 --kill-on-bad-exit=1 /venv/bin/python -m trainyard_trainer sft --config /art/c.json",
    );
    const pyxis = batchScript(spec, { ...opts, container: "pyxis", image: "img:1" });
    expect(pyxis).toContain("exec srun --ntasks-per-node=1 --kill-on-bad-exit=1 --container-image=img:1");
  });

  it("keeps the one-node job as it was (one task, --gres)", () => {
    const one = sbatchArgs({ ...spec, nodes: 1 }, opts);
    expect(one).toEqual(expect.arrayContaining(["--nodes=1", "--ntasks=1", "--gres=gpu:4"]));
    expect(batchScript({ ...spec, nodes: 1 }, opts)).toContain("exec /venv/bin/python");
  });
});

describe("kubernetes", () => {
  const o = {
    name: "ty-job-7-a1",
    namespace: "lab",
    pvcName: "art",
    graceSeconds: 30,
    ttlSecondsAfterFinished: 60,
    gpuResourceName: "nvidia.com/gpu",
    shmGiB: 8,
  };

  it("runs an Indexed Job of one pod per node, each finding rank 0 through the headless Service", () => {
    const job = kubernetesJobManifest(spec, o);
    expect(job.spec).toMatchObject({ completionMode: "Indexed", completions: 2, parallelism: 2, backoffLimit: 0 });
    expect(job.spec?.template.spec?.subdomain).toBe("ty-job-7-a1");
    const env = Object.fromEntries((job.spec?.template.spec?.containers[0]?.env ?? []).map((e) => [e.name, e.value]));
    expect(env.MASTER_ADDR).toBe("ty-job-7-a1-0.ty-job-7-a1.lab.svc");
    expect(env.MASTER_PORT).toBe("29500");
    expect(job.spec?.template.spec?.containers[0]?.resources?.limits?.["nvidia.com/gpu"]).toBe("4");
    const svc = rendezvousService(spec, o)!;
    expect(svc.spec).toMatchObject({
      clusterIP: "None",
      publishNotReadyAddresses: true,
      selector: job.spec?.template.metadata?.labels ? { "trainyard.run-id": "ty-job-7-a1" } : {},
    });
  });

  it("makes a plain Job and no Service for one node", () => {
    const job = kubernetesJobManifest({ ...spec, nodes: 1 }, o);
    expect(job.spec?.completionMode).toBeUndefined();
    expect(job.spec?.template.spec?.subdomain).toBeUndefined();
    expect(rendezvousService({ ...spec, nodes: 1 }, o)).toBeNull();
  });
});

describe("docker", () => {
  it("runs one container with all N GPUs; the trainer in it starts the N ranks (shared memory for NCCL)", () => {
    const body = dockerCreateBody({ ...spec, nodes: 1, image: "trainer:1" }) as {
      Cmd: string[];
      HostConfig: { DeviceRequests: { Count: number }[]; ShmSize: number };
    };
    expect(body.HostConfig.DeviceRequests).toEqual([expect.objectContaining({ Count: 4, Capabilities: [["gpu"]] })]);
    expect([...((body as { Entrypoint?: string[] }).Entrypoint ?? []), ...body.Cmd]).toEqual(spec.command);
    expect(body.HostConfig.ShmSize).toBeGreaterThanOrEqual(1024 ** 3);
  });
});

it("process and docker refuse more than one node, naming the field", () => {
  expect(() => validateLaunchSpec(spec, "process")).toThrow(/process: nodes must be 1/);
  expect(() => validateLaunchSpec({ ...spec, image: "i:1" }, "docker")).toThrow(/docker: nodes must be 1/);
  expect(() => validateLaunchSpec({ ...spec, image: "i:1" }, "kubernetes")).not.toThrow();
  expect(() => validateLaunchSpec(spec, "slurm")).not.toThrow();
});
