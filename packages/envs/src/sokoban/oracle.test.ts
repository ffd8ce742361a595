import { describe, expect, it } from "vitest";
import { parseRows } from "./board.js";
import { SokobanEpisode } from "./episode.js";
import { generateItem } from "./items.js";
import { promptActionMapping } from "./parse.js";
import { BASE_LABELS } from "./prompts.js";
import { PAPER_EVAL_SETTINGS, SETTINGS, settingSeeds } from "./settings.js";
import { solve } from "./solver.js";

type Policy = (prompt: string, rows: string[]) => string;

/** BFS on the current board, answered with the label the prompt itself lists for that action. */
const promptOracle: Policy = (prompt, rows) => {
  const id = solve(parseRows(rows))[0] ?? 1;
  const table = promptActionMapping(prompt);
  const label = table ? [...table].find(([, v]) => v === id)?.[0] : BASE_LABELS[id - 1];
  return `I follow the shortest plan. </think> <answer> ${label} </answer>`;
};

/** BFS on the current board, always answered with the training words Up/Down/Left/Right. */
const baseOracle: Policy = (_prompt, rows) => `</think> <answer> ${BASE_LABELS[(solve(parseRows(rows))[0] ?? 1) - 1]} </answer>`;

function evaluate(setting: string, policy: Policy): { success: number; validity: number } {
  let success = 0;
  let validity = 0;
  const seeds = settingSeeds(setting);
  for (const seed of seeds) {
    const ep = SokobanEpisode.fromSeed(setting, seed);
    while (!ep.done) ep.act(policy(ep.prompt(), ep.rows()));
    if (ep.success) success++;
    validity += ep.validity;
  }
  return { success: success / seeds.length, validity: validity / seeds.length };
}

describe("oracle checks (docs/paper.md#oracle-checks), played turn by turn through SokobanEpisode", () => {
  it.each(PAPER_EVAL_SETTINGS)("%s", (setting) => {
    const follows = evaluate(setting, promptOracle);
    const frozen = evaluate(setting, baseOracle);
    // Following the prompt's own vocabulary solves everything except Fake.
    expect(follows.success).toBe(setting === "fake" ? 0 : 1);
    expect(follows.validity).toBe(setting === "fake" ? 0 : 1);
    // Always answering Up/Down/Left/Right: 1.0 on ID/Large/TwoBoxes/Complex/Fake, 0 on Alpha/Num/Rand.
    const instruction = ["alpha", "num", "rand"].includes(setting);
    expect(frozen.success).toBe(instruction ? 0 : 1);
    expect(frozen.validity).toBe(instruction ? 0 : 1);
  });

  it.each(["cardinal", "emoji", "empty", "fake-cardinal", "fake-emoji"])("extra variant %s", (setting) => {
    const fake = setting.startsWith("fake");
    expect(evaluate(setting, promptOracle).success).toBe(fake ? 0 : 1);
    expect(evaluate(setting, baseOracle).success).toBe(fake || setting === "empty" ? 1 : 0);
  });
});

describe("evaluation sets' difficulty (docs/sokoban-rules.md#evaluation-difficulty)", () => {
  it.each(Object.keys(SETTINGS).filter((s) => SETTINGS[s]!.expected))("%s", (name) => {
    const s = SETTINGS[name]!;
    const lengths = settingSeeds(s).map((seed) => generateItem(name, seed).optimal.length);
    const mean = lengths.reduce((a, b) => a + b, 0) / lengths.length;
    expect(Number(mean.toFixed(name === "train" ? 3 : 2))).toBe(s.expected!.meanOptimal);
    expect(Math.max(...lengths)).toBe(s.expected!.maxOptimal);
    expect(Math.min(...lengths)).toBeGreaterThan(0); // all solvable within 30 moves
  });
});

describe("episode rules (docs/sokoban-rules.md#evaluation-parser)", () => {
  it("invalid turns execute nothing and show the same board again", () => {
    const ep = SokobanEpisode.fromSeed("alpha", 723);
    const before = ep.prompt();
    const r = ep.act("</think> <answer> Up </answer>"); // a training word, unknown to Alpha
    expect(r).toMatchObject({ valid: false, actionId: null, reward: -0.1, done: false });
    expect(ep.steps).toBe(0);
    expect(ep.prompt()).toBe(before);
    expect(ep.act("<answer> b </answer>")).toMatchObject({ valid: true, actionId: 2 });
    expect(ep.steps).toBe(1);
    expect(ep.validity).toBe(0.5);
  });

  it("stops after 30 turns even when no step was executed", () => {
    const ep = SokobanEpisode.fromSeed("id", 123);
    let turns = 0;
    while (!ep.done) {
      ep.act("no answer");
      turns++;
    }
    expect(turns).toBe(30);
    expect(ep).toMatchObject({ success: false, steps: 0, validTurns: 0 });
    expect(() => ep.act("<answer>Up</answer>")).toThrow(/over/);
  });

  it("stops after 30 executed steps", () => {
    const ep = SokobanEpisode.fromSeed("id", 123);
    while (!ep.done) ep.act("<answer>Right</answer>"); // walks into a wall forever
    expect(ep.steps).toBe(30);
    expect(ep.turns).toBe(30);
    expect(ep.success).toBe(false);
  });

  it("rebuilds the prompt from the current board each turn", () => {
    const ep = SokobanEpisode.fromSeed("num", 623);
    const first = ep.prompt();
    ep.act(promptOracle(first, ep.rows()));
    expect(ep.prompt()).not.toBe(first);
    expect(ep.prompt()).toContain("where 1 is Up, 2 is Down, 3 is Left, 4 is Right.");
    expect(
      ep
        .prompt()
        .endsWith(
          "Decide the next action:\\\nAlways output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra text. Strictly follow this format. <|im_end|>\n<|im_start|>assistant\n<think>",
        ),
    ).toBe(true);
  });
});
