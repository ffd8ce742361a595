import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { GP_SPLITS, SPLITS, generateTask, mappingFor, type GpSplit } from "./generate.js";

describe("spec fixtures (docs/gp-rules.md#splits) [checked]", () => {
  it("task 0: All-5/All-7/All-12/Regular keep 2,K,J,A; ID and Fake redraw to 2,7,Q,2", () => {
    for (const [split, values] of [
      ["all-5", [2, 5, 5, 1]],
      ["all-7", [2, 7, 7, 1]],
      ["all-12", [2, 12, 12, 1]],
      ["regular", [2, 13, 11, 1]],
    ] as const) {
      const t = generateTask(split, 0);
      expect(t.cards).toEqual(["2", "K", "J", "A"]);
      expect(t.values).toEqual(values);
      expect(t.draws).toBe(1);
    }
    for (const split of ["id", "fake"] as const) {
      const t = generateTask(split, 0);
      expect(t.cards).toEqual(["2", "7", "Q", "2"]);
      expect(t.values).toEqual([2, 7, 10, 2]);
      expect(t.draws).toBeGreaterThan(1);
    }
  });

  it("ID 1 and 2, Large 0 and 1, Five 0", () => {
    expect(generateTask("id", 1)).toMatchObject({ cards: ["Q", "A", "5", "J"], values: [10, 1, 5, 10] });
    expect(generateTask("id", 2)).toMatchObject({ cards: ["10", "J", "3", "5"], values: [10, 10, 3, 5], solution: "3*(10-10/5)" });
    expect(generateTask("large", 0)).toMatchObject({ cards: ["15", "9", "4", "A"], values: [15, 9, 4, 1] });
    expect(generateTask("large", 1).cards).toEqual(["10", "2", "17", "5"]);
    expect(generateTask("five", 0)).toMatchObject({ cards: ["Q", "A", "J", "5", "2"], values: [10, 1, 10, 5, 2] });
    expect(generateTask("id", 0).solution).toBe("(10/2+7)*2");
  });
});

