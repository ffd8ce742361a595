/**
 * The `eval` job: evaluate every checkpoint the arm's training job reported, on every split of
 * the experiment (packages/eval `evaluateCheckpoints`), storing through packages/db's
 * `evalRepository` and serving each checkpoint on the experiment's compute backend (./serve.ts).
 * Plays exactly the dataset's evaluation items (those its overlap report describes); the paper's
 * first n where the dataset has no file for a split. Emits `eval.completed` per checkpoint.
 */
import { mkdir } from "node:fs/promises";
import { EvalParams, TyError } from "@trainyard/contracts";
import { LocalArtifactStore, readEvalKeys } from "@trainyard/datasets";
import { evaluateCheckpoints } from "@trainyard/eval";
import { checkpointsOfJob, evalRepository, latestDatasetUri } from "@trainyard/db";
import type { JobHandler } from "../context.js";
import type { TrainerRuntime } from "./train.js";
import { checkpointsAtOnce, EVAL_CONCURRENCY, serveCheckpoint } from "./serve.js";
import { localTrainingRuns } from "./local-training.js";

export function evalHandler(rt: TrainerRuntime): JobHandler {
  return async (ctx) => {
    const p = EvalParams.parse(ctx.job.params);
    const { spec, job } = ctx;
    const checkpoints = await checkpointsOfJob(ctx.db, job.experimentId, p.modelFrom);
    if (!checkpoints.length) throw new TyError("TY_ERR_DEPENDENCY_UNAVAILABLE", `${p.modelFrom} reported no checkpoint to evaluate`);
    const store = new LocalArtifactStore(ctx.artifactDir);
    const datasetUri = await latestDatasetUri(ctx.db, job.experimentId);
    const n = spec.datasets.eval.size;
    const report = await evaluateCheckpoints({
      env: spec.task,
      splits: p.splits,
      n,
      datasetKeys: datasetUri ? await readEvalKeys(store, datasetUri, p.splits) : {},
      checkpoints,
      async serve(cp) {
        const dir = store.pathFor(cp.uri);
        await mkdir(dir, { recursive: true });
        return serveCheckpoint(rt, ctx, dir, cp.servingName, `${job.id}-serve-${cp.step}-a${job.attempts}`);
      },
      store: evalRepository(ctx.db, { experimentId: job.experimentId, jobId: job.id, arm: p.arm, seed: p.seed }),
      sampling: { temperature: spec.sampling.temperature, topP: spec.sampling.topP, maxTokens: spec.sampling.maxTokens },
      seed: p.seed,
      arm: p.arm,
      scoring: spec.scoring,
      concurrency: EVAL_CONCURRENCY,
      checkpointConcurrency: rt.evalCheckpointsAtOnce ?? checkpointsAtOnce(spec),
      // Local servers share the host with local trainers: widen only once none is running.
      ...(spec.compute.backend === "process" ? { widen: () => localTrainingRuns() === 0 } : {}),
      runId: job.id,
      signal: ctx.signal,
      onProgress: (f) => void ctx.progress(f),
      onSplit: (step, s) =>
        ctx.event("eval", {
          split: s.split,
          step,
          metrics: { success: s.success, validity: s.validity, meanReward: s.meanReward, n: s.n },
        }),
      // A retried job asks only the items no earlier attempt stored; this line says how many.
      onCheckpoint: (step, i) => ctx.log(`checkpoint step ${step}: asked ${i.asked} items, ${i.reused} already stored`),
    });
    return { checkpoints: report.checkpoints, splits: p.splits, n, generatedTokens: report.generatedTokens };
  };
}
