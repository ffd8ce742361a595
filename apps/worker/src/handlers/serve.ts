/**
 * Serving a checkpoint for evaluation: the trainer's serve mode on the experiment's compute
 * backend with its resources (GPUs included: there it runs `vllm serve` where vLLM is installed,
 * else the built-in transformers server). Resolves with the URL once the server reports
 * `serving`; fails with the server's last stderr lines if it exits or never comes up.
 */
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { TyError, type ExperimentSpec } from "@trainyard/contracts";
import type { ServedModel } from "@trainyard/eval";
import type { JobContext } from "../context.js";
import type { TrainerRuntime } from "./train.js";
import { launchSpec, serveConfig } from "./launch.js";

/** Items in flight per checkpoint: enough to keep one model server busy. */
export const EVAL_CONCURRENCY = 16;

/**
 * Checkpoints one eval job serves at once. Two on CPU-only experiments: a server there is a small
 * process on one core, and one after another, a long arm's last checkpoints played on one core
 * while the other idled (the demo's 1,000-step arm). One with GPUs, where a second server would
 * compete for the same GPU memory. The eval job widens to two only while no local trainer runs.
 */
export function checkpointsAtOnce(spec: ExperimentSpec): number {
  return spec.compute.resources.gpus === 0 ? 2 : 1;
}

/**
 * The niceness of a CPU evaluation server on the process backend: beside a trainer on the same
 * host, the server takes the CPU the trainer leaves, and the training that ends last is not
 * slowed by the evaluation of an arm that ended earlier.
 */
export const CPU_SERVER_NICENESS = 10;

/**
 * How long a serve process may take to report `serving`. A 7B model (and a queued cluster job)
 * can take minutes to come up, the tiny one seconds; on Slurm the job may also wait in the queue
 * first, so allow the whole job timeout there.
 */
export function serveStartupMs(spec: ExperimentSpec): number {
  if (spec.compute.backend === "slurm") return spec.compute.timeoutSeconds * 1000;
  return spec.model.engine === "hf" ? 30 * 60_000 : 180_000;
}

export async function serveCheckpoint(rt: TrainerRuntime, ctx: JobContext, dir: string, name: string, runId: string): Promise<ServedModel> {
  const spec = ctx.spec;
  const cfgPath = join(dir, "..", `serve-${runId}.json`);
  await writeFile(cfgPath, JSON.stringify(serveConfig(spec, dir, name, rt.serveHost), null, 2));
  const handle = await rt.backendFor(spec.compute.backend).start({
    ...launchSpec(rt, spec, {
      runId,
      args: ["serve", "--config", cfgPath],
      artifactDir: ctx.artifactDir,
      experimentId: ctx.job.experimentId,
      requestId: ctx.job.requestId,
    }),
    ...(spec.compute.resources.gpus === 0 ? { niceness: CPU_SERVER_NICENESS } : {}),
  });
  const events = handle.events()[Symbol.asyncIterator]();
  const stderr: string[] = [];
  const tail = () => (stderr.length ? `\n${stderr.slice(-10).join("\n")}` : "");
  let url: string;
  try {
    url = await new Promise<string>((resolve, reject) => {
      const startupMs = serveStartupMs(spec);
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
