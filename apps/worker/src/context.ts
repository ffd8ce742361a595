/**
 * What a job handler receives. Handlers are thin: parse what they need from the context and call
 * one packages/* function with its dependencies passed in (never read from globals).
 */
import type { Logger } from "pino";
import type { ExperimentSpec, JobEventType, JobKind, JobParams } from "@trainyard/contracts";
import type { Db } from "@trainyard/db";

export interface JobContext {
  job: {
    id: string;
    experimentId: string;
    kind: JobKind;
    name: string;
    arm: string | null;
    seed: number | null;
    attempts: number;
    params: JobParams;
    /** Id of the API request that submitted the experiment (`x-request-id`); null for jobs stored without one. */
    requestId: string | null;
  };
  spec: ExperimentSpec;
  /** Aborted on cancel request, timeout or lost lease; `signal.reason` says which. */
  signal: AbortSignal;
  db: Db;
  logger: Logger;
  artifactDir: string;
  /** Fraction done in [0, 1]; throttled writes to Postgres. */
  progress(fraction: number): Promise<void>;
  log(message: string, level?: "debug" | "info" | "warn" | "error"): Promise<void>;
  event(type: Exclude<JobEventType, "status">, data: Record<string, unknown>): Promise<void>;
}

/** Returns the job's result (stored on the row). Throw an error with a `code` to fail it. */
export type JobHandler = (ctx: JobContext) => Promise<Record<string, unknown>>;
export type HandlerRegistry = Record<JobKind, JobHandler>;

/** Why a running job's signal was aborted. */
export type AbortReason = "cancel" | "timeout" | "lease-lost" | "shutdown";
