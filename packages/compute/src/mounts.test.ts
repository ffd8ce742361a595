/**
 * Each job mounts only its experiment's artifacts. Regression: the Docker backend bound the whole
 * ARTIFACT_DIR (every project's data) read-write into whatever image the spec named; Kubernetes
 * and Slurm containers did the same with the PVC and the shared directory. Pure: the request
 * bodies each backend sends (the Docker/Kubernetes API servers are not run here).
 */
import { describe, expect, it } from "vitest";
import { validateLaunchSpec, type LaunchSpec } from "./backend.js";
import { dockerCreateBody } from "./docker.js";
import { kubernetesJobManifest } from "./kubernetes-job.js";
import { launchPrefix } from "./slurm-job.js";

const EXP = "0b7d2a3e-1111-4c6e-9a0e-2f1d3c4b5a69";
const spec: LaunchSpec = {
  runId: "job-1-a1",
  image: "trainer:cpu",
  command: ["python", "-m", "trainyard_trainer", "sft", "--config", `/artifacts/checkpoints/${EXP}/sft_a_s0/config.json`],
  env: {},
  artifactDir: "/srv/artifacts",
  artifactMountPath: "/artifacts",
  mounts: [
    { key: `checkpoints/${EXP}`, readOnly: false },
    { key: "datasets/abc123", readOnly: true },
  ],
  resources: { gpus: 0, cpus: 1, memoryGiB: 2 },
};

describe("each job mounts only its experiment's artifacts", () => {
  it("docker backend: binds the experiment's checkpoints read-write and its dataset read-only, not the whole ARTIFACT_DIR", () => {
    const mounts = (dockerCreateBody(spec) as { HostConfig: { Mounts: unknown[] } }).HostConfig.Mounts;
    expect(mounts).toEqual([
      { Type: "bind", Source: `/srv/artifacts/checkpoints/${EXP}`, Target: `/artifacts/checkpoints/${EXP}`, ReadOnly: false },
      { Type: "bind", Source: "/srv/artifacts/datasets/abc123", Target: "/artifacts/datasets/abc123", ReadOnly: true },
    ]);
  });

  it("kubernetes backend: mounts sub-paths of the artifact PVC, the dataset read-only", () => {
    const job = kubernetesJobManifest(spec, {
      name: "ty-job-1-a1",
      namespace: "ml",
      pvcName: "artifacts",
      graceSeconds: 30,
      ttlSecondsAfterFinished: 3600,
      shmGiB: 1,
      gpuResourceName: "nvidia.com/gpu",
    } as Parameters<typeof kubernetesJobManifest>[1]);
    const c = job.spec!.template.spec!.containers[0]!;
    expect(c.volumeMounts!.filter((m) => m.name === "artifacts")).toEqual([
      { name: "artifacts", mountPath: `/artifacts/checkpoints/${EXP}`, subPath: `checkpoints/${EXP}` },
      { name: "artifacts", mountPath: "/artifacts/datasets/abc123", subPath: "datasets/abc123", readOnly: true },
    ]);
  });

  it("slurm backend with a container runtime: mounts the same two paths, the dataset read-only", () => {
    const pyxis = launchPrefix(spec, { container: "pyxis", image: "trainer.sqsh" } as Parameters<typeof launchPrefix>[1]);
    expect(pyxis).toContain(
      `--container-mounts=/srv/artifacts/checkpoints/${EXP}:/artifacts/checkpoints/${EXP},/srv/artifacts/datasets/abc123:/artifacts/datasets/abc123:ro`,
    );
  });

  it("refuses a mount that leaves the artifact store", () => {
    for (const key of ["../other", "/etc", "checkpoints/../../x", "", "a:b"])
      expect(() => validateLaunchSpec({ ...spec, mounts: [{ key, readOnly: true }] }, "docker"), key).toThrow(/mounts\[0\]\.key/);
  });
});
