import { describe, expect, it } from "vitest";
import type { Labels } from "./prompts.js";
import { renderObservation } from "./board.js";
import { generateLevel } from "./generator.js";
import { parseEvalAction, parseEvalDetailed, promptActionMapping, rlReward, rlRewardDetail, tokenToId } from "./parse.js";
import { VOCABULARIES, evalPrompt, trainPrompt, vocabulary, wordVocabulary } from "./prompts.js";

const obs = renderObservation(generateLevel({ rows: 6, cols: 6, numBoxes: 1 }, 42).level);
const PROMPTS: Record<string, string> = {
  train: trainPrompt(obs),
  words0: trainPrompt(obs, wordVocabulary(vocabulary(0))),
  dup: trainPrompt(obs, wordVocabulary(vocabulary(2209))),
  empty: evalPrompt(obs, VOCABULARIES.empty),
  rand: evalPrompt(obs, VOCABULARIES.random),
  num: evalPrompt(obs, VOCABULARIES.numerical),
};

// Expected values were printed by the reference code itself: debunk ctx_manager._parse_response
// (enable_think=False) + es_manager._extract_map_valid_actions for the evaluation parser, and
// utils/reward_score/sokoban.py::compute_score_with_action_sequence_and_diverse_prompt (scored
// text = prompt + response) for the RL reward.
const EVAL_CASES: [string, string[], number | null][] = [
  ["<think>x</think> <answer>Up</answer>", ["Up", "Down", "Left", "Right"], 1],
  [" <answer> up </answer>", ["Up", "Down", "Left", "Right"], 1],
  ["<answer>UP</answer>", ["Up", "Down", "Left", "Right"], 1],
  ["<answer>Up.</answer>", ["Up", "Down", "Left", "Right"], null],
  ["<answer>Up, Right</answer>", ["Up", "Down", "Left", "Right"], null],
  ["<answer>1</answer>", ["Up", "Down", "Left", "Right"], null],
  ["<answer>\nLeft\n</answer>", ["Up", "Down", "Left", "Right"], 3],
  ["<answer>Down</answer><answer>Up</answer>", ["Up", "Down", "Left", "Right"], 2],
  ["no tags at all", ["Up", "Down", "Left", "Right"], null],
  ["<answer>\u00a0Right\u3000</answer>", ["Up", "Down", "Left", "Right"], 4],
  ["<answer>\ufeffRight</answer>", ["Up", "Down", "Left", "Right"], null],
  ["<answer>\u001cDown\u0085</answer>", ["Up", "Down", "Left", "Right"], 2],
  ["<answer><think>Up</think></answer>", ["Up", "Down", "Left", "Right"], 1],
  ["<answer><|im_<think>start|>Up</answer>", ["Up", "Down", "Left", "Right"], 1],
  ["<answer><ans<answer>wer>Up</answer>", ["Up", "Down", "Left", "Right"], null],
  ["<answer>1</answer>", ["*", "&", "1", "M"], 3],
  ["<answer>m</answer>", ["*", "&", "1", "M"], 4],
  ["<answer>1</answer>", ["1", "2", "3", "4"], 1],
  ["<answer> b </answer>", ["A", "B", "C", "D"], 2],
  ["<answer>➡\ufe0f</answer>", ["⬆\ufe0f", "⬇\ufe0f", "⬅\ufe0f", "➡\ufe0f"], 4],
  ["<answer>➡</answer>", ["⬆\ufe0f", "⬇\ufe0f", "⬅\ufe0f", "➡\ufe0f"], null],
  ["<answer>mouse</answer>", ["hawk", "mouse", "glory", "mouse"], 4],
  ["<answer>Up</answer", ["Up", "Down", "Left", "Right"], null],
  ["<answer>Up</answer>", ["North", "South", "West", "East"], null],
  ["<answer>up<|im_end|></answer>", ["Up", "Down", "Left", "Right"], 1],
];