// [index, cards, values, reference answer, len(solution list)] — from the reference generators
// (CPython 3.11, debunk create_test_dataset / create_training_dataset; frozen = the legacy path).
type Row = [number, string[], number[], string, number | null];
const ROWS: Partial<Record<GpSplit, Row[]>> = {
  id: [
    [0, ["2", "7", "Q", "2"], [2, 7, 10, 2], "(10/2+7)*2", 4],
    [1, ["Q", "A", "5", "J"], [10, 1, 5, 10], "5+(10+10)-1", 63],
    [2, ["10", "J", "3", "5"], [10, 10, 3, 5], "3*(10-10/5)", 2],
    [3, ["Q", "8", "7", "5"], [10, 8, 7, 5], "(7+5)*(10-8)", 4],
    [250, ["4", "J", "Q", "5"], [4, 10, 10, 5], "4+(10/5)*10", 20],
    [499, ["8", "Q", "6", "A"], [8, 10, 6, 1], "(6+8)+1*10", 311],
  ],
  "all-5": [
    [0, ["2", "K", "J", "A"], [2, 5, 5, 1], "1+(5*5)-2", 19],
    [1, ["Q", "A", "5", "J"], [5, 1, 5, 5], "(5-1/5)*5", 2],
    [2, ["K", "5", "4", "3"], [5, 5, 4, 3], "(5*3+4)+5", 75],
    [3, ["Q", "8", "7", "5"], [5, 8, 7, 5], "7+(5*5-8)", 23],
    [250, ["4", "J", "Q", "5"], [4, 5, 5, 5], "5*5-(5-4)", 23],
    [499, ["8", "Q", "6", "A"], [8, 5, 6, 1], "(1-5+8)*6", 8],
  ],
  "all-7": [
    [0, ["2", "K", "J", "A"], [2, 7, 7, 1], "(7*7-1)/2", 1],
    [1, ["Q", "2", "A", "2"], [7, 2, 1, 2], "(7-1)*2*2", 7],
    [2, ["10", "A", "J", "2"], [10, 1, 7, 2], "(7*1*2)+10", 140],
    [3, ["2", "J", "7", "2"], [2, 7, 7, 2], "(7+7-2)*2", 4],
    [250, ["K", "Q", "K", "3"], [7, 7, 7, 3], "7+7+3+7", 32],
    [499, ["Q", "J", "3", "A"], [7, 7, 3, 1], "(3-7)*(1-7)", 4],
  ],
  "all-12": [
    [0, ["2", "K", "J", "A"], [2, 12, 12, 1], "(12+12)/(2-1)", 16],
    [1, ["Q", "A", "5", "J"], [12, 1, 5, 12], "12/(5+1)*12", 6],
    [2, ["10", "J", "3", "5"], [10, 12, 3, 5], "(10-3-5)*12", 130],
    [3, ["A", "3", "Q", "6"], [1, 3, 12, 6], "12-6*(1-3)", 225],
    [250, ["K", "Q", "K", "3"], [12, 12, 12, 3], "12*(3-12/12)", 2],
    [499, ["8", "Q", "6", "A"], [8, 12, 6, 1], "(6/1)*(12-8)", 62],
  ],
  regular: [
    [0, ["2", "K", "J", "A"], [2, 13, 11, 1], "11-13/(1-2)", 24],
    [1, ["Q", "A", "5", "J"], [12, 1, 5, 11], "(11-1)*12/5", 7],
    [2, ["9", "9", "K", "7"], [9, 9, 13, 7], "(13+9+9)-7", 63],
    [3, ["A", "3", "Q", "6"], [1, 3, 12, 6], "12-6*(1-3)", 225],
    [250, ["K", "Q", "K", "3"], [13, 12, 13, 3], "12*(3-13/13)", 2],
    [499, ["8", "Q", "6", "A"], [8, 12, 6, 1], "(6/1)*(12-8)", 62],
  ],
  large: [
    [0, ["15", "9", "4", "A"], [15, 9, 4, 1], "(15-9)/(1/4)", 29],
    [1, ["10", "2", "17", "5"], [10, 2, 17, 5], "(17-10+5)*2", 134],
    [2, ["8", "18", "4", "J"], [8, 18, 4, 10], "4+(18+10-8)", 172],
    [3, ["16", "16", "14", "9"], [16, 16, 14, 9], "(14+9)+(16/16)", 28],
    [250, ["Q", "14", "5", "17"], [10, 14, 5, 17], "5*14/10+17", 32],
    [499, ["15", "17", "Q", "A"], [15, 17, 10, 1], "15/10*(17-1)", 7],
  ],
  fake: [
    [0, ["2", "7", "Q", "2"], [2, 7, 10, 2], "(10/2+7)*2", 4],
    [1, ["Q", "A", "5", "J"], [10, 1, 5, 10], "5+(10+10)-1", 63],
    [2, ["10", "J", "3", "5"], [10, 10, 3, 5], "3*(10-10/5)", 2],
    [3, ["Q", "8", "7", "5"], [10, 8, 7, 5], "(7+5)*(10-8)", 4],
    [250, ["4", "J", "Q", "5"], [4, 10, 10, 5], "4+(10/5)*10", 20],
    [499, ["8", "Q", "6", "A"], [8, 10, 6, 1], "(6+8)+1*10", 311],
  ],
  "all-5-fake": [
    [0, ["2", "7", "Q", "2"], [2, 7, 10, 2], "(10/2+7)*2", 4],
    [1, ["Q", "A", "5", "J"], [10, 1, 5, 10], "5+(10+10)-1", 63],
    [2, ["10", "J", "3", "5"], [10, 10, 3, 5], "3*(10-10/5)", 2],
    [3, ["Q", "8", "7", "5"], [10, 8, 7, 5], "(7+5)*(10-8)", 4],
    [250, ["4", "J", "Q", "5"], [4, 10, 10, 5], "4+(10/5)*10", 20],
    [499, ["8", "Q", "6", "A"], [8, 10, 6, 1], "(6+8)+1*10", 311],
  ],
  "train-frozen": [
    [0, ["2", "7", "6", "2"], [2, 7, 6, 2], "6+2*(7+2)", null],
    [1, ["A", "Q", "K", "5"], [1, 10, 10, 5], "(10-1)+(5+10)", null],
    [2, ["10", "2", "3", "5"], [10, 2, 3, 5], "2*(10-3+5)", null],
    [3, ["5", "8", "7", "5"], [5, 8, 7, 5], "7+(5*5-8)", null],
    [250, ["K", "5", "K", "3"], [10, 5, 10, 3], "(10-10/5)*3", null],
    [499, ["8", "3", "6", "5"], [8, 3, 6, 5], "8/(5-3)*6", null],
  ],
  "train-diverse": [
    [0, ["2", "Q", "J", "A"], [2, 8, 8, 1], "(8*2)+(8/1)", 142],
    [1, ["A", "Q", "K", "5"], [1, 8, 8, 5], "(1*8)*(8-5)", 31],
    [1249, ["10", "10", "K", "7"], [10, 10, 8, 7], "(10-8)*7+10", 6],
    [1250, ["Q", "7", "9", "3"], [9, 7, 9, 3], "3*(9/9+7)", 12],
    [2500, ["J", "3", "2", "2"], [10, 3, 2, 2], "2*(10+3)-2", 4],
    [3750, ["J", "K", "7", "8"], [8, 10, 7, 8], "8*10-(8*7)", 16],
    [5000, ["K", "Q", "9", "4"], [9, 8, 9, 4], "8*(4-9/9)", 2],
    [6250, ["6", "4", "Q", "4"], [6, 4, 9, 4], "9*4*4/6", 65],
    [7500, ["6", "Q", "10", "3"], [6, 7, 10, 3], "6*7/3+10", 32],
    [8750, ["A", "J", "K", "J"], [1, 6, 10, 6], "(10/1-6)*6", 29],
    [9999, ["10", "7", "6", "Q"], [10, 7, 6, 8], "(8-6)*7+10", 34],
  ],
  five: [
    [0, ["Q", "A", "J", "5", "2"], [10, 1, 10, 5, 2], "(5+10)+(10+1)-2", 973],
    [1, ["5", "A", "3", "Q", "K"], [5, 1, 3, 10, 10], "10*3+(5-10-1)", 326],
    [2, ["9", "2", "7", "Q", "9"], [9, 2, 7, 10, 9], "10/9*9+(7*2)", 978],
    [3, ["7", "5", "5", "2", "8"], [7, 5, 5, 2, 8], "5*7-5-8+2", 540],
    [250, ["K", "5", "3", "3", "K"], [10, 5, 3, 3, 10], "3*(3+5*10/10)", 354],
    [499, ["6", "7", "3", "8", "A"], [6, 7, 3, 8, 1], "7/1+3+(8+6)", 4173],
  ],
};

