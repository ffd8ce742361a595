import { describe, expect, it } from "vitest";
import { attemptsFromStatusEvents } from "./job-history.js";

const ev = (t: number, data: Record<string, unknown>) => ({ createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, t)).toISOString(), data });

describe("attemptsFromStatusEvents", () => {
  it("opens an attempt on running and closes it on the next settling state", () => {
    const a = attemptsFromStatusEvents([
      ev(0, { state: "queued", attempt: 0, message: "ready" }),
      ev(1, { state: "running", attempt: 1, message: "attempt 1 of 3 on w1" }),
      ev(2, { state: "queued", attempt: 1, failureKind: "crashed", error: { code: "TY_ERR_COMPUTE_CRASHED", message: "exit 137" } }),
      ev(3, { state: "running", attempt: 2, message: "attempt 2 of 3 on w2" }),
      ev(4, { state: "cancel_requested", attempt: 2, message: "cancel requested" }),
      ev(5, { state: "cancelled", attempt: 2, error: { code: "TY_ERR_JOB_CANCELLED", message: "cancelled by request" } }),
    ]);
    expect(a).toEqual([
      {
        attempt: 1,
        outcome: "retried",
        startedAt: ev(1, {}).createdAt,
        endedAt: ev(2, {}).createdAt,
        message: "attempt 1 of 3 on w1",
        failureKind: "crashed",
        error: { code: "TY_ERR_COMPUTE_CRASHED", message: "exit 137" },
      },
      {
        attempt: 2,
        outcome: "cancelled",
        startedAt: ev(3, {}).createdAt,
        endedAt: ev(5, {}).createdAt,
        message: "attempt 2 of 3 on w2",
        failureKind: null,
        error: { code: "TY_ERR_JOB_CANCELLED", message: "cancelled by request" },
      },
    ]);
  });

  it("has no attempt for a job cancelled before it ran, and leaves a running one open", () => {
    expect(attemptsFromStatusEvents([ev(0, { state: "queued", attempt: 0 }), ev(1, { state: "cancelled", attempt: 0 })])).toEqual([]);
    const open = attemptsFromStatusEvents([ev(0, { state: "running", attempt: 1 }), ev(1, { state: "bogus" })]);
    expect(open).toMatchObject([{ attempt: 1, outcome: "running", endedAt: null }]);
  });
});
