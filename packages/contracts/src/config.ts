/**
 * Runtime configuration: parsed once from the environment at start-up (docs/conventions.md#parse-configuration-once).
 * Nothing else reads process.env. Times in ms unless the name says otherwise.
 */
import { z } from "zod";
import { SLURM_NAME } from "./experiment.js";

/**
 * An operator allow-list of names a tenant may pick in a spec: comma-separated, the default marked
 * with a trailing `*` as sinfo marks the default partition (`debug*,gpu`). Empty: no name may be
 * picked (the cluster's own default applies).
 */
export interface AllowList {
  allowed: string[];
  /** Used when the spec names none; null: name none, leave it to the cluster. */
  default: string | null;
}

const allowList = (what: string, shape: RegExp = SLURM_NAME) =>
  z
    .string()
    .default("")
    .transform((raw, ctx): AllowList => {
      const items = raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean);
      const allowed = items.map((s) => s.replace(/\*$/, ""));
      const marked = items.filter((s) => s.endsWith("*")).map((s) => s.slice(0, -1));
      for (const name of allowed) if (!shape.test(name)) ctx.addIssue({ code: "custom", message: `'${name}' is not a valid ${what} name` });
      if (marked.length > 1) ctx.addIssue({ code: "custom", message: `more than one default ${what} marked with '*'` });
      if (new Set(allowed).size !== allowed.length) ctx.addIssue({ code: "custom", message: `a ${what} is listed twice` });
      return { allowed, default: marked[0] ?? null };
    });

