/**
 * The `eval` job: evaluate every checkpoint the arm's training job reported, on every split of
 * the experiment. For each checkpoint the trainer's serve mode is started on the experiment's
 * compute backend with its resources (GPUs included: there it runs `vllm serve` where vLLM is
 * installed, else the built-in transformers server), the harness plays the splits against it,
 * and each scored item is stored as it finishes, so a retried job never asks an item twice.
 * Emits `eval.completed` per checkpoint.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { EvalParams, TyError } from "@trainyard/contracts";
import { LocalArtifactStore } from "@trainyard/datasets";
import { createModelClient, evaluate, splitKeys, type ItemResult } from "@trainyard/eval";
import { emitWebhookEvent } from "@trainyard/db";
import type { JobContext, JobHandler } from "../context.js";
import type { TrainerRuntime } from "./train.js";
import { launchSpec, serveConfig } from "./launch.js";

/** Postgres jsonb refuses NUL characters, which a small model can emit: store U+FFFD instead. */
function pgSafe<T>(v: T): object {
  return JSON.parse(JSON.stringify(v).replaceAll("\\u0000", "\\ufffd")) as object;
}

interface Served {
  url: string;
  stop(): Promise<void>;
}

async function serveCheckpoint(rt: TrainerRuntime, ctx: JobContext, dir: string, name: string, runId: string): Promise<Served> {
  const spec = ctx.spec;
  const cfgPath = join(dir, "..", `serve-${runId}.json`);
  await writeFile(cfgPath, JSON.stringify(serveConfig(spec, dir, name, rt.serveHost), null, 2));
  const handle = await rt.backendFor(spec.compute.backend).start(
    launchSpec(rt, spec, {
      runId,
      args: ["serve", "--config", cfgPath],
      artifactDir: ctx.artifactDir,
      experimentId: ctx.job.experimentId,
    }),
  );
  const events = handle.events()[Symbol.asyncIterator]();
  const stderr: string[] = [];
  const tail = () => (stderr.length ? `\n${stderr.slice(-10).join("\n")}` : "");
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      // A 7B model (and a queued cluster job) can take minutes to come up; the tiny one seconds.
      // On Slurm the job may also wait in the queue first: allow the whole job timeout.
      const startupMs =
        spec.compute.backend === "slurm" ? spec.compute.timeoutSeconds * 1000 : spec.model.engine === "hf" ? 30 * 60_000 : 180_000;
      const t = setTimeout(
        () => reject(new TyError("TY_ERR_DEPENDENCY_UNAVAILABLE", `the serve process did not start within ${startupMs / 1000} s${tail()}`)),
        startupMs,
      );
      void (async () => {
        for (;;) {
          const { value, done } = await events.next();
          if (done) return reject(new TyError("TY_ERR_DEPENDENCY_UNAVAILABLE", `the serve process exited before serving${tail()}`));
          if (value.type === "line" && value.stream === "stderr") {
            stderr.push(value.line);
            if (stderr.length > 40) stderr.shift();
          }
          if (value.type === "status" && value.state === "serving" && value.message) return resolve(value.message);
          if (value.type === "error")
            return reject(Object.assign(new Error(value.message), { code: value.code, failureKind: value.failure_kind }));
        }
      })().finally(() => clearTimeout(t));
    });
  } catch (e) {
    await handle.cancel(5000).catch(() => undefined);
    await handle.wait().catch(() => undefined);
    throw e;
  }
  // Keep draining output so the server never blocks on a full pipe.
  void (async () => {
    for (;;) if ((await events.next()).done) return;
  })();
  return {
    url,
    async stop() {
      await handle.cancel(5000);
      await handle.wait();
    },
  };
}

