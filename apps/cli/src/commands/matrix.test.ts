/** The terminal matrix and the Figure 1 curve that `trainyard matrix` and scripts/demo.sh print. */
import { describe, expect, it } from "vitest";
import { bar, renderCurves, renderMatrix } from "./matrix.js";

const cell = (mean: number, lo: number, hi: number, validity = 1) => ({
  mean,
  ci95: [lo, hi] as [number, number],
  n: 30,
  validity,
  paper: null,
});

describe("trainyard matrix rendering", () => {
  it("prints each cell's 95 % CI and the paired differences between the arms", () => {
    const text = renderMatrix({
      task: "sokoban",
      selection: "paper",
      splits: ["id", "alpha", "fake"],
      groups: { id: "id", alpha: "instruction", fake: "fake" },
      paperModel: null,
      rows: [
        {
          arm: "frozen-ans",
          method: "sft",
          data: "frozen",
          target: "answer",
          compute: {},
          cells: { id: cell(0.6, 0.43, 0.77), alpha: cell(0, 0, 0, 0.25), fake: cell(0.4, 0.23, 0.57, 0.875) },
        },
        {
          arm: "diverse-ans",
          method: "sft",
          data: "diverse",
          target: "answer",
          compute: {},
          cells: { id: cell(0.5, 0.33, 0.67), alpha: cell(0.3, 0.13, 0.47), fake: cell(0, 0, 0, 0) },
        },
      ],
      paired: [{ a: "diverse-ans", b: "frozen-ans", split: "alpha", diff: 0.3, ci95: [0.13, 0.47], n: 30 }],
      overlap: null,
    });
    const lines = text.split("\n");
    expect(lines.find((l) => l.startsWith("diverse-ans") && l.includes("%"))).toMatch(/50%.*30%.*0%/);
    expect(lines.filter((l) => l.startsWith("frozen-ans"))[1]).toMatch(/43–77\s+0–0\s+23–57/);
    // The validity block: each arm's share of accepted turns, in split order.
    const valid = lines.slice(lines.findIndex((l) => l.includes("valid answers")) + 1);
    expect(valid[0]).toMatch(/^frozen-ans\s+100%\s+25%\s+88%/);
    expect(valid[1]).toMatch(/^diverse-ans\s+100%\s+100%\s+0%/);
    expect(text).toContain("paired difference diverse-ans − frozen-ans");
    expect(text).toContain("alpha +30 [13, 47]");
  });

  it("a General Points matrix explains its own Fake column and counts tasks, not levels", () => {
    const gp = (task: string) =>
      renderMatrix({
        task,
        selection: "paper",
        splits: ["id", "fake"],
        groups: { id: "id", fake: "fake" },
        paperModel: null,
        rows: [
          { arm: "a", method: "sft", data: "frozen", target: "answer", compute: {}, cells: { id: cell(0, 0, 0), fake: cell(0, 0, 0) } },
        ],
        paired: [],
        overlap: null,
      });
    const text = gp("general-points");
    expect(text).toContain("* Fake: the prompt gives J/Q/K values the scoring ignores");
    expect(text).not.toContain("new labels");
    expect(text).toContain("n per cell: 30 tasks × seeds");
    expect(gp("sokoban")).toContain("* Fake: the prompt announces new labels");
    expect(gp("sokoban")).toContain("n per cell: 30 levels × seeds");
  });

  it("draws ID against the mean of the instruction variants at every checkpoint, seeds averaged", () => {
    const curve = (arm: string, seed: number, split: string, group: string, s: number[]) => ({
      arm,
      seed,
      split,
      group,
      points: s.map((success, i) => ({ step: (i + 1) * 500, success, n: 30 })),
    });
    const text = renderCurves({
      splits: ["id", "alpha", "num", "fake"],
      arms: ["frozen-ans", "diverse-ans"],
      curves: [
        curve("frozen-ans", 0, "id", "id", [0.2, 0.6]),
        curve("frozen-ans", 0, "alpha", "instruction", [0, 0]),
        curve("frozen-ans", 0, "num", "instruction", [0, 0]),
        curve("frozen-ans", 0, "fake", "fake", [0.5, 0.5]),
        curve("diverse-ans", 0, "id", "id", [0.1, 0.4]),
        curve("diverse-ans", 1, "id", "id", [0.3, 0.6]),
        curve("diverse-ans", 0, "alpha", "instruction", [0.2, 0.4]),
        curve("diverse-ans", 0, "num", "instruction", [0.4, 0.6]),
      ],
    });
    const rows = text.split("\n").slice(2);
    expect(rows).toHaveLength(4);
    expect(text.split("\n")[1]).toContain("alpha/num");
    expect(rows[1]).toMatch(/frozen-ans\s+1000 .* 60% .* {2}0%/);
    // diverse-ans at step 500: ID (0.1 + 0.3) / 2 = 20 %, variants (0.2 + 0.4) / 2 = 30 %.
    expect(rows[2]).toMatch(/diverse-ans\s+500 .* 20% .* 30%/);
    expect(rows[3]).toMatch(/diverse-ans\s+1000 .* 50% .* 50%/);
  });

  it("bars are proportional, in eighths of a cell", () => {
    expect(bar(1, 4)).toBe("████");
    expect(bar(0, 4)).toBe("    ");
    expect(bar(0.5, 4)).toBe("██  ");
    expect(bar(0.125, 2)).toBe("▎ ");
  });
});
