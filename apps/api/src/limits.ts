/**
 * What one experiment may ask for (caps on the spec) and what a project may have running at once
 * (quotas), both checked at submit so nothing accepted can swamp the shared worker later.
 */
import {
  armSft,
  parseStoredSpec,
  planJobs,
  TyError,
  type ApiIssue,
  type ExperimentSpec,
  type RuntimeConfig,
  type SftSpec,
} from "@trainyard/contracts";
import type { Db } from "@trainyard/db";

export type Limits = Pick<
  RuntimeConfig,
  | "MAX_JOBS_PER_EXPERIMENT"
  | "MAX_TRAIN_SIZE"
  | "MAX_CHECKPOINTS_PER_JOB"
  | "QUOTA_ACTIVE_EXPERIMENTS"
  | "QUOTA_ACTIVE_JOBS"
  | "QUOTA_GPU_HOURS"
  | "QUOTA_DATASET_ROWS"
>;

export const DEFAULT_LIMITS: Limits = {
  MAX_JOBS_PER_EXPERIMENT: 200,
  MAX_TRAIN_SIZE: 100_000,
  MAX_CHECKPOINTS_PER_JOB: 100,
  QUOTA_ACTIVE_EXPERIMENTS: 20,
  QUOTA_ACTIVE_JOBS: 1000,
  QUOTA_GPU_HOURS: 2000,
  QUOTA_DATASET_ROWS: 1_000_000,
};

export function limitsOf(config: Partial<Limits>): Limits {
  return { ...DEFAULT_LIMITS, ...Object.fromEntries(Object.entries(config).filter(([k, v]) => k in DEFAULT_LIMITS && v !== undefined)) };
}

/** Training examples per item: a Sokoban level expands to one example per state of its solution. */
const EXAMPLES_PER_ITEM = { sokoban: 8, "general-points": 1 } as const;

/** An upper estimate of one SFT job's optimizer steps (epochs over the training rows, or maxSteps). */
function sftSteps(spec: ExperimentSpec, sft: SftSpec): number {
  if (sft.maxSteps !== undefined) return sft.maxSteps;
  const rows = spec.datasets.train.size * (EXAMPLES_PER_ITEM[spec.task as keyof typeof EXAMPLES_PER_ITEM] ?? 1);
  return Math.ceil((sft.epochs * rows) / sft.batchSize);
}

export interface SpecCost {
  jobs: number;
  trainingJobs: number;
  gpuHours: number;
  datasetRows: number;
}

export function specCost(spec: ExperimentSpec): SpecCost {
  const jobs = planJobs(spec);
  const trainingJobs = jobs.filter((j) => j.kind === "sft" || j.kind === "grpo").length;
  const gpuHours = (spec.compute.resources.gpus * spec.compute.timeoutSeconds * trainingJobs) / 3600;
  const dataArms = new Set(spec.arms.map((a) => `${a.data}-${a.target}`)).size;
  const datasetRows = spec.datasets.train.size * dataArms + spec.datasets.eval.size * spec.splits.length;
  return { jobs: jobs.length, trainingJobs, gpuHours, datasetRows };
}

