import { describe, expect, it } from "vitest";
import { LogResumeCursor, parseStamp } from "./kubernetes-logs.js";

describe("parseStamp", () => {
  it("reads kubelet RFC3339Nano stamps with trimmed fractions", () => {
    expect(parseStamp("2026-01-01T00:00:01.5Z")).toEqual({ sec: Date.parse("2026-01-01T00:00:01Z") / 1000, nano: 500_000_000 });
    expect(parseStamp("2026-01-01T00:00:01.000000001Z")?.nano).toBe(1);
    expect(parseStamp("2026-01-01T00:00:01Z")?.nano).toBe(0);
    expect(parseStamp("2026-01-01T02:00:01+02:00")?.sec).toBe(Date.parse("2026-01-01T00:00:01Z") / 1000);
    expect(parseStamp("hello")).toBeNull();
  });
});

describe("LogResumeCursor", () => {
  const t = (s: string) => `2026-01-01T00:00:${s}Z`;

  it("strips stamps and delivers every line outside a replay, even one stamped out of order", () => {
    const c = new LogResumeCursor();
    expect([`${t("01.5")} a`, `${t("01.25")} b`, "no stamp", `${t("01.5")} c`].map((l) => c.accept(l))).toEqual([
      "a",
      "b",
      "no stamp",
      "c",
    ]);
  });

  it("after a rewind, skips what was delivered (counting lines that share a stamp) and resumes", () => {
    const c = new LogResumeCursor();
    for (const l of [`${t("00.5")} a`, `${t("01.25")} b`, `${t("01.25")} c`]) c.accept(l);
    expect(c.rewind()).toBe(t("01")); // whole seconds, at or before the last line
    const replay = [`${t("01.25")} b`, `${t("01.25")} c`, `${t("01.25")} d`, `${t("01.75")} e`, `${t("01.25")} late`];
    expect(replay.map((l) => c.accept(l))).toEqual([null, null, "d", "e", "late"]);
  });

  it("has no sinceTime before the first line", () => {
    expect(new LogResumeCursor().rewind()).toBeUndefined();
  });
});
