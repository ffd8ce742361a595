/**
 * A job's history as the dashboard shows it: its checkpoints, and its attempts derived from the
 * `status` events the state machine appends (packages/db/src/jobs.ts): `running` opens attempt
 * N; the next `queued` (retry), `succeeded`, `failed` or `cancelled` closes it.
 */
import { z } from "zod";
import { JobErrorInfo } from "./events.js";
import { FailureKind, JobState } from "./jobs.js";

export const CheckpointView = z.object({
  id: z.string(),
  step: z.number().int(),
  kind: z.enum(["full", "lora"]),
  uri: z.string(),
  sha256: z.string(),
  /** The model name the checkpoint is served under during evaluation. */
  servingName: z.string(),
  metrics: z.record(z.string(), z.unknown()).nullable(),
  pinned: z.boolean(),
  createdAt: z.string(),
});
export type CheckpointView = z.infer<typeof CheckpointView>;

export const AttemptOutcome = z.enum(["running", "retried", "succeeded", "failed", "cancelled"]);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

export const AttemptView = z.object({
  attempt: z.number().int(),
  outcome: AttemptOutcome,
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  /** What ran it: the status message, e.g. `attempt 1 of 3 on host:pid`. */
  message: z.string().nullable(),
  failureKind: FailureKind.nullable(),
  error: JobErrorInfo.nullable(),
});
export type AttemptView = z.infer<typeof AttemptView>;

export interface StatusEventLike {
  createdAt: string;
  data: Record<string, unknown>;
}

const StatusData = z.object({
  state: JobState,
  attempt: z.number().int().optional(),
  failureKind: FailureKind.nullable().optional(),
  error: JobErrorInfo.nullable().optional(),
  message: z.string().optional(),
});

/** Attempts from a job's status events, oldest first (events in `seq` order). */
export function attemptsFromStatusEvents(events: readonly StatusEventLike[]): AttemptView[] {
  const out: AttemptView[] = [];
  let open: AttemptView | null = null;
  for (const e of events) {
    const d = StatusData.safeParse(e.data);
    if (!d.success) continue;
    const s = d.data;
    if (s.state === "running") {
      open = {
        attempt: s.attempt ?? out.length + 1,
        outcome: "running",
        startedAt: e.createdAt,
        endedAt: null,
        message: s.message ?? null,
        failureKind: null,
        error: null,
      };
      out.push(open);
      continue;
    }
    if (!open) continue; // queued before any attempt, or cancelled before it started
    const close = (outcome: AttemptOutcome) => {
      open!.outcome = outcome;
      open!.endedAt = e.createdAt;
      open!.failureKind = s.failureKind ?? null;
      open!.error = s.error ?? null;
      open = null;
    };
    switch (s.state) {
      case "queued":
        close("retried");
        break;
      case "succeeded":
      case "failed":
      case "cancelled":
        close(s.state);
        break;
      case "cancel_requested":
        break; // still running until the handler stops
      default: {
        const never: never = s.state;
        throw new Error(`unknown state ${String(never)}`);
      }
    }
  }
  return out;
}
