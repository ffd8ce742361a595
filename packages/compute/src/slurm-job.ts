/**
 * What a run becomes on Slurm, and how Slurm's view of the job maps back to a run. Pure functions:
 * the sbatch argv and batch script (tests check them verbatim), the parsers of `squeue` and
 * `sacct` output, and the state table.
 *
 * The job: one task on one node (`--nodes=1 --ntasks=1`) with the spec's CPUs, memory and GPUs
 * (`--gres=gpu:N`), its time limit from `timeoutSeconds`, stdout and stderr appended to two files
 * in the run directory (on the filesystem the cluster shares), and the environment given to
 * sbatch exported as it is (`--export=ALL` over the minimal environment the backend builds).
 * A multi-node run (`spec.nodes` > 1) asks for `--nodes=M --ntasks-per-node=1 --gpus-per-node=G`
 * and starts the command once per node through `srun --kill-on-bad-exit=1` (a node whose trainer
 * fails ends the step on every node); the trainer reads its rendezvous from the allocation
 * (first host of SLURM_JOB_NODELIST, SLURM_NODEID) and starts its ranks on each node.
 *
 * Requeue: Slurm re-runs the batch script of a requeued job (preemption with PreemptMode=REQUEUE,
 * a node failure, `scontrol requeue`). The trainer's own resume state (step offsets, the resume
 * checkpoint) lives in the worker, so a re-run would start training from scratch: the script stops
 * a re-run at once (exit 75), the backend reports the run as `preempted`, and the worker retries the
 * job from its last checkpoint in a new attempt.
 */
import { artifactBinds, type ExitReason, type LaunchSpec, type RunExit, type RunStatus } from "./backend.js";
import { signalFromExitCode } from "./outcome.js";

export type ContainerRuntime = "none" | "pyxis" | "apptainer";

/** Exit status of a batch script that refused to re-run after a requeue (EX_TEMPFAIL). */
export const REQUEUE_EXIT_CODE = 75;

export interface SbatchOptions {
  /** The job name (a DNS-safe form of the run id). */
  name: string;
  /** Directory for the batch script and the output files, as the cluster's nodes see it. */
  runDir: string;
  container: ContainerRuntime;
  /** The container image (required unless container is `none`). */
  image?: string;
  /** GRES name of a GPU; `--gres=<name>:<count>`. */
  gpuGres: string;
  /** Operator's extra sbatch arguments (e.g. `--constraint=a100`), placed before the spec's. */
  extraArgs: readonly string[];
}

export const OUTPUT_FILES = { stdout: "stdout.log", stderr: "stderr.log" } as const;

/** sbatch's arguments, without the script path (the caller appends it). */
export function sbatchArgs(spec: LaunchSpec, o: SbatchOptions): string[] {
  const r = spec.resources;
  const args = [
    "--parsable",
    `--job-name=${o.name}`,
    `--output=${o.runDir}/${OUTPUT_FILES.stdout}`,
    `--error=${o.runDir}/${OUTPUT_FILES.stderr}`,
    // A requeued job writes to the same files: offsets already read stay valid.
    "--open-mode=append",
    `--chdir=${spec.workdir ?? o.runDir}`,
    "--export=ALL",
    "--requeue",
    ...o.extraArgs,
    ...(multiNode(spec) ? [`--nodes=${spec.nodes}`, "--ntasks-per-node=1"] : ["--nodes=1", "--ntasks=1"]),
    `--cpus-per-task=${Math.max(1, Math.ceil(r.cpus))}`,
    `--mem=${Math.max(1, Math.ceil(r.memoryGiB * 1024))}M`,
  ];
  if (r.gpus > 0) args.push(multiNode(spec) ? `--gpus-per-node=${r.gpus}` : `--gres=${o.gpuGres}:${r.gpus}`);
  // Slurm keeps time limits in whole minutes.
  if (spec.timeoutSeconds !== undefined) args.push(`--time=${Math.max(1, Math.ceil(spec.timeoutSeconds / 60))}`);
  if (spec.partition) args.push(`--partition=${spec.partition}`);
  if (spec.account) args.push(`--account=${spec.account}`);
  if (spec.qos) args.push(`--qos=${spec.qos}`);
  return args;
}

