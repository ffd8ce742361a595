import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { extractFormula, regexFormula } from "./extract.js";
import { gpReward, scoreFormula, verifyResponse, type GpReward } from "./verifier.js";
import { digitValue, ND_BLOCKS } from "./unicode-digits.js";
import { allSolutions, handFor } from "./solver.js";

const V = [2, 7, 10, 2];
const REF = '{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(10/2+7)*2"\n}';

describe("verifier: docs/gp-rules.md#verifier-fixtures fixtures [checked]", () => {
  const rows: [string, string, GpReward][] = [
    ["the reference object", REF, 5],
    [
      "<think> + object with spaces, =24 and a trailing comma",
      '<think>\nQ is 10.\n</think>\n\n{\n  "cards": ["2", "7", "Q", "2"],\n  "number": [2, 7, 10, 2],\n  "formula": "(10 / 2 + 7) * 2 = 24",\n}',
      5,
    ],
    ["regex route", '"formula": "2*(7+10/2)"', 5],
    ["whole response is JSON", '{"formula": "(10/2+7)*2"}', 5],
    ["=19", '"formula": "10/2+7*2"', -1],
    ["=21", '"formula": "10+7+2+2"', -1],
    ["unbalanced", '"formula": "((10/2+7)*2"', -1],
    ["12 not a card value", '"formula": "(12/2+7)*2"', -2],
    ["extra number", '"formula": "(10/2+7)*2*1"', -2],
    ["2 used too often", '"formula": "(10/2+7)*2+2-2"', -2],
    ["x operator", '"formula": "(10/2+7)x2"', -3],
    ["unary minus", '"formula": "-2+7*2+10+2"', -3],
    ["stray )", '"formula": "(10/2+7)*2)"', -3],
    ["single quotes → not found → None", "'formula': '(10/2+7)*2'", -3],
    ["no space after the colon", '"formula":"(10/2+7)*2"', -3],
  ];
  it.each(rows)("%s", (_name, response, reward) => {
    expect(verifyResponse(response, V).reward).toBe(reward);
    expect(verifyResponse(response, V, "exact").reward).toBe(reward);
  });
});

describe("verifier: float equality of the paper mode", () => {
  it("scores 8/(3-8/3) −1 in paper mode and +5 in exact mode", () => {
    const r = '{"formula": "8/(3-8/3)"}';
    expect(verifyResponse(r, [3, 3, 8, 8])).toEqual({ reward: -1, outcome: "wrong_value", mode: "paper" });
    expect(verifyResponse(r, [3, 3, 8, 8], "exact")).toEqual({ reward: 5, outcome: "correct", mode: "exact" });
  });

  it("keeps Python's exact ints: int/int is one correctly rounded division", () => {
    expect(scoreFormula("10*12/5", [10, 12, 5]).reward).toBe(5); // 120/5 = 24.0 exactly
    expect(scoreFormula("10/5*12", [10, 12, 5]).reward).toBe(5);
  });

  it("switches to arbitrary-precision ints when a product leaves 2^53 (values from env batch)", () => {
    const big = 2 ** 40;
    // 2^40 * 2^40 / 2^80 * 24: exact in Python ints, would round in doubles first.
    expect(scoreFormula(`${big}*${big}/${big}/${big}*24`, [big, big, big, big, 24]).reward).toBe(5);
    expect(scoreFormula(`(${big}*${big}+1-${big}*${big})*24`, [big, big, big, big, 1, 24]).reward).toBe(5);
    expect(scoreFormula(`(${big}*${big}+1-${big}*${big})*24`, [big, big, big, big, 1, 24], "exact").reward).toBe(5);
  });

  it("counts 68 float-rejected solver strings over 1..10 hands, (3,3,8,8) the only hand left with none [checked]", () => {
    let total = 0;
    let rejected = 0;
    const noneLeft: string[] = [];
    for (let a = 1; a <= 10; a++)
      for (let b = a; b <= 10; b++)
        for (let c = b; c <= 10; c++)
          for (let d = c; d <= 10; d++) {
            const sols = allSolutions(handFor([a, b, c, d]));
            let safe = 0;
            for (const s of sols) {
              if (scoreFormula(s, [a, b, c, d]).reward === 5) safe++;
              else rejected++;
              expect(scoreFormula(s, [a, b, c, d], "exact").reward).toBe(5);
            }
            total += sols.length;
            if (sols.length > 0 && safe === 0) noneLeft.push(`${a},${b},${c},${d}`);
          }
    expect(total).toBe(27387);
    expect(rejected).toBe(68);
    expect(noneLeft).toEqual(["3,3,8,8"]);
  });
});

