import { describe, expect, it } from "vitest";
import { envRef } from "../env.js";
import { showSokobanLevel, sokobanEnv } from "./index.js";
import { SETTING_NAMES, settingSeeds } from "./settings.js";

describe("sokobanEnv adapter", () => {
  it("identifies itself and lists every setting", () => {
    expect(envRef(sokobanEnv)).toBe("sokoban@1");
    expect([...sokobanEnv.settings]).toEqual(SETTING_NAMES);
    for (const s of [
      "train",
      "id",
      "alpha",
      "num",
      "rand",
      "large",
      "two-boxes",
      "complex",
      "fake",
      "cardinal",
      "emoji",
      "empty",
      "fake-cardinal",
      "fake-emoji",
    ]) {
      expect(sokobanEnv.settings).toContain(s);
    }
    expect(() => sokobanEnv.generate("nope", 1)).toThrow(/unknown Sokoban setting/);
  });

  it("generates byte-identical items for the same (setting, key)", () => {
    const a = sokobanEnv.generate("complex", 330);
    sokobanEnv.generate("id", 5);
    expect(sokobanEnv.generate("complex", 330)).toEqual(a);
    expect(a).toMatchObject({ env: "sokoban", setting: "complex", key: 330, fallback: false, numBoxes: 2 });
  });

  it("the solver's answer-only and CoT completions are correct single-step answers", () => {
    for (const setting of SETTING_NAMES) {
      for (const seed of settingSeeds(setting).slice(0, 15)) {
        const item = sokobanEnv.generate(setting, seed);
        const fake = setting.startsWith("fake");
        for (const completion of [sokobanEnv.solverCompletion(item), sokobanEnv.cotCompletion(item)]) {
          const s = sokobanEnv.score(item, completion);
          // On Fake the prompt's labels are not accepted by the env: following the prompt fails.
          expect(s, `${setting} ${seed}`).toEqual(
            fake
              ? { reward: 0, success: false, valid: false, reason: "unknown_label" }
              : { reward: 1, success: true, valid: true, reason: null },
          );
        }
      }
    }
  });

  it("scores with the failure taxonomy and never throws", () => {
    const train = sokobanEnv.generate("train", 42); // BFS: Right
    expect(sokobanEnv.score(train, "I push right.")).toMatchObject({ success: false, reason: "format" });
    expect(sokobanEnv.score(train, "</think> <answer> forward </answer>")).toMatchObject({ reason: "unknown_label", valid: false });
    expect(sokobanEnv.score(train, "</think> <answer> Left </answer>")).toMatchObject({ reason: "wrong_action", valid: true });
    const alpha = sokobanEnv.generate("alpha", 723);
    expect(sokobanEnv.score(alpha, "<answer>Right</answer>")).toMatchObject({ reason: "unknown_label" });
    const fake = sokobanEnv.generate("fake", 823);
    const word = ["Up", "Down", "Left", "Right"][fake.optimal[0]! - 1];
    expect(sokobanEnv.score(fake, `<answer>${word}</answer>`)).toMatchObject({ success: true, reward: 1 });
  });

  it("hashes the state, not the prompt: the reference's eval seeds overlap its training seeds", () => {
    const h = (s: string, k: number) => sokobanEnv.stateHash(sokobanEnv.generate(s, k));
    expect(h("id", 123)).toBe(h("train", 123));
    expect(h("alpha", 723)).toBe(h("train", 723));
    expect(h("num", 700)).toBe(h("rand", 700));
    expect(h("id", 123)).not.toBe(h("id", 124));
    expect(h("id", 123)).toMatch(/^[0-9a-f]{64}$/);
    const seeds = settingSeeds("id");
    expect(new Set(seeds.map((k) => h("id", k))).size).toBeGreaterThan(90);
  });

  it("reports difficulty statistics", () => {
    const d = sokobanEnv.difficulty(sokobanEnv.generate("two-boxes", 423));
    expect(d).toMatchObject({ optimalLength: 14, solvable: 1, numBoxes: 2, rows: 6, cols: 6, fallback: 0 });
    expect(d.floorCells).toBe(15);
    expect(sokobanEnv.difficulty(sokobanEnv.generate("two-boxes", 452)).fallback).toBe(1);
  });

  it("renders a human view of a level", () => {
    const text = showSokobanLevel("id", 123);
    expect(text).toContain("setting id (SimpleSokoban, 6×6, 1 box) · seed 123");
    expect(text).toContain("│ # X P # # # │");
    expect(text).toContain("BFS plan (3 moves): Down, Left, Up");
    expect(text).toContain("after plan: solved");
    expect(text).toContain("Decide the next action:\\");
    expect(showSokobanLevel("two-boxes", 452)).toContain("fallback seed");
  });
});
