/**
 * Trainer event protocol (mirror of infra/trainer/PROTOCOL.md; parity-tested).
 *
 * Input:  the trainer is started as `python -m trainyard_trainer <mode> --config FILE.json`
 *         (mode: sft | grpo | serve); SIGTERM asks it to save and exit cleanly.
 * Output: one JSON object per line on stdout, each with a `type`. Any stdout line that is not a
 *         JSON object with a known `type` is a plain log line. stderr is logs only.
 * Codes:  `error.code` is a TY_ERR_* code; `error.failure_kind` decides whether the job retries.
 * Exit:   0 after `done`; non-zero after `error` (or a crash: no `error` line at all).
 */
import { z } from "zod";

export const TrainerStatusEvent = z.object({
  type: z.literal("status"),
  state: z.enum(["starting", "loading", "training", "saving", "serving", "stopping"]),
  message: z.string().optional(),
});
export const TrainerLogEvent = z.object({
  type: z.literal("log"),
  level: z.enum(["debug", "info", "warn", "error"]).default("info"),
  message: z.string(),
});
export const TrainerMetricsEvent = z.object({
  type: z.literal("metrics"),
  step: z.number().int().min(0),
  max_steps: z.number().int().min(0),
  values: z.record(z.string(), z.number()),
});
export const TrainerCheckpointEvent = z.object({
  type: z.literal("checkpoint"),
  step: z.number().int().min(0),
  /** Directory of the checkpoint, inside the artifact store. */
  path: z.string(),
  /** SHA-256 of the checkpoint's weights file (hex). */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export const TrainerDoneEvent = z.object({
  type: z.literal("done"),
  step: z.number().int().min(0),
  result: z.record(z.string(), z.unknown()).default({}),
});
export const TrainerErrorEvent = z.object({
  type: z.literal("error"),
  code: z.string().regex(/^TY_ERR_[A-Z0-9_]+$/),
  message: z.string(),
  failure_kind: z.enum(["user_error", "infra_error", "timed_out", "crashed"]),
});

export const TrainerEvent = z.discriminatedUnion("type", [
  TrainerStatusEvent,
  TrainerLogEvent,
  TrainerMetricsEvent,
  TrainerCheckpointEvent,
  TrainerDoneEvent,
  TrainerErrorEvent,
]);
export type TrainerEvent = z.infer<typeof TrainerEvent>;

/** Parse one stdout line: a protocol event, or null for a plain log line. */
export function parseTrainerLine(line: string): TrainerEvent | null {
  const t = line.trim();
  if (!t.startsWith("{")) return null;
  try {
    const r = TrainerEvent.safeParse(JSON.parse(t));
    return r.success ? r.data : null;
  } catch {
    return null;
  }
}