/** Caps on one spec: 400 TY_ERR_SPEC_TOO_LARGE naming the field. */
export function checkSpecCaps(spec: ExperimentSpec, limits: Limits): SpecCost {
  const issues: ApiIssue[] = [];
  const cost = specCost(spec);
  if (cost.jobs > limits.MAX_JOBS_PER_EXPERIMENT)
    issues.push({
      code: "too_big",
      path: ["arms"],
      message: `arms × seeds plans ${cost.jobs} jobs; at most ${limits.MAX_JOBS_PER_EXPERIMENT} per experiment (MAX_JOBS_PER_EXPERIMENT)`,
    });
  if (spec.datasets.train.size > limits.MAX_TRAIN_SIZE)
    issues.push({
      code: "too_big",
      path: ["datasets", "train", "size"],
      message: `at most ${limits.MAX_TRAIN_SIZE} training items per experiment (MAX_TRAIN_SIZE)`,
    });
  const usesGrpo = spec.arms.some((a) => a.method !== "sft");
  // Each SFT arm with its own budget: the path names the arm's override where it has one.
  for (const [i, arm] of spec.arms.entries()) {
    if (arm.method === "grpo") continue;
    const sft = armSft(spec, arm);
    const checkpoints = Math.ceil(sftSteps(spec, sft) / sft.saveSteps);
    if (checkpoints <= limits.MAX_CHECKPOINTS_PER_JOB) continue;
    const own = arm.sft?.saveSteps !== undefined || arm.sft?.maxSteps !== undefined || arm.sft?.epochs !== undefined;
    issues.push({
      code: "too_big",
      path: own ? ["arms", i, "sft", "saveSteps"] : ["sft", "saveSteps"],
      message: `about ${checkpoints} checkpoints per SFT job of arm ${arm.name} (each is evaluated); at most ${limits.MAX_CHECKPOINTS_PER_JOB}: raise saveSteps`,
    });
    break;
  }
  if (usesGrpo && spec.grpo.steps / spec.grpo.saveSteps > limits.MAX_CHECKPOINTS_PER_JOB)
    issues.push({
      code: "too_big",
      path: ["grpo", "saveSteps"],
      message: `${Math.ceil(spec.grpo.steps / spec.grpo.saveSteps)} checkpoints per GRPO job (each is evaluated); at most ${limits.MAX_CHECKPOINTS_PER_JOB}: raise saveSteps`,
    });
  if (issues.length) throw new TyError("TY_ERR_SPEC_TOO_LARGE", `${issues[0]!.path.join(".")}: ${issues[0]!.message}`, issues);
  return cost;
}

const ACTIVE = ["queued", "running", "cancel_requested"] as const;

/**
 * Per-project quotas over the experiments not yet finished, this one included: 429
 * TY_ERR_QUOTA_EXCEEDED naming the quota. Concurrent submits may overshoot by the submits in
 * flight (the check is not under a lock): a quota bounds load, it is not an invariant.
 */
export async function checkProjectQuotas(db: Db, projectId: string, cost: SpecCost, limits: Limits): Promise<void> {
  const active = await db.experiment.findMany({
    where: { projectId, state: { in: [...ACTIVE] } },
    select: { spec: true },
    take: limits.QUOTA_ACTIVE_EXPERIMENTS + 1,
  });
  const activeJobs = await db.job.count({ where: { experiment: { projectId }, state: { in: [...ACTIVE] } } });
  let gpuHours = cost.gpuHours;
  let rows = cost.datasetRows;
  for (const e of active) {
    try {
      const c = specCost(parseStoredSpec(e.spec));
      gpuHours += c.gpuHours;
      rows += c.datasetRows;
    } catch {
      // A spec stored by an older version that no longer plans: count it by its experiment only.
    }
  }
  const over = (quota: string, message: string): never => {
    throw new TyError("TY_ERR_QUOTA_EXCEEDED", `${quota}: ${message}`, [{ code: "custom", path: [quota], message }]);
  };
  if (active.length + 1 > limits.QUOTA_ACTIVE_EXPERIMENTS)
    over("QUOTA_ACTIVE_EXPERIMENTS", `the project has ${active.length} unfinished experiments; at most ${limits.QUOTA_ACTIVE_EXPERIMENTS}`);
  if (activeJobs + cost.jobs > limits.QUOTA_ACTIVE_JOBS)
    over("QUOTA_ACTIVE_JOBS", `${activeJobs} unfinished jobs + ${cost.jobs} new exceed the project's ${limits.QUOTA_ACTIVE_JOBS}`);
  if (gpuHours > limits.QUOTA_GPU_HOURS)
    over(
      "QUOTA_GPU_HOURS",
      `unfinished experiments may use ${gpuHours.toFixed(1)} GPU-hours with this one; at most ${limits.QUOTA_GPU_HOURS}`,
    );
  if (rows > limits.QUOTA_DATASET_ROWS)
    over("QUOTA_DATASET_ROWS", `unfinished experiments build ${rows} dataset rows with this one; at most ${limits.QUOTA_DATASET_ROWS}`);
}
