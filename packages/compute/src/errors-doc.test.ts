import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";
import { COMPUTE_ERROR_CODES } from "./errors.js";

it("docs/errors.md has a row per compute code with its failure kind, retry flag, meaning and action", () => {
  const doc = readFileSync(fileURLToPath(new URL("../../../docs/errors.md", import.meta.url)), "utf8");
  for (const [code, info] of Object.entries(COMPUTE_ERROR_CODES))
    expect(doc, code).toContain(`| ${code} | ${info.failureKind} | ${info.retry ? "yes" : "no"} | ${info.meaning} | ${info.action} |`);
});
