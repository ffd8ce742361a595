import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "./errors.js";
import { classifyJobError } from "./job-failures.js";

const doc = readFileSync(fileURLToPath(new URL("../../../docs/errors.md", import.meta.url)), "utf8");

describe("error catalogue", () => {
  it("has exactly one docs/errors.md row per code, with the same HTTP status", () => {
    const rows = [...doc.matchAll(/^\| (TY_ERR_[A-Z0-9_]+) \| (\d{3}) \| ([^|]+) \| ([^|]+) \|$/gm)];
    const documented = rows.map((r) => r[1]!);
    expect(new Set(documented).size).toBe(documented.length);
    expect([...documented].sort()).toEqual(Object.keys(ERROR_CODES).sort());
    for (const r of rows) {
      expect(Number(r[2]), r[1]).toBe(ERROR_CODES[r[1] as keyof typeof ERROR_CODES].status);
      expect(r[3]!.trim().length, `${r[1]} meaning`).toBeGreaterThan(10);
      expect(r[4]!.trim().length, `${r[1]} action`).toBeGreaterThan(5);
    }
  });

  it("retries only infra errors, classified by code", () => {
    expect(classifyJobError("TY_ERR_VALIDATION")).toEqual({ failureKind: "user_error", retry: false });
    expect(classifyJobError("TY_ERR_NOT_AVAILABLE")).toEqual({ failureKind: "config_error", retry: false });
    expect(classifyJobError("TY_ERR_DEPENDENCY_UNAVAILABLE")).toEqual({ failureKind: "infra_error", retry: true });
    expect(classifyJobError("ECONNRESET")).toEqual({ failureKind: "infra_error", retry: true });
    expect(classifyJobError(undefined)).toEqual({ failureKind: "infra_error", retry: true });
  });
});

describe("job error codes", () => {
  it("documents every trainer code of infra/trainer/PROTOCOL.md", () => {
    const protocol = readFileSync(fileURLToPath(new URL("../../../infra/trainer/PROTOCOL.md", import.meta.url)), "utf8");
    const codes = new Set(
      [...protocol.matchAll(/^\s+(TY_ERR_[A-Z_]+)\s+(user_error|infra_error|crashed|timed_out)/gm)].map((m) => `${m[1]} ${m[2]}`),
    );
    expect(codes.size).toBeGreaterThan(5);
    const jobRows = new Set(
      [...doc.matchAll(/^\| (TY_ERR_[A-Z0-9_]+) \| (user_error|infra_error|crashed|timed_out) \|/gm)].map((m) => `${m[1]} ${m[2]}`),
    );
    for (const c of codes) if (!c.startsWith("TY_ERR_NOT_AVAILABLE")) expect(jobRows, c).toContain(c);
  });
});
