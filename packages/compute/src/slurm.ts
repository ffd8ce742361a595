/**
 * The trainer (or a model server) as a Slurm batch job, through the Slurm commands on the worker's
 * host. The worker must be a submit host of the cluster (munge key, slurm.conf) and see the
 * cluster's shared filesystem at the same path as the nodes: the run directory
 * (`<artifactDir>/slurm/<run name>/`: job.sh, job.json, stdout.log, stderr.log) lives there.
 *
 * A run: sbatch (adopting the job when the run directory already records one for this run id) →
 * follow the two output files as they grow → watch the job through one shared squeue poller
 * (sacct once slurmctld has forgotten it) → map its final state to an exit. State changes become
 * `log` events ("slurm: job 12 PENDING (Priority)"), so the job log says why nothing happens yet.
 *
 * - Cancel: `scancel` (Slurm sends SIGTERM, and SIGKILL after the cluster's KillWait); after the
 *   grace `scancel --full --signal=KILL`. Slurm enforces the time limit itself (TIMEOUT).
 * - Re-attach: the job outlives the worker. `attach(runId)` finds it again (job.json, else by job
 *   name in squeue/sacct) and replays its output from byte 0; `position()` says how far the reader
 *   is, so the caller skips what an earlier reader had handled (see backend.ts `isReplayed`).
 * - Requeue/preemption: Slurm reruns the batch script; the script refuses (slurm-job.ts), the
 *   backend cancels the requeued job as soon as it sees the restart and reports `preempted`.
 * - Serving: a `status serving` URL on a wildcard address (http://0.0.0.0:PORT) is rewritten to the
 *   job's node address, so the worker can reach a server started with a bind host of 0.0.0.0.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  baseEnv,
  DEFAULT_GRACE_SECONDS,
  resourceName,
  validateLaunchSpec,
  type AttachRef,
  type ComputeBackend,
  type EffectiveResources,
  type LaunchSpec,
  type Resources,
  type RunEvent,
  type RunExit,
  type RunHandle,
  type RunPosition,
  type RunStatus,
} from "./backend.js";
import { ComputeError } from "./errors.js";
import { EventQueue, toRunEvent } from "./lines.js";
import { SlurmCli, SlurmPoller } from "./slurm-cli.js";
import {
  batchScript,
  OUTPUT_FILES,
  pendingBlocked,
  phaseOf,
  SLURM_STATES,
  sbatchArgs,
  slurmRunExit,
  STEPD_OOM,
  type ContainerRuntime,
  type SlurmJob,
} from "./slurm-job.js";
import { FileTail } from "./slurm-output.js";

/** Host variables passed to the job (sbatch exports its environment); GPU visibility is Slurm's to set. */
export const DEFAULT_SLURM_INHERITED_ENV: readonly string[] = [
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "LC_ALL",
  "TZ",
  "PYTHONPATH",
  "VIRTUAL_ENV",
  "HF_HOME",
  "HF_HUB_OFFLINE",
  "SLURM_CONF",
];

export interface SlurmBackendOptions {
  /** Directory of sbatch, squeue, sacct, scancel, scontrol; default: PATH. */
  binDir?: string;
  /** Root of the run directories; default `<artifactDir>/slurm`. Shared with the nodes, same path. */
  runRoot?: string;
  /** The cluster's container runtime; `none` (default) runs the command bare (a shared .venv). */
  container?: ContainerRuntime;
  /** Images for a spec without one when a container runtime is set (by `resources.gpus > 0`). */
  images?: { cpu?: string; gpu?: string };
  /** GRES name of a GPU; default `gpu` (`--gres=gpu:N`). */
  gpuGres?: string;
  /** Operator's sbatch arguments added to every job (e.g. `--constraint=a100`). */
  extraArgs?: readonly string[];
  /** Host variables passed to the job; default DEFAULT_SLURM_INHERITED_ENV. */
  inheritEnv?: readonly string[];
  /** Default grace between scancel and the forced kill, seconds; default 30. */
  graceSeconds?: number;
  /** squeue interval, ms; default 2000 (one call for all watched jobs). */
  pollMs?: number;
  /** Output file read interval, ms; default 500. */
  tailMs?: number;
  /** After the job ended, read until the files stop growing for this long (NFS), ms; default 1000. */
  settleMs?: number;
  /** How long the Slurm commands may keep failing before a watched run counts as lost, ms; default 15 min. */
  unreachableMs?: number;
  /** Limit per Slurm command, ms; default 60 000. */
  commandTimeoutMs?: number;
}

interface RunRecord {
  runId: string;
  jobId: string;
  submittedAt: string;
}

export class SlurmBackend implements ComputeBackend {
  readonly name = "slurm" as const;
  private readonly cli: SlurmCli;
  private readonly poller: SlurmPoller;