// Each row was scored by the reference's score_gp_l_wo_sol (CPython 3.11); null = it crashed.
// Rows cover the quirks of docs/gp-rules.md#reference-behaviours: leading zeros, Unicode digits, NaN in JSON, TAB, trailing operator,
// first regex match, newline in the formula, JSON escapes, nesting limits, int-digit limits.
const QUIRKS: [string, string, number[], number | "crash"][] = [
  ["reference object", '{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(10/2+7)*2"\n}', [2, 7, 10, 2], 5],
  [
    "think + trailing comma + spaces + =24",
    '<think>\nQ is 10.\n</think>\n\n{\n  "cards": ["2", "7", "Q", "2"],\n  "number": [2, 7, 10, 2],\n  "formula": "(10 / 2 + 7) * 2 = 24",\n}',
    [2, 7, 10, 2],
    5,
  ],
  ["regex only", 'answer: "formula": "2*(7+10/2)"', [2, 7, 10, 2], 5],
  ["whole JSON", '{"formula": "(10/2+7)*2"}', [2, 7, 10, 2], 5],
  ["=19", '"formula": "10/2+7*2"', [2, 7, 10, 2], -1],
  ["=21", '"formula": "10+7+2+2"', [2, 7, 10, 2], -1],
  ["unbalanced open", '"formula": "((10/2+7)*2"', [2, 7, 10, 2], -1],
  ["12 not a value", '"formula": "(12/2+7)*2"', [2, 7, 10, 2], -2],
  ["extra number", '"formula": "(10/2+7)*2*1"', [2, 7, 10, 2], -2],
  ["2 used too often", '"formula": "(10/2+7)*2+2-2"', [2, 7, 10, 2], -2],
  ["x operator", '"formula": "(10/2+7)x2"', [2, 7, 10, 2], -3],
  ["unary minus", '"formula": "-2+7*2+10+2"', [2, 7, 10, 2], -3],
  ["stray close", '"formula": "(10/2+7)*2)"', [2, 7, 10, 2], -3],
  ["single quotes", "'formula': '(10/2+7)*2'", [2, 7, 10, 2], -3],
  ["no space after colon", '"formula":"(10/2+7)*2"', [2, 7, 10, 2], -3],
  ["float unsafe 3388", '"formula": "8/(3-8/3)"', [3, 3, 8, 8], -1],
  ["float unsafe 3388 json", '{"formula": "8/(3-8/3)"}', [3, 3, 8, 8], -1],
  ["leading zero", '"formula": "(10/02+7)*2"', [2, 7, 10, 2], -1],
  ["fullwidth digits", '"formula": "(\uff11\uff10/2+7)*2"', [2, 7, 10, 2], -1],
  ["arabic-indic digit", '"formula": "(10/\u0662+7)*2"', [2, 7, 10, 2], -1],
  ["astral bold digit", '"formula": "(10/\ud835\udfd0+7)*2"', [2, 7, 10, 2], -1],
  ["NaN in whole JSON", '{"a": NaN, "formula": "(10/2+7)*2", "b": -Infinity}', [2, 7, 10, 2], 5],
  ["TAB inside formula", '"formula": "(10/2+7)\t*2"', [2, 7, 10, 2], -3],
  ["trailing operator", '"formula": "(10/2+7)*2+"', [2, 7, 10, 2], -1],
  ["unclosed paren at end", '"formula": "(10/2+7)*(2"', [2, 7, 10, 2], -1],
  ["first match wins (draft in think)", '<think>"formula": "10+7+2+2"</think> "formula": "(10/2+7)*2"', [2, 7, 10, 2], -1],
  ["newline inside formula", '"formula": "(10/2+7)\n*2"', [2, 7, 10, 2], -3],
  ["newline skips to next match", '"formula": "(10/2\n "formula": "(10/2+7)*2"', [2, 7, 10, 2], 5],
  ["escaped slash whole JSON", '{"formula": "(10\\/2+7)*2"}', [2, 7, 10, 2], 5],
  ["unicode escape star whole JSON", '{"formula": "(10/2+7)\\u002a2"}', [2, 7, 10, 2], 5],
  ["escapes not decoded by regex", 'x "formula": "(10\\/2+7)*2"', [2, 7, 10, 2], -3],
  ["duplicate keys last wins", '{"formula": "10+7+2+2", "formula": "(10/2+7)*2"}', [2, 7, 10, 2], 5],
  ["key spelled with escape", '{"form\\u0075la": "(10/2+7)*2"}', [2, 7, 10, 2], 5],
  ["BOM then JSON falls back to regex", '\ufeff{"formula":"(10/2+7)*2"}', [2, 7, 10, 2], -3],
  ["spaces inside number", '"formula": "(1 0/2+7)*2"', [2, 7, 10, 2], 5],
  ["empty formula", '"formula": ""', [2, 7, 10, 2], -2],
  ["only =24", '"formula": "=24"', [2, 7, 10, 2], -2],
  ["nothing", "I give up", [2, 7, 10, 2], -3],
  ["double zero", '"formula": "(10/2+7)*2+00"', [2, 7, 10, 2], -2],
  ["division by zero", '"formula": "2/(2-2)*7*10"', [2, 2, 2, 7, 10], -1],
  ["nested 200", '"formula": "' + "(".repeat(200) + "10/2+7)*2" + ")".repeat(199) + '"', [2, 7, 10, 2], 5],
  ["nested 201", '"formula": "' + "(".repeat(201) + "10/2+7)*2" + ")".repeat(200) + '"', [2, 7, 10, 2], -1],
  ["JSON control char falls back", '{"formula": "(10/2+7)*2", "x": "a\tb"}', [2, 7, 10, 2], 5],
  ["JSON nested formula only", '{"a": {"formula": "10+7+2+2"}, "b": "c"}', [2, 7, 10, 2], -1],
  ["JSON array top", '[{"formula": "(10/2+7)*2"}]', [2, 7, 10, 2], 5],
  ["int division exact", '"formula": "7*2+10*2/2"', [2, 7, 10, 2], -2],
  ["five cards", '"formula": "(5+10)+(10+1)-2"', [10, 1, 10, 5, 2], 5],
  ["large", '"formula": "15+9*4/1"', [15, 9, 4, 1], -1],
  ["(17,1,17,7) float unsafe", '"formula": "(7/17+1)*17"', [17, 1, 17, 7], -1],
  ["depth 995 JSON", '{"formula": "(10/2+7)*2", "d": ' + "[".repeat(994) + "]".repeat(994) + "}", [2, 7, 10, 2], 5],
  ["depth 996 JSON falls back", '{"formula":"(10/2+7)*2", "d": ' + "[".repeat(995) + "]".repeat(995) + "}", [2, 7, 10, 2], -3],
  ["big json int falls back", '{"formula":"(10/2+7)*2", "n": ' + "1".repeat(4301) + "}", [2, 7, 10, 2], -3],
  ["big json float ok", '{"formula":"(10/2+7)*2", "n": ' + "1".repeat(4301) + ".5}", [2, 7, 10, 2], 5],
];

