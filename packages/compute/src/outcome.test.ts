import { describe, expect, it } from "vitest";
import type { TrainerEvent } from "@trainyard/contracts";
import { failureKind, RunTally, runOutcome, signalFromExitCode } from "./outcome.js";

const tally = (...events: TrainerEvent[]) => {
  const t = new RunTally();
  events.forEach((e) => t.observe(e));
  return t;
};
const error: TrainerEvent = { type: "error", code: "TY_ERR_TRAINER_CUDA", message: "CUDA error", failure_kind: "infra_error" };
const done: TrainerEvent = { type: "done", step: 10, result: {} };

describe("runOutcome", () => {
  it("succeeds on done, and on done followed by a teardown crash", () => {
    expect(runOutcome({ exitCode: 0, reason: "exited" }, tally(done))).toEqual({ outcome: "succeeded" });
    expect(runOutcome({ exitCode: 139, signal: "SIGSEGV", reason: "exited" }, tally(done))).toEqual({ outcome: "succeeded" });
  });

  it("takes the trainer's error event, the last terminal event winning", () => {
    expect(runOutcome({ exitCode: 1, reason: "exited" }, tally(error))).toEqual({
      outcome: "failed",
      failureKind: "infra_error",
      code: "TY_ERR_TRAINER_CUDA",
      message: "CUDA error",
    });
    expect(runOutcome({ exitCode: 1, reason: "exited" }, tally(done, error))).toMatchObject({ code: "TY_ERR_TRAINER_CUDA" });
    expect(runOutcome({ exitCode: 0, reason: "exited" }, tally(error, done))).toEqual({ outcome: "succeeded" });
  });

  it("calls an exit without done or error a crash, and hints at the OOM killer on SIGKILL", () => {
    expect(runOutcome({ exitCode: 2, reason: "exited" }, tally())).toMatchObject({
      failureKind: "crashed",
      code: "TY_ERR_COMPUTE_CRASHED",
    });
    expect(runOutcome({ exitCode: 0, reason: "exited" }, tally())).toMatchObject({ failureKind: "crashed" });
    const killed = runOutcome({ exitCode: null, signal: "SIGKILL", reason: "exited" }, tally());
    expect(killed).toMatchObject({ failureKind: "crashed" });
    expect(killed.outcome === "failed" && killed.message).toMatch(/OOM killer/);
  });

  it("lets the backend's view win over the trainer's", () => {
    expect(runOutcome({ exitCode: 137, reason: "oom" }, tally(done))).toMatchObject({
      failureKind: "infra_error",
      code: "TY_ERR_COMPUTE_OOM",
    });
    expect(runOutcome({ exitCode: 143, reason: "timeout" }, tally(error))).toMatchObject({
      failureKind: "timed_out",
      code: "TY_ERR_COMPUTE_TIMED_OUT",
    });
    expect(runOutcome({ exitCode: null, reason: "lost" }, tally())).toMatchObject({
      failureKind: "infra_error",
      code: "TY_ERR_COMPUTE_LOST",
    });
    expect(runOutcome({ exitCode: 0, reason: "cancelled" }, tally(error))).toEqual({ outcome: "cancelled" });
    expect(failureKind({ exitCode: 0, reason: "cancelled" }, tally())).toBeNull();
    expect(failureKind({ exitCode: 3, reason: "exited" }, tally())).toBe("crashed");
  });

  it("tracks the last checkpoint", () => {
    const ck: TrainerEvent = { type: "checkpoint", step: 5, path: "/a/ckpt-5", sha256: "0".repeat(64) };
    expect(tally(ck, done).lastCheckpoint).toEqual(ck);
  });
});

describe("signalFromExitCode", () => {
  it("reads 128 + n as signal n", () => {
    expect(signalFromExitCode(137)).toBe("SIGKILL");
    expect(signalFromExitCode(143)).toBe("SIGTERM");
    expect(signalFromExitCode(1)).toBeUndefined();
    expect(signalFromExitCode(null)).toBeUndefined();
  });
});
