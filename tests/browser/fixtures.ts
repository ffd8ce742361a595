/**
 * Data the browser tests need besides the experiment they run for real: 10,000 listed
 * experiments, a finished paper-sokoban experiment whose evaluation rows are written here (its
 * 7B training cannot run on this machine), and a General Points dataset built by the real builder.
 */
import { createHash } from "node:crypto";
import { expandExperimentRequest, planJobs } from "../../packages/contracts/src/index.js";
import {
  buildDataset,
  datasetKey,
  datasetSpecFromExperiment,
  datasetSpecHash,
  LocalArtifactStore,
} from "../../packages/datasets/src/index.js";
import { toDbKind, type Db } from "../../packages/db/src/index.js";

/** 10,000 experiments in one statement, created over the past week (newest first = sweep-00001). */
export async function seedExperiments(db: Db, projectId: string, n = 10_000): Promise<void> {
  await db.$executeRaw`
    INSERT INTO experiments (id, project_id, name, task, preset, spec, spec_hash, state, progress, created_at, updated_at)
    SELECT gen_random_uuid(), ${projectId}::uuid,
           'sweep-' || lpad(g::text, 5, '0'),
           CASE WHEN g % 3 = 0 THEN 'general-points' ELSE 'sokoban' END,
           CASE WHEN g % 4 = 0 THEN 'paper-sokoban' ELSE 'demo-cpu' END,
           '{}'::jsonb, md5(g::text),
           (ARRAY['succeeded','failed','cancelled','succeeded','running'])[1 + g % 5]::"ExperimentState",
           CASE WHEN g % 5 = 4 THEN 0.5 ELSE 1 END,
           now() - make_interval(mins => g), now()
    FROM generate_series(1, ${n}) AS g`;
}

/** Deterministic item outcomes with a given rate (a hash of the key decides each item). */
function outcomes(key: string, rate: number, n: number): boolean[] {
  return Array.from({ length: n }, (_, i) => createHash("sha256").update(`${key}/${i}`).digest()[0]! / 256 < rate);
}

/**
 * A finished paper-sokoban experiment: jobs recorded as succeeded, and per arm three evaluated
 * checkpoints on every split, the last near the paper's Table 1 value (so the heat map shows
 * both side by side) and the earlier ones lower.
 */
export async function seedPaperExperiment(db: Db, projectId: string): Promise<string> {
  const spec = expandExperimentRequest({ preset: "paper-sokoban", name: "paper-sokoban replica" });
  const paper: Record<string, Record<string, number>> = {
    ans: { id: 0.97, alpha: 0.01, num: 0.02, rand: 0, large: 0.6, "two-boxes": 0.33, complex: 0.16, fake: 0.9 },
    "diverse-ans": { id: 0.93, alpha: 0.9, num: 0.86, rand: 0.8, large: 0.5, "two-boxes": 0.3, complex: 0.1, fake: 0.02 },
    cot: { id: 0.99, alpha: 0.7, num: 0.78, rand: 0.25, large: 0.5, "two-boxes": 0.55, complex: 0.3, fake: 0.05 },
    "diverse-cot": { id: 1, alpha: 0.96, num: 0.97, rand: 0.98, large: 0.7, "two-boxes": 0.6, complex: 0.38, fake: 0.01 },
    "rl-warm": { id: 0.88, alpha: 0.74, num: 0.7, rand: 0.5, large: 0.36, "two-boxes": 0.33, complex: 0.12, fake: 0.01 },
  };
  const exp = await db.experiment.create({
    data: {
      projectId,
      name: spec.name,
      task: spec.task,
      preset: spec.preset,
      spec: spec as object,
      specHash: "seeded",
      state: "succeeded",
      progress: 1,
      finishedAt: new Date(),
    },
  });
  const now = Date.now();
  const jobs = new Map<string, string>();
  for (const p of planJobs(spec)) {
    const j = await db.job.create({
      data: {
        experimentId: exp.id,
        kind: toDbKind(p.kind),
        name: p.name,
        arm: p.arm,
        seed: p.seed,
        dependsOn: p.dependsOn,
        payload: p.params as object,
        state: "succeeded",
        progress: 1,
        attempts: 1,
        maxAttempts: 3,
        startedAt: new Date(now - 3_600_000),
        finishedAt: new Date(now - 600_000),
      },
    });
    jobs.set(p.name, j.id);
  }
  const steps = [50, 100, 150];
  for (const arm of spec.arms) {
    for (const [k, step] of steps.entries()) {
      for (const split of spec.splits) {
        const rate = Math.max(0, Math.min(1, (paper[arm.name]?.[split] ?? 0.5) * (0.55 + 0.225 * k)));
        const success = outcomes(`${arm.name}/${split}/${step}`, rate, 100);
        const r = await db.evalResult.create({
          data: {
            experimentId: exp.id,
            jobId: jobs.get(`eval:${arm.name}:s0`)!,
            arm: arm.name,
            seed: 0,
            split,
            step,
            n: 100,
            success: success.filter(Boolean).length / 100,
            validity: 0.97,
            meanReward: 0,
            metrics: {},
          },
        });
        await db.evalItem.createMany({
          data: success.map((s, i) => ({
            evalResultId: r.id,
            itemIndex: i,
            itemKey: 123 + i,
            success: s,
            valid: true,
            reward: s ? 10.7 : -3,
            reason: s ? null : "not_solved",
            turns: [],
            usage: {},
          })),
        });
      }
    }
  }
  return exp.id;
}

/** A General Points dataset built by the real builder into the artifact store, attached to a seeded experiment. */
export async function seedGpDataset(db: Db, projectId: string, artifactDir: string): Promise<string> {
  const spec = expandExperimentRequest({
    preset: "paper-general-points",
    name: "gp-cards",
    datasets: { train: { size: 8 }, eval: { size: 4 } },
  });
  const ds = datasetSpecFromExperiment(spec);
  const store = new LocalArtifactStore(artifactDir);
  const specHash = datasetSpecHash(ds);
  const prefix = datasetKey(specHash);
  const built = await buildDataset(ds, { store, prefix });
  const exp = await db.experiment.create({
    data: {
      projectId,
      name: spec.name,
      task: spec.task,
      preset: spec.preset,
      spec: spec as object,
      specHash: "seeded",
      state: "cancelled",
    },
  });
  const row = await db.dataset.create({
    data: { experimentId: exp.id, task: spec.task, specHash, manifest: built.manifest as object, uri: store.uri(prefix) },
  });
  return row.id;
}
