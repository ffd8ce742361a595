/**
 * The Slurm commands the backend runs on the worker's host (sbatch, squeue, sacct, scancel,
 * scontrol), with their failures sorted into compute error codes, and one shared poller so that
 * many watched jobs cost one `squeue` call per interval, not one each.
 *
 * Parsing `--parsable`/`-O` output is small and stable across Slurm releases, unlike the JSON of
 * `squeue --json` and slurmrestd, whose schema changes with each data_parser version.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { ComputeError } from "./errors.js";
import { parseSacct, parseSqueue, SACCT_FIELDS, SQUEUE_FORMAT, type SlurmJob } from "./slurm-job.js";

export interface SlurmCliOptions {
  /** Directory of the Slurm commands; default: PATH. */
  binDir?: string;
  /** Limit per command, ms; default 60 000 (sbatch retries a busy controller by itself). */
  timeoutMs?: number;
  /** Environment of the query commands (SLURM_CONF and PATH matter); default: the worker's. */
  env?: NodeJS.ProcessEnv;
}

interface Ran {
  stdout: string;
  stderr: string;
}

/** Messages of a controller or slurmdbd that cannot be reached (or is too busy): retry later. */
const UNREACHABLE =
  /Unable to contact slurm controller|Socket timed out|Connection refused|Zero Bytes were transmitted|Communication connection failure|temporarily unavailable|Unable to connect to database|slurmdbd: Connection|Munge (encode|decode) failed|Slurm backup controller in standby mode/i;
const NO_SUCH_JOB = /Invalid job id specified|Job\/step already completing or completed|Job has already finished|already completed/i;

export class SlurmCli {
  constructor(private readonly options: SlurmCliOptions = {}) {}

  private run(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Ran> {
    const file = this.options.binDir ? join(this.options.binDir, cmd) : cmd;
    return new Promise((resolve, reject) => {
      execFile(
        file,
        args,
        { env: env ?? this.options.env ?? process.env, timeout: this.options.timeoutMs ?? 60_000, maxBuffer: 64 << 20, encoding: "utf8" },
        (err, stdout, stderr) => {
          if (!err) return resolve({ stdout, stderr });
          const e = err as NodeJS.ErrnoException & { killed?: boolean; code?: unknown };
          const what = `${cmd} ${args.filter((a) => !a.startsWith("/")).join(" ")}`.slice(0, 200);
          if (e.code === "ENOENT")
            return reject(
              new ComputeError(
                "TY_ERR_COMPUTE_NOT_CONFIGURED",
                `slurm: '${file}' not found; install the Slurm client or set SLURM_BIN_DIR`,
              ),
            );
          const text = String(stderr || e.message).trim();
          if (e.killed)
            return reject(new ComputeError("TY_ERR_COMPUTE_UNAVAILABLE", `slurm: ${what} did not answer in time`, { cause: e }));
          reject(Object.assign(new Error(`${what}: ${text.slice(0, 1000)}`), { stderr: text, cause: e }));
        },
      );
    });
  }

  /** Submit; returns the job id. sbatch's own environment is what the job gets (`--export=ALL`). */
  async sbatch(args: string[], script: string, env: NodeJS.ProcessEnv): Promise<string> {
    let out: Ran;
    try {
      out = await this.run("sbatch", [...args, script], env);
    } catch (e) {
      throw classify("sbatch", e, "TY_ERR_COMPUTE_REJECTED");
    }
    // --parsable: "jobid" or "jobid;cluster".
    const id = out.stdout.trim().split(/[;\n]/)[0]!;
    if (!/^\d+$/.test(id)) throw new ComputeError("TY_ERR_COMPUTE_API", `slurm: sbatch printed no job id: ${out.stdout.slice(0, 200)}`);
    return id;
  }

  /** Jobs slurmctld still holds (pending, running, and ended within MinJobAge); unknown ids are absent. */
  async squeue(ids: readonly string[]): Promise<Map<string, SlurmJob>> {
    if (ids.length === 0) return new Map();
    try {
      const out = await this.run("squeue", ["-h", "-t", "all", "-j", ids.join(","), "-O", SQUEUE_FORMAT]);
      return parseSqueue(out.stdout);
    } catch (e) {
      // A single unknown id fails the whole call.
      if (NO_SUCH_JOB.test((e as { stderr?: string }).stderr ?? "")) return new Map();
      throw classify("squeue", e, "TY_ERR_COMPUTE_API");
    }
  }

  /** Jobs in the accounting database; empty where accounting is off. */
  async sacct(ids: readonly string[]): Promise<Map<string, SlurmJob>> {
    if (ids.length === 0) return new Map();
    try {
      const out = await this.run("sacct", ["-X", "-n", "-P", "-D", "-j", ids.join(","), "-o", SACCT_FIELDS]);
      return parseSacct(out.stdout);
    } catch (e) {
      if (/accounting storage is disabled|not running a supported accounting_storage plugin/i.test((e as { stderr?: string }).stderr ?? ""))
        return new Map();
      throw classify("sacct", e, "TY_ERR_COMPUTE_API");
    }
  }

  /** The newest job with this name: live ones first, else from accounting (last `days` days). */
  async findByName(name: string, days = 30): Promise<string | null> {
    try {
      const live = await this.run("squeue", ["-h", "-t", "all", "-n", name, "-O", "JobID:|"]);
      const ids = live.stdout
        .split("\n")
        .map((l) => l.replace("|", "").trim())
        .filter((l) => /^\d+$/.test(l));
      if (ids.length) return ids.sort((a, b) => Number(b) - Number(a))[0]!;
      const acct = await this.run("sacct", ["-X", "-n", "-P", "--name", name, "-S", `now-${days}days`, "-o", "JobIDRaw"]);
      const old = acct.stdout
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => /^\d+$/.test(l));
      return old.length ? old.sort((a, b) => Number(b) - Number(a))[0]! : null;
    } catch (e) {
      if (/accounting storage is disabled/i.test((e as { stderr?: string }).stderr ?? "")) return null;
      throw classify("squeue/sacct", e, "TY_ERR_COMPUTE_API");
    }
  }