/** A container image reference (registry/repo:tag or @sha256 digest). */
const IMAGE_REF = /^[a-z0-9][a-z0-9._/-]{0,254}(:[\w][\w.-]{0,127})?(@sha256:[0-9a-f]{64})?$/;
/** A Kubernetes namespace (DNS label). */
const K8S_NAMESPACE = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
/** A node-selector pair `key=value` (label key with optional prefix, label value). */
const NODE_SELECTOR_PAIR =
  /^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?=([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;

const bool = z.enum(["true", "false", "1", "0", "yes", "no"]).transform((v) => v === "true" || v === "1" || v === "yes");

export const RuntimeConfig = z.object({
  /** Postgres connection URL. */
  DATABASE_URL: z.string().default("postgresql://postgres@127.0.0.1:5432/trainyard"),
  /** Redis connection URL (BullMQ). */
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  /** Key prefix for every BullMQ/Redis key of this deployment (tests use a random one). */
  REDIS_PREFIX: z.string().min(1).max(64).default("ty"),
  /** Artifact store root (datasets, checkpoints); mounted into trainer containers. */
  ARTIFACT_DIR: z.string().default("./artifacts"),
  /** HTTP listen address. */
  HOST: z.string().default("127.0.0.1"),
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  /** The dashboard's built files (index.html, assets/); default: apps/dashboard/dist of this checkout. */
  DASHBOARD_DIR: z.string().optional(),
  /** Largest accepted request body, in bytes. */
  API_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),
  /** bull-board may change queues (pause, clean, retry, add) only when true; read-only otherwise. */
  ADMIN_QUEUES_WRITABLE: bool.default(false),
  /** Requests per minute per API key (per client address without a key); 429 TY_ERR_RATE_LIMITED past it. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).max(1_000_000).default(1200),
  /**
   * Per-project quotas, checked at submit (429 TY_ERR_QUOTA_EXCEEDED naming the quota): experiments
   * not yet finished, their jobs, the GPU-hours they may use (GPUs × timeout × training jobs) and
   * the dataset rows they build.
   */
  QUOTA_ACTIVE_EXPERIMENTS: z.coerce.number().int().min(1).max(100_000).default(20),
  QUOTA_ACTIVE_JOBS: z.coerce.number().int().min(1).max(1_000_000).default(1000),
  QUOTA_GPU_HOURS: z.coerce.number().min(0).max(10_000_000).default(2000),
  QUOTA_DATASET_ROWS: z.coerce.number().int().min(1).max(100_000_000).default(1_000_000),
  /** Caps on one spec (400 TY_ERR_SPEC_TOO_LARGE naming the field): jobs, training items, checkpoints per training job. */
  MAX_JOBS_PER_EXPERIMENT: z.coerce.number().int().min(4).max(100_000).default(200),
  MAX_TRAIN_SIZE: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
  MAX_CHECKPOINTS_PER_JOB: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Postgres: connect and statement timeouts of the API's pool; past them a request is a 503. */
  DB_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(3000),
  DB_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** Redis command timeout of the API (readiness, publishes, bull-board). */
  REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  /** Whole-request timeout of the API server (a client that sends too slowly gets 408). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(3_600_000).default(30_000),
  /** Open SSE streams per API key and in all; past them a new stream is 429 TY_ERR_QUOTA_EXCEEDED. */
  SSE_MAX_STREAMS_PER_KEY: z.coerce.number().int().min(1).max(10_000).default(8),
  SSE_MAX_STREAMS: z.coerce.number().int().min(1).max(100_000).default(200),
  /**
   * Origins (scheme://host[:port]) allowed to send state-changing requests and read answers
   * cross-site (CORS); empty: only this server's own origin (CORS closed).
   */
  CORS_ORIGINS: z
    .string()
    .default("")
    .transform((s) =>
      s
        .split(",")
        .map((o) => o.trim())
        .filter(Boolean),
    ),
  /** Jobs one worker process runs at once, per queue. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** Checkpoints one eval job serves at once; unset: 2 for CPU-only experiments, 1 with GPUs. */
  EVAL_CHECKPOINTS_AT_ONCE: z.coerce.number().int().min(1).max(8).optional(),
  /** How often the reconciler compares Postgres with Redis, in ms. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** Running-job lease length and heartbeat, in ms (heartbeat = lease / 3). */
  JOB_LEASE_MS: z.coerce.number().int().min(300).max(3_600_000).default(30_000),
  /** Outbox relay poll interval, in ms. */
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Allow webhook targets on loopback/private addresses (development only). */
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** Webhook target ports allowed besides 80 and 443, comma-separated (operator allow-list). */
  WEBHOOK_ALLOWED_PORTS: z
    .string()
    .default("")
    .transform((s, ctx) => {
      const ports = s
        .split(",")
        .map((p) => p.trim())
        .filter(Boolean)
        .map(Number);
      if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
        ctx.addIssue({ code: "custom", message: "ports are integers 1-65535" });
      return ports;
    }),
  /** Python interpreter that runs the trainer on the process backend; empty = `<repo>/.venv/bin/python` (made by scripts/setup.sh). */
  TRAINYARD_PYTHON: z.string().default(""),
  /** Trainer images for the docker and kubernetes backends (CPU-only torch / CUDA with vLLM). */
  TRAINER_IMAGE_CPU: z.string().default("trainyard-trainer-cpu:latest"),
  TRAINER_IMAGE_GPU: z.string().default("trainyard-trainer-cuda:latest"),
  /**
   * Operator allow-lists for the docker and kubernetes backends (same shape as SLURM_PARTITIONS):
   * the images a spec's `compute.image` may name (empty: none; the TRAINER_IMAGE_* defaults run),
   * the namespaces `compute.namespace` may name (empty: only K8S_NAMESPACE), and the `key=value`
   * pairs `compute.nodeSelector` may use (empty: no node selector). 403 TY_ERR_COMPUTE_NOT_ALLOWED otherwise.
   */
  COMPUTE_IMAGES: allowList("image", IMAGE_REF),
  K8S_NAMESPACES: allowList("namespace", K8S_NAMESPACE),
  K8S_NODE_SELECTORS: allowList("node selector", NODE_SELECTOR_PAIR),
  /** Docker Engine socket for the docker backend. */
  DOCKER_SOCKET: z.string().default("/var/run/docker.sock"),
  /** Kubernetes backend: namespace and the PVC holding ARTIFACT_DIR (mounted at the same path). */
  K8S_NAMESPACE: z.string().default("trainyard"),
  K8S_ARTIFACT_PVC: z.string().default("trainyard-artifacts"),
  /**
   * Slurm backend. Allow-lists of what a spec may name (`name*` marks the default, used when the
   * spec names none): partitions, accounts, QoS. Checked at submit (403 TY_ERR_COMPUTE_NOT_ALLOWED).
   */
  SLURM_PARTITIONS: allowList("partition"),
  SLURM_ACCOUNTS: allowList("account"),
  SLURM_QOS: allowList("QoS"),
  /** Directory of sbatch, squeue, sacct, scancel and scontrol on the worker host; empty: PATH. */
  SLURM_BIN_DIR: z.string().default(""),
  /** The cluster's container runtime for `compute.image` (and the TRAINER_IMAGE_* defaults); `none`: run bare. */
  SLURM_CONTAINER_RUNTIME: z.enum(["none", "pyxis", "apptainer"]).default("none"),
  /** GRES name of a GPU on the cluster (`--gres=<name>:N`). */
  SLURM_GPU_GRES: z
    .string()
    .regex(/^[A-Za-z0-9_.:-]+$/)
    .default("gpu"),
  /** Extra sbatch options for every job, whitespace-separated (e.g. `--constraint=a100 --exclusive`). */
  SLURM_SBATCH_ARGS: z
    .string()
    .default("")
    .transform((s) => s.split(/\s+/).filter(Boolean)),
  /** Root of the Slurm run directories (batch script, output files); empty: `<ARTIFACT_DIR>/slurm`. Shared with the nodes at the same path. */
  SLURM_RUN_DIR: z.string().default(""),
  /** How often the worker polls squeue (one call for every watched job), in ms. */
  SLURM_POLL_MS: z.coerce.number().int().min(200).max(600_000).default(2000),
  /**
   * Bind host of a model server run as a Slurm job (the eval job's serve mode): it must be
   * reachable from the worker host. A wildcard (0.0.0.0) is announced as the job's node address.
   */
  SLURM_SERVE_HOST: z.string().min(1).max(255).default("0.0.0.0"),
  /** Memory of one GPU of the operator's node type (GiB): the preflight's default for `compute.resources.gpuMemoryGiB`. */
  TRAINYARD_GPU_MEMORY_GIB: z.coerce.number().min(1).max(1024).default(80),
  /** CLI client: the API base URL and key. */
  TRAINYARD_URL: z.string().default("http://127.0.0.1:8080"),
  TRAINYARD_API_KEY: z.string().optional(),
});
export type RuntimeConfig = z.infer<typeof RuntimeConfig>;

export function loadConfig(env: Record<string, string | undefined> = process.env): RuntimeConfig {
  const parsed = RuntimeConfig.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`);
    throw new Error(`invalid configuration in the environment:\n${lines.join("\n")}`);
  }
  return parsed.data;
}
