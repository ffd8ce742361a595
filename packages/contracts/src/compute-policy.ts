/**
 * The operator's say over where a tenant's code runs: a spec's compute choices checked against the
 * allow-lists of the runtime configuration, once, at submit. Slurm partitions, accounts and QoS
 * are the first instance (container images, namespaces and node selectors are to follow the same
 * shape: operator lists in config.ts, the tenant picks by name).
 *
 * A name outside its list is a 403 TY_ERR_COMPUTE_NOT_ALLOWED naming the field; a field the spec
 * leaves out gets the list's default, so the stored spec says where its jobs run.
 */
import type { AllowList, RuntimeConfig } from "./config.js";
import { TyError, type ApiIssue } from "./errors.js";
import type { ExperimentSpec } from "./experiment.js";

export type ComputePolicy = Pick<RuntimeConfig, "SLURM_PARTITIONS" | "SLURM_ACCOUNTS" | "SLURM_QOS" | "SLURM_CONTAINER_RUNTIME">;

const NONE: AllowList = { allowed: [], default: null };

/** The policy of a partial configuration (tests, tools): what is missing allows nothing. */
export function computePolicyOf(config: Partial<ComputePolicy>): ComputePolicy {
  return {
    SLURM_PARTITIONS: config.SLURM_PARTITIONS ?? NONE,
    SLURM_ACCOUNTS: config.SLURM_ACCOUNTS ?? NONE,
    SLURM_QOS: config.SLURM_QOS ?? NONE,
    SLURM_CONTAINER_RUNTIME: config.SLURM_CONTAINER_RUNTIME ?? "none",
  };
}

/** The spec with the policy's defaults filled in; throws TY_ERR_COMPUTE_NOT_ALLOWED. */
export function applyComputePolicy(spec: ExperimentSpec, policy: ComputePolicy): ExperimentSpec {
  if (spec.compute.backend !== "slurm") return spec;
  const issues: ApiIssue[] = [];
  const compute = { ...spec.compute };
  const lists = [
    ["partition", policy.SLURM_PARTITIONS, "SLURM_PARTITIONS"],
    ["account", policy.SLURM_ACCOUNTS, "SLURM_ACCOUNTS"],
    ["qos", policy.SLURM_QOS, "SLURM_QOS"],
  ] as const;
  for (const [field, list, variable] of lists) {
    const value = compute[field];
    if (value === undefined) {
      if (list.default !== null) compute[field] = list.default;
    } else if (!list.allowed.includes(value)) {
      issues.push({
        code: "custom",
        path: ["compute", field],
        message: list.allowed.length
          ? `${field} '${value}' is not allowed on this deployment; one of: ${list.allowed.join(", ")}`
          : `this deployment lets no experiment choose its ${field} (the operator's ${variable} is empty); remove it`,
      });
    }
  }
  if (compute.image !== undefined && policy.SLURM_CONTAINER_RUNTIME === "none") {
    issues.push({
      code: "custom",
      path: ["compute", "image"],
      message: "this deployment's Slurm cluster runs jobs without containers (SLURM_CONTAINER_RUNTIME=none); remove image",
    });
  }
  if (issues.length) {
    const first = issues[0]!;
    throw new TyError("TY_ERR_COMPUTE_NOT_ALLOWED", `${first.path.join(".")}: ${first.message}`, issues);
  }
  return { ...spec, compute };
}