  constructor(private readonly options: SlurmBackendOptions = {}) {
    this.cli = new SlurmCli({
      ...(options.binDir ? { binDir: options.binDir } : {}),
      ...(options.commandTimeoutMs ? { timeoutMs: options.commandTimeoutMs } : {}),
    });
    this.poller = new SlurmPoller(this.cli, options.pollMs ?? 2000);
  }

  async start(spec: LaunchSpec): Promise<RunHandle> {
    validateLaunchSpec(spec, "slurm");
    const container = this.options.container ?? "none";
    const image =
      spec.image ?? (container === "none" ? undefined : spec.resources.gpus > 0 ? this.options.images?.gpu : this.options.images?.cpu);
    if (container === "none" && spec.image)
      throw new ComputeError(
        "TY_ERR_COMPUTE_INVALID_SPEC",
        "slurm: image needs a container runtime on the cluster (SLURM_CONTAINER_RUNTIME=pyxis or apptainer); without one the command runs bare",
      );
    if (container !== "none" && !image) throw new ComputeError("TY_ERR_COMPUTE_INVALID_SPEC", `slurm: image is required with ${container}`);
    const name = resourceName(spec.runId);
    const dir = this.runDir(spec.artifactDir, name);
    await mkdir(dir, { recursive: true });

    // The same run started before (a retried start, a restarted worker): adopt its job.
    const record = await readRecord(dir);
    if (record && record.runId !== spec.runId)
      throw new ComputeError("TY_ERR_COMPUTE_CONFLICT", `slurm: ${dir} belongs to run '${record.runId}'`);
    const jobId = record?.jobId ?? (await this.cli.findByName(name, 2)) ?? (await this.submit(spec, { name, dir, container, image }));
    if (!record) await this.writeRecordOrCancel(dir, { runId: spec.runId, jobId, submittedAt: new Date().toISOString() });
    return this.handle(jobId, dir, spec.resources, spec.graceSeconds);
  }

  async attach(ref: AttachRef): Promise<RunHandle | null> {
    const name = resourceName(ref.runId);
    const dir = this.runDir(ref.artifactDir, name);
    const record = await readRecord(dir);
    if (record && record.runId !== ref.runId) return null;
    const jobId = record?.jobId ?? ref.id ?? (await this.cli.findByName(name));
    if (!jobId) return null;
    const known = (await this.cli.squeue([jobId])).has(jobId) || (await this.cli.sacct([jobId])).has(jobId);
    if (!known) return null;
    return this.handle(jobId, dir, ref.resources, ref.graceSeconds);
  }

  async release(ref: AttachRef): Promise<boolean> {
    const record = await readRecord(this.runDir(ref.artifactDir, resourceName(ref.runId)));
    const jobId =
      (record?.runId === ref.runId ? record.jobId : undefined) ?? ref.id ?? (await this.cli.findByName(resourceName(ref.runId)));
    if (!jobId) return false;
    const job = (await this.cli.squeue([jobId])).get(jobId);
    if (!job || phaseOf(job.state) === "ended") return false;
    await this.cli.scancel(jobId);
    return true;
  }

  private runDir(artifactDir: string, name: string): string {
    return join(this.options.runRoot ?? join(artifactDir, "slurm"), name);
  }

  private handle(jobId: string, dir: string, resources: Resources, graceSeconds: number | undefined): SlurmRun {
    const grace = graceSeconds ?? this.options.graceSeconds ?? DEFAULT_GRACE_SECONDS.slurm;
    return new SlurmRun(this.cli, this.poller, jobId, dir, resources, {
      graceMs: grace * 1000,
      tailMs: this.options.tailMs ?? 500,
      settleMs: this.options.settleMs ?? 1000,
      unreachableMs: this.options.unreachableMs ?? 15 * 60_000,
    });
  }

  private async submit(
    spec: LaunchSpec,
    o: { name: string; dir: string; container: ContainerRuntime; image: string | undefined },
  ): Promise<string> {
    const sb = {
      name: o.name,
      runDir: o.dir,
      container: o.container,
      ...(o.image ? { image: o.image } : {}),
      gpuGres: this.options.gpuGres ?? "gpu",
      extraArgs: this.options.extraArgs ?? [],
    };
    const script = join(o.dir, "job.sh");
    await writeFile(script, batchScript(spec, sb), { mode: 0o700 });
    const inherited: Record<string, string> = {};
    for (const k of this.options.inheritEnv ?? DEFAULT_SLURM_INHERITED_ENV) {
      const v = process.env[k];
      if (v !== undefined) inherited[k] = v;
    }
    // sbatch runs with exactly this environment and exports it to the job: no worker secrets.
    return this.cli.sbatch(sbatchArgs(spec, sb), script, { ...inherited, ...baseEnv(spec), ...spec.env });
  }

