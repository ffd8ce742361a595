/**
 * The operator's say over where a tenant's code runs: a spec's compute choices checked against the
 * allow-lists of the runtime configuration, once, at submit: Slurm partitions, accounts and QoS,
 * container images (docker, kubernetes), Kubernetes namespaces and node-selector pairs. The
 * operator lists them in config.ts; the tenant picks by name.
 *
 * A name outside its list is a 403 TY_ERR_COMPUTE_NOT_ALLOWED naming the field; a field the spec
 * leaves out gets the list's default, so the stored spec says where its jobs run.
 */
import type { AllowList, RuntimeConfig } from "./config.js";
import { TyError, type ApiIssue } from "./errors.js";
import type { ExperimentSpec } from "./experiment.js";

export type ComputePolicy = Pick<
  RuntimeConfig,
  | "SLURM_PARTITIONS"
  | "SLURM_ACCOUNTS"
  | "SLURM_QOS"
  | "SLURM_CONTAINER_RUNTIME"
  | "COMPUTE_IMAGES"
  | "K8S_NAMESPACES"
  | "K8S_NODE_SELECTORS"
>;

const NONE: AllowList = { allowed: [], default: null };

/** The policy of a partial configuration (tests, tools): what is missing allows nothing. */
export function computePolicyOf(config: Partial<ComputePolicy>): ComputePolicy {
  return {
    SLURM_PARTITIONS: config.SLURM_PARTITIONS ?? NONE,
    SLURM_ACCOUNTS: config.SLURM_ACCOUNTS ?? NONE,
    SLURM_QOS: config.SLURM_QOS ?? NONE,
    SLURM_CONTAINER_RUNTIME: config.SLURM_CONTAINER_RUNTIME ?? "none",
    COMPUTE_IMAGES: config.COMPUTE_IMAGES ?? NONE,
    K8S_NAMESPACES: config.K8S_NAMESPACES ?? NONE,
    K8S_NODE_SELECTORS: config.K8S_NODE_SELECTORS ?? NONE,
  };
}

/** The spec with the policy's defaults filled in; throws TY_ERR_COMPUTE_NOT_ALLOWED. */
export function applyComputePolicy(spec: ExperimentSpec, policy: ComputePolicy): ExperimentSpec {
  if (spec.compute.backend !== "slurm") return applyContainerPolicy(spec, policy);
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

function refuse(issues: ApiIssue[]): never {
  const first = issues[0]!;
  throw new TyError("TY_ERR_COMPUTE_NOT_ALLOWED", `${first.path.join(".")}: ${first.message}`, issues);
}

/** docker and kubernetes: image, namespace and node selector only from the operator's lists. */
function applyContainerPolicy(spec: ExperimentSpec, policy: ComputePolicy): ExperimentSpec {
  const issues: ApiIssue[] = [];
  const compute = { ...spec.compute };
  const pick = (field: "image" | "namespace", value: string | undefined, list: AllowList, variable: string) => {
    if (value === undefined) {
      if (list.default !== null && (field === "image" || spec.compute.backend === "kubernetes")) compute[field] = list.default;
      return;
    }
    if (!list.allowed.includes(value))
      issues.push({
        code: "custom",
        path: ["compute", field],
        message: list.allowed.length
          ? `${field} '${value}' is not allowed on this deployment; one of: ${list.allowed.join(", ")}`
          : `this deployment lets no experiment choose its ${field} (the operator's ${variable} is empty); remove it`,
      });
  };
  if (spec.compute.backend !== "process") pick("image", compute.image, policy.COMPUTE_IMAGES, "COMPUTE_IMAGES");
  pick("namespace", compute.namespace, policy.K8S_NAMESPACES, "K8S_NAMESPACES");
  for (const [k, v] of Object.entries(compute.nodeSelector ?? {})) {
    if (!policy.K8S_NODE_SELECTORS.allowed.includes(`${k}=${v}`))
      issues.push({
        code: "custom",
        path: ["compute", "nodeSelector", k],
        message: policy.K8S_NODE_SELECTORS.allowed.length
          ? `node selector '${k}=${v}' is not allowed on this deployment; one of: ${policy.K8S_NODE_SELECTORS.allowed.join(", ")}`
          : "this deployment lets no experiment choose its nodes (the operator's K8S_NODE_SELECTORS is empty); remove nodeSelector",
      });
  }
  if (issues.length) refuse(issues);
  const changed = compute.image !== spec.compute.image || compute.namespace !== spec.compute.namespace;
  return changed ? { ...spec, compute } : spec;
}
