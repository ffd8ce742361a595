import { describe, expect, it } from "vitest";
import { applyComputePolicy, computePolicyOf, expandExperimentRequest, loadConfig, TyError } from "./index.js";

const errorOf = (fn: () => unknown): TyError => {
  try {
    fn();
  } catch (e) {
    return e as TyError;
  }
  throw new Error("expected an error");
};
const slurm = (compute: Record<string, unknown> = {}) =>
  expandExperimentRequest({ preset: "demo-cpu", compute: { backend: "slurm", ...compute } });

describe("Slurm allow-lists in the runtime configuration", () => {
  it("parses `name*,name` lists, the starred name being the default", () => {
    const c = loadConfig({
      SLURM_PARTITIONS: "debug*, batch",
      SLURM_ACCOUNTS: "lab",
      SLURM_SBATCH_ARGS: " --constraint=a100  --exclusive ",
    });
    expect(c.SLURM_PARTITIONS).toEqual({ allowed: ["debug", "batch"], default: "debug" });
    expect(c.SLURM_ACCOUNTS).toEqual({ allowed: ["lab"], default: null });
    expect(c.SLURM_QOS).toEqual({ allowed: [], default: null });
    expect(c.SLURM_SBATCH_ARGS).toEqual(["--constraint=a100", "--exclusive"]);
    expect(c.SLURM_CONTAINER_RUNTIME).toBe("none");
    expect(c.SLURM_SERVE_HOST).toBe("0.0.0.0");
  });

  it("refuses names Slurm would not take, two defaults, and duplicates", () => {
    expect(() => loadConfig({ SLURM_PARTITIONS: "gpu;rm -rf" })).toThrow(/SLURM_PARTITIONS/);
    expect(() => loadConfig({ SLURM_QOS: "a*,b*" })).toThrow(/more than one default/);
    expect(() => loadConfig({ SLURM_ACCOUNTS: "a,a" })).toThrow(/listed twice/);
    expect(() => loadConfig({ SLURM_CONTAINER_RUNTIME: "docker" })).toThrow(/SLURM_CONTAINER_RUNTIME/);
  });
});

describe("the spec's Slurm fields", () => {
  it("accepts backend slurm with Slurm names, and refuses them elsewhere", () => {
    expect(slurm({ partition: "gpu", account: "lab", qos: "high" }).compute).toMatchObject({ backend: "slurm", partition: "gpu" });
    const bad = errorOf(() => slurm({ partition: "gpu;rm" }));
    expect(bad.code).toBe("TY_ERR_VALIDATION");
    expect(bad.issues?.[0]?.path).toEqual(["compute", "partition"]);
    const elsewhere = errorOf(() => expandExperimentRequest({ preset: "demo-cpu", compute: { qos: "high" } }));
    expect(elsewhere.code).toBe("TY_ERR_SPEC_CONFLICT");
    expect(elsewhere.issues?.[0]?.path).toEqual(["compute", "qos"]);
    const k8s = errorOf(() => slurm({ namespace: "ml" }));
    expect(k8s.issues?.[0]?.path).toEqual(["compute", "namespace"]);
  });
});

describe("applyComputePolicy", () => {
  const policy = computePolicyOf(loadConfig({ SLURM_PARTITIONS: "debug*,batch", SLURM_ACCOUNTS: "trainyard,lab", SLURM_QOS: "" }));

  it("fills in the operator's defaults and keeps allowed names", () => {
    expect(applyComputePolicy(slurm(), policy).compute).toMatchObject({ partition: "debug" });
    expect(applyComputePolicy(slurm(), policy).compute.account).toBeUndefined();
    expect(applyComputePolicy(slurm({ partition: "batch", account: "lab" }), policy).compute).toMatchObject({
      partition: "batch",
      account: "lab",
    });
  });

  it("refuses a name outside the list with 403 TY_ERR_COMPUTE_NOT_ALLOWED naming every field", () => {
    const e = errorOf(() => applyComputePolicy(slurm({ partition: "gpu", qos: "high", image: "x/y:1" }), policy));
    expect(e.code).toBe("TY_ERR_COMPUTE_NOT_ALLOWED");
    expect(e.statusCode).toBe(403);
    expect(e.issues?.map((i) => i.path.join("."))).toEqual(["compute.partition", "compute.qos", "compute.image"]);
    expect(e.issues?.[0]?.message).toContain("one of: debug, batch");
    expect(e.issues?.[1]?.message).toContain("SLURM_QOS");
  });

  it("leaves other backends alone, and allows nothing when nothing is configured", () => {
    const spec = expandExperimentRequest({ preset: "demo-cpu" });
    expect(applyComputePolicy(spec, computePolicyOf({}))).toBe(spec);
    expect(errorOf(() => applyComputePolicy(slurm({ account: "lab" }), computePolicyOf({}))).code).toBe("TY_ERR_COMPUTE_NOT_ALLOWED");
    const images = computePolicyOf({ SLURM_CONTAINER_RUNTIME: "pyxis" });
    expect(applyComputePolicy(slurm({ image: "nvcr.io#nvidia/pytorch:24.05-py3" }), images).compute.image).toBe(
      "nvcr.io#nvidia/pytorch:24.05-py3",
    );
  });
});