describe("verifier: reference behaviours of docs/gp-rules.md#reference-behaviours (CPython-checked rows)", () => {
  it.each(QUIRKS)("%s", (_name, response, values, reward) => {
    expect(verifyResponse(response, values).reward).toBe(reward);
  });

  it("exact mode differs from paper mode only on the float-unsafe rows", () => {
    const differ = QUIRKS.filter(([, r, v]) => verifyResponse(r, v).reward !== verifyResponse(r, v, "exact").reward).map((q) => q[0]);
    expect(differ).toEqual(["float unsafe 3388", "float unsafe 3388 json", "(17,1,17,7) float unsafe"]);
  });
});

// Random near-valid responses scored by the reference (CPython 3.11); null = the reference
// crashed (a JSON `formula` that is not a string), which we score −3 "formula_not_string".
const FUZZ: [string, number[], number | null][] = [
  ['text "formula":"2-5 + 1-4-3" "formula": "2-5 + 1-4-3"', [1, 2, 3, 4, 5], -1],
  ['text "formula":"2*(3*4)" "formula": "2*(3*4)"', [2, 3, 4], 5],
  ['{"formula": "2*((5*3) + 1-4)"}', [1, 2, 3, 4, 5], 5],
  ['text "formula":"1-2-5+(4/3)" "formula": "1-2-5+(4/3)"', [1, 2, 3, 4, 5], -1],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "2-(1)-4+(3)*5",}', [1, 2, 3, 4, 5], -1],
  ['{"formula": null}', [2, 3, 4], null],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2*4*3"\n}', [2, 3, 4], 5],
  ['{"formula": "}}\uff11:3"}', [2, 3, 4], -3],
  ['{"formula": "(4*(5-1)/((2/3)))"}', [1, 2, 3, 4, 5], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "4*3*(2)"\n}', [2, 3, 4], 5],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "2-(((4))*1+5-3-3)",}', [1, 2, 3, 4, 5], -2],
  ['{"formula": 24}', [1, 2, 3, 4, 5], null],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3*2*4"\n}', [2, 3, 4], 5],
  ['{"formula": "(25)/3-10+10=24"}', [10, 10, 3, 5], -2],
  ['{"formula": "(4*3*2)"}', [2, 3, 4], 5],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "((5)-((10*1)*10))",}', [1, 5, 10, 10], -1],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "4-((2/3))",}', [2, 3, 4], -1],
  ['{"formula": 24}', [4, 4, 10, 10], null],
  ['"\t\n<think><think>+\ud835\udfd0+{NaN\\3NaN</think>\u0663', [10, 10, 3, 5], -3],
  ['"formula": "\n"formula": "3*2/4"', [2, 3, 4], -1],
  ['{"formula": "5+(4)+((2)/((1)))"}', [1, 2, 3, 4, 5], -2],
  ['text "formula":"((4*(5+(2))-1)-3)" "formula": "((4*(5+(2))-1)-3)"', [1, 2, 3, 4, 5], 5],
  ['"formula": "\n"formula": ").*:"[}."', [4, 4, 10, 10], -3],
  ['{"formula": [1]}', [2, 7, 10, 2], null],
  ['{"formula": "7-2/((2)/10)"}', [2, 7, 10, 2], -1],
  ['{"a": NaN, "formula": "5/1/10*((10))", "b": -Infinity}', [1, 5, 10, 10], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "\uff1100"\n}', [2, 3, 4], -2],
  ['{"formula": ""}', [10, 10, 3, 5], -2],
  ['{"a": NaN, "formula": "2*3*4", "b": -Infinity}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3/=[\\\ud835\udfd0"\n}', [1, 5, 10, 10], -2],
  ['"formula": "02x]0\'/"', [1, 5, 10, 10], -3],
  ['{"formula": "</think>\ud835\udfd00,"}', [2, 7, 10, 2], -3],
  ['text "formula":"2*3*(4)" "formula": "2*3*(4)"', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3*4*2"\n}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "}\\u003202 24\t100</think>2"\n}', [10, 10, 3, 5], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "4*3*2"\n}', [2, 3, 4], 5],
  ['{"formula": null}', [4, 4, 10, 10], null],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "}.]"formula": "\u0663"\n}', [2, 3, 4], -3],
  ['text "formula":"\uff113x10 " "formula": "\uff113x10 "', [1, 5, 10, 10], -3],
  ['text "formula":"(5+10)-1+10" "formula": "(5+10)-1+10"', [1, 5, 10, 10], 5],
  ['"formula": "2/\ud835\udfd024"', [2, 3, 4], -2],
  ['{"formula": "8/8 + (3/3"}', [3, 3, 8, 8], -1],
  ['{"formula": 24}', [2, 3, 4], null],
  ['"formula": "\n"formula": "\n"', [10, 10, 3, 5], -3],
  ['{"formula": "((2*(3*4)))"}', [2, 3, 4], 5],
  ['"formula": "\n"formula": "10+1/10+(5)"formula": ""', [1, 5, 10, 10], -1],
  ['{"formula": "\u0663\u0663</think>,"}', [10, 10, 3, 5], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2/3+(4)"\n}', [2, 3, 4], -1],
  ['"formula": "\n"formula": "((2*4*3))"', [2, 3, 4], 5],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "24/(1+3-(5-((4))))",}', [1, 2, 3, 4, 5], -2],
  ["*(:\u0663", [10, 10, 3, 5], -3],
  ['text "formula":"4-4-10*(10" "formula": "4-4-10*(10"', [4, 4, 10, 10], -1],
  ['"formula": "(10)/5+3-10"', [10, 10, 3, 5], -1],
  ['{"formula": "0/(1)-((((10/10))))"}', [1, 5, 10, 10], -2],
  ['\\\u06631\ud835\udfd0\u00d7\n]"formula": "\u0663==\\u0032:NaN\n8:++', [2, 7, 10, 2], -3],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "(-=",}', [3, 3, 8, 8], -3],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "2*4*(3)",}', [2, 3, 4], 5],
  ['{"formula": "3*2/(4)"}', [2, 3, 4], -1],
  ['formula\u00d7:"</think>', [3, 3, 8, 8], -3],
  ['{"formula": true}', [2, 3, 4], null],
  ['text "formula":"\u00d7</think>7(<think><think>" "formula": "\u00d7</think>7(<think><think>"', [4, 4, 10, 10], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2*(4*3)"\n}', [2, 3, 4], 5],
  ['text "formula":"x24</think>" "formula": "x24</think>"', [2, 7, 10, 2], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3*4*(2)"\n}', [2, 3, 4], 5],
  ['{"formula": ".8}x"}', [1, 5, 10, 10], -3],
  ['text "formula":"(4)+10+10" "formula": "(4)+10+10"', [4, 4, 10, 10], -2],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "2\\u0032\n</think>2\n<think>\uff11\n",}', [4, 4, 10, 10], -3],
  ["-{0.2.", [1, 2, 3, 4, 5], -3],
  ['{"formula": "3*5/4-(2)+(1)*(5)"}', [1, 2, 3, 4, 5], -2],
  ['{"formula": "4*2*3"}', [2, 3, 4], 5],
  ['text "formula":"(7)-(2*2)/((10))" "formula": "(7)-(2*2)/((10))"', [2, 7, 10, 2], -1],
  ['"formula": "=,(x"', [2, 7, 10, 2], -2],
  ['{"formula": "8}(02=)\\t\\n]\\n*"}', [2, 7, 10, 2], -3],
  ['"formula": "})}\n\'\uff11<think>"', [3, 3, 8, 8], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2*4*((3))=24"\n}', [2, 3, 4], 5],
  ["", [2, 3, 4], -3],
  ['{"formula": 24}', [1, 5, 10, 10], null],
  ['{"formula": [1]}', [3, 3, 8, 8], null],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2-10*7*2"\n}', [2, 7, 10, 2], -1],
  ['{"formula": "x"}', [3, 3, 8, 8], -3],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "(1)*3-2 + 4-5",}', [1, 2, 3, 4, 5], -1],
  ['text "formula":"*7/8=/NaN+"formula": "" "formula": "*7/8=/NaN+"formula": ""', [1, 2, 3, 4, 5], -2],
  ['text "formula":"10-2*24-7" "formula": "10-2*24-7"', [2, 7, 10, 2], -2],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "4*(3*2)",}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3*5*1 + 4"\n}', [1, 2, 3, 4, 5], -2],
  ['{"formula": "4*2*(3)=24"}', [2, 3, 4], 5],
  ['{"formula": "2*(4*3)"}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": ""\n}', [4, 4, 10, 10], -2],
  ['text "formula":"3/8*3" "formula": "3/8*3"', [3, 3, 8, 8], -2],
  ['"formula": "4/2+((3))"', [2, 3, 4], -1],
  ['text "formula":"001,/00=" "formula": "001,/00="', [1, 2, 3, 4, 5], -3],
  ['{"formula": "3*(4)*2"}', [2, 3, 4], 5],
  ['"formula": "\n"formula": "10-3-5/10"', [10, 10, 3, 5], -1],
  ['{"formula": "3*2*4"}', [2, 3, 4], 5],
  ['text "formula":"3*2*4" "formula": "3*2*4"', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3-10/5"\n}', [10, 10, 3, 5], -2],
  ['{"formula": "\u0663)"}', [4, 4, 10, 10], -3],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "",}', [2, 7, 10, 2], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(((1*4)))*3*2-5"\n}', [1, 2, 3, 4, 5], -1],
  ['{"formula": "2*4*(3)"}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": ""3*10-10*5"\n}', [10, 10, 3, 5], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "formula)*8300=formula8NaN"\n}', [4, 4, 10, 10], -3],
  ['{"formula": [1]}', [4, 4, 10, 10], null],
  [
    'text "formula":"\ud835\udfd0\\u0032formulaNaN=</think>\t.3]" "formula": "\ud835\udfd0\\u0032formulaNaN=</think>\t.3]"',
    [1, 5, 10, 10],
    -3,
  ],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "=10/\uff117*"",}', [3, 3, 8, 8], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2*3/(4)"\n}', [2, 3, 4], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "0]"\n}', [4, 4, 10, 10], -3],
  ['text "formula":"(((((3*(4)*2)))))" "formula": "(((((3*(4)*2)))))"', [2, 3, 4], 5],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "24:-\\\uff11)</think>\'10\ud835\udfd0702",}', [2, 7, 10, 2], -3],
  ['"formula": "0*10/10/5*5"', [1, 5, 10, 10], -2],
  ['{"formula": 24}', [4, 4, 10, 10], null],
  ['{"formula": "10*7/(2+2)"}', [2, 7, 10, 2], -1],
  ['text "formula":"(10/5)*1/10" "formula": "(10/5)*1/10"', [1, 5, 10, 10], -1],
  ['{"a": NaN, "formula": "\\\\.", "b": -Infinity}', [2, 3, 4], -3],
  ['text "formula":"4*2*3" "formula": "4*2*3"', [2, 3, 4], 5],
  ['"formula": "\n"formula": "</think>(</think>NaN\n\ud835\udfd02/"</think>"', [2, 3, 4], -3],
  ['{"formula": 24}', [3, 3, 8, 8], null],
  ['{"formula": "4*3*2"}', [2, 3, 4], 5],
  ['{"formula": "(2*(3)*4)"}', [2, 3, 4], 5],
  ['{"formula": "x"}', [2, 3, 4], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "4-10/(4)/((((10))))"\n}', [4, 4, 10, 10], -1],
  ['{"formula": "(7/((10+(2/2))))"}', [2, 7, 10, 2], -1],
  ['{"formula": "3*2*4"}', [2, 3, 4], 5],
  ['{"formula": "2+4/(3)"}', [2, 3, 4], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(5)*4+3-(1-2)"\n}', [1, 2, 3, 4, 5], 5],
  ['{"formula": "1000 + 4*4 + 10"}', [4, 4, 10, 10], -2],
  ['{"formula": [1]}', [1, 2, 3, 4, 5], null],
  ['"formula": "10\\u0032\u06637\\u00320\t02 3\n"', [10, 10, 3, 5], -3],
  ['{"formula": "2{-1*=\ud835\udfd0/"}', [2, 7, 10, 2], -3],
  ['"formula": ""\n10=\t"', [2, 3, 4], -2],
  ['{"formula": "3*4*2"}', [2, 3, 4], 5],
  ['{"formula": "10+4-10-4"}', [4, 4, 10, 10], -1],
  ['text "formula":"5+10/(10+(((3))))" "formula": "5+10/(10+(((3))))"', [10, 10, 3, 5], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "[x7\u0663]\'10\u0663"formula": ""02"\n}', [2, 3, 4], -3],
  ['text "formula":"(2*3*4)" "formula": "(2*3*4)"', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "171[\\u00320"\n}', [2, 3, 4], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2*3-4"\n}', [2, 3, 4], -1],
  ['{"formula": "3*4*2"}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(2/4)+((3))"\n}', [2, 3, 4], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "((4*2*3))"\n}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(3*2)*4"\n}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(2*4)*(3)"\n}', [2, 3, 4], 5],
  ['{"formula": "4-((4)/10*10)=24"}', [4, 4, 10, 10], -1],
  ['{"formula": "2*3*(4)"}', [2, 3, 4], 5],
  ['{"formula": "10/4-10*4"}', [4, 4, 10, 10], -1],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "10*0(4/10)-4",}', [4, 4, 10, 10], -3],
  [
    'text "formula":""formula": "</think>2x24-"formula": "24\uff11" "formula": ""formula": "</think>2x24-"formula": "24\uff11"',
    [2, 7, 10, 2],
    -3,
  ],
  ['text "formula":"(3*8-3/8)" "formula": "(3*8-3/8)"', [3, 3, 8, 8], -1],
  ['{"formula": null}', [2, 3, 4], null],
  ["x<think>)101\uff11 +[){:", [4, 4, 10, 10], -3],
  ['text "formula":"8*3+3+((8))" "formula": "8*3+3+((8))"', [3, 3, 8, 8], -1],
  ['{"formula": "2-2410/((2/(7)))=24"}', [2, 7, 10, 2], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "10-1+5+10=24"\n}', [1, 5, 10, 10], 5],
  ['{"formula": "4*((2*3))"}', [2, 3, 4], 5],
  ['{"a": NaN, "formula": "1*10/10*(5)", "b": -Infinity}', [1, 5, 10, 10], -1],
  ['{"formula": [1]}', [1, 5, 10, 10], null],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(2/2)*7 + 10"\n}', [2, 7, 10, 2], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "00x+00,\ud835\udfd0 NaN.300:"\n}', [4, 4, 10, 10], -3],
  ['text "formula":"8*3/3/8" "formula": "8*3/3/8"', [3, 3, 8, 8], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "10+10-1+5"\n}', [1, 5, 10, 10], 5],
  [
    '{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2\u0663x2\uff11\u066310{*x\ud835\udfd0\u0663"\n}',
    [10, 10, 3, 5],
    -3,
  ],
  ['"formula": "\n"formula": "((2)*3*(4))=24"', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": ""\n}', [3, 3, 8, 8], -2],
  ['"formula": "\n"formula": "7-10*2/2"', [2, 7, 10, 2], -1],
  ['{"formula": "10+5-10"}', [10, 10, 3, 5], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(2)*3*4"\n}', [2, 3, 4], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "1\t"\n}', [2, 7, 10, 2], -3],
  ['{"formula": "5+(1+(3-10))"}', [10, 10, 3, 5], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "2*((2*10/(((7"\n}', [2, 7, 10, 2], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3*(((8-3+(8)/(((3))))))=24"\n}', [3, 3, 8, 8], -2],
  ['"formula": "\n"formula": "10\ud835\udfd0[1 0"', [1, 2, 3, 4, 5], -3],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "10*10/((4/(4)))"\n}', [4, 4, 10, 10], -1],
  ['"formula": "\n"formula": "<think>x02\\u0032\\\u0663\n+"', [10, 10, 3, 5], -3],
  ['{"formula": "3/(8/3)*8"}', [3, 3, 8, 8], -1],
  ['{"formula": "10/5*10*3"}', [10, 10, 3, 5], -1],
  ['{"formula": "((2*3)*24)"}', [2, 3, 4], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3*2*4"\n}', [2, 3, 4], 5],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "3-1-10+5",}', [1, 5, 10, 10], -2],
  ['text "formula":"(((8-(3-8/3))))" "formula": "(((8-(3-8/3))))"', [3, 3, 8, 8], -1],
  ['{"a": NaN, "formula": "2/5/(3)-4*1", "b": -Infinity}', [1, 2, 3, 4, 5], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "5-3+2-((4))/(3)"\n}', [1, 2, 3, 4, 5], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "10/10-0+4"\n}', [4, 4, 10, 10], -2],
  ['"formula": "\n"formula": "((8+(((8/3))02)))"', [3, 3, 8, 8], -3],
  ['text "formula":"[24+24"formula": "x" "formula": "[24+24"formula": "x"', [3, 3, 8, 8], -3],
  ['{"formula": "(10/10+4)"}', [4, 4, 10, 10], -2],
  ['<think> ok </think>\n\n{"cards": ["A"], "number": [1], "formula": "4+1-5/2-3/4=24",}', [1, 2, 3, 4, 5], -2],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "3-((8)/8*(3-(8)))"\n}', [3, 3, 8, 8], -2],
  ['{"formula": "(4)*3*(2)"}', [2, 3, 4], 5],
  ['"formula": "4/10*10+4"', [4, 4, 10, 10], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(7-10-0*2)"\n}', [2, 7, 10, 2], -2],
  ['text "formula":"4 + 2-1 + 3 + 5" "formula": "4 + 2-1 + 3 + 5"', [1, 2, 3, 4, 5], -1],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "[."\n}', [2, 3, 4], -3],
  ['text "formula":" " "formula": " "', [4, 4, 10, 10], -2],
  ['{"formula": "10-((1-10-5))"}', [1, 5, 10, 10], 5],
  ['"formula": "\n"formula": "(4)*(5+(1*((3)-2)))"', [1, 2, 3, 4, 5], 5],
  ['{\n"cards": ["2", "7", "Q", "2"],\n "number": [2, 7, 10, 2],\n "formula": "(8+((3)))*(8)+3"\n}', [3, 3, 8, 8], -1],
  ['{"formula": "1"}', [2, 3, 4], -2],
  ['{"formula": "8(0\'"}', [10, 10, 3, 5], -3],
  ['{"formula": "2*3*4"}', [2, 3, 4], 5],
  ['{"formula": "1+(1)-10*(5)"}', [1, 5, 10, 10], -2],
  ['{"formula": "(10/5/3/10"}', [10, 10, 3, 5], -1],
  ['{"formula": ":(2431"}', [2, 7, 10, 2], -3],
  ['text "formula":"(2-10*2+7)" "formula": "(2-10*2+7)"', [2, 7, 10, 2], -1],
  ['{"formula": "1-10-5-10"}', [1, 5, 10, 10], -1],
  ['{"formula": "2\uff11x<think>/+02"}', [10, 10, 3, 5], -3],
];

