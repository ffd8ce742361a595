import { describe, expect, it } from "vitest";
import { parseRows } from "./board.js";
import { cotCompletion } from "./cot.js";
import { answerOnlyCompletion, trainingPairs, type TrainingPair } from "./dataset.js";
import { rlReward } from "./parse.js";
import { solve } from "./solver.js";

describe("training-pair expansion (docs/sokoban-rules.md#training-pairs)", () => {
  const pairs: TrainingPair[] = [...trainingPairs()];

  it("seeds 42-1041 give 3,982 pairs with the reference path-length histogram", () => {
    expect(pairs).toHaveLength(3982);
    const hist = new Map<number, number>();
    for (const p of pairs) if (p.step === 0) hist.set(p.pathLength, (hist.get(p.pathLength) ?? 0) + 1);
    expect(Object.fromEntries([...hist].sort((a, b) => a[0] - b[0]))).toEqual({
      1: 85,
      2: 254,
      3: 118,
      4: 150,
      5: 167,
      6: 102,
      7: 48,
      8: 45,
      9: 20,
      10: 10,
      12: 1,
    });
    expect(pairs.map((p) => p.row)).toEqual(pairs.map((_, i) => i));
  });

  it("records the state before each BFS action, then steps the env", () => {
    const [a, b] = pairs;
    expect(a).toMatchObject({ row: 0, seed: 42, step: 0, pathLength: 2, answerId: 4, label: "Right" });
    expect(a!.rows).toEqual(["######", "#PX_O#", "#____#", "######", "######", "######"]);
    expect(b!.rows).toEqual(["######", "#_PXO#", "#____#", "######", "######", "######"]);
    expect(a!.completion).toBe("</think> <answer> Right </answer>\n");
    expect(a!.prompt).toHaveLength(802);
    // Every state's label is the BFS action from that state (plans are suffix-consistent here).
    for (const p of pairs.slice(0, 300)) expect(solve(parseRows(p.rows))[0]).toBe(p.answerId);
  });

  it("every answer-only target earns RL reward 1 on its own prompt", () => {
    for (const p of pairs) expect(rlReward(p.prompt, p.completion, p.answerId)).toBe(1);
  });

  it("diverse set: same states, random-word labels per row", () => {
    const diverse = [...trainingPairs({ diverse: true })];
    expect(diverse).toHaveLength(3982);
    expect(diverse[0]!.labels).toEqual(["tree", "fix", "jade", "freedom"]);
    expect(diverse[0]!.completion).toBe("</think> <answer> freedom </answer>\n");
    expect(diverse[0]!.prompt).toHaveLength(868);
    expect(diverse[2209]!.labels).toEqual(["hawk", "mouse", "glory", "mouse"]);
    // Reference quirk: row 3493 draws "lime" twice (Up and Down); its target "lime" (Up) is read
    // back by the reward's prompt table as Down (the later duplicate wins), so it scores 0.
    const zero: number[] = [];
    diverse.forEach((d, i) => {
      expect(d.rows).toEqual(pairs[i]!.rows);
      if (rlReward(d.prompt, d.completion, d.answerId) !== 1) zero.push(d.row);
    });
    expect(zero).toEqual([3493]);
    expect(diverse[3493]).toMatchObject({ labels: ["lime", "lime", "honey", "table"], answerId: 1, label: "lime" });
  });

  it("solver-written CoT ends in the same answer and passes the RL reward's format gate", () => {
    const diverse = [...trainingPairs({ seeds: [42, 43, 44, 45, 46], diverse: true })];
    for (const p of diverse) {
      const cot = cotCompletion(parseRows(p.rows), solve(parseRows(p.rows)), p.labels);
      expect(cot.startsWith("\n")).toBe(true);
      expect(cot.endsWith(` </think> <answer> ${p.label} </answer>`)).toBe(true);
      expect(rlReward(p.prompt, cot, p.answerId)).toBe(1);
      expect(rlReward(p.prompt, cot, (p.answerId % 4) + 1)).toBe(0);
    }
    const first = cotCompletion(parseRows(diverse[0]!.rows), [4, 4], diverse[0]!.labels);
    expect(first).toContain("Row 1: # P X _ O #");
    expect(first).toContain("The player (P) is at (1, 1).");
    expect(first).toContain("(X) is at (1, 2).");
    expect(first).toContain("The free target is at (1, 4).");
    expect(first).toContain("from its left side");
    expect(first).toContain('Right is written "freedom"');
  });

  it("answer-only target format (docs/prompts.md#sokoban-targets)", () => {
    expect(answerOnlyCompletion("Right")).toBe("</think> <answer> Right </answer>\n");
  });
});