  /** scancel (with a signal: `--full`, the batch shell and every step). A job already gone is fine. */
  async scancel(id: string, signal?: "KILL" | "TERM"): Promise<void> {
    const args = signal ? ["--full", `--signal=${signal}`, id] : [id];
    try {
      await this.run("scancel", args);
    } catch (e) {
      if (NO_SUCH_JOB.test((e as { stderr?: string }).stderr ?? "")) return;
      throw classify("scancel", e, "TY_ERR_COMPUTE_API");
    }
  }

  /** The address to reach a node at (its NodeAddr; the name where scontrol gives none). */
  async nodeAddr(node: string): Promise<string> {
    const out = await this.run("scontrol", ["-o", "show", "node", node]).catch(() => null);
    const m = out && /(?:^|\s)NodeAddr=(\S+)/.exec(out.stdout);
    return m ? m[1]! : node;
  }
}

function classify(cmd: string, e: unknown, fallback: "TY_ERR_COMPUTE_REJECTED" | "TY_ERR_COMPUTE_API"): ComputeError {
  if (e instanceof ComputeError) return e;
  const text = (e as { stderr?: string }).stderr ?? String((e as Error)?.message ?? e);
  const msg = `slurm: ${cmd}: ${text.replace(/\s+/g, " ").slice(0, 1000)}`;
  if (/Unable to process configuration file|ClusterName needs to be specified/i.test(text))
    return new ComputeError("TY_ERR_COMPUTE_NOT_CONFIGURED", msg, { cause: e });
  if (UNREACHABLE.test(text)) return new ComputeError("TY_ERR_COMPUTE_UNAVAILABLE", msg, { cause: e });
  return new ComputeError(fallback, msg, { cause: e });
}

type Listener = (job: SlurmJob | null, error?: ComputeError) => void;

/**
 * One squeue call per interval for every watched job. A job squeue no longer knows (past
 * MinJobAge) is looked up in sacct; a listener gets `null` when neither knows it.
 */
export class SlurmPoller {
  private readonly listeners = new Map<string, Set<Listener>>();
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(
    private readonly cli: SlurmCli,
    private readonly intervalMs: number,
  ) {}

  watch(id: string, fn: Listener): () => void {
    let set = this.listeners.get(id);
    if (!set) this.listeners.set(id, (set = new Set()));
    set.add(fn);
    this.kick();
    return () => {
      set.delete(fn);
      if (set.size === 0) this.listeners.delete(id);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  /** Poll now (after a submit or a cancel), not at the next interval. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.poll().finally(() => {
      this.running = null;
      if (this.listeners.size === 0) return;
      if (this.again) {
        this.again = false;
        this.kick();
        return;
      }
      this.timer = setTimeout(() => this.kick(), this.intervalMs);
      this.timer.unref();
    });
  }

  private async poll(): Promise<void> {
    const ids = [...this.listeners.keys()];
    if (ids.length === 0) return;
    const tell = (id: string, job: SlurmJob | null, error?: ComputeError) => {
      for (const fn of [...(this.listeners.get(id) ?? [])]) fn(job, error);
    };
    try {
      const live = await this.cli.squeue(ids);
      const gone = ids.filter((id) => !live.has(id));
      const old = gone.length ? await this.cli.sacct(gone) : new Map<string, SlurmJob>();
      for (const id of ids) tell(id, live.get(id) ?? old.get(id) ?? null);
    } catch (e) {
      const err = e instanceof ComputeError ? e : new ComputeError("TY_ERR_COMPUTE_API", String((e as Error)?.message ?? e));
      for (const id of ids) tell(id, null, err);
    }
  }
}
