/**
 * Runtime configuration: parsed once from the environment at start-up (CONVENTIONS.md §8).
 * Nothing else reads process.env. Times in ms unless the name says otherwise.
 */
import { z } from "zod";

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
  /** Jobs one worker process runs at once, per queue. */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** How often the reconciler compares Postgres with Redis, in ms. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).max(3_600_000).default(15_000),
  /** Running-job lease length and heartbeat, in ms (heartbeat = lease / 3). */
  JOB_LEASE_MS: z.coerce.number().int().min(300).max(3_600_000).default(30_000),
  /** Outbox relay poll interval, in ms. */
  OUTBOX_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(500),
  /** Allow webhook targets on loopback/private addresses (development only). */
  WEBHOOK_ALLOW_PRIVATE: bool.default(false),
  /** Python interpreter that runs the trainer on the process backend (Debian's, with torch). */
  TRAINER_PYTHON: z.string().default("/usr/bin/python3"),
  /** Trainer images for the docker and kubernetes backends (CPU engine / GPU engine). */
  TRAINER_IMAGE_CPU: z.string().default("trainyard-trainer-cpu:latest"),
  TRAINER_IMAGE_GPU: z.string().default("trainyard-trainer-cuda:latest"),
  /** Docker Engine socket for the docker backend. */
  DOCKER_SOCKET: z.string().default("/var/run/docker.sock"),
  /** Kubernetes backend: namespace and the PVC holding ARTIFACT_DIR (mounted at the same path). */
  K8S_NAMESPACE: z.string().default("trainyard"),
  K8S_ARTIFACT_PVC: z.string().default("trainyard-artifacts"),
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