function multiNode(spec: LaunchSpec): boolean {
  return (spec.nodes ?? 1) > 1;
}

/** One task per node, the step ended everywhere when one node's task fails. */
const SRUN_PER_NODE = ["srun", "--ntasks-per-node=1", "--kill-on-bad-exit=1"];

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`;
}

/** The argv put in front of the command to run it in the cluster's container runtime. */
export function launchPrefix(spec: LaunchSpec, o: SbatchOptions): string[] {
  // Only the run's own parts of the artifact store, read-only where asked (see LaunchSpec.mounts).
  const mount = artifactBinds(spec)
    .map((b) => `${b.source}:${b.target}${b.readOnly ? ":ro" : ""}`)
    .join(",");
  const srun = multiNode(spec) ? SRUN_PER_NODE : [];
  switch (o.container) {
    case "none":
      return srun;
    case "pyxis":
      // pyxis adds these options to srun; the step inherits the job's allocation.
      return [
        ...(multiNode(spec) ? SRUN_PER_NODE : ["srun", "--ntasks=1"]),
        `--container-image=${o.image}`,
        `--container-mounts=${mount}`,
        ...(spec.workdir ? [`--container-workdir=${spec.workdir}`] : []),
      ];
    case "apptainer":
      return [
        ...srun,
        "apptainer",
        "exec",
        "--bind",
        mount,
        ...(spec.workdir ? ["--pwd", spec.workdir] : []),
        ...(spec.resources.gpus > 0 ? ["--nv"] : []),
        o.image!,
      ];
    default: {
      const never: never = o.container;
      throw new Error(`unknown container runtime ${String(never)}`);
    }
  }
}

export function batchScript(spec: LaunchSpec, o: SbatchOptions): string {
  const argv = [...launchPrefix(spec, o), ...spec.command].map(shellQuote).join(" ");
  const runId = spec.runId.replace(/[^\x20-\x7e]/g, "?");
  return [
    "#!/bin/bash",
    `# Trainyard run ${runId}, written by the slurm compute backend.`,
    "# A requeued job re-runs this script: Trainyard resumes the run itself, from its last",
    "# checkpoint in a new attempt, so a re-run stops here.",
    'if [ "${SLURM_RESTART_COUNT:-0}" != 0 ]; then',
    '  echo "trainyard: Slurm requeued job ${SLURM_JOB_ID} (restart ${SLURM_RESTART_COUNT}); the worker resumes the run from its last checkpoint in a new attempt" >&2',
    `  exit ${REQUEUE_EXIT_CODE}`,
    "fi",
    `exec ${argv}`,
    "",
  ].join("\n");
}

// --- Slurm's view of a job --------------------------------------------------------------------

/** A job as squeue (live) or sacct (accounting) reports it. */
export interface SlurmJob {
  id: string;
  /** Base state, upper case, e.g. `PENDING`, `CANCELLED` (sacct's "CANCELLED by 0" → `CANCELLED`). */
  state: string;
  /** Why it is pending (or why it ended), `None` when Slurm gives none. */
  reason: string;
  /** Times Slurm requeued it. */
  restarts: number;
  /** The node running the batch script, once there is one. */
  node: string | null;
  exitCode: number | null;
  signal: number | null;
  /** sacct only: the states of earlier runs of a requeued job (REQUEUED, PREEMPTED, NODE_FAIL). */
  earlier?: string[];
}

type Phase = "pending" | "running" | "ended";

