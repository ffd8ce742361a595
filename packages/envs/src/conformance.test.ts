/**
 * One conformance suite over every registered env (docs/conventions.md#one-environment-interface): deterministic
 * generation, the solver's answer (answer-only and CoT) verifies, garbage scores no success and
 * never throws, state hashes ignore the prompt wording, the evaluation description and episode
 * agree with `generate`, `show` and bad `env batch` requests behave. Shortcut-probe ("fake") settings are
 * expected to fail the prompt-following solver by design.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { envRef, getEnv, listEnvs } from "./index.js";

const KEYS = [0, 1, 7, 123, 200];

describe.each(listEnvs().map((e) => [e.id, e] as const))("env %s", (_id, env) => {
  it("is registered under its id with a version", () => {
    expect(getEnv(env.id)).toBe(env);
    expect(envRef(env)).toMatch(/^[a-z-]+@\d+$/);
    expect(env.settings.length).toBeGreaterThan(3);
  });

  for (const setting of env.settings) {
    it(`setting ${setting}: same key gives a byte-identical item; solver answers ${setting.includes("fake") ? "fail (shortcut probe)" : "verify"}`, () => {
      for (const key of KEYS) {
        const a = env.generate(setting, key);
        const b = env.generate(setting, key);
        expect(JSON.stringify(a)).toBe(JSON.stringify(b));
        expect(a.env).toBe(env.id);
        expect(a.setting).toBe(setting);
        expect(a.prompt.length).toBeGreaterThan(50);
        const solver = env.score(a, env.solverCompletion(a));
        const cot = env.score(a, env.cotCompletion(a));
        if (setting.includes("fake")) {
          expect(solver.success).toBe(false);
        } else {
          expect(solver, `${setting}/${key}`).toMatchObject({ success: true, valid: true, reason: null });
          expect(cot, `${setting}/${key} (CoT)`).toMatchObject({ success: true, reason: null });
        }
        expect(env.stateHash(a)).toBe(env.stateHash(b));
        expect(Object.values(env.difficulty(a)).every((v) => Number.isFinite(v))).toBe(true);
      }
    });
  }

  it("scores garbage as no success, with a reason, and never throws", () => {
    const item = env.generate(env.settings[1] ?? env.settings[0]!, 3);
    for (const junk of ["", "   ", "<answer></answer>", "<answer>", "I don't know", "\u0000\uffff", "<answer>".repeat(1000)]) {
      const s = env.score(item, junk);
      expect(s.success).toBe(false);
      expect(s.reason).not.toBeNull();
    }
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const s = env.score(item, text);
        return typeof s.reward === "number" && typeof s.success === "boolean";
      }),
      { numRuns: 300 },
    );
  });

  it("hashes states, not prompts: different items differ, the hash is not the prompt's", () => {
    const hashes = new Set(KEYS.map((k) => env.stateHash(env.generate(env.settings.find((s) => s !== "train") ?? env.settings[0]!, k))));
    expect(hashes.size).toBeGreaterThan(1);
  });

  it("describes its evaluation: splits it can generate, the paper's columns first, a template, sampling, a cap", () => {
    for (const split of env.evalSplits) expect(env.settings).toContain(split);
    expect(env.evalSplits.slice(0, env.paperSplits.length)).toEqual([...env.paperSplits]);
    expect(["raw", "chat"]).toContain(env.template);
    expect(env.sampling.n).toBe(1);
    expect(env.maxEvalItems).toBeGreaterThan(0);
    expect(env.aliases).not.toContain(env.id);
  });

  it("plays an evaluation episode from the generated item: the first prompt is the item's; garbage never succeeds", () => {
    for (const split of env.evalSplits) {
      const key = env.firstKey(split);
      const ep = env.episode(split, key);
      expect(ep.turn).toBe(0);
      expect(ep.prompt(), `${split}/${key}`).toBe(env.generate(split, key).prompt);
      expect(Number.isFinite(ep.interrupted().reward)).toBe(true);
      while (!ep.done) {
        const t = ep.act("I don't know");
        expect(t).toMatchObject({ valid: false, actionId: null });
        expect(t.reason).not.toBeNull();
      }
      const end = ep.end();
      expect(end).toMatchObject({ success: false, validity: 0 });
      expect(end.reason).not.toBeNull();
    }
  });

  it("shows an item the same way every time, and answers a bad `env batch` request with a coded error", () => {
    const split = env.evalSplits[0]!;
    const key = env.firstKey(split);
    const view = env.show(split, key);
    expect(view.split("\n").length).toBeGreaterThan(3);
    expect(env.show(split, key)).toBe(view);
    let code: unknown = null;
    try {
      env.batch({ op: "no-such-op", env: env.id });
    } catch (e) {
      code = (e as { code?: unknown }).code;
    }
    expect(code).toMatch(/^TY_ERR_ENV_/);
  });
});
