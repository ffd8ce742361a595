import { KubeConfig } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import {
  COMPUTE_ERROR_CODES,
  ComputeError,
  cpuQuantity,
  createBackend,
  DockerBackend,
  dockerDeviceRequests,
  gpuRequest,
  imagePullQuery,
  KubernetesBackend,
  kubernetesResources,
  memoryQuantity,
  ProcessBackend,
  resourceName,
  SlurmBackend,
  validateLaunchSpec,
  type LaunchSpec,
} from "./index.js";

const spec: LaunchSpec = { runId: "r", command: ["x"], env: {}, artifactDir: "/a", resources: { gpus: 0, cpus: 1, memoryGiB: 1 } };

describe("resourceName", () => {
  it("keeps a clean run id readable", () => {
    expect(resourceName("job-42-a1")).toBe("ty-job-42-a1");
  });

  it("makes any id a DNS-1123 label, stable, with a hash when it had to change it", () => {
    for (const id of ["Run_42/Attempt 1", "ÄÖÜ", "x".repeat(200), "--", "cl9x3k2p0000qzrm"]) {
      const n = resourceName(id);
      expect(n).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      expect(n.length).toBeLessThanOrEqual(63);
      expect(resourceName(id)).toBe(n);
    }
    expect(resourceName("Run-1")).not.toBe(resourceName("run-1"));
    expect(resourceName("a".repeat(100))).not.toBe(resourceName(`${"a".repeat(99)}b`));
  });
});

describe("validateLaunchSpec", () => {
  const bad = (over: Partial<LaunchSpec>, backend: "process" | "docker" = "process") => {
    try {
      validateLaunchSpec({ ...spec, ...over }, backend);
    } catch (e) {
      return (e as ComputeError).code;
    }
    return "ok";
  };
  it("accepts a sane spec and names what is wrong otherwise", () => {
    expect(bad({})).toBe("ok");
    expect(bad({ image: "i" }, "docker")).toBe("ok");
    for (const over of [
      { command: [] },
      { runId: "" },
      { artifactDir: "rel" },
      { resources: { gpus: 0.5, cpus: 1, memoryGiB: 1 } },
      { resources: { gpus: 0, cpus: 0, memoryGiB: 1 } },
      { env: { "1X": "v" } },
      { timeoutSeconds: 0 },
      { graceSeconds: -1 },
      { backoffLimit: 1.5 },
    ]) {
      expect(bad(over)).toBe("TY_ERR_COMPUTE_INVALID_SPEC");
    }
    expect(bad({}, "docker")).toBe("TY_ERR_COMPUTE_INVALID_SPEC");
  });
});

describe("resources", () => {
  it("asks for NVIDIA GPUs only when there are some", () => {
    expect(gpuRequest({ gpus: 0, cpus: 1, memoryGiB: 1 })).toBeNull();
    expect(dockerDeviceRequests({ gpus: 4, cpus: 1, memoryGiB: 1 })).toEqual([{ Driver: "nvidia", Count: 4, Capabilities: [["gpu"]] }]);
    expect(kubernetesResources({ gpus: 0, cpus: 0.5, memoryGiB: 1.5 })).toEqual({
      requests: { cpu: "500m", memory: "1536Mi" },
      limits: { memory: "1536Mi" },
    });
    expect(kubernetesResources({ gpus: 2, cpus: 2, memoryGiB: 1 }, "amd.com/gpu").limits).toEqual({ memory: "1024Mi", "amd.com/gpu": "2" });
    expect([cpuQuantity(16), memoryQuantity(0.5)]).toEqual(["16", "512Mi"]);
  });

  it("splits image references for a pull", () => {
    expect(imagePullQuery("trainer")).toEqual({ fromImage: "trainer", tag: "latest" });
    expect(imagePullQuery("localhost:5000/trainer")).toEqual({ fromImage: "localhost:5000/trainer", tag: "latest" });
    expect(imagePullQuery("localhost:5000/trainer:2")).toEqual({ fromImage: "localhost:5000/trainer", tag: "2" });
    expect(imagePullQuery(`trainer@sha256:${"f".repeat(64)}`)).toEqual({ fromImage: "trainer", tag: `sha256:${"f".repeat(64)}` });
  });
});

describe("createBackend and the error catalogue", () => {
  it("builds each backend by name and refuses others", () => {
    expect(createBackend("process")).toBeInstanceOf(ProcessBackend);
    expect(createBackend("docker").name).toBe("docker");
    expect(createBackend("docker")).toBeInstanceOf(DockerBackend);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({
      clusters: [{ name: "c", server: "http://127.0.0.1:1", skipTLSVerify: true }],
      users: [{ name: "u" }],
      contexts: [{ name: "c", cluster: "c", user: "u" }],
      currentContext: "c",
    });
    expect(createBackend("kubernetes", { kubernetes: { kubeConfig } })).toBeInstanceOf(KubernetesBackend);
    expect(createBackend("slurm")).toBeInstanceOf(SlurmBackend);
    expect(() => createBackend("lsf")).toThrow(expect.objectContaining({ code: "TY_ERR_COMPUTE_UNKNOWN_BACKEND" }));
  });

  it("has stable, well-formed codes", () => {
    for (const [code, info] of Object.entries(COMPUTE_ERROR_CODES)) {
      expect(code).toMatch(/^TY_ERR_COMPUTE_[A-Z_]+$/);
      expect(["user_error", "config_error", "infra_error", "timed_out", "crashed"]).toContain(info.failureKind);
      expect(info.meaning.length).toBeGreaterThan(10);
    }
    const e = new ComputeError("TY_ERR_COMPUTE_OOM", "x");
    expect([e.code, e.failureKind, e.retry]).toEqual(["TY_ERR_COMPUTE_OOM", "infra_error", true]);
  });
});
