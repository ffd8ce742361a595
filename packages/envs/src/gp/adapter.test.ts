import { describe, expect, it } from "vitest";
import { generalPointsEnv, gpStateHash, makeGeneralPointsEnv, type GpItem } from "./adapter.js";
import { gpBatch } from "./batch-ops.js";
import { GP_SPLITS, generateTask, type GpSplit } from "./generate.js";
import { showGpTask } from "./show.js";

const env = generalPointsEnv;
const exactEnv = makeGeneralPointsEnv({ mode: "exact" });
const EVAL_SPLITS: GpSplit[] = ["id", "all-5", "all-7", "all-12", "regular", "large", "five", "fake", "all-5-fake"];

describe("oracle check (docs/paper.md#oracle-checks)", () => {
  // Answering with the solver under the prompt's stated rule, avoiding float-unsafe formulas.
  const results = new Map<GpSplit, { paper: number[]; exact: number }>();
  for (const split of EVAL_SPLITS) {
    const paperFails: number[] = [];
    let exactOk = 0;
    for (let i = 0; i < 500; i++) {
      const item = env.generate(split, i);
      const answer = env.solverCompletion(item);
      if (!env.score(item, answer).success) paperFails.push(i);
      if (exactEnv.score(item, answer).success) exactOk++;
    }
    results.set(split, { paper: paperFails, exact: exactOk });
  }

  it("scores 1.0 on every split but the fake ones, whose stated rule is not the scored one", () => {
    for (const split of ["id", "all-5", "all-7", "all-12", "regular", "five"] as const) {
      expect(results.get(split)).toEqual({ paper: [], exact: 500 });
    }
    for (const split of ["fake", "all-5-fake"] as const) {
      expect(results.get(split)!.paper).toHaveLength(500);
      expect(results.get(split)!.exact).toBe(0);
    }
  });

  it("misses exactly 3 Large tasks in paper mode: no float-safe formula exists for them", () => {
    // (17,1,17,7), (16,10,4,3), (1,5,15,16): every formula worth 24, even outside the
    // templates, rounds away from 24.0 in floating point. The exact mode scores them.
    expect(results.get("large")).toEqual({ paper: [154, 398, 470], exact: 500 });
    expect([154, 398, 470].map((i) => generateTask("large", i).values)).toEqual([
      [17, 1, 17, 7],
      [16, 10, 4, 3],
      [1, 5, 15, 16],
    ]);
  });
});

describe("Env adapter", () => {
  const item = env.generate("id", 0);

  it("exposes the shared interface", () => {
    expect(env.id).toBe("general-points");
    expect(env.version).toBe(1);
    expect(env.settings).toEqual(GP_SPLITS);
    expect(item).toMatchObject({ env: "general-points", setting: "id", key: 0, fallback: false, prompt: generateTask("id", 0).prompt });
    expect(() => env.generate("nope", 0)).toThrow(RangeError);
  });

  it("answers in the answer-only format, and its CoT ends in the same object", () => {
    const answer = env.solverCompletion(item);
    expect(answer).toBe('{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(10/2+7)*2"\n}');
    const cot = env.cotCompletion(item);
    expect(cot).toBe(
      "<think>\nThe rule is that 'J', 'Q', and 'K' all count as '10'. Q is worth 10, so the numbers are 2, 7, 10, 2.\n" +
        "Trying (10/2+7)*2: 10/2 = 5, 5+7 = 12, 12*2 = 24.\nThat reaches 24 and uses every number exactly once.\n</think>\n\n" +
        answer,
    );
  });

  it("uses the stated rule in CoT and answers, including on fake and diverse items", () => {
    for (const [split, i] of [
      ["fake", 0],
      ["train-diverse", 3000],
      ["all-12", 7],
      ["five", 3],
    ] as const) {
      const it = env.generate(split, i);
      const cot = env.cotCompletion(it);
      const think = cot.slice(0, cot.indexOf("</think>"));
      expect(think).not.toContain('"formula": "');
      expect(think).toContain(`so the numbers are ${it.promptValues.join(", ")}`);
      expect(env.score(it, cot)).toEqual(env.score(it, env.solverCompletion(it)));
    }
  });

  it("avoids float-unsafe reference answers when a safe one exists", () => {
    // Only (3,3,8,8) is left with no float-safe formula at all (its one solution is 8/(3-8/3)).
    let unsafeReference = 0;
    for (let i = 0; i < 2000; i++) {
      const it: GpItem = env.generate("train-frozen", i);
      const s = env.score(it, it.answer);
      if (!s.success) {
        unsafeReference++;
        const values = [...it.values].sort((a, b) => a - b).join(",");
        if (values !== "3,3,8,8") expect(env.score(it, env.solverCompletion(it)).success).toBe(true);
      }
    }
    expect(unsafeReference).toBeGreaterThan(0);
  });

  it("maps outcomes to the shared failure taxonomy", () => {
    const V = (f: string) => env.score(item, `"formula": "${f}"`);
    expect(V("(10/2+7)*2")).toMatchObject({ reward: 5, success: true, valid: true, reason: null, mode: "paper" });
    expect(V("10+7+2+2")).toMatchObject({ reward: -1, success: false, valid: true, reason: "wrong_value" });
    expect(V("10+7+2")).toMatchObject({ reward: -2, valid: false, reason: "wrong_numbers" });
    expect(V("10+7+2+2x")).toMatchObject({ reward: -3, valid: false, reason: "invalid_formula" });
    expect(env.score(item, "no idea")).toMatchObject({ reward: -3, reason: "format" });
    expect(env.score(item, '{"formula": 24}')).toMatchObject({ reward: -3, reason: "format" });
    expect(exactEnv.score(item, "x").mode).toBe("exact");
  });

  it("hashes the value multiset and stated rule, not the prompt", () => {
    const a = env.generate("id", 1); // Q A 5 J → 10,1,5,10 under all_10
    const h = env.stateHash(a);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(gpStateHash({ values: [1, 5, 10, 10], mapping: "all_10", target: 24 })).toBe(h);
    expect(gpStateHash({ values: [1, 5, 10, 10], mapping: "all_9", target: 24 })).not.toBe(h);
    expect(gpStateHash({ values: [1, 5, 10, 11], mapping: "all_10", target: 24 })).not.toBe(h);
    // Same rule under two names is the same state.
    expect(gpStateHash({ values: [1, 2, 3, 4], mapping: "mixed_8_9_10", target: 24 })).toBe(
      gpStateHash({ values: [4, 3, 2, 1], mapping: "sequential_8_9_10", target: 24 }),
    );
  });

  it("reports difficulty statistics", () => {
    expect(env.difficulty(env.generate("train-diverse", 9))).toMatchObject({ cards: 4 });
    expect(env.difficulty(item)).toEqual({ cards: 4, faceCards: 1, maxValue: 10, solutions: 4, floatUnsafeSolutions: 0, draws: 3 });
    expect(env.difficulty(env.generate("large", 154))).toMatchObject({ solutions: 4, floatUnsafeSolutions: 4 });
  });
});