  private async writeRecordOrCancel(dir: string, record: RunRecord): Promise<void> {
    try {
      await writeFile(join(dir, "job.json"), JSON.stringify(record, null, 2));
    } catch (e) {
      // An unrecorded job could never be re-attached: do not leave it running.
      await this.cli.scancel(record.jobId).catch(() => undefined);
      throw new ComputeError("TY_ERR_COMPUTE_API", `slurm: cannot write ${dir}/job.json: ${(e as Error).message}`, { cause: e });
    }
  }
}

async function readRecord(dir: string): Promise<RunRecord | null> {
  try {
    const r = JSON.parse(await readFile(join(dir, "job.json"), "utf8")) as RunRecord;
    return typeof r.runId === "string" && /^\d+$/.test(String(r.jobId)) ? { ...r, jobId: String(r.jobId) } : null;
  } catch {
    return null;
  }
}

interface Item {
  ev: RunEvent;
  stream: keyof RunPosition;
  /** Offset past the line in its stream; -1 for the backend's own notices. */
  end: number;
}

const WILDCARD_URL = /^http:\/\/(0\.0\.0\.0|\[::\]|::)(:\d+)(\/.*)?$/;

class SlurmRun implements RunHandle {
  readonly id: string;
  private readonly queue = new EventQueue<Item>();
  private readonly pos: RunPosition = { stdout: 0, stderr: 0 };
  private readonly finished: Promise<RunExit>;
  private final: RunExit | null = null;
  private job: SlurmJob | null = null;
  private misses = 0;
  /** Since when every poll has failed (the controller is down or unreachable); null when the last one worked. */
  private failingSince: number | null = null;
  private lastPollError: ComputeError | null = null;
  private cancelRequested = false;
  private cancelling: Promise<void> | null = null;
  private requeueCancelled = false;
  private detached = false;
  private oomLine = false;
  private lastNotice = "";
  private wake: (() => void) | null = null;

  constructor(
    private readonly cli: SlurmCli,
    private readonly poller: SlurmPoller,
    jobId: string,
    private readonly dir: string,
    private readonly res: Resources,
    private readonly opts: { graceMs: number; tailMs: number; settleMs: number; unreachableMs: number },
  ) {
    this.id = jobId;
    // wait() never rejects: an unexpected failure of the watch is a lost run.
    this.finished = this.watch()
      .catch((e: unknown): RunExit => {
        this.queue.end(e instanceof ComputeError ? e : new ComputeError("TY_ERR_COMPUTE_API", String((e as Error)?.message ?? e)));
        return { exitCode: null, reason: "lost", message: `watching Slurm job ${this.id} failed: ${String((e as Error)?.message ?? e)}` };
      })
      .then((exit) => (this.final = exit));
  }

  events(): AsyncIterable<RunEvent> {
    const items = this.queue.iterable(); // throws at once on a second call
    const pos = this.pos;
    return (async function* () {
      for await (const it of items) {
        if (it.end >= 0) pos[it.stream] = it.end;
        yield it.ev;
      }
    })();
  }

  position(): RunPosition {
    return { ...this.pos };
  }

  detach(): void {
    this.detached = true;
    this.poke();
  }

  async cancel(graceMs = this.opts.graceMs): Promise<void> {
    if (this.final) return;
    if (!this.job || phaseOf(this.job.state) !== "ended") this.cancelRequested = true;
    this.cancelling ??= (async () => {
      await this.scancelRetrying();
      this.poller.kick();
      const timer = new AbortController();
      const grace = sleep(graceMs, "grace" as const, { signal: timer.signal }).catch(() => "ended" as const);
      const first = await Promise.race([this.finished, grace]);
      timer.abort(); // no timer left behind to hold the process open
      if (first !== "grace") return;
      // Past the grace: the cluster's KillWait may be longer than ours.
      await this.cli.scancel(this.id, "KILL").catch(() => undefined);
      this.poller.kick();
    })();
    await this.cancelling;
    await this.finished;
  }

  wait(): Promise<RunExit> {
    return this.finished;
  }

  async status(): Promise<RunStatus> {
    if (this.final) return this.final.reason === "exited" && this.final.exitCode === 0 ? "succeeded" : "failed";
    return (this.job && SLURM_STATES[this.job.state]?.status) ?? "unknown";
  }

  resources(): EffectiveResources {
    // The scheduler allocates them; how strictly the node confines the job is the cluster's TaskPlugin.
    return { ...this.res, enforced: true };
  }

