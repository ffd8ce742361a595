/**
 * The `dataset-build` job: builds the experiment's dataset (every training arm and evaluation
 * split of its spec) into the artifact store under `datasets/<specHash>`, then records a
 * `Dataset` row. Thin by design: the work is `buildDataset` in packages/datasets.
 *
 * Idempotent: the directory is content-addressed by the spec hash, a rebuild of an intact
 * directory reuses it (identical bytes otherwise overwrite atomically), and the row is keyed by
 * (experiment, spec hash). Cancellation and timeouts reach the build through `ctx.signal`; the
 * build yields to the event loop regularly so the lease heartbeat keeps running.
 *
 * Result: `{ datasetId, uri, rows, specHash, reused }`. Errors carry catalogue codes:
 * TY_ERR_DATASET_INVALID_SPEC / _EMPTY / _BAD_UPLOAD and TY_ERR_TEACHER_REJECTED are user
 * errors (not retried); TY_ERR_TEACHER_UNAVAILABLE and unexpected errors are retried.
 */
import type { Prisma, Db } from "@trainyard/db";
import {
  LocalArtifactStore,
  buildDataset,
  datasetKey,
  datasetSpecFromExperiment,
  datasetSpecHash,
  type Manifest,
} from "@trainyard/datasets";
import type { JobHandler } from "../context.js";

/** Upserts the experiment's Dataset row for this spec hash; returns its id. */
export async function recordDataset(
  db: Db,
  row: { experimentId: string; task: string; specHash: string; manifest: Manifest; uri: string },
): Promise<string> {
  const manifest = row.manifest as unknown as Prisma.InputJsonValue;
  return db.$transaction(async (tx) => {
    // Serialise concurrent attempts for the same (experiment, spec): no unique index to lean on.
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`dataset:${row.experimentId}:${row.specHash}`}))`;
    const existing = await tx.dataset.findFirst({
      where: { experimentId: row.experimentId, specHash: row.specHash },
      select: { id: true },
    });
    if (existing) {
      await tx.dataset.update({ where: { id: existing.id }, data: { task: row.task, manifest, uri: row.uri } });
      return existing.id;
    }
    const created = await tx.dataset.create({
      data: { experimentId: row.experimentId, task: row.task, specHash: row.specHash, manifest, uri: row.uri },
      select: { id: true },
    });
    return created.id;
  });
}

export const datasetBuildHandler: JobHandler = async (ctx) => {
  const spec = datasetSpecFromExperiment(ctx.spec);
  const specHash = datasetSpecHash(spec);
  const store = new LocalArtifactStore(ctx.artifactDir);
  const prefix = datasetKey(specHash);
  const uri = store.uri(prefix);
  await ctx.log(
    `building ${spec.task} dataset ${specHash.slice(0, 12)}: ${spec.train.arms.length} training files, ${spec.eval.splits.length} evaluation splits → ${uri}`,
  );
  const result = await buildDataset(spec, {
    store,
    prefix,
    signal: ctx.signal,
    onProgress: (f) => ctx.progress(f),
    log: (m) => ctx.log(m),
  });
  const leaked = Object.entries(result.manifest.overlap.splits).filter(([, s]) => s.inTrainBefore > 0);
  if (leaked.length) {
    await ctx.log(
      `evaluation items also in the training data (${result.manifest.overlap.policy}): ${leaked.map(([n, s]) => `${n} ${s.inTrainBefore}/${s.items}`).join(", ")}`,
      "warn",
    );
  }
  const datasetId = await recordDataset(ctx.db, {
    experimentId: ctx.job.experimentId,
    task: spec.task,
    specHash,
    manifest: result.manifest,
    uri,
  });
  await ctx.progress(1);
  return { datasetId, uri, rows: result.rows, specHash, reused: result.reused };
};
