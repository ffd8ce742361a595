import { describe, expect, it } from "vitest";
import { BAD_REQUEST, sokobanBatch } from "./batch-ops.js";

const LEVEL_42 = ["######", "#PX_O#", "#____#", "######", "######", "######"];

function badRequest(req: Record<string, unknown>, field: RegExp): void {
  let err: unknown;
  try {
    sokobanBatch(req);
  } catch (e) {
    err = e;
  }
  expect(err, JSON.stringify(req)).toBeInstanceOf(Error);
  expect((err as { code?: string }).code).toBe(BAD_REQUEST);
  expect((err as Error).message).toMatch(field);
}

describe("env batch ops", () => {
  it("generate: level, box count, BFS plan, exact eval prompt, fallback flag", () => {
    const r = sokobanBatch({ op: "generate", env: "sokoban", setting: "id", seed: 123 });
    expect(Object.keys(r).sort()).toEqual(["fallback", "numBoxes", "ok", "optimal", "prompt", "rows"]);
    expect(r).toMatchObject({
      ok: true,
      rows: ["######", "######", "#O####", "#XP###", "#__###", "######"],
      numBoxes: 1,
      optimal: ["Down", "Left", "Up"],
      fallback: false,
    });
    expect(r.prompt).toHaveLength(803);
    expect(r.prompt as string).toMatch(/Decide the next action:\\\n/);
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
    expect(sokobanBatch({ op: "generate", env: "sokoban", setting: "two-boxes", seed: 452 })).toMatchObject({
      numBoxes: 2,
      fallback: true,
    });
    expect(sokobanBatch({ op: "generate", env: "sokoban", setting: "train", seed: 42 })).toMatchObject({
      rows: LEVEL_42,
      optimal: ["Right", "Right"],
    });
    expect((sokobanBatch({ op: "generate", env: "sokoban", setting: "num", seed: 623 }).prompt as string).length).toBe(841);
  });

  it("solve: BFS plan; empty when solved or unsolvable within 30", () => {
    expect(sokobanBatch({ op: "solve", env: "sokoban", rows: LEVEL_42 })).toEqual({
      ok: true,
      actions: ["Right", "Right"],
      solvable: true,
    });
    expect(sokobanBatch({ op: "solve", env: "sokoban", rows: ["#####", "#P_√#", "#####"] })).toEqual({
      ok: true,
      actions: [],
      solvable: true,
    });
    expect(sokobanBatch({ op: "solve", env: "sokoban", rows: ["#####", "#X_O#", "#P__#", "#####"] })).toEqual({
      ok: true,
      actions: [],
      solvable: false,
    });
  });

  it("step: gym dynamics, stops when done", () => {
    expect(
      sokobanBatch({ op: "step", env: "sokoban", rows: LEVEL_42, actions: ["Down", "Up", "Right", "Right", "Right"], maxSteps: 30 }),
    ).toEqual({
      ok: true,
      rows: ["######", "#__P√#", "#____#", "######", "######", "######"],
      rewards: [-0.1, -0.1, -0.1, 10.9],
      done: true,
      success: true,
      steps: 4,
    });
    expect(sokobanBatch({ op: "step", env: "sokoban", rows: LEVEL_42, actions: ["Left", "Left"], maxSteps: 2 })).toMatchObject({
      rewards: [-0.1, -0.1],
      done: true,
      success: false,
      steps: 2,
    });
    expect(sokobanBatch({ op: "step", env: "sokoban", rows: LEVEL_42, actions: [] })).toMatchObject({
      rows: LEVEL_42,
      steps: 0,
      done: false,
    });
  });

  it("parse: evaluation parser over the given labels", () => {
    expect(sokobanBatch({ op: "parse", env: "sokoban", labels: ["A", "B", "C", "D"], text: "... <answer> c </answer>" })).toEqual({
      ok: true,
      actionId: 3,
    });
    expect(sokobanBatch({ op: "parse", env: "sokoban", labels: ["A", "B", "C", "D"], text: "<answer>Left</answer>" })).toEqual({
      ok: true,
      actionId: null,
    });
  });

  it("reward: RL reward on prompt + response", () => {
    const prompt = sokobanBatch({ op: "generate", env: "sokoban", setting: "train", seed: 42 }).prompt as string;
    expect(sokobanBatch({ op: "reward", env: "sokoban", prompt, response: "</think> <answer> Right </answer>", answerId: 4 })).toEqual({
      ok: true,
      reward: 1,
    });
    expect(sokobanBatch({ op: "reward", env: "sokoban", prompt, response: "</think> <answer> Left </answer>", answerId: 4 })).toEqual({
      ok: true,
      reward: 0,
    });
  });

  it("vocabulary: the diverse labels of a row", () => {
    expect(sokobanBatch({ op: "vocabulary", row: 0 })).toEqual({ ok: true, labels: ["tree", "fix", "jade", "freedom"] });
    expect(sokobanBatch({ op: "vocabulary", env: "sokoban", row: 4 })).toEqual({ ok: true, labels: ["lime", "turtle", "lion", "glass"] });
  });

  it("rejects bad requests with TY_ERR_ENV_BAD_REQUEST naming the field", () => {
    badRequest({ op: "fly", env: "sokoban" }, /"op"/);
    badRequest({ env: "sokoban" }, /"op"/);
    badRequest({ op: "generate", env: "gp", setting: "id", seed: 1 }, /"env"/);
    badRequest({ op: "generate", setting: "id", seed: 1 }, /"env"/);
    badRequest({ op: "generate", env: "sokoban", setting: "nope", seed: 1 }, /"setting"/);
    badRequest({ op: "generate", env: "sokoban", seed: 1 }, /"setting"/);
    badRequest({ op: "generate", env: "sokoban", setting: "id", seed: -1 }, /"seed"/);
    badRequest({ op: "generate", env: "sokoban", setting: "id", seed: 1.5 }, /"seed"/);
    badRequest({ op: "generate", env: "sokoban", setting: "id", seed: "1" }, /"seed"/);
    badRequest({ op: "generate", env: "sokoban", setting: "id", seed: 2 ** 32 }, /"seed"/);
    badRequest({ op: "solve", env: "sokoban", rows: "######" }, /"rows"/);
    badRequest({ op: "solve", env: "sokoban", rows: [] }, /"rows"/);
    badRequest({ op: "solve", env: "sokoban", rows: ["###", "#P"] }, /"rows".*row 1/);
    badRequest({ op: "solve", env: "sokoban", rows: ["#Q#"] }, /"rows".*unknown symbol/);
    badRequest({ op: "solve", env: "sokoban", rows: ["PP"] }, /"rows".*one player/);
    badRequest({ op: "step", env: "sokoban", rows: LEVEL_42, actions: ["up"] }, /"actions\[0\]"/);
    badRequest({ op: "step", env: "sokoban", rows: LEVEL_42, actions: "Up" }, /"actions"/);
    badRequest({ op: "step", env: "sokoban", rows: LEVEL_42, actions: [], maxSteps: 0 }, /"maxSteps"/);
    badRequest({ op: "parse", env: "sokoban", labels: ["A", "B", "C"], text: "" }, /"labels"/);
    badRequest({ op: "parse", env: "sokoban", labels: ["A", "B", "C", "D"] }, /"text"/);
    badRequest({ op: "reward", env: "sokoban", prompt: "", response: "", answerId: 5 }, /"answerId"/);
    badRequest({ op: "reward", env: "sokoban", prompt: 1, response: "", answerId: 1 }, /"prompt"/);
    badRequest({ op: "vocabulary", row: -1 }, /"row"/);
    badRequest({ op: "vocabulary", env: "x", row: 0 }, /"env"/);
  });
});
