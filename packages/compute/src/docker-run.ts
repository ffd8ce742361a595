/**
 * One running container: its log stream demultiplexed into run events, its exit, cancel and
 * clean-up. Built by DockerBackend.start once the container is started and its logs are attached.
 */
import type Docker from "dockerode";
import { setTimeout as sleep } from "node:timers/promises";
import type { EffectiveResources, LaunchSpec, RunEvent, RunExit, RunHandle, RunStatus } from "./backend.js";
import { DockerLogDemuxer } from "./docker-logs.js";
import { apiError, httpStatus } from "./errors.js";
import { EventQueue, LineSplitter, toRunEvent } from "./lines.js";
import { signalFromExitCode } from "./outcome.js";

export interface DockerRunOptions {
  graceMs: number;
  keepContainer: boolean;
  logSettleMs: number;
}

type Waited = { ok: true; code: number } | { ok: false; error: unknown };

export class DockerRun implements RunHandle {
  readonly id: string;
  private readonly queue = new EventQueue<RunEvent>();
  private readonly finished: Promise<RunExit>;
  private final: RunExit | null = null;
  private exitedOnItsOwn = false;
  private stopReason: "cancelled" | "timeout" | null = null;
  private stopping: Promise<void> | null = null;
  private deadline: NodeJS.Timeout | undefined;

  constructor(
    private readonly container: Docker.Container,
    logs: NodeJS.ReadableStream,
    private readonly spec: LaunchSpec,
    private readonly opts: DockerRunOptions,
  ) {
    this.id = container.id;
    const logsDone = this.pumpLogs(logs);
    // wait() never rejects: an unexpected failure while finishing is a lost run.
    this.finished = this.finish(logsDone, logs).catch((e: unknown): RunExit => {
      this.queue.end(apiError(`docker: finish container ${this.id}`, e));
      return (this.final = { exitCode: null, reason: "lost", message: String((e as Error)?.message ?? e) });
    });
    if (spec.timeoutSeconds !== undefined) {
      this.deadline = setTimeout(() => {
        this.stopReason ??= "timeout";
        void this.stop(this.opts.graceMs);
      }, spec.timeoutSeconds * 1000);
      this.deadline.unref();
    }
  }

  events(): AsyncIterable<RunEvent> {
    return this.queue.iterable();
  }

  async cancel(graceMs = this.opts.graceMs): Promise<void> {
    if (this.final) return;
    if (!this.exitedOnItsOwn) this.stopReason ??= "cancelled";
    await this.stop(graceMs);
    await this.finished;
  }

  wait(): Promise<RunExit> {
    return this.finished;
  }

  async status(): Promise<RunStatus> {
    if (this.final) return this.final.reason === "exited" && this.final.exitCode === 0 ? "succeeded" : "failed";
    try {
      const { State } = await this.container.inspect();
      switch (State.Status) {
        case "created":
          return "pending";
        case "running":
        case "restarting":
        case "paused":
          return "running";
        case "exited":
        case "dead":
          return State.ExitCode === 0 && !State.OOMKilled ? "succeeded" : "failed";
        default:
          return "unknown";
      }
    } catch {
      return "unknown";
    }
  }

  resources(): EffectiveResources {
    return { ...this.spec.resources, enforced: true };
  }

  /** Resolves with the log stream's error, or null once it ended cleanly. */
  private pumpLogs(logs: NodeJS.ReadableStream): Promise<unknown> {
    const split = {
      stdout: new LineSplitter((line) => this.queue.push(toRunEvent("stdout", line))),
      stderr: new LineSplitter((line) => this.queue.push(toRunEvent("stderr", line))),
    };
    const demux = new DockerLogDemuxer((stream, payload) => split[stream].push(payload));
    return new Promise((resolve) => {
      let settled = false;
      const done = (err: unknown) => {
        if (settled) return;
        settled = true;
        split.stdout.end();
        split.stderr.end();
        resolve(err);
      };
      logs.on("data", (chunk: Buffer | string) => demux.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)));
      logs.once("end", () => done(null));
      logs.once("close", () => done(null));
      logs.once("error", (e: unknown) => done(e));
    });
  }

  /** wait → drain logs → inspect (exit code, OOMKilled) → remove. */
  private async finish(logsDone: Promise<unknown>, logs: NodeJS.ReadableStream): Promise<RunExit> {
    let waited: Waited = { ok: false, error: new Error("not waited") };
    let state: Docker.ContainerInspectInfo["State"] | null = null;
    let lost = false;
    // A wait whose connection broke (daemon restart) while the container still runs is re-issued.
    for (let attempt = 0; attempt < 4; attempt++) {
      waited = await this.container.wait().then(
        (r: { StatusCode: number }) => ({ ok: true as const, code: r.StatusCode }),
        (error: unknown) => ({ ok: false as const, error }),
      );
      if (waited.ok) break;
      if (httpStatus(waited.error) === 404) break;
      const info = await this.container.inspect().catch(() => null);
      if (!info?.State.Running) break;
      await sleep(200 * 2 ** attempt);
    }
    if (waited.ok) this.exitedOnItsOwn = this.stopReason === null;

    // Docker ends a follow stream when the container stops; a stream that hangs anyway is cut.
    let settleTimer: NodeJS.Timeout | undefined;
    const logError = await Promise.race([
      logsDone,
      new Promise<unknown>((resolve) => {
        settleTimer = setTimeout(() => {
          (logs as unknown as { destroy?: () => void }).destroy?.();
          resolve(null);
        }, this.opts.logSettleMs);
      }),
    ]);
    clearTimeout(settleTimer);

    try {
      state = (await this.container.inspect()).State;
    } catch (e) {
      if (httpStatus(e) === 404) lost = true;
    }
    if (!waited.ok && httpStatus(waited.error) === 404) lost = true;

    const exitCode = state ? state.ExitCode : waited.ok ? waited.code : null;
    const exit: RunExit = { exitCode, reason: this.stopReason ?? (state?.OOMKilled ? "oom" : lost ? "lost" : "exited") };
    const signal = signalFromExitCode(exitCode);
    if (signal) exit.signal = signal;
    if (!waited.ok && !lost) exit.message = `wait failed: ${(waited.error as Error)?.message ?? String(waited.error)}`;
    if (lost) exit.message = "the container was removed by someone else while it ran";

    if (!this.opts.keepContainer && !lost) await this.container.remove({ v: true }).catch(() => undefined);
    clearTimeout(this.deadline);
    this.final = exit;
    this.queue.end(logError ? apiError("docker: log stream broke", logError) : undefined);
    return exit;
  }

  /** docker stop: SIGTERM, and the daemon SIGKILLs after t seconds (whole seconds, rounded up). */
  private stop(graceMs: number): Promise<void> {
    this.stopping ??= (async () => {
      const t = Math.ceil(graceMs / 1000);
      try {
        await this.container.stop({ _query: { t }, _body: {} } as Docker.ContainerStopOptions);
      } catch (e) {
        const s = httpStatus(e);
        if (s === 304 || s === 404) return; // already stopped / gone
        await this.container.kill({ _query: { signal: "SIGKILL" }, _body: {} } as object).catch(() => undefined);
      }
    })();
    return this.stopping;
  }
}
