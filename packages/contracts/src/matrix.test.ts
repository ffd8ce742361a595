import { describe, expect, it } from "vitest";
import { assembleMatrix, bootstrapCi, buildCells, chooseSteps, matrixCsv, pairedDiff, type MatrixItemOutcome } from "./matrix.js";
import { expandExperimentRequest } from "./presets.js";

const items = (rate: number, n = 100) => Array.from({ length: n }, (_, i) => i < rate * n);
const o = (arm: string, seed: number, split: string, step: number, rate: number): MatrixItemOutcome => ({
  arm,
  seed,
  split,
  step,
  success: items(rate),
  validity: 1,
});

describe("matrix statistics", () => {
  it("bootstrap CIs contain the mean, shrink with n, and are degenerate for constant data", () => {
    const [lo, hi] = bootstrapCi([items(0.5, 100).map(Number)]);
    expect(lo).toBeLessThan(0.5);
    expect(hi).toBeGreaterThan(0.5);
    const [lo2, hi2] = bootstrapCi([items(0.5, 1000).map(Number)]);
    expect(hi2 - lo2).toBeLessThan(hi - lo);
    expect(bootstrapCi([items(1, 50).map(Number)])).toEqual([1, 1]);
  });

  it("chooses checkpoints by the paper's rule (all columns but Fake) and by validation", () => {
    const os = [
      o("a", 0, "id", 10, 0.9),
      o("a", 0, "fake", 10, 1.0),
      o("a", 0, "alpha", 10, 0.1),
      o("a", 0, "validation", 10, 0.95),
      o("a", 0, "id", 20, 0.8),
      o("a", 0, "fake", 20, 0.0),
      o("a", 0, "alpha", 20, 0.6),
      o("a", 0, "validation", 20, 0.7),
    ];
    expect(chooseSteps("sokoban", os)).toEqual({ paper: 20, ours: 10, last: 20 });
  });

  it("averages seeds, and pairs arms on the same items", () => {
    const rows = buildCells(
      "sokoban",
      ["id", "fake"],
      [{ arm: "x", outcomes: [o("x", 0, "id", 5, 0.6), o("x", 1, "id", 5, 0.8), o("x", 0, "fake", 5, 0), o("x", 1, "fake", 5, 0)] }],
      "paper",
      200,
    );
    expect(rows[0]!.cells.id!.mean).toBeCloseTo(0.7);
    expect(rows[0]!.cells.id!.seeds).toBe(2);
    expect(rows[0]!.cells.id!.perSeed).toEqual([0.6, 0.8]);
    const d = pairedDiff([items(0.9)], [items(0.2)], 200);
    expect(d.diff).toBeCloseTo(0.7);
    expect(d.ci95[0]).toBeGreaterThan(0.5);
    expect(d.n).toBe(100);
  });
});

describe("assembleMatrix (the one place the matrix is computed)", () => {
  it("builds the served table from plain inputs: cells with paper values, checkpoints, paired differences, compute, CSV", () => {
    const spec = expandExperimentRequest({ preset: "paper-sokoban" });
    const started = new Date("2026-01-01T00:00:00Z");
    const m = assembleMatrix({
      experimentId: "e1",
      spec,
      preset: "paper-sokoban",
      state: "succeeded",
      select: "paper",
      outcomes: [o("ans", 0, "id", 10, 0.5), o("ans", 0, "id", 20, 0.9), o("diverse-ans", 0, "id", 20, 0.6)],
      jobs: [{ arm: "ans", startedAt: started, finishedAt: new Date(started.getTime() + 10_000), result: { trainedTokens: 5 } }],
      overlap: null,
    });
    expect(Object.keys(m)).toEqual([
      "experimentId",
      "task",
      "preset",
      "state",
      "selection",
      "selectionRules",
      "splits",
      "groups",
      "paperColumns",
      "paperModel",
      "rows",
      "paired",
      "overlap",
    ]);
    const ans = m.rows[0]!;
    expect(ans.checkpoints[0]).toEqual({ paper: 20, ours: null, last: 20 });
    expect(ans.cells.id).toMatchObject({ mean: 0.9, n: 100, paper: 0.98 });
    expect(ans.cells.alpha).toBeNull();
    expect(ans.compute).toEqual({ device: "gpu", gpuSeconds: 40, trainedTokens: 5, generatedTokens: 0 });
    expect(m.paired).toEqual([{ a: "diverse-ans", b: "ans", split: "id", diff: expect.closeTo(-0.3, 5), ci95: expect.any(Array), n: 100 }]);
    const csv = matrixCsv(m).split("\n");
    expect(csv[0]).toBe("arm,method,data,target,split,group,mean,ci_low,ci_high,n,seeds,validity,paper");
    expect(csv[1]).toMatch(/^ans,sft,frozen,answer,id,id,0\.9,[\d.]+,[\d.]+,100,1,1,0\.98$/);
  });
});
