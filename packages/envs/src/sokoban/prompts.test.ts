import { describe, expect, it } from "vitest";
import { renderObservation } from "./board.js";
import { generateLevel } from "./generator.js";
import { VOCABULARIES, WORD_POOL, actionSection, evalPrompt, trainPrompt, vocabulary, wordVocabulary } from "./prompts.js";

const obs42 = renderObservation(generateLevel({ rows: 6, cols: 6, numBoxes: 1 }, 42).level);
const obs223 = renderObservation(generateLevel({ rows: 10, cols: 10, numBoxes: 1 }, 223).level);

// The whole training prompt of seed 42, written out from docs/prompts.md#sokoban-instruction-body, docs/prompts.md#action-vocabularies.
const WALLS = " # \t # \t # \t # \t # \t # \t";
const TRAIN_42 = [
  "<|im_start|>user",
  "You are a Sokoban solver.",
  "",
  "Sokoban Quick Guide",
  "Goal: Push all boxes (X) onto targets (O).",
  "",
  "Symbols:",
  "# Wall | _ Floor | O Target | X Box | P You | √ = Box on Target | S = You on Target",
  "",
  "Rules:",
  "1. Push boxes (can't pull).",
  "2. Avoid walls (#).",
  "",
  "Answers:",
  "<answer> Up </answer> | <answer> Down </answer> | <answer> Left </answer> | <answer> Right </answer>",
  "",
  "Rewards:",
  "Move: -0.1",
  "Box on target: +1.0",
  "All boxes placed: +10.0",
  "",
  "",
  "[Current Observation]:",
  WALLS,
  " # \t P \t X \t _ \t O \t # \t",
  " # \t _ \t _ \t _ \t _ \t # \t",
  WALLS,
  WALLS,
  WALLS,
  "Decide the next action:",
  "Always output: <think> [Your thoughts] </think> <answer> [your answer] </answer> with no extra text. Strictly follow this format. <|im_end|>",
  "<|im_start|>assistant",
  "<think>",
].join("\n");

describe("prompts, byte for byte", () => {
  it("training prompt of seed 42 is the 802-character frozen template", () => {
    expect(trainPrompt(obs42)).toBe(TRAIN_42);
    expect(TRAIN_42).toHaveLength(802);
  });

  it("evaluation prompts keep the env's stray backslash after 'Decide the next action:'", () => {
    const p = evalPrompt(obs42, VOCABULARIES.base);
    expect(p).toBe(TRAIN_42.replace("Decide the next action:\n", "Decide the next action:\\\n"));
    expect(p).toHaveLength(803);
    expect(evalPrompt(obs223, VOCABULARIES.base)).toHaveLength(1063);
    for (const v of [VOCABULARIES.numerical, VOCABULARIES.alphabetical, VOCABULARIES.random]) {
      expect(evalPrompt(obs42, v)).toHaveLength(841);
    }
  });

  it("action sections equal the reference env's ACTION_SECTIONS strings", () => {
    const tags = (a: string, b: string, c: string, d: string) =>
      `Answers:\n<answer> ${a} </answer> | <answer> ${b} </answer> | <answer> ${c} </answer> | <answer> ${d} </answer>`;
    expect(actionSection(VOCABULARIES.base)).toBe(tags("Up", "Down", "Left", "Right"));
    expect(actionSection(VOCABULARIES.cardinal)).toBe(tags("North", "South", "West", "East"));
    expect(actionSection(VOCABULARIES.emoji)).toBe(tags("⬆️", "⬇️", "⬅️", "➡️"));
    expect(actionSection(VOCABULARIES.numerical)).toBe(`${tags("1", "2", "3", "4")}\nwhere 1 is Up, 2 is Down, 3 is Left, 4 is Right.`);
    expect(actionSection(VOCABULARIES.alphabetical)).toBe(`${tags("A", "B", "C", "D")}\nwhere A is Up, B is Down, C is Left, D is Right.`);
    expect(actionSection(VOCABULARIES.random)).toBe(`${tags("*", "&", "1", "M")}\nwhere * is Up, & is Down, 1 is Left, M is Right.`);
    // Empty variant: three empty lines between the rules and `Rewards:`.
    expect(evalPrompt(obs42, VOCABULARIES.empty)).toContain("2. Avoid walls (#).\n\n\n\nRewards:");
    expect(VOCABULARIES.emoji.labels.map((l) => [...l].map((c) => c.codePointAt(0)!.toString(16)))).toEqual([
      ["2b06", "fe0f"],
      ["2b07", "fe0f"],
      ["2b05", "fe0f"],
      ["27a1", "fe0f"],
    ]);
  });
});

describe("diverse vocabulary", () => {
  it("rows 0-4 (docs/prompts.md#sokoban-prompt-diversity fixtures) and a few more printed by the reference builder", () => {
    expect(vocabulary(0)).toEqual(["tree", "fix", "jade", "freedom"]);
    expect(vocabulary(1)).toEqual(["eagle", "lime", "mountain", "butterfly"]);
    expect(vocabulary(2)).toEqual(["wonder", "island", "phone", "power"]);
    expect(vocabulary(3)).toEqual(["bottle", "desert", "copper", "blue"]);
    expect(vocabulary(4)).toEqual(["lime", "turtle", "lion", "glass"]);
    expect(vocabulary(999)).toEqual(["cry", "dream", "jump", "desert"]);
    expect(vocabulary(3981)).toEqual(["eagle", "bread", "banana", "shark"]);
    expect(vocabulary(100000)).toEqual(["paint", "rabbit", "glory", "speaker"]);
  });

  it("keeps the pool's duplicates, so rows 2209 and 3493 (only) repeat a word in 0..3999", () => {
    expect(WORD_POOL).toHaveLength(210);
    const counts = new Map<string, number>();
    for (const w of WORD_POOL) counts.set(w, (counts.get(w) ?? 0) + 1);
    expect(
      [...counts]
        .filter(([, n]) => n > 1)
        .map(([w]) => w)
        .sort(),
    ).toEqual(["fish", "lime", "mouse", "orange"]);
    expect(vocabulary(2209)).toEqual(["hawk", "mouse", "glory", "mouse"]);
    expect(vocabulary(3493)).toEqual(["lime", "lime", "honey", "table"]);
    const repeated: number[] = [];
    for (let r = 0; r < 4000; r++) if (new Set(vocabulary(r)).size < 4) repeated.push(r);
    expect(repeated).toEqual([2209, 3493]);
  });

  it("diverse row 0 prompt: only the Answers block changes (868 characters)", () => {
    const p = trainPrompt(obs42, wordVocabulary(vocabulary(0)));
    expect(p).toHaveLength(868);
    expect(p).toBe(
      TRAIN_42.replace(
        "<answer> Up </answer> | <answer> Down </answer> | <answer> Left </answer> | <answer> Right </answer>\n",
        "<answer> tree </answer> | <answer> fix </answer> | <answer> jade </answer> | <answer> freedom </answer>\nwhere tree is Up, fix is Down, jade is Left, freedom is Right.\n",
      ),
    );
    // The where line is skipped only when a label is a direction word (create_answers_block).
    expect(wordVocabulary(["Up", "cat", "dog", "owl"]).where).toBe(false);
    expect(wordVocabulary(["up", "cat", "dog", "owl"]).where).toBe(true);
  });
});
