import { describe, expect, it } from "vitest";
import { handleBatchLine, handleBatchRequest } from "./batch.js";

const parse = (line: string) => JSON.parse(handleBatchLine(line)) as Record<string, any>;

describe("env batch protocol", () => {
  it("answers every documented op", () => {
    const gen = parse('{"op":"generate","env":"sokoban","setting":"id","seed":123}');
    expect(gen.ok).toBe(true);
    expect(gen.rows.length).toBe(6);
    expect(gen.numBoxes).toBe(1);
    expect(gen.optimal.length).toBeGreaterThan(0);
    const solved = parse(JSON.stringify({ op: "solve", env: "sokoban", rows: gen.rows }));
    expect(solved).toMatchObject({ ok: true, actions: gen.optimal, solvable: true });
    const step = parse(JSON.stringify({ op: "step", env: "sokoban", rows: gen.rows, actions: gen.optimal, maxSteps: 30 }));
    expect(step).toMatchObject({ ok: true, done: true, success: true, steps: gen.optimal.length });
    expect(parse('{"op":"parse","env":"sokoban","labels":["A","B","C","D"],"text":"<answer>C</answer>"}')).toEqual({
      ok: true,
      actionId: 3,
    });
    expect(parse('{"op":"vocabulary","row":0}')).toEqual({ ok: true, labels: ["tree", "fix", "jade", "freedom"] });
    const task = parse('{"op":"generate","env":"general-points","split":"id","index":0}');
    expect(task.ok).toBe(true);
    expect(task.values).toEqual([2, 7, 10, 2]);
    expect(
      parse(
        JSON.stringify({
          op: "reward",
          env: "general-points",
          values: task.values,
          response: JSON.stringify({ cards: task.cards, number: task.values, formula: task.solution }),
          mode: "exact",
        }),
      ).reward,
    ).toBe(5);
    expect(parse('{"op":"solve","env":"general-points","values":[3,3,8,8],"target":24}')).toMatchObject({ ok: true, solvable: true });
  });

  it("never stops on a bad line: each gets ok:false with a code, and ids are echoed", () => {
    for (const line of [
      "not json",
      "[]",
      "42",
      '{"env":"sokoban"}',
      '{"op":"generate","env":"chess"}',
      '{"op":"dance","env":"sokoban"}',
      '{"op":"generate","env":"sokoban","setting":"id","seed":"x"}',
    ]) {
      const r = parse(line);
      expect(r.ok, line).toBe(false);
      expect(r.error.code, line).toMatch(/^TY_ERR_ENV_/);
      expect(r.error.message.length, line).toBeGreaterThan(3);
    }
    expect(handleBatchRequest({ id: "req-7", op: "vocabulary", row: 1 })).toMatchObject({ id: "req-7", ok: true });
    expect(handleBatchRequest({ id: 9, op: "nope", env: "sokoban" })).toMatchObject({ id: 9, ok: false });
  });
});
