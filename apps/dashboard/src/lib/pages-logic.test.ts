/** Pure pieces of the pages: DAG layout, metric charts, the spec form's paths, heat-map contrast. */
import { describe, expect, it } from "vitest";
import { expandExperimentRequest, planJobs } from "@trainyard/contracts";
import { layoutDag } from "./dag";
import { chartsFor, columns, metricPoint, withThroughput, type MetricPoint } from "./metrics";
import { getAt, issuesByPath, listToText, removeAt, setAt, textToList, type Json } from "./spec-form";
import { contrast, heatColors, heatRgb } from "./heat";

describe("layoutDag", () => {
  it("puts the build first, one lane per arm × seed, and every evaluation in the last column", () => {
    const spec = expandExperimentRequest({
      preset: "demo-cpu",
      seeds: [0, 1],
      arms: [
        { name: "a", method: "sft", data: "frozen", target: "answer" },
        { name: "b", method: "sft-then-grpo", data: "frozen", target: "cot" },
      ],
    });
    const jobs = planJobs(spec).map((j, i) => ({ ...j, id: String(i) }));
    const l = layoutDag(jobs);
    expect(l.rows).toBe(4);
    expect(l.cols).toBe(4); // build → sft → grpo → eval
    const at = (name: string) => l.nodes.find((n) => n.job.name === name)!;
    expect(at("dataset-build")).toMatchObject({ col: 0, row: 1.5 });
    expect(at("sft:a:s1")).toMatchObject({ col: 1, row: 1 });
    expect(at("eval:a:s0")).toMatchObject({ col: 3, row: 0 }); // aligned with b's evaluations
    expect(at("grpo:b:s0")).toMatchObject({ col: 2, row: 2 });
    expect(at("eval:b:s1")).toMatchObject({ col: 3, row: 3 });
    expect(l.edges.map((e) => `${e.from.job.name}>${e.to.job.name}`)).toContain("sft:b:s0>grpo:b:s0");
    expect(l.edges).toHaveLength(jobs.reduce((n, j) => n + j.dependsOn.length, 0));
  });
});

describe("metrics", () => {
  const ev = (step: number, s: number, values: Record<string, unknown>) => ({
    createdAt: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(),
    data: { step, maxSteps: 10, values },
  });

  it("groups keys into charts and leaves the rest under other metrics", () => {
    const pts = [ev(1, 0, { loss: 2, learning_rate: 1e-3, reward: 0.1, "completions/mean_length": 9, grad_norm: 1 })].map((e) =>
      metricPoint(e)!,
    );
    const { charts, other } = chartsFor(pts);
    expect(charts.map((c) => [c.id, c.keys])).toEqual([
      ["loss", ["loss"]],
      ["reward", ["reward"]],
      ["lengths", ["completions/mean_length"]],
      ["lr", ["learning_rate"]],
    ]);
    expect(other).toEqual(["grad_norm"]);
  });

  it("derives tokens per second from num_tokens where the trainer reports none", () => {
    const pts = withThroughput([ev(1, 0, { num_tokens: 100 }), ev(2, 2, { num_tokens: 500 })].map((e) => metricPoint(e)!));
    expect(pts[1]!.values.tokens_per_second).toBe(200);
    expect(pts[0]!.values.tokens_per_second).toBeUndefined();
  });

  it("aligns columns by step, the later report of a repeated step winning, and drops bad points", () => {
    const pts: MetricPoint[] = [ev(2, 0, { loss: 3 }), ev(1, 1, { loss: 4 }), ev(2, 5, { loss: 2.5, reward: 1 })].map((e) =>
      metricPoint(e)!,
    );
    expect(columns(pts, ["loss", "reward"])).toEqual({
      x: [1, 2],
      ys: [
        [4, 2.5],
        [null, 1],
      ],
    });
    expect(metricPoint({ createdAt: "x", data: { values: {} } })).toBeNull();
  });
});

describe("spec form paths", () => {
  const spec: Json = { sft: { batchSize: 16 }, arms: [{ name: "a" }, { name: "b" }], seeds: [0, 1] };

  it("reads, sets and removes by path without touching the original", () => {
    const next = setAt(spec, ["sft", "batchSize"], 4);
    expect(getAt(next, ["sft", "batchSize"])).toBe(4);
    expect(getAt(spec, ["sft", "batchSize"])).toBe(16);
    expect(getAt(setAt(spec, ["arms", 1, "name"], "c"), ["arms"])).toEqual([{ name: "a" }, { name: "c" }]);
    expect(getAt(removeAt(spec, ["arms", 0]), ["arms"])).toEqual([{ name: "b" }]);
    expect(getAt(spec, ["arms", 5, "name"])).toBeUndefined();
  });

  it("edits scalar lists as one line of text", () => {
    expect(listToText(["id", "alpha"])).toBe("id, alpha");
    expect(textToList(" 0, 1 ,2,", true)).toEqual([0, 1, 2]);
    expect(textToList("id, fake", false)).toEqual(["id", "fake"]);
    expect(textToList("1, x", true)).toEqual([1, "x"]); // left for the API to name as a bad field
  });

  it("groups API issues by the field they name", () => {
    const m = issuesByPath([
      { path: ["sft", "batchSize"], message: "too small" },
      { path: ["splits", 1], message: "unknown split" },
      { path: ["sft", "batchSize"], message: "not an integer" },
    ]);
    expect(m.get("sft.batchSize")?.map((i) => i.message)).toEqual(["too small", "not an integer"]);
    expect(m.get("splits.1")).toHaveLength(1);
  });
});

describe("heat map colours", () => {
  it("keep text readable (WCAG AA, 4.5:1) across the whole scale", () => {
    for (let i = 0; i <= 100; i++) {
      const { color } = heatColors(i / 100);
      const fg = color.match(/\d+/g)!.map(Number) as [number, number, number];
      expect(contrast(heatRgb(i / 100), fg), `x=${i / 100}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});
