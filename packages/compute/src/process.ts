/**
 * The default backend: the trainer as a local child process.
 *
 * - The child leads its own process group; cancel signals the group, so grandchildren go too.
 * - Invariant: nothing of the run outlives it. When the leader exits, any member left in its group
 *   gets SIGTERM and, after the grace period, SIGKILL (a straggler could hold a GPU or our pipes).
 * - Nothing caps CPU or memory here (`resources().enforced` is false). A SIGKILL from the kernel's
 *   OOM killer looks exactly like any other SIGKILL, so it reports `exited` + `SIGKILL`, never `oom`.
 * - If the worker itself dies, the detached trainer keeps running: the lease reconciler owns that.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { setPriority } from "node:os";
import { setTimeout as sleep } from "node:timers/promises";
import {
  baseEnv,
  DEFAULT_GRACE_SECONDS,
  validateLaunchSpec,
  type ComputeBackend,
  type EffectiveResources,
  type LaunchSpec,
  type RunEvent,
  type RunExit,
  type RunHandle,
  type RunStatus,
} from "./backend.js";
import { ComputeError } from "./errors.js";
import { EventQueue, LineSplitter, toRunEvent } from "./lines.js";
import { groupAlive, signalGroup } from "./process-group.js";

/** Host variables a local trainer needs; the rest of the worker's env (secrets) stays out. */
export const DEFAULT_INHERITED_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LANG",
  "LC_ALL",
  "TZ",
  "TMPDIR",
  "PYTHONPATH",
  "VIRTUAL_ENV",
  "HF_HOME",
  "HF_HUB_OFFLINE",
  "CUDA_VISIBLE_DEVICES",
  "NVIDIA_VISIBLE_DEVICES",
];

export interface ProcessBackendOptions {
  /** Names of host environment variables passed to the trainer; default DEFAULT_INHERITED_ENV. */
  inheritEnv?: readonly string[];
  /** Default grace period in seconds when the spec has none; default 10. */
  graceSeconds?: number;
}

export class ProcessBackend implements ComputeBackend {
  readonly name = "process" as const;
  constructor(private readonly options: ProcessBackendOptions = {}) {}

  async start(spec: LaunchSpec): Promise<RunHandle> {
    validateLaunchSpec(spec, "process");
    const inherited: Record<string, string> = {};
    for (const k of this.options.inheritEnv ?? DEFAULT_INHERITED_ENV) {
      const v = process.env[k];
      if (v !== undefined) inherited[k] = v;
    }
    const env = {
      ...inherited,
      ...baseEnv(spec),
      // gpus: 0 means no GPU, even on a machine that has some.
      ...(spec.resources.gpus === 0 ? { CUDA_VISIBLE_DEVICES: "" } : {}),
      ...spec.env,
    };
    const [file, ...args] = spec.command as [string, ...string[]];
    const child = spawn(file, args, { cwd: spec.workdir, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("spawn", resolve);
        child.once("error", reject);
      });
    } catch (e) {
      throw new ComputeError(
        "TY_ERR_COMPUTE_SPAWN_FAILED",
        `cannot start '${file}' in ${spec.workdir ?? process.cwd()}: ${(e as Error).message}`,
        { cause: e },
      );
    }
    // Right after exec, before the child starts its threads or children: they inherit it.
    if (spec.niceness) setPriority(child.pid as number, spec.niceness);
    const graceSeconds = spec.graceSeconds ?? this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS.process;
    return new ProcessRun(child, spec, graceSeconds * 1000);
  }
}

class ProcessRun implements RunHandle {
  readonly id: string;
  private readonly pid: number;
  private readonly queue = new EventQueue<RunEvent>();
  private readonly finished: Promise<RunExit>;
  private exitStatus: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  private stopReason: "cancelled" | "timeout" | null = null;
  private terminating: Promise<void> | null = null;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    child: ChildProcess,
    private readonly spec: LaunchSpec,
    private readonly graceMs: number,
  ) {
    this.pid = child.pid as number;
    this.id = String(this.pid);
    const streams = [
      ["stdout", child.stdout],
      ["stderr", child.stderr],
    ] as const;
    for (const [name, readable] of streams) {
      const splitter = new LineSplitter((line) => this.queue.push(toRunEvent(name, line)));
      readable?.on("data", (chunk: Buffer) => splitter.push(chunk));
      readable?.on("end", () => splitter.end());
    }
    child.once("exit", (code, signal) => {
      this.exitStatus = { code, signal };
      if (groupAlive(this.pid)) void this.terminate(this.graceMs);
    });
    this.finished = new Promise<RunExit>((resolve) => {
      // "close" comes after "exit" and after both pipes ended: every line is queued by then.
      child.once("close", () => {
        void (async () => {
          if (groupAlive(this.pid)) await this.terminate(this.graceMs);
          clearTimeout(this.deadline);
          this.queue.end();
          resolve(this.exit());
        })();
      });
    });
    if (spec.timeoutSeconds !== undefined) {
      this.deadline = setTimeout(() => {
        this.stopReason ??= "timeout";
        void this.terminate(this.graceMs);
      }, spec.timeoutSeconds * 1000);
      this.deadline.unref();
    }
  }

  events(): AsyncIterable<RunEvent> {
    return this.queue.iterable();
  }

  async cancel(graceMs = this.graceMs): Promise<void> {
    // A run that already ended on its own keeps its own exit; cancel only makes sure it is down.
    if (this.exitStatus === null) this.stopReason ??= "cancelled";
    await this.terminate(graceMs);
    await this.finished;
  }

  wait(): Promise<RunExit> {
    return this.finished;
  }

  async status(): Promise<RunStatus> {
    if (this.exitStatus === null) return "running";
    return this.exitStatus.code === 0 ? "succeeded" : "failed";
  }

  resources(): EffectiveResources {
    return { ...this.spec.resources, enforced: false };
  }

  /** SIGTERM the group, then SIGKILL whatever is left after the grace. Once per run. */
  private terminate(graceMs: number): Promise<void> {
    this.terminating ??= (async () => {
      if (!signalGroup(this.pid, "SIGTERM")) return;
      const until = Date.now() + graceMs;
      while (Date.now() < until) {
        if (!groupAlive(this.pid)) return;
        await sleep(Math.min(50, Math.max(1, until - Date.now())));
      }
      signalGroup(this.pid, "SIGKILL");
      // SIGKILL cannot be caught; wait (briefly) for the kernel to finish the job.
      for (let i = 0; i < 100 && groupAlive(this.pid); i++) await sleep(20);
    })();
    return this.terminating;
  }

  private exit(): RunExit {
    const s = this.exitStatus ?? { code: null, signal: null };
    const out: RunExit = { exitCode: s.code, reason: this.stopReason ?? "exited" };
    if (s.signal) out.signal = s.signal;
    return out;
  }
}