describe("verifier: random responses scored by the reference", () => {
  it("agrees on every row", () => {
    const wrong = FUZZ.filter(([r, v, want]) => {
      const got = verifyResponse(r, v);
      return want === null ? got.outcome !== "formula_not_string" || got.reward !== -3 : got.reward !== want;
    });
    expect(wrong).toEqual([]);
    expect(new Set(FUZZ.map((f) => f[2]))).toEqual(new Set([5, -1, -2, -3, null]));
  });
});

describe("extraction", () => {
  it("takes the leftmost regex match that closes before a newline", () => {
    expect(regexFormula('"formula": "a\n"formula": "b"')).toBe("b");
    expect(regexFormula('"formula": "a" "formula": "b"')).toBe("a");
    expect(regexFormula('"formula": "no close')).toBeNull();
  });
  it("reads a non-string JSON formula as such (the reference crashes; we score −3)", () => {
    expect(extractFormula('{"formula": 24}')).toEqual({ kind: "not-string" });
    expect(verifyResponse('{"formula": null}', V)).toEqual({ reward: -3, outcome: "formula_not_string", mode: "paper" });
  });
  it("scores a >4,300-digit run −2 (the reference's int() raises)", () => {
    expect(scoreFormula(`${"1".repeat(4301)}+2+7+10`, V).reward).toBe(-2);
  });
});