const REWARD_CASES: [string, string, number, number][] = [
  ["train", "</think> <answer> Right </answer>\n", 4, 1],
  ["train", "</think> <answer> right </answer>", 4, 1],
  ["train", "</think> <answer> 4 </answer>", 4, 1],
  ["train", "</think> <answer> 4(right) </answer>", 4, 1],
  ["train", "</think> <answer> 1(right) </answer>", 4, 0],
  ["train", "</think> <answer> 1(right) </answer>", 1, 1],
  ["train", "</think> <answer> Right, Up </answer>", 4, 1],
  ["train", "</think> <answer> Up, Right </answer>", 4, 0],
  ["train", "</think> <answer> Right </answer> <answer> Up </answer>", 4, 0],
  ["train", "<think> again </think> <answer> Right </answer>", 4, 0],
  ["train", "</think> <answer>\nRight </answer>", 4, 0],
  ["train", "</think> <answer> Right </answer> <action> Up </action>", 4, 0],
  ["train", "</think> <answer> Right </answer> <action> Up </action>", 1, 1],
  ["train", " Assistant: </think> <answer> Right </answer>", 4, 0],
  ["train", "</think> <answer> Right. </answer>", 4, 0],
  ["words0", "</think> <answer> freedom </answer>\n", 4, 1],
  ["words0", "</think> <answer> Right </answer>", 4, 0],
  ["words0", "</think> <answer> 4 </answer>", 4, 1],
  ["words0", "</think> <answer> FREEDOM;tree </answer>", 4, 1],
  ["dup", "</think> <answer> mouse </answer>", 4, 1],
  ["dup", "</think> <answer> mouse </answer>", 2, 0],
  ["empty", "</think> <answer> Right </answer>", 4, 0],
  ["rand", "</think> <answer> 1 </answer>", 3, 1],
  ["rand", "</think> <answer> 1 </answer>", 1, 0],
  ["rand", "</think> <answer> 3(1) </answer>", 3, 1],
  ["num", "</think> <answer> 2 </answer>", 2, 1],
  ["train", "</think><answer>\u00a0Right\u00a0</answer>", 4, 1],
  ["train", "</think> <answer> Right\r </answer>", 4, 1],
  ["train", "</think> <answer>  </answer>", 4, 0],
  ["train", "</think> <answer></answer>", 4, 0],
  ["train", "</think> <answer> Right </answer><|im_end|>", 4, 1],
  ["train", "</think> <answer> \ufeffRight </answer>", 4, 0],
  ["train", "</think>   <answer>Right</answer> trailing text", 4, 1],
];

describe("evaluation parser (docs/sokoban-rules.md#evaluation-parser)", () => {
  it.each(EVAL_CASES)("%j with %j -> %j", (text, labels, expected) => {
    expect(parseEvalAction(text, labels as unknown as Labels)).toBe(expected);
  });

  it("tells a missing answer from an unknown label", () => {
    const base = VOCABULARIES.base.labels;
    expect(parseEvalDetailed("thinking only", base)).toEqual({ kind: "no_answer" });
    expect(parseEvalDetailed("<answer> 1 </answer>", base)).toEqual({ kind: "unknown_label", label: "1" });
    expect(parseEvalDetailed("<answer> LEFT </answer>", base)).toEqual({ kind: "ok", label: "LEFT", actionId: 3 });
  });
});

describe("single-step RL reward (docs/sokoban-rules.md#single-step-reward)", () => {
  it.each(REWARD_CASES)("prompt %s, response %j, answer %i -> %i", (prompt, response, answerId, expected) => {
    expect(rlReward(PROMPTS[prompt]!, response, answerId)).toBe(expected);
  });

  it("reads the label table from the prompt's first Answers block (later duplicate wins)", () => {
    expect([...promptActionMapping(PROMPTS.words0!)!]).toEqual([
      ["tree", 1],
      ["fix", 2],
      ["jade", 3],
      ["freedom", 4],
    ]);
    expect([...promptActionMapping(PROMPTS.dup!)!]).toEqual([
      ["hawk", 1],
      ["mouse", 4],
      ["glory", 3],
    ]);
    expect(promptActionMapping(PROMPTS.empty!)).toBeNull();
  });

  it("maps tokens by n(label), then label, then bare digit", () => {
    const m = promptActionMapping(PROMPTS.rand!)!;
    expect(tokenToId("1", m)).toBe(3);
    expect(tokenToId("2(*)", m)).toBe(2);
    expect(tokenToId("m", m)).toBe(4);
    expect(tokenToId("4", m)).toBe(4);
    expect(tokenToId("5", m)).toBe(0);
    // The reference's alternation order holds across labels: n(label) for a later label beats an
    // earlier label matched whole, and a label beats a bare digit.
    const tricky = new Map([
      ["2 (x)", 4],
      ["X", 3],
      ["1", 2],
    ]);
    expect(tokenToId("2 (x)", tricky)).toBe(2);
    expect(tokenToId("x", tricky)).toBe(3);
    expect(tokenToId("1", tricky)).toBe(2);
    expect(tokenToId("4 ( X )", tricky)).toBe(0);
    expect(tokenToId("3", new Map())).toBe(3);
  });

  it("explains failures with the shared taxonomy", () => {
    const p = PROMPTS.train!;
    expect(rlRewardDetail(p, "</think> <answer> Right </answer>", 4)).toMatchObject({ reward: 1, valid: true, reason: null });
    expect(rlRewardDetail(p, "<answer> Right </answer>", 4)).toMatchObject({ reward: 0, reason: "format" }); // no </think>
    expect(rlRewardDetail(p, "</think> Right", 4)).toMatchObject({ reward: 0, reason: "format" });
    expect(rlRewardDetail(p, "</think> <answer> Rightward </answer>", 4)).toMatchObject({ reason: "unknown_label", valid: false });
    expect(rlRewardDetail(p, "</think> <answer> Up </answer>", 4)).toMatchObject({ reason: "wrong_action", valid: true, firstId: 1 });
    expect(rlRewardDetail("no marker", "</think> <answer> Up </answer>", 1)).toMatchObject({ reason: "format" });
  });
});