export function evalHandler(rt: TrainerRuntime): JobHandler {
  return async (ctx) => {
    const p = EvalParams.parse(ctx.job.params);
    const spec = ctx.spec;
    const env = spec.task;
    const source = await ctx.db.job.findFirst({ where: { experimentId: ctx.job.experimentId, name: p.modelFrom } });
    const checkpoints = source ? await ctx.db.checkpoint.findMany({ where: { jobId: source.id }, orderBy: { step: "asc" } }) : [];
    if (!checkpoints.length) throw new TyError("TY_ERR_DEPENDENCY_UNAVAILABLE", `${p.modelFrom} reported no checkpoint to evaluate`);
    const store = new LocalArtifactStore(ctx.artifactDir);
    const exp = await ctx.db.experiment.findUniqueOrThrow({ where: { id: ctx.job.experimentId }, select: { projectId: true } });
    const n = spec.datasets.eval.size;
    // Play exactly the dataset's evaluation items (the ones its overlap report describes); the
    // paper's first n when the dataset has no file for a split.
    const dataset = await ctx.db.dataset.findFirst({ where: { experimentId: ctx.job.experimentId }, orderBy: { createdAt: "desc" } });
    const keys: Record<string, number[]> = {};
    for (const split of p.splits) {
      const file = dataset ? join(store.pathFor(dataset.uri), "eval", `${split}.jsonl`) : null;
      const text = file ? await readFile(file, "utf8").catch(() => null) : null;
      const fromFile = text
        ? text
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as { seed?: number; index?: number })
            .map((r) => r.seed ?? r.index)
            .filter((k): k is number => typeof k === "number")
        : [];
      keys[split] = fromFile.length ? fromFile.slice(0, n) : splitKeys(env, split, n);
    }
    const indexOf = new Map(p.splits.map((s) => [s, new Map(keys[s]!.map((k, i) => [k, i]))]));
    let generatedTokens = 0;
    const evaluated: number[] = [];

    for (const [ci, cp] of checkpoints.entries()) {
      // One EvalResult per split and checkpoint, created first so items can hang off it.
      const results = new Map<string, string>();
      for (const split of p.splits) {
        const r = await ctx.db.evalResult.upsert({
          where: { jobId_step_split: { jobId: ctx.job.id, step: cp.step, split } },
          create: {
            experimentId: ctx.job.experimentId,
            jobId: ctx.job.id,
            checkpointId: cp.id,
            arm: p.arm,
            seed: p.seed,
            split,
            step: cp.step,
            n: 0,
            success: 0,
            validity: 0,
            meanReward: 0,
            metrics: {},
          },
          update: {},
        });
        results.set(split, r.id);
      }
      const stored = await ctx.db.evalItem.findMany({ where: { evalResultId: { in: [...results.values()] } } });
      const previous: ItemResult[] = stored
        .map((it) => {
          const u = it.usage as { result?: ItemResult };
          return u.result!;
        })
        .filter(Boolean);

      const dir = store.pathFor(cp.uri);
      await mkdir(dir, { recursive: true });
      const served = await serveCheckpoint(rt, ctx, dir, cp.servingName, `${ctx.job.id}-serve-${cp.step}-a${ctx.job.attempts}`);
      try {
        const client = createModelClient("openai", { baseURL: served.url, model: cp.servingName, apiKey: "none" });
        const report = await evaluate({
          env,
          splits: p.splits,
          n,
          keys,
          client,
          sampling: { temperature: spec.sampling.temperature, topP: spec.sampling.topP, maxTokens: spec.sampling.maxTokens },
          seed: p.seed,
          concurrency: 16,
          previous,
          signal: ctx.signal,
          runId: `${ctx.job.id}-${cp.step}`,
          onResult: async (r) => {
            const itemIndex = indexOf.get(r.split)?.get(r.key) ?? 0;
            await ctx.db.evalItem.upsert({
              where: { evalResultId_itemIndex: { evalResultId: results.get(r.split)!, itemIndex } },
              create: {
                evalResultId: results.get(r.split)!,
                itemIndex,
                itemKey: r.key,
                success: r.success,
                valid: r.validity > 0,
                reward: r.reward,
                reason: r.reason,
                turns: pgSafe(r.turns),
                usage: pgSafe({ promptTokens: r.promptTokens, completionTokens: r.completionTokens, result: r }),
              },
              update: {},
            });
          },
          onProgress: (pr) => void ctx.progress((ci + pr.done / pr.total) / checkpoints.length),
        });
        const summary: { split: string; n: number; success: number; validity: number; meanReward: number }[] = [];
        for (const [split, m] of Object.entries(report.splits)) {
          generatedTokens += m.completionTokens;
          summary.push({ split, n: m.n, success: m.success, validity: m.validity, meanReward: m.meanReward });
          await ctx.db.evalResult.update({
            where: { id: results.get(split)! },
            data: {
              n: m.n,
              success: m.success,
              validity: m.validity,
              meanReward: m.meanReward,
              metrics: {
                ...m,
                sampling: report.sampling,
                template: report.template,
                scoring: spec.scoring,
                model: cp.servingName,
              } as object,
            },
          });
          await ctx.event("eval", {
            split,
            step: cp.step,
            metrics: { success: m.success, validity: m.validity, meanReward: m.meanReward, n: m.n },
          });
        }
        await ctx.db.$transaction((tx) =>
          emitWebhookEvent(tx, exp.projectId, "eval.completed", {
            experimentId: ctx.job.experimentId,
            jobId: ctx.job.id,
            evalId: results.get(p.splits[0]!)!,
            state: "succeeded",
            summary: { arm: p.arm, seed: p.seed, step: cp.step, splits: summary },
          } as never),
        );
        evaluated.push(cp.step);
      } finally {
        await served.stop();
      }
    }
    return { checkpoints: evaluated, splits: p.splits, n, generatedTokens };
  };
}
