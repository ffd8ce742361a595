/**
 * Everything a submitted spec must pass before it is stored, in one place (POST /experiments and
 * POST /experiments/validate share it): expansion and zod validation, the operator's compute
 * allow-lists, the size caps, the dataset builder's own validation (the very function the
 * dataset-build job calls, so a 201 never fails later as a spec error), and the SSRF guard for
 * each of the spec's `webhooks[]`, and the preflight memory estimate per GPU.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import {
  TyError,
  applyComputePolicy,
  checkWebhookTarget,
  expandExperimentRequest,
  type ComputePolicy,
  type ExperimentSpec,
  type LookupAll,
  preflightMemory,
} from "@trainyard/contracts";
import { datasetSpecFromExperiment } from "@trainyard/datasets";
import { checkSpecCaps, type Limits, type SpecCost } from "./limits.js";

export interface SpecCheckOptions {
  computePolicy: ComputePolicy;
  limits: Limits;
  allowPrivateWebhooks: boolean;
  allowedPorts: readonly number[];
  lookup?: LookupAll;
  /** The operator's per-GPU memory: the preflight's default for compute.resources.gpuMemoryGiB. */
  gpuMemoryGiB: number;
}

const defaultLookup: LookupAll = (host) => dnsLookup(host, { all: true, verbatim: true });

/** The dataset builder's paths (train.*, eval.*) as the experiment spec's fields. */
function specPath(p: (string | number)[]): (string | number)[] {
  const [head, ...rest] = p;
  if (head === "eval" && rest[0] === "splits") return ["splits", ...rest.slice(1)];
  if (head === "train" && rest[0] === "arms") return ["arms", ...rest.slice(1)];
  if (head === "train" || head === "eval") return ["datasets", head, ...rest.filter((x) => x !== "frozen" && x !== "diverse")];
  if (head === "leaks") return ["datasets", "leaks"];
  return p;
}

export async function submittableSpec(body: unknown, opts: SpecCheckOptions): Promise<{ spec: ExperimentSpec; cost: SpecCost }> {
  const spec = applyComputePolicy(expandExperimentRequest(body), opts.computePolicy);
  const cost = checkSpecCaps(spec, opts.limits);
  // Before anything is queued: a job that cannot fit its GPUs is refused here, not OOM-killed later.
  preflightMemory(spec, opts.gpuMemoryGiB);
  try {
    datasetSpecFromExperiment(spec);
  } catch (e) {
    if (!(e instanceof TyError)) throw e;
    const issues = (e.issues ?? []).map((i) => ({ ...i, path: specPath(i.path) }));
    const first = issues[0];
    const message = first ? `${first.path.join(".")}: ${first.message}` : e.message;
    throw new TyError(e.code, message, issues.length ? issues : undefined);
  }
  const lookup = opts.lookup ?? defaultLookup;
  for (const [i, w] of spec.webhooks.entries()) {
    await checkWebhookTarget(w.url, {
      allowPrivate: opts.allowPrivateWebhooks,
      lookup,
      allowedPorts: opts.allowedPorts,
      path: ["webhooks", i, "url"],
    });
  }
  return { spec, cost };
}
