import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { allSolutions, checkSolverBounds, distinctPermutations, handFor } from "./solver.js";
import { bracketPatterns } from "./templates.js";
import { scoreFormula } from "./verifier.js";

describe("templates (docs/gp-rules.md#solver)", () => {
  it("has the reference's bracket insertion points: 7 patterns for 4 cards, 11 for 5", () => {
    expect(bracketPatterns(4)).toEqual([[], [0, 4], [0, 6], [2, 6], [2, 8], [4, 8], [0, 4, 6, 10]]);
    expect(bracketPatterns(5)).toHaveLength(11);
  });

  it("lists distinct orderings in Python's sorted(set(permutations())) order", () => {
    expect(distinctPermutations([1, 2, 2]).map((p) => [...p])).toEqual([
      [1, 2, 2],
      [2, 1, 2],
      [2, 2, 1],
    ]);
    expect(distinctPermutations([1, 2, 3, 4])).toHaveLength(24);
    expect(distinctPermutations([10, 10, 10, 10, 1])).toHaveLength(5);
  });
});

describe("solution lists match the reference enumeration", () => {
  it("counts 314, 2, 0, 1 solutions for [1,2,3,4], [10,4,7,10], [1,1,1,1], [3,3,8,8]", () => {
    expect(
      [
        [1, 2, 3, 4],
        [10, 4, 7, 10],
        [1, 1, 1, 1],
        [3, 3, 8, 8],
      ].map((h) => handFor(h).total),
    ).toEqual([314, 2, 0, 1]);
    expect(allSolutions(handFor([3, 3, 8, 8]))).toEqual(["8/(3-8/3)"]);
  });

  it("reproduces the reference's strings in the reference's order (CPython-checked heads)", () => {
    expect(allSolutions(handFor([4, 3, 2, 1])).slice(0, 6)).toEqual([
      "(1+2+3)*4",
      "1*2*3*4",
      "(1*2)*3*4",
      "(1*2*3)*4",
      "1*(2*3)*4",
      "1*(2*3*4)",
    ]);
    expect(allSolutions(handFor([0, 3, 8, 3])).slice(0, 6)).toEqual([
      "0*3+3*8",
      "(0*3)+3*8",
      "(0*3+3)*8",
      "0*3+(3*8)",
      "(0*3)+(3*8)",
      "0/3+3*8",
    ]);
    expect(handFor([0, 3, 8, 3]).total).toBe(108);
    // Three numbers: the double pattern degenerates to "(a∘b)∘(c)".
    expect(allSolutions(handFor([2, 3, 4])).slice(0, 4)).toEqual(["2*3*4", "(2*3)*4", "2*(3*4)", "(2*3)*(4)"]);
    expect(handFor([2, 3, 4]).total).toBe(24);
    expect(handFor([4, 8, 8, 11, 12]).total).toBe(241);
    expect(allSolutions(handFor([4, 8, 8, 11, 12])).slice(0, 3)).toEqual(["(4-8)*(8-11)+12", "4*8+8*(11-12)", "4*8+8/(11-12)"]);
    expect(handFor([3, 3, 7, 8, 9]).total).toBe(1793);
    expect(handFor([1, 3, 7, 8, 8]).total).toBe(1022);
  });

  it("matches the reference's full lists for all 715 hands of 1..10 (digest of CPython output)", () => {
    const h = createHash("sha256");
    for (let a = 1; a <= 10; a++)
      for (let b = a; b <= 10; b++)
        for (let c = b; c <= 10; c++)
          for (let d = c; d <= 10; d++) h.update(`${a},${b},${c},${d}:${allSolutions(handFor([a, b, c, d])).join(",")}\n`);
    expect(h.digest("hex")).toBe("cc6e39f5fcc518edc6777696aa9b343e7752e19c0b85306dbd2c289e40ca0e17");
  });

  it("finds 566 of 715 multisets of 1..10 solvable [checked]", () => {
    let solvable = 0;
    let hands = 0;
    for (let a = 1; a <= 10; a++)
      for (let b = a; b <= 10; b++)
        for (let c = b; c <= 10; c++)
          for (let d = c; d <= 10; d++) {
            hands++;
            if (handFor([a, b, c, d]).total > 0) solvable++;
          }
    expect([solvable, hands]).toEqual([566, 715]);
  });

  it("solves 73.1% of 4-card draws with J=Q=K=10 and 79.2% with 11/12/13 [checked]", () => {
    const rate = (faces: number[]): number => {
      const v = (r: number): number => (r >= 11 ? faces[r - 11]! : r);
      let ok = 0;
      for (let a = 1; a <= 13; a++)
        for (let b = 1; b <= 13; b++)
          for (let c = 1; c <= 13; c++) for (let d = 1; d <= 13; d++) if (handFor([v(a), v(b), v(c), v(d)]).total > 0) ok++;
      return ok / 13 ** 4;
    };
    expect(rate([10, 10, 10]).toFixed(3)).toBe("0.731");
    expect(rate([11, 12, 13]).toFixed(3)).toBe("0.792");
  });

  it("handles 6 numbers like the reference (CPython counts)", () => {
    expect(allSolutions(handFor([1, 1, 1, 1, 2, 3]))).toEqual([
      "(1+1+1+1)*2*3",
      "(1+1)*(1+1)*2*3",
      "(1+1+1+1)*3*2",
      "(1+1)*(1+1)*3*2",
      "2*(1+1+1+1)*3",
      "2*3*(1+1+1+1)",
      "3*(1+1+1+1)*2",
      "3*2*(1+1+1+1)",
    ]);
    expect(handFor([2, 2, 2, 2, 3, 3]).total).toBe(928);
  });

  it("keeps the 5-card search incomplete: 1,1,1,1,7 is unsolvable to the reference", () => {
    expect(handFor([1, 1, 1, 1, 7]).total).toBe(0);
    expect(scoreFormula("(1+1+1)*(7+1)", [1, 1, 1, 1, 7], "exact").reward).toBe(5); // exists, not a template
  });

  it("refuses inputs its exact double arithmetic cannot hold", () => {
    expect(checkSolverBounds([1, 2], 24)).not.toBeNull();
    expect(checkSolverBounds([1000, 1000, 1000, 1000, 1000], 24)).not.toBeNull();
    expect(checkSolverBounds([19, 19, 19, 19, 19], 24)).toBeNull();
    expect(() => handFor([1, 2])).toThrow(RangeError);
  });
});

describe("solver properties", () => {
  it("every solver answer verifies at +5 in exact mode (4 and 5 cards, values up to 19)", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 19 }), { minLength: 4, maxLength: 5 }), (values) => {
        const sols = allSolutions(handFor(values));
        const step = Math.max(1, Math.floor(sols.length / 25)); // a spread sample keeps 5-card hands cheap
        for (let i = 0; i < sols.length; i += step) {
          const s = sols[i]!;
          expect(s).toMatch(/^[0-9+\-*/()]+$/);
          expect(scoreFormula(s, values, "exact").reward).toBe(5);
        }
      }),
      { numRuns: 60 },
    );
  });

  it("the memo table is order-independent: any ordering of a hand gives the same entry", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 13 }), { minLength: 4, maxLength: 4 }), (values) => {
        expect(handFor([...values].reverse())).toBe(handFor(values));
      }),
      { numRuns: 100 },
    );
  });
});