  private async scancelRetrying(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.cli.scancel(this.id);
      } catch (e) {
        if ((e as ComputeError).code !== "TY_ERR_COMPUTE_UNAVAILABLE" || attempt >= 4) throw e;
        await sleep(500 * 2 ** attempt);
      }
    }
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private onPoll(job: SlurmJob | null, error?: ComputeError): void {
    if (error) {
      this.failingSince ??= Date.now();
      this.lastPollError = error;
    } else {
      this.failingSince = null;
      if (job) {
        this.job = job;
        this.misses = 0;
      } else this.misses++;
    }
    this.poke();
  }

  private notice(job: SlurmJob): void {
    const where = job.node && job.state === "RUNNING" ? ` on ${job.node}` : "";
    const why = job.reason && job.reason !== "None" ? ` (${job.reason})` : "";
    const text = `slurm: job ${job.id} ${job.state}${why}${where}`;
    if (text === this.lastNotice) return;
    this.lastNotice = text;
    const level = job.state === "PENDING" && pendingBlocked(job.reason) ? "warn" : "info";
    this.queue.push({ ev: { type: "log", level, message: text }, stream: "stdout", end: -1 });
  }

  private async pump(tails: Record<keyof RunPosition, FileTail>, final = false): Promise<number> {
    let n = 0;
    for (const stream of ["stdout", "stderr"] as const) {
      const lines = await tails[stream].read();
      if (final) lines.push(...tails[stream].end());
      for (const { line, end } of lines) {
        n++;
        let ev = toRunEvent(stream, line);
        if (stream === "stderr" && STEPD_OOM.test(line)) this.oomLine = true;
        if (ev.type === "status" && ev.state === "serving" && ev.message && WILDCARD_URL.test(ev.message)) {
          const m = WILDCARD_URL.exec(ev.message)!;
          const addr = await this.nodeAddress();
          if (addr) ev = { ...ev, message: `http://${addr.includes(":") ? `[${addr}]` : addr}${m[2]}${m[3] ?? ""}` };
        }
        this.queue.push({ ev, stream, end });
      }
    }
    return n;
  }

  private async nodeAddress(): Promise<string | null> {
    let node = this.job?.node ?? null;
    if (!node) node = (await this.cli.squeue([this.id]).catch(() => new Map<string, SlurmJob>())).get(this.id)?.node ?? null;
    return node ? this.cli.nodeAddr(node) : null;
  }

  private async idle(ms: number): Promise<void> {
    await Promise.race([sleep(ms), new Promise<void>((r) => (this.wake = r))]);
    this.wake = null;
  }

  private async watch(): Promise<RunExit> {
    const tails = {
      stdout: new FileTail(join(this.dir, OUTPUT_FILES.stdout)),
      stderr: new FileTail(join(this.dir, OUTPUT_FILES.stderr)),
    };
    const unwatch = this.poller.watch(this.id, (job, err) => this.onPoll(job, err));
    try {
      for (;;) {
        if (this.detached) {
          this.queue.end();
          return { exitCode: null, reason: "lost", message: `stopped watching (detached); Slurm job ${this.id} keeps running` };
        }
        await this.pump(tails);
        const job = this.job;
        if (job) this.notice(job);
        if (job && job.restarts > 0 && phaseOf(job.state) !== "ended" && !this.requeueCancelled) {
          // Requeued: the re-run would train from scratch. The worker resumes from the checkpoint instead.
          this.requeueCancelled = true;
          await this.cli.scancel(this.id).catch(() => undefined);
          this.poller.kick();
        }
        const ended = job !== null && phaseOf(job.state) === "ended";
        // A controller that is down for maintenance does not stop the job: only a long outage gives up.
        const unreachable = this.failingSince !== null && Date.now() - this.failingSince > this.opts.unreachableMs;
        const lost = this.misses >= 3 || unreachable;
        if (ended || lost) {
          // Output written just before the end may still be on its way (NFS): read until it settles.
          let quietSince = Date.now();
          while (Date.now() - quietSince < this.opts.settleMs) {
            if ((await this.pump(tails)) > 0) quietSince = Date.now();
            await sleep(Math.min(this.opts.tailMs, this.opts.settleMs));
          }
          await this.pump(tails, true);
          if (job && ended) this.notice(job);
          this.queue.end();
          if (ended) return slurmRunExit(job, { cancelRequested: this.cancelRequested, oomLine: this.oomLine });
          return {
            exitCode: null,
            reason: "lost",
            message: unreachable
              ? `Slurm kept failing for ${Math.round(this.opts.unreachableMs / 1000)} s: ${this.lastPollError?.message ?? "?"}`
              : `neither squeue nor sacct knows Slurm job ${this.id} any more`,
          };
        }
        await this.idle(this.opts.tailMs);
      }
    } finally {
      unwatch();
    }
  }
}
