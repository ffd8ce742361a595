/**
 * The General Points verifier (docs/gp-rules.md#verifier, docs/gp-rules.md#reference-behaviours): the reference's solution-free
 * `score_gp_l_wo_sol`, rewards +5 / −1 / −2 / −3.
 *
 * Two scoring modes differ only in step 7's arithmetic: `paper` (default) compares Python floats
 * with `== 24` like the reference, `exact` uses rationals. Every syntactic quirk is identical in
 * both so that they disagree only on float-unsafe formulas such as `8/(3-8/3)`.
 *
 * Where the reference itself crashes instead of scoring (it never returns for these), we pick:
 *   - whole-JSON response whose `formula` is not a string (null, a number, a list) → −3;
 *   - a digit run of more than 4,300 digits (`int()` raises) → −2 (it can never be a card value).
 */

import { extractFormula } from "./extract.js";
import { FORMULA_ILLEGAL, FORMULA_OK, FORMULA_SYNTAX_ERROR, FORMULA_WRONG_NUMBERS, checkFormula, lastTokens } from "./formula.js";
import { equalsTarget, type ScoringMode } from "./evaluate.js";
import { TARGET } from "./solver.js";

export type { ScoringMode } from "./evaluate.js";

export const REWARD = {
  CORRECT_SOLUTION: 5,
  NO_SOLUTION: -1,
  INCORRECT_NUMBER: -2,
  ILLEGAL_FORMULA: -3,
} as const;

export type GpReward = 5 | -1 | -2 | -3;

/** Which step decided the reward. */
export type GpOutcome =
  | "correct" // +5
  | "wrong_value" // −1: well-formed, right numbers, not 24 (or Python could not evaluate it)
  | "wrong_numbers" // −2
  | "illegal_formula" // −3: bad character or grammar
  | "missing_formula" // −3: no formula found (the reference scores the string "None")
  | "formula_not_string"; // −3: JSON `formula` is not a string (the reference crashes)

export interface GpVerdict {
  readonly reward: GpReward;
  readonly outcome: GpOutcome;
  readonly mode: ScoringMode;
}

/** Reward of an already extracted formula string (steps 2–8). */
export function scoreFormula(formula: string, values: readonly number[], mode: ScoringMode = "paper", target: number = TARGET): GpVerdict {
  const stage = checkFormula(formula, values);
  switch (stage) {
    case FORMULA_ILLEGAL:
      return { reward: -3, outcome: "illegal_formula", mode };
    case FORMULA_WRONG_NUMBERS:
      return { reward: -2, outcome: "wrong_numbers", mode };
    case FORMULA_SYNTAX_ERROR:
      return { reward: -1, outcome: "wrong_value", mode };
    case FORMULA_OK:
    default:
      return equalsTarget(lastTokens(), target, mode)
        ? { reward: 5, outcome: "correct", mode }
        : { reward: -1, outcome: "wrong_value", mode };
  }
}

/**
 * Reward of a model response (special tokens already stripped) for a task with these scoring
 * values. Never throws on any string.
 */
export function verifyResponse(
  response: string,
  values: readonly number[],
  mode: ScoringMode = "paper",
  target: number = TARGET,
): GpVerdict {
  const found = extractFormula(response);
  if (found.kind === "not-string") return { reward: -3, outcome: "formula_not_string", mode };
  if (found.kind === "missing") {
    // The reference goes on with pred = "None", which always fails the character check.
    return { reward: -3, outcome: "missing_formula", mode };
  }
  return scoreFormula(found.formula, values, mode, target);
}

/** Just the number, for RL reward functions. */
export function gpReward(response: string, values: readonly number[], mode: ScoringMode = "paper"): GpReward {
  return verifyResponse(response, values, mode).reward;
}