/** Every job state of Slurm 22.05–24.x: its phase, the run status, and for ended jobs the exit reason. */
export const SLURM_STATES: Record<string, { phase: Phase; status: RunStatus; reason?: ExitReason }> = {
  PENDING: { phase: "pending", status: "pending" },
  CONFIGURING: { phase: "pending", status: "pending" }, // nodes booting for the job
  REQUEUED: { phase: "pending", status: "pending" },
  REQUEUE_FED: { phase: "pending", status: "pending" },
  REQUEUE_HOLD: { phase: "pending", status: "pending" },
  RESV_DEL_HOLD: { phase: "pending", status: "pending" },
  RUNNING: { phase: "running", status: "running" },
  // Paused but holding its allocation.
  SUSPENDED: { phase: "running", status: "running" },
  STOPPED: { phase: "running", status: "running" },
  SIGNALING: { phase: "running", status: "running" },
  RESIZING: { phase: "running", status: "running" },
  STAGE_OUT: { phase: "running", status: "running" },
  // Ended, processes still being cleaned up (a SIGTERM'd trainer may still be saving).
  COMPLETING: { phase: "running", status: "running" },
  COMPLETED: { phase: "ended", status: "succeeded", reason: "exited" },
  FAILED: { phase: "ended", status: "failed", reason: "exited" },
  SPECIAL_EXIT: { phase: "ended", status: "failed", reason: "exited" },
  CANCELLED: { phase: "ended", status: "failed", reason: "cancelled" },
  TIMEOUT: { phase: "ended", status: "failed", reason: "timeout" },
  DEADLINE: { phase: "ended", status: "failed", reason: "timeout" },
  OUT_OF_MEMORY: { phase: "ended", status: "failed", reason: "oom" },
  PREEMPTED: { phase: "ended", status: "failed", reason: "preempted" },
  NODE_FAIL: { phase: "ended", status: "failed", reason: "lost" },
  BOOT_FAIL: { phase: "ended", status: "failed", reason: "lost" },
  REVOKED: { phase: "ended", status: "failed", reason: "lost" }, // federation: runs on another cluster
};

export function phaseOf(state: string): Phase | "unknown" {
  return SLURM_STATES[state]?.phase ?? "unknown";
}

/**
 * Pending reasons that will not go away by waiting: a limit the job exceeds or a broken request.
 * Logged at `warn` so that the job log says why nothing happens; the job is left queued (an
 * operator may still lift the limit).
 */
const BLOCKED_REASONS = [
  /^Partition(Down|Inactive|TimeLimit|NodeLimit|Config)$/,
  /^(BadConstraints|InvalidAccount|InvalidQOS|ReqNodeNotAvail|NodeDown|DependencyNeverSatisfied|JobHeldAdmin|AccountNotAllowed|QOSNotAllowed)/,
  /MaxWallDurationPerJobLimit|MaxCpuPerJob|MaxGRESPerJob|MaxMemPerJob|MaxNodePerJob|MinCpuNotSatisfied/,
];
export function pendingBlocked(reason: string): boolean {
  return BLOCKED_REASONS.some((re) => re.test(reason));
}

/** Lines slurmstepd writes to a job's stderr when it kills the job for its memory (no cgroups). */
export const STEPD_OOM = /slurmstepd.*(Exceeded (job|step) memory limit|exceeded memory limit|oom[-_ ]kill)/i;

/** `squeue -O` fields, in order; `:|` ends each with a '|'. */
export const SQUEUE_FORMAT = "JobID:|,State:|,Reason:|,RestartCnt:|,BatchHost:|,exit_code:|";