describe("env batch ops", () => {
  it("generate returns the task fields", () => {
    const t = generateTask("all-5-fake", 4);
    expect(gpBatch({ op: "generate", env: "general-points", split: "all-5-fake", index: 4 })).toEqual({
      ok: true,
      cards: t.cards,
      values: t.values,
      promptValues: t.promptValues,
      prompt: t.prompt,
      solution: t.solution,
    });
    expect(gpBatch({ op: "generate", env: "general-points", split: "train-frozen", index: 0 })).toMatchObject({ ok: true });
  });

  it("solve and reward", () => {
    expect(gpBatch({ op: "solve", env: "general-points", values: [3, 3, 8, 8], target: 24 })).toEqual({
      ok: true,
      solvable: true,
      solutions: 1,
    });
    expect(gpBatch({ op: "solve", env: "general-points", values: [1, 1, 1, 1] })).toEqual({ ok: true, solvable: false, solutions: 0 });
    const r = { op: "reward", env: "general-points", values: [3, 3, 8, 8], response: '"formula": "8/(3-8/3)"' };
    expect(gpBatch(r)).toEqual({ ok: true, reward: -1 });
    expect(gpBatch({ ...r, mode: "paper" })).toEqual({ ok: true, reward: -1 });
    expect(gpBatch({ ...r, mode: "exact" })).toEqual({ ok: true, reward: 5 });
  });

  it.each([
    [{ op: "generate", env: "general-points", split: "test", index: 0 }, "split"],
    [{ op: "generate", env: "general-points", split: "id", index: -1 }, "index"],
    [{ op: "generate", env: "general-points", split: "train-diverse", index: 10000 }, "index"],
    [{ op: "generate", env: "general-points", split: "id" }, "index"],
    [{ op: "solve", env: "general-points", values: [1, 2] }, "values"],
    [{ op: "solve", env: "general-points", values: [1, 2, "3", 4] }, "values"],
    [{ op: "solve", env: "general-points", values: [1, 2, 3, 4], target: 2.5 }, "target"],
    [{ op: "solve", env: "general-points", values: [999, 999, 999, 999, 999, 999] }, "values"],
    [{ op: "reward", env: "general-points", values: [1, 2, 3, 4] }, "response"],
    [{ op: "reward", env: "general-points", values: [], response: "" }, "values"],
    [{ op: "reward", env: "general-points", values: [1, 2, 3, 4], response: "", mode: "float" }, "mode"],
    [{ op: "step", env: "general-points" }, "op"],
    [{ op: "solve", env: "sokoban", values: [1, 2, 3, 4] }, "env"],
  ] as [Record<string, unknown>, string][])("rejects %j naming %s", (req, field) => {
    try {
      gpBatch(req);
      expect.unreachable();
    } catch (e) {
      expect(e).toMatchObject({ code: "TY_ERR_ENV_BAD_REQUEST", field });
      expect((e as Error).message.startsWith(`${field}:`)).toBe(true);
    }
  });
});

describe("showGpTask", () => {
  it("shows the cards, the rule, the scoring values, a solution and the prompt", () => {
    const text = showGpTask("fake", 0);
    expect(text).toContain("[2] [7] [Q] [2]");
    expect(text).toContain("'J' counts as '11', 'Q' counts as '12', and 'K' counts as '13'");
    expect(text).toContain("Values  2, 7, 10, 2");
    expect(text).toContain("the prompt's rule gives 2, 7, 12, 2");
    expect(text).toContain("(10/2+7)*2");
    expect(text).toContain("│ Cards: ['2', '7', 'Q', '2']");
    expect(() => showGpTask("bogus", 0)).toThrow(RangeError);
  });
});
