import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BAD_REQUEST, sokobanBatch } from "./batch-ops.js";
import { BOX, BOX_ON_TARGET, PLAYER, TARGET, WALL, countBoxes, levelToRows, parseRows, type ActionId } from "./board.js";
import { SokobanGame, play } from "./dynamics.js";
import { generateLevel } from "./generator.js";
import { parseEvalAction, rlReward, rlRewardDetail } from "./parse.js";
import { VOCABULARIES } from "./prompts.js";
import { solve } from "./solver.js";

// Fixed fast-check seed: the runs are reproducible (a failure prints the case to replay).
const opts = { seed: 20251001, numRuns: 150 };

const config = fc.constantFrom(
  { rows: 6, cols: 6, numBoxes: 1 },
  { rows: 6, cols: 6, numBoxes: 2 },
  { rows: 7, cols: 7, numBoxes: 2 },
  { rows: 8, cols: 8, numBoxes: 1 },
  { rows: 10, cols: 10, numBoxes: 1 },
);
const seed = fc.integer({ min: 0, max: 0xffffffff });
const action = fc.integer({ min: 1, max: 4 }) as fc.Arbitrary<ActionId>;

describe("properties of generated levels and dynamics", () => {
  it("generated levels: wall ring, one player, boxes == targets == numBoxes, no box on a target", () => {
    fc.assert(
      fc.property(config, seed, (cfg, s) => {
        const { level } = generateLevel(cfg, s);
        const { rows, cols, fixed, state } = level;
        for (let i = 0; i < rows * cols; i++) {
          const r = Math.floor(i / cols);
          const c = i % cols;
          if (r === 0 || c === 0 || r === rows - 1 || c === cols - 1) expect(fixed[i]).toBe(WALL);
        }
        expect(state.filter((x) => x === PLAYER)).toHaveLength(1);
        expect(state.filter((x) => x === BOX)).toHaveLength(cfg.numBoxes);
        expect(state.filter((x) => x === BOX_ON_TARGET)).toHaveLength(0);
        expect(fixed.filter((x) => x === TARGET)).toHaveLength(cfg.numBoxes);
      }),
      opts,
    );
  });

  it("every generated level is solved by its BFS plan replayed through step", () => {
    fc.assert(
      fc.property(config, seed, (cfg, s) => {
        const { level } = generateLevel(cfg, s);
        const plan = solve(level);
        expect(plan.length).toBeGreaterThan(0);
        expect(plan.length).toBeLessThanOrEqual(30);
        const r = play(level, plan);
        expect(r).toMatchObject({ success: true, done: true, steps: plan.length });
      }),
      opts,
    );
  });

  it("stepping conserves boxes and never changes walls or targets", () => {
    fc.assert(
      fc.property(config, seed, fc.array(action, { maxLength: 40 }), (cfg, s, actions) => {
        const { level } = generateLevel(cfg, s);
        const game = new SokobanGame(level, { maxSteps: 1000 });
        for (const a of actions) {
          game.step(a);
          expect(countBoxes(game.level)).toBe(cfg.numBoxes);
          expect(game.level.fixed).toEqual(level.fixed);
          expect(game.level.state.filter((x) => x === PLAYER)).toHaveLength(1);
          for (let i = 0; i < level.fixed.length; i++) if (level.fixed[i] === WALL) expect(game.level.state[i]).toBe(WALL);
        }
        // Rendering round-trips through the public row form.
        expect(levelToRows(parseRows(levelToRows(game.level)))).toEqual(levelToRows(game.level));
      }),
      opts,
    );
  });
});

describe("parsers never throw", () => {
  const text = fc.oneof(
    fc.string({ unit: "binary", maxLength: 200 }),
    fc
      .array(
        fc.constantFrom(
          "<answer>",
          "</answer>",
          "<think>",
          "</think>",
          "<action>",
          "Assistant:",
          "<|im_start|>assistant",
          "Up",
          "1(",
          ")",
          ",",
          " ",
          "\n",
          "\u00a0",
          "ſ",
        ),
        { maxLength: 30 },
      )
      .map((a) => a.join("")),
  );
  const labels = fc.tuple(
    fc.string({ maxLength: 6 }),
    fc.string({ maxLength: 6 }),
    fc.string({ maxLength: 6 }),
    fc.string({ maxLength: 6 }),
  );

  it("evaluation parser on arbitrary text and labels", () => {
    fc.assert(
      fc.property(text, labels, (t, l) => {
        const id = parseEvalAction(t, l);
        expect(id === null || [1, 2, 3, 4].includes(id)).toBe(true);
        expect(parseEvalAction(`<answer> ${VOCABULARIES.base.labels[2]} </answer>${t}`, VOCABULARIES.base.labels)).toBe(3);
      }),
      { ...opts, numRuns: 400 },
    );
  });

  it("RL reward on arbitrary prompt/response", () => {
    fc.assert(
      fc.property(text, text, fc.integer({ min: 1, max: 4 }), labels, (p, r, a, l) => {
        expect([0, 1]).toContain(rlReward(p, r, a));
        const prompt = `Answers:\n<answer> ${l[0]} </answer> | <answer> ${l[1]} </answer> | <answer> ${l[2]} </answer> | <answer> ${l[3]} </answer>\n<|im_start|>assistant\n<think>`;
        const d = rlRewardDetail(prompt, r, a);
        expect(d.reward === 1).toBe(d.reason === null);
      }),
      { ...opts, numRuns: 400 },
    );
  });

  it("batch ops answer or throw TY_ERR_ENV_BAD_REQUEST, whatever the request", () => {
    const req = fc.record(
      {
        op: fc.constantFrom("generate", "solve", "step", "parse", "reward", "vocabulary", "x"),
        env: fc.constantFrom("sokoban", "gp", 3),
        setting: fc.oneof(fc.constantFrom("id", "train", "fake"), fc.string()),
        seed: fc.oneof(fc.integer({ min: -5, max: 3000 }), fc.double(), fc.string()),
        rows: fc.oneof(
          fc.array(fc.string({ unit: fc.constantFrom("#", "_", "O", "X", "P", "√", "S", "?") }), { maxLength: 5 }),
          fc.anything(),
        ),
        actions: fc.oneof(fc.array(fc.constantFrom("Up", "Down", "Left", "Right", "up")), fc.anything()),
        labels: fc.oneof(
          labels.map((l) => [...l]),
          fc.anything(),
        ),
        text: fc.oneof(text, fc.anything()),
        prompt: fc.oneof(text, fc.integer()),
        response: text,
        answerId: fc.integer({ min: -1, max: 6 }),
        row: fc.integer({ min: -2, max: 10_000 }),
        maxSteps: fc.integer({ min: -1, max: 50 }),
      },
      { requiredKeys: ["op"] },
    );
    fc.assert(
      fc.property(req, (r) => {
        try {
          expect(sokobanBatch(r as Record<string, unknown>).ok).toBe(true);
        } catch (e) {
          expect((e as { code?: string }).code, String(e)).toBe(BAD_REQUEST);
        }
      }),
      { ...opts, numRuns: 500 },
    );
  });
});