describe("tasks equal the reference's, seed for seed", () => {
  it.each(Object.entries(ROWS))("%s: CPython rows", (split, rows) => {
    for (const [index, cards, values, solution, count] of rows!) {
      const t = generateTask(split as GpSplit, index);
      expect({ index, cards: t.cards, values: t.values, solution: t.solution }).toEqual({ index, cards, values, solution });
      if (count !== null) expect(t.numSolutions).toBe(count);
    }
  });

  // sha256 over every task of the split of prompt + NUL + answer-only target + NUL, computed from
  // the reference's own output (train-frozen: the legacy-wording generator, prompt .strip()ped).
  const DIGESTS: Record<GpSplit, [string, number]> = {
    id: ["ee634f1b527347bcdebf94bdfa8e499caf8a244b2c36f5d5759bb215a640999a", 500],
    "all-5": ["58a0c08a1a4fa6e89d3409ecf68737de264c685ff4d85793bd0a5d4ef6c7702e", 500],
    "all-7": ["a3ece8cff168785ff8984f97105b2e78bc7038dc70bb82f616826345252cf930", 500],
    "all-12": ["a4b7ae95c1ed579546423e4578b6c30ccfd02223607316fd0ab94c933f5c351f", 500],
    regular: ["6620d1c7533c90317aa554450aa2669e7451f6d70fb88648f2d2bdd74b8dc060", 500],
    large: ["59bedd790ea1501171ca9ad8bd1b7404881d040b27d764a3838c74f8aca101c9", 500],
    fake: ["a62e69c7a54dd90d552dff5086b28ebbcdc858f6c5dbff26cd8fee1ec799c732", 500],
    "all-5-fake": ["0f7f6e34789145659419f002d647d40c53dbdc92560f39113917429796c48fe7", 500],
    "train-frozen": ["1b343aa2340c2a2902de0ac7a71d523b332f96b5ef1db95f71122d98886d194b", 500],
    "train-diverse": ["4b9bdf2197bbcbf72a2767124d6ed7f61e655e20368d6d0b20969bc989fcac13", 10000],
    five: ["c0675c4eb2ba900a769b95b22ee20008f90b20668544e792993f07bfae64a44e", 500],
  };

  it.each(GP_SPLITS.map((s) => [s] as const))("%s: prompts and targets of the whole split, byte for byte", (split) => {
    const [digest, count] = DIGESTS[split];
    const h = createHash("sha256");
    for (let i = 0; i < count; i++) {
      const t = generateTask(split, i);
      h.update(`${t.prompt}\0${t.answer}\0`);
    }
    expect(h.digest("hex")).toBe(digest);
  });
});

describe("split configuration", () => {
  it("assigns diverse-training rules in blocks of 1,250 by global index", () => {
    expect(mappingFor("train-diverse", 1249)).toBe("all_8");
    expect(mappingFor("train-diverse", 1250)).toBe("all_9");
    expect(mappingFor("train-diverse", 9999)).toBe("skip_6_8_10");
    expect(() => generateTask("train-diverse", 10000)).toThrow(RangeError);
  });

  it("forces a face card in the 4-card OOD splits and a 14..19 card in Large", () => {
    for (let i = 0; i < 200; i++) {
      for (const split of ["id", "all-5", "all-7", "all-12", "regular", "fake", "all-5-fake"] as const) {
        expect(generateTask(split, i).ranks.some((r) => r >= 11 && r <= 13)).toBe(true);
      }
      expect(generateTask("large", i).ranks.some((r) => r >= 14)).toBe(true);
    }
  });

  it("is deterministic and rejects bad indices", () => {
    expect(generateTask("all-7", 123)).toEqual(generateTask("all-7", 123));
    expect(() => generateTask("id", -1)).toThrow(RangeError);
    expect(() => generateTask("id", 1.5)).toThrow(RangeError);
    expect(SPLITS.five.numCards).toBe(5);
  });
});
