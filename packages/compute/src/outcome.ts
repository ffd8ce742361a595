/**
 * From "how the run ended" (RunExit) and "what the trainer said last" to a job outcome with a
 * failure kind, the way the worker records it.
 *
 * Precedence: cancelled > timeout > oom > lost > preempted > the trainer's last terminal event >
 * crashed. The backend's view wins over the trainer's because a dying trainer may print anything,
 * and a trainer stopped by SIGTERM (a deadline, a preemption) still prints `done`.
 */
import { constants } from "node:os";
import type { FailureKind, TrainerEvent } from "@trainyard/contracts";
import type { RunEvent, RunExit } from "./backend.js";

/** What the trainer said that decides the outcome; feed it every event with `observe`. */
export class RunTally {
  /** The last `done` or `error` event (a later one replaces an earlier one). */
  lastTerminal: Extract<TrainerEvent, { type: "done" | "error" }> | null = null;
  lastCheckpoint: Extract<TrainerEvent, { type: "checkpoint" }> | null = null;

  observe(ev: RunEvent): void {
    if (ev.type === "done" || ev.type === "error") this.lastTerminal = ev;
    else if (ev.type === "checkpoint") this.lastCheckpoint = ev;
  }
}

export type RunOutcome =
  { outcome: "succeeded" } | { outcome: "cancelled" } | { outcome: "failed"; failureKind: FailureKind; code: string; message: string };

export function runOutcome(exit: RunExit, tally: Pick<RunTally, "lastTerminal">): RunOutcome {
  const how = describeExit(exit);
  const fail = (failureKind: FailureKind, code: string, message: string): RunOutcome => ({ outcome: "failed", failureKind, code, message });
  switch (exit.reason) {
    case "cancelled":
      return { outcome: "cancelled" };
    case "timeout":
      return fail("timed_out", "TY_ERR_COMPUTE_TIMED_OUT", `the run passed its deadline and was stopped (${how})`);
    case "oom":
      return fail("infra_error", "TY_ERR_COMPUTE_OOM", `the trainer was killed for running out of memory (${how})`);
    case "lost":
      return fail("infra_error", "TY_ERR_COMPUTE_LOST", `the run disappeared while watched (${how})`);
    case "preempted":
      return fail("infra_error", "TY_ERR_COMPUTE_PREEMPTED", `the scheduler preempted or requeued the run (${how})`);
    case "exited":
      break;
    default: {
      const never: never = exit.reason;
      throw new Error(`unknown exit reason ${String(never)}`);
    }
  }
  const last = tally.lastTerminal;
  if (last?.type === "error") return fail(last.failure_kind, last.code, last.message);
  // `done` then a non-zero exit is a teardown crash (NCCL/vLLM shutdown): the results are written.
  if (last?.type === "done") return { outcome: "succeeded" };
  const hint =
    exit.signal === "SIGKILL"
      ? "; on the process backend a SIGKILL may be the kernel's OOM killer, which cannot be told apart locally"
      : "";
  return fail("crashed", "TY_ERR_COMPUTE_CRASHED", `the trainer ${how} without a done or error event${hint}`);
}

/** The failure kind alone (null: not a failure), for callers that only need that. */
export function failureKind(exit: RunExit, tally: Pick<RunTally, "lastTerminal">): FailureKind | null {
  const o = runOutcome(exit, tally);
  return o.outcome === "failed" ? o.failureKind : null;
}

function describeExit(exit: RunExit): string {
  const parts = [
    exit.signal
      ? `was killed by ${exit.signal}`
      : exit.exitCode === null
        ? "ended with no exit status"
        : `exited with code ${exit.exitCode}`,
  ];
  if (exit.message) parts.push(exit.message);
  return parts.join(": ");
}

const SIGNAL_NAMES = new Map<number, string>(Object.entries(constants.signals).map(([name, n]) => [n, name]));

/** Containers report a signal death as exit code 128 + signal number (137 = SIGKILL). */
export function signalFromExitCode(code: number | null | undefined): string | undefined {
  if (code === null || code === undefined || code <= 128 || code > 128 + 64) return undefined;
  return SIGNAL_NAMES.get(code - 128);
}
