/**
 * The `sft` and `grpo` jobs: launch the trainer on the experiment's compute backend, turn its
 * protocol events into job events, progress and checkpoint rows, stop it on cancel, and classify
 * how it ended. A retried job starts from its own last checkpoint, or, when only its worker was
 * lost, re-attaches to the run that worker left (compute-run.ts).
 */
import { mkdir, stat, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TrainParams, TyError, armSft } from "@trainyard/contracts";
import type { BackendName, ComputeBackend, RunEvent } from "@trainyard/compute";
import { RunTally, runOutcome } from "@trainyard/compute";
import { LocalArtifactStore } from "@trainyard/datasets";
import type { AbortReason, JobContext, JobHandler } from "../context.js";
import { attachEarlierRun, RunRecorder, startRun } from "./compute-run.js";
import { checkpointKey, trainerConfig } from "./trainer-config.js";
import { launchSpec } from "./launch.js";
import { trackLocalTraining } from "./local-training.js";

export interface TrainerRuntime {
  /** The backend named by the spec (`process` | `docker` | `kubernetes` | `slurm`). */
  backendFor(name: BackendName): ComputeBackend;
  /** argv prefix that runs the trainer module, e.g. [".venv/bin/python", "-m", "trainyard_trainer"]. */
  trainerCommand: string[];
  /** Extra environment for the trainer (PYTHONPATH to infra/trainer for the process backend). */
  trainerEnv: Record<string, string>;
  /** argv of `trainyard env batch` as the trainer should run it. */
  rewardCommand: string[];
  /** Interface a model server binds on a remote backend (SLURM_SERVE_HOST; default 0.0.0.0). */
  serveHost?: string;
  /** Checkpoints an eval job serves at once (EVAL_CHECKPOINTS_AT_ONCE); unset: `checkpointsAtOnce(spec)`. */
  evalCheckpointsAtOnce?: number;
  /** Trainer image for container backends (CPU-only / CUDA). */
  image?: { cpu?: string; gpu?: string };
}

/** Error carrying a failure kind decided by the compute layer (crashed, timed_out, ...). */
class TrainerFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly failureKind: string,
  ) {
    super(message);
  }
}

