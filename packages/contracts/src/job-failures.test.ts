import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { classifyJobFailure, JOB_FAILURE_CODES } from "./job-failures.js";

const doc = readFileSync(fileURLToPath(new URL("../../../docs/errors.md", import.meta.url)), "utf8");
const jobRows = new Map(
  [...doc.matchAll(/^\| (TY_ERR_[A-Z0-9_]+) \| (user_error|config_error|infra_error|crashed|timed_out) \| (yes|no) \|/gm)].map((m) => [
    m[1]!,
    { failureKind: m[2], retry: m[3] === "yes" },
  ]),
);

describe("job failure catalogue", () => {
  it("docs/errors.md shows each code's failure kind and retry flag", () => {
    for (const [code, info] of Object.entries(JOB_FAILURE_CODES)) expect(jobRows.get(code), code).toEqual(info);
  });

  it("never retries a permanent failure, whatever kind the reporter attached", () => {
    // A trainer without torch reports TY_ERR_NOT_AVAILABLE as infra_error: a deployment problem.
    expect(classifyJobFailure("TY_ERR_NOT_AVAILABLE", { failureKind: "infra_error" })).toEqual({
      failureKind: "config_error",
      retry: false,
    });
    expect(classifyJobFailure("TY_ERR_ARTIFACT_MISSING")).toEqual({ failureKind: "user_error", retry: false });
    expect(classifyJobFailure("TY_ERR_TRAINER_CONFIG", { failureKind: "crashed" })).toEqual({ failureKind: "user_error", retry: false });
    // An extra table (the compute codes) wins over everything else.
    expect(classifyJobFailure("TY_ERR_X_CONFLICT", {}, { TY_ERR_X_CONFLICT: { failureKind: "infra_error", retry: false } })).toEqual({
      failureKind: "infra_error",
      retry: false,
    });
  });

  it("retries infrastructure failures and unknown errors", () => {
    expect(classifyJobFailure("TY_ERR_LEASE_LOST")).toEqual({ failureKind: "infra_error", retry: true });
    expect(classifyJobFailure("TY_ERR_TRAINER_INTERNAL")).toEqual({ failureKind: "crashed", retry: true });
    expect(classifyJobFailure("TY_ERR_JOB_FAILED")).toEqual({ failureKind: "infra_error", retry: true });
    expect(classifyJobFailure("TY_ERR_JOB_FAILED", { failureKind: "user_error" })).toEqual({ failureKind: "user_error", retry: false });
    expect(classifyJobFailure(undefined)).toEqual({ failureKind: "infra_error", retry: true });
  });
});