describe("Unicode digits table (CPython 3.11 / Unicode 14.0)", () => {
  it("has the 66 Nd blocks and their values", () => {
    expect(ND_BLOCKS).toBe(66);
    expect(digitValue(0x30)).toBe(0);
    expect(digitValue(0xff11)).toBe(1); // full-width one
    expect(digitValue(0x1d7d0)).toBe(2); // mathematical bold two
    expect(digitValue(0x11f50)).toBe(-1); // Kawi zero: Unicode 15, not a digit to Python 3.11
    expect(digitValue(0x41)).toBe(-1);
  });
});

describe("verifier properties", () => {
  it("never throws and always returns one of the four rewards", () => {
    const alphabet = fc.constantFrom(...'0123456789+-*/() ="{}:,\n\t.xf１٣\\[]NaIy'.split(""), '"formula": "', "𝟐", "\ud800");
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(alphabet, { maxLength: 40 }).map((a) => a.join("")),
        ),
        fc.array(fc.nat(20), { minLength: 1, maxLength: 6 }),
        (text, values) => {
          for (const mode of ["paper", "exact"] as const) {
            const r = gpReward(text, values, mode);
            expect([5, -1, -2, -3]).toContain(r);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("paper and exact modes agree except on the arithmetic of step 7", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 4, maxLength: 4 }), fc.nat(), (values, pick) => {
        const sols = allSolutions(handFor(values));
        if (sols.length === 0) return;
        const f = sols[pick % sols.length]!;
        const paper = scoreFormula(f, values).reward;
        expect(scoreFormula(f, values, "exact").reward).toBe(5);
        expect([5, -1]).toContain(paper);
        // A float-unsafe formula must involve a non-integral intermediate, i.e. a division.
        if (paper === -1) expect(f).toContain("/");
      }),
      { numRuns: 300 },
    );
  });
});