async function lastCheckpointDir(
  ctx: JobContext,
  jobName: string,
  store: LocalArtifactStore,
): Promise<{ dir: string; step: number } | null> {
  const job = await ctx.db.job.findFirst({ where: { experimentId: ctx.job.experimentId, name: jobName } });
  if (!job) return null;
  const cp = await ctx.db.checkpoint.findFirst({ where: { jobId: job.id }, orderBy: { step: "desc" } });
  return cp ? { dir: store.pathFor(cp.uri), step: cp.step } : null;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

export function trainHandler(rt: TrainerRuntime): JobHandler {
  return async (ctx) => {
    const p = TrainParams.parse(ctx.job.params);
    const spec = ctx.spec;
    const arm = spec.arms.find((a) => a.name === p.arm);
    if (!arm) throw new TyError("TY_ERR_SPEC_CONFLICT", `arm ${p.arm} is not in the spec`);
    const store = new LocalArtifactStore(ctx.artifactDir);
    const dataset = await ctx.db.dataset.findFirst({ where: { experimentId: ctx.job.experimentId }, orderBy: { createdAt: "desc" } });
    // Permanent: the dataset-build job succeeded (or this job would not run), so waiting or
    // retrying cannot bring the data back; a rebuild can.
    if (!dataset) throw new TyError("TY_ERR_ARTIFACT_MISSING", "the experiment has no built dataset (rebuild it)");
    const trainFile = join(store.pathFor(dataset.uri), "train", `${arm.data}-${arm.target}.jsonl`);
    if (!(await isFile(trainFile)))
      throw new TyError(
        "TY_ERR_ARTIFACT_MISSING",
        `the training file ${arm.data}-${arm.target}.jsonl is not in the dataset ${dataset.uri} (rebuild it)`,
      );
    const outKey = checkpointKey(ctx.job.experimentId, ctx.job.name);
    const outputDir = store.pathFor(outKey);
    await mkdir(outputDir, { recursive: true });

    // A retry after a lost worker re-attaches to the run it left (slurm). Otherwise a retried
    // attempt resumes exactly from its own last checkpoint (the trainer restores the optimizer,
    // scheduler, RNG and data order; steps stay global), and a warm start loads weights only.
    const backend = rt.backendFor(spec.compute.backend);
    const earlier = await attachEarlierRun(ctx, backend);
    const own = !earlier && ctx.job.attempts > 1 ? await lastCheckpointDir(ctx, ctx.job.name, store) : null;
    const warm = !earlier && p.initFrom ? await lastCheckpointDir(ctx, p.initFrom, store) : null;
    if (p.initFrom && !warm && !earlier) throw new TyError("TY_ERR_ARTIFACT_MISSING", `${p.initFrom} left no checkpoint to start from`);
    const mode = p.kind;
    const maxSteps = p.maxSteps ?? (mode === "sft" ? (armSft(spec, arm).maxSteps ?? null) : spec.grpo.steps);
    if (own) await ctx.log(`attempt ${ctx.job.attempts}: resuming from ${own.dir} (step ${own.step})`);

    const config = trainerConfig({
      mode,
      spec,
      arm,
      seed: p.seed,
      trainFile,
      outputDir,
      initFrom: warm?.dir ?? null,
      resumeFrom: own?.dir ?? null,
      maxSteps,
      rewardCommand: rt.rewardCommand,
    });
    const configPath = join(outputDir, `config-attempt-${ctx.job.attempts}.json`);
    if (!earlier) await writeFile(configPath, JSON.stringify(config, null, 2));

    const run =
      earlier ??
      (await startRun(
        ctx,
        backend,
        0, // the trainer's steps are global, resumed runs included
        launchSpec(rt, spec, {
          runId: `${ctx.job.id}-a${ctx.job.attempts}`,
          args: [mode, "--config", configPath],
          artifactDir: ctx.artifactDir,
          experimentId: ctx.job.experimentId,
          requestId: ctx.job.requestId,
          readOnly: [store.keyOf(dataset.uri)],
        }),
      ));
    const handle = run.handle;
    if (spec.compute.backend === "process") trackLocalTraining(handle.wait());
    const onAbort = () => {
      // A worker going away (shutdown, lost lease) leaves a re-attachable run to the next worker.
      const reason = ctx.signal.reason as AbortReason;
      if ((reason === "shutdown" || reason === "lease-lost") && handle.detach) handle.detach();
      else handle.cancel().catch((err: unknown) => ctx.logger.warn({ err }, "cancelling the trainer failed"));
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });

    const rec = new RunRecorder(ctx, run);
    const tally = new RunTally();
    let lastStep = own?.step ?? 0;
    let trainedTokens = 0;
    const stderrTail: string[] = [];
    try {
      for await (const ev of handle.events() as AsyncIterable<RunEvent>) {
        rec.next(ev); // events an earlier reader of a re-attached run recorded are not recorded again
        tally.observe(ev);
        switch (ev.type) {
          case "metrics": {
            lastStep = ev.step;
            const total = ev.max_steps;
            trainedTokens = Math.max(trainedTokens, ev.values.num_tokens ?? 0);
            await rec.event("metrics", { step: lastStep, maxSteps: total, values: ev.values });
            await ctx.progress(total > 0 ? lastStep / total : 0);
            break;
          }
          case "checkpoint": {
            const step = ev.step;
            const uri = store.uri(join(outKey, ev.path.split("/").pop() ?? `checkpoint-${ev.step}`));
            const servingName = `${ctx.job.experimentId.slice(0, 8)}/${arm.name}/s${p.seed}/${mode}-step-${step}`;
            await ctx.db.checkpoint.upsert({
              where: { jobId_step: { jobId: ctx.job.id, step } },
              create: {
                jobId: ctx.job.id,
                step,
                uri,
                sha256: ev.sha256,
                servingName,
                kind: spec.model.lora ? "lora" : "full",
              },
              update: { uri, sha256: ev.sha256 },
            });
            await rec.event("checkpoint", { step, path: uri, sha256: ev.sha256, servingName });
            break;
          }
          case "log":
            await rec.log(ev.message, ev.level);
            break;
          case "status":
            await rec.log(`trainer ${ev.state}${ev.message ? `: ${ev.message}` : ""}`, "debug");
            break;
          case "line":
            if (ev.stream === "stderr") {
              stderrTail.push(ev.line);
              if (stderrTail.length > 40) stderrTail.shift();
            }
            if (ev.line.trim()) await rec.log(ev.line, ev.stream === "stderr" ? "warn" : "info");
            break;
          case "done":
          case "error":
            break;
        }
      }
    } catch (e) {
      // An attempt that fails while reading must not leave its run going (the retry starts another).
      if (!ctx.signal.aborted) await handle.cancel().catch(() => undefined);
      throw e;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
    }
    const exit = await handle.wait();
    if (ctx.signal.aborted) throw new Error(`stopped: ${String(ctx.signal.reason)}`);
    const outcome = runOutcome(exit, tally);
    if (outcome.outcome === "failed") {
      const tail = stderrTail.length ? `\n${stderrTail.slice(-10).join("\n")}` : "";
      throw new TrainerFailure(outcome.code, `${outcome.message}${tail}`.slice(0, 4000), outcome.failureKind);
    }
    if (outcome.outcome === "cancelled") throw new Error("the trainer was cancelled outside Trainyard");
    const done = tally.lastTerminal?.type === "done" ? tally.lastTerminal : null;
    const last = await ctx.db.checkpoint.findFirst({ where: { jobId: ctx.job.id }, orderBy: { step: "desc" } });
    return {
      mode,
      steps: lastStep,
      lastCheckpoint: last ? { id: last.id, step: last.step, uri: last.uri, servingName: last.servingName } : null,
      trainedTokens: Number(done?.result.num_tokens ?? trainedTokens) || trainedTokens,
      trainer: done?.result ?? {},
    };
  };
}