/** squeue lines (SQUEUE_FORMAT) → jobs by id. */
export function parseSqueue(out: string): Map<string, SlurmJob> {
  const jobs = new Map<string, SlurmJob>();
  for (const line of out.split("\n")) {
    const f = line.split("|").map((s) => s.trim());
    if (f.length < 6 || !/^\d+$/.test(f[0]!)) continue;
    const [id, state, reason, restarts, host, raw] = f as [string, string, string, string, string, string];
    // squeue's exit_code is the raw wait status: the signal in the low 7 bits, the code above.
    const status = /^\d+$/.test(raw) ? Number(raw) : null;
    const signal = status !== null && (status & 0x7f) !== 0 ? status & 0x7f : null;
    jobs.set(id, {
      id,
      state: state.toUpperCase(),
      reason: reason || "None",
      restarts: Number(restarts) || 0,
      node: host && host !== "n/a" && host !== "(null)" ? host : null,
      exitCode: status === null || signal !== null ? null : (status >> 8) & 0xff,
      signal,
    });
  }
  return jobs;
}

/** `sacct -X -n -P -D -o` fields, in order (one row per run of the job; -D: requeued runs too). */
export const SACCT_FIELDS = "JobIDRaw,State,ExitCode,Reason,NodeList";

/** sacct rows (SACCT_FIELDS, -D) → jobs by id; the last row of a job is its current run. */
export function parseSacct(out: string): Map<string, SlurmJob> {
  const rows = new Map<string, string[][]>();
  for (const line of out.split("\n")) {
    const f = line.split("|");
    if (f.length < 5 || !/^\d+$/.test(f[0]!)) continue;
    rows.set(f[0]!, [...(rows.get(f[0]!) ?? []), f]);
  }
  const jobs = new Map<string, SlurmJob>();
  for (const [id, runs] of rows) {
    const [, state, exit, reason, nodes] = runs[runs.length - 1]! as [string, string, string, string, string];
    const m = /^(\d+):(\d+)$/.exec(exit.trim());
    const signal = m && Number(m[2]) !== 0 ? Number(m[2]) : null;
    const node = nodes.trim();
    jobs.set(id, {
      id,
      state: baseState(state),
      reason: reason.trim() || "None",
      restarts: runs.length - 1,
      node: node && node !== "None assigned" && node !== "None" ? node.split(",")[0]! : null,
      exitCode: m && signal === null ? Number(m[1]) : null,
      signal,
      earlier: runs.slice(0, -1).map((r) => baseState(r[1]!)),
    });
  }
  return jobs;
}

/** "CANCELLED by 0" → CANCELLED; "RUNNING+" (sacct's truncation mark) → RUNNING. */
function baseState(s: string): string {
  return (s.trim().split(/\s+/)[0] ?? "").replace(/\+$/, "").toUpperCase();
}

/** How the run ended, from the job's final view and what the backend saw while watching it. */
export function slurmRunExit(job: SlurmJob, seen: { cancelRequested: boolean; oomLine: boolean }): RunExit {
  const info = SLURM_STATES[job.state];
  let reason: ExitReason = info?.reason ?? "lost";
  const notes: string[] = [`Slurm job ${job.id} ${job.state}`];
  if (job.reason && job.reason !== "None") notes[0] += ` (${job.reason})`;
  if (job.restarts > 0) {
    // A requeue ends our run whatever the re-run did (the batch script refuses to train again).
    reason = "preempted";
    notes.push(`requeued ${job.restarts} time(s)${job.earlier?.length ? ` after ${job.earlier.join(", ")}` : ""}`);
  }
  if (seen.cancelRequested) reason = "cancelled";
  else if (reason === "cancelled") notes.push("cancelled outside Trainyard");
  else if (seen.oomLine && reason === "exited" && job.exitCode !== 0) {
    // Without cgroups, slurmstepd's memory watchdog kills the job: FAILED with SIGKILL, not OUT_OF_MEMORY.
    reason = "oom";
    notes.push("slurmstepd: exceeded the job's memory limit");
  }
  if (!info) notes.push(`state ${job.state} is unknown to this backend`);
  const exit: RunExit = { exitCode: job.signal !== null ? null : job.exitCode, reason, message: notes.join("; ") };
  const signal = job.signal !== null ? signalFromExitCode(128 + job.signal) : undefined;
  if (signal) exit.signal = signal;
  return exit;
}
