import { describe, expect, it } from "vitest";
import { DIVERSE_MAPPINGS, FACE_CARD_MAPPINGS, LEGACY_RULE_ALL_10, rankToString, rankValue, ruleMessage } from "./cards.js";
import { renderAnswer, renderPrompt } from "./prompt.js";
import { generateTask } from "./generate.js";

describe("cards and face-card mappings (docs/gp-rules.md#cards-and-values)", () => {
  it("maps ranks to the strings shown to the model", () => {
    expect([1, 2, 9, 10, 11, 12, 13, 14, 19].map(rankToString)).toEqual(["A", "2", "9", "10", "J", "Q", "K", "14", "19"]);
  });

  it("defines all 23 mappings of the reference with their J/Q/K values", () => {
    expect(Object.keys(FACE_CARD_MAPPINGS)).toHaveLength(23);
    expect(FACE_CARD_MAPPINGS.mixed_11_12_13).toEqual({ J: 11, Q: 12, K: 13 });
    expect(FACE_CARD_MAPPINGS.low_range_5_7_9).toEqual({ J: 5, Q: 7, K: 9 });
    expect(FACE_CARD_MAPPINGS.skip_6_8_10).toEqual({ J: 6, Q: 8, K: 10 });
    expect(FACE_CARD_MAPPINGS.mid_range_8_10_12).toEqual({ J: 8, Q: 10, K: 12 });
  });

  it("uses the 8 diverse-training rules, all face values within 5..10", () => {
    expect(DIVERSE_MAPPINGS).toEqual([
      "all_8",
      "all_9",
      "all_10",
      "mixed_8_9_10",
      "sequential_7_8_9",
      "sequential_8_9_10",
      "low_range_5_7_9",
      "skip_6_8_10",
    ]);
    const faces = DIVERSE_MAPPINGS.flatMap((m) => Object.values(FACE_CARD_MAPPINGS[m]));
    expect(Math.min(...faces)).toBe(5);
    expect(Math.max(...faces)).toBe(10);
  });

  it("scores face cards as 10 in fake splits whatever the stated rule", () => {
    expect([11, 12, 13, 1, 7].map((r) => rankValue(r, FACE_CARD_MAPPINGS.all_5, true))).toEqual([10, 10, 10, 1, 7]);
    expect([11, 12, 13].map((r) => rankValue(r, FACE_CARD_MAPPINGS.mixed_11_12_13))).toEqual([11, 12, 13]);
  });

  it("words the rule as the generators do, including the legacy wording", () => {
    expect(ruleMessage(FACE_CARD_MAPPINGS.all_5)).toBe("'J', 'Q', and 'K' all count as '5'");
    expect(ruleMessage(FACE_CARD_MAPPINGS.mixed_11_12_13)).toBe("'J' counts as '11', 'Q' counts as '12', and 'K' counts as '13'");
    expect(LEGACY_RULE_ALL_10).toBe("'J', 'Q', and 'K' count as '10'");
  });
});

const ID0 = `
[Task Description]
You are an expert 24 points card game player. You will receive a set of 4 cards.
Note that 'J', 'Q', and 'K' all count as '10', and each card must be used once.
Your goal is to output a formula that evaluates to 24 using numbers from the cards and operators such as '+', '-', '*', '/', '(', ')', and '='.

[Input]
Cards: ['2', '7', 'Q', '2']

[Output]
{
  "cards": [x, y, z, w], where 'J', 'Q', and 'K' all count as '10',
  "number": [a, b, c, d], where a, b, c, and d are the numbers on the cards,
  "formula": 'an equation that equals 24',
}

`;

describe("prompts (docs/prompts.md#gp-task-prompt), byte for byte", () => {
  it("renders the ID test prompt of task 0 (leading newline, closing brace + 2 newlines)", () => {
    expect(generateTask("id", 0).prompt).toBe(ID0);
  });

  it("ends diverse-training prompts with one newline", () => {
    const p = generateTask("train-diverse", 0).prompt;
    expect(p.startsWith("\n[Task Description]\n")).toBe(true);
    expect(p.endsWith("}\n")).toBe(true);
    expect(p.endsWith("}\n\n")).toBe(false);
    expect(p).toContain("Note that 'J', 'Q', and 'K' all count as '8', and each card must be used once.");
  });

  it("uses the legacy wording, stripped, for the frozen training split", () => {
    const p = generateTask("train-frozen", 0).prompt;
    expect(p.startsWith("[Task Description]\n")).toBe(true);
    expect(p.endsWith("'an equation that equals 24',\n}")).toBe(true);
    expect(p).toContain("Note that 'J', 'Q', and 'K' count as '10', and each card");
    expect(p).toContain(`"cards": [x, y, z, w], where 'J', 'Q', and 'K' count as '10',`);
  });

  it("says 5 cards for Five but keeps the four-long placeholders", () => {
    const p = generateTask("five", 0).prompt;
    expect(p).toContain("You will receive a set of 5 cards.");
    expect(p).toContain("Cards: ['Q', 'A', 'J', '5', '2']");
    expect(p).toContain('"cards": [x, y, z, w], where');
    expect(p).toContain('"number": [a, b, c, d], where a, b, c, and d are');
  });

  it("prints the 11/12/13 rule in the Fake prompt while scoring with 10", () => {
    const t = generateTask("fake", 0);
    expect(t.prompt).toContain("Note that 'J' counts as '11', 'Q' counts as '12', and 'K' counts as '13', and each card");
    expect(t.values).toEqual([2, 7, 10, 2]);
    expect(t.promptValues).toEqual([2, 7, 12, 2]);
  });

  it("renders the answer-only target exactly (docs/gp-rules.md#answer-format)", () => {
    expect(renderAnswer(["2", "7", "Q", "2"], [2, 7, 10, 2], "(10/2+7)*2")).toBe(
      '{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(10/2+7)*2"\n}',
    );
    expect(generateTask("id", 0).answer).toBe(renderAnswer(["2", "7", "Q", "2"], [2, 7, 10, 2], "(10/2+7)*2"));
  });

  it("differs between styles only in the framing newlines", () => {
    const body = renderPrompt("frozen", "R", ["A"]);
    expect(renderPrompt("test", "R", ["A"])).toBe(`\n${body}\n\n`);
    expect(renderPrompt("train", "R", ["A"])).toBe(`\n${body}\n`);
  });
});
