/** Names shared by the API and the worker for the Redis side of the system. */
import { JOB_CATALOGUE, type JobKind } from "./jobs.js";

/** Redis pub/sub channel carrying job ids whose cancellation was requested. */
export const cancelChannel = (prefix: string) => `${prefix}:cancel`;
/** Redis pub/sub channel that wakes outbox relays right after a commit. */
export const outboxChannel = (prefix: string) => `${prefix}:outbox`;
/** Redis pub/sub channel announcing new job events for an experiment (SSE wake-up). */
export const eventsChannel = (prefix: string) => `${prefix}:events`;

export const QUEUE_NAMES: readonly string[] = [...new Set(Object.values(JOB_CATALOGUE).map((c) => c.queue))];
export const queueFor = (kind: JobKind) => JOB_CATALOGUE[kind].queue;
