/**
 * General Points behind the shared `Env` interface (env.ts). Not registered here: the lead wires
 * the registry.
 */

import { createHash } from "node:crypto";
import type { Env, FailureReason, Score, TaskItem } from "../env.js";
import { FACE_CARD_MAPPINGS } from "./cards.js";
import { renderCot } from "./cot.js";
import { GP_SPLITS, generateTask, isGpSplit, type GpTask } from "./generate.js";
import { renderAnswer } from "./prompt.js";
import { allSolutions, handFor, orderingSolutions } from "./solver.js";
import { scoreFormula, verifyResponse, type GpOutcome, type ScoringMode } from "./verifier.js";

export const GP_ENV_ID = "general-points";

export interface GpItem extends TaskItem, Omit<GpTask, "prompt"> {}

export interface GpScore extends Score {
  /** Which arithmetic decided step 7 (`paper` = the reference's float equality). */
  readonly mode: ScoringMode;
  readonly outcome: GpOutcome;
}

const REASON: Record<GpOutcome, FailureReason | null> = {
  correct: null,
  wrong_value: "wrong_value",
  wrong_numbers: "wrong_numbers",
  illegal_formula: "invalid_formula",
  missing_formula: "format",
  formula_not_string: "format",
};

function paperSafe(formula: string, values: readonly number[], target: number): boolean {
  return scoreFormula(formula, values, "paper", target).reward === 5;
}

/**
 * The formula the solver answers with under the prompt's stated rule. Prefers the reference
 * answer; if the paper verifier would reject it as float-unsafe (e.g. `8/(3-8/3)`), the first
 * paper-safe template solution in sorted-ordering order. Null when none exists (unsolvable under
 * the stated rule, or 3,3,8,8 whose only solution is float-unsafe).
 */
export function solverFormula(task: GpTask): { formula: string; paperSafe: boolean } | null {
  const { promptValues, target } = task;
  const own = promptValues === task.values || promptValues.every((v, i) => v === task.values[i]);
  if (own && paperSafe(task.solution, promptValues, target)) return { formula: task.solution, paperSafe: true };
  const hand = handFor(promptValues, target);
  if (hand.total === 0) return null;
  let first: string | null = own ? task.solution : null;
  for (let i = 0; i < hand.perms.length; i++) {
    if (hand.counts[i] === 0) continue;
    for (const s of orderingSolutions(hand, i)) {
      if (paperSafe(s, promptValues, target)) return { formula: s, paperSafe: true };
      first ??= s;
    }
  }
  return first === null ? null : { formula: first, paperSafe: false };
}

/** Fallback when the stated rule admits no solution: every number once, summed (a wrong answer). */
function noSolutionFormula(numbers: readonly number[]): string {
  return numbers.join("+");
}

/** The GP env: the shared interface, plus the scoring mode its scores record. */
export interface GpEnv extends Env<GpItem> {
  readonly mode: ScoringMode;
  score(item: GpItem, completion: string): GpScore;
}

export function makeGeneralPointsEnv(options: { mode?: ScoringMode } = {}): GpEnv {
  const mode = options.mode ?? "paper";
  return {
    id: GP_ENV_ID,
    version: 1,
    mode,
    settings: GP_SPLITS,

    generate(setting: string, key: number): GpItem {
      if (!isGpSplit(setting)) throw new RangeError(`unknown general-points split: ${setting}`);
      const task = generateTask(setting, key);
      return { ...task, env: GP_ENV_ID, setting, key, prompt: task.prompt, fallback: false };
    },

    solverCompletion(item: GpItem): string {
      const chosen = solverFormula(item);
      return renderAnswer(item.cards, item.promptValues, chosen?.formula ?? noSolutionFormula(item.promptValues));
    },

    cotCompletion(item: GpItem): string {
      const chosen = solverFormula(item);
      return renderCot(item.cards, item.promptValues, item.rule, chosen?.formula ?? noSolutionFormula(item.promptValues), item.target);
    },

    score(item: GpItem, completion: string): GpScore {
      const v = verifyResponse(completion, item.values, mode, item.target);
      return { reward: v.reward, success: v.reward === 5, valid: v.reward >= -1, reason: REASON[v.outcome], mode, outcome: v.outcome };
    },

    stateHash(item: GpItem): string {
      return gpStateHash(item);
    },

    difficulty(item: GpItem): Record<string, number> {
      const hand = handFor(item.values, item.target);
      const unsafe = allSolutions(hand).filter((s) => !paperSafe(s, item.values, item.target)).length;
      return {
        cards: item.cards.length,
        faceCards: item.ranks.filter((r) => r >= 11 && r <= 13).length,
        maxValue: Math.max(...item.values),
        solutions: item.numSolutions,
        floatUnsafeSolutions: unsafe,
        draws: item.draws,
      };
    },
  };
}

/**
 * Canonical state for leak detection: the scoring value multiset, the target and the face-card
 * rule stated in the prompt (as values, so identical rules under two names collide on purpose).
 * Never derived from the prompt text.
 */
export function gpStateHash(task: Pick<GpTask, "values" | "mapping" | "target">): string {
  const m = FACE_CARD_MAPPINGS[task.mapping];
  const values = [...task.values].sort((a, b) => a - b).join(",");
  const canonical = `general-points|target=${task.target}|values=${values}|rule=J:${m.J},Q:${m.Q},K:${m.K}`;
  return createHash("sha256").update(canonical).digest("hex");
}

/** The default (paper-mode) environment. */
export const generalPointsEnv = makeGeneralPointsEnv();
