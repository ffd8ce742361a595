/**
 * General Points behind the shared `Env` interface (env.ts), registered in registry.ts.
 */

import { createHash } from "node:crypto";
import type { Env, FailureReason, Score, TaskItem } from "../env.js";
import { FACE_CARD_MAPPINGS } from "./cards.js";
import { renderCot } from "./cot.js";
import { GP_SPLITS, generateTask, isGpSplit, type GpTask } from "./generate.js";
import { renderAnswer } from "./prompt.js";
import { gpBatch } from "./batch-ops.js";
import { showGpTask } from "./show.js";
import { singleTurnEpisode } from "../episode.js";
import { paperSafe, solverFormula } from "./solver-formula.js";
import { allSolutions, handFor } from "./solver.js";
import { verifyResponse, type GpOutcome, type ScoringMode } from "./verifier.js";

export { solverFormula };

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

/** Fallback when the stated rule admits no solution: every number once, summed (a wrong answer). */
function noSolutionFormula(numbers: readonly number[]): string {
  return numbers.join("+");
}

/** The GP env: the shared interface, plus the scoring mode its scores record. */
export interface GpEnv extends Env<GpItem> {
  readonly mode: ScoringMode;
  score(item: GpItem, completion: string): GpScore;
}

/** Test splits: every split but the training ones, the paper's eight columns first. */
const GP_EVAL_SPLITS: readonly string[] = GP_SPLITS.filter((s) => !s.startsWith("train-"));

export function makeGeneralPointsEnv(options: { mode?: ScoringMode } = {}): GpEnv {
  const mode = options.mode ?? "paper";
  const env: GpEnv = {
    id: GP_ENV_ID,
    aliases: ["gp"],
    version: 1,
    mode,
    settings: GP_SPLITS,
    evalSplits: GP_EVAL_SPLITS,
    paperSplits: GP_EVAL_SPLITS.slice(0, 8),
    // GP prompts are plain text; the paper sent them through the model's chat template.
    template: "chat",
    // docs/paper.md#evaluation-protocol
    sampling: Object.freeze({ temperature: 0.5, topP: 1, n: 1, maxTokens: 8192 }),
    // Fixed test sets of 500 tasks per split.
    maxEvalItems: 500,
    splitName: "split",
    keyName: "index",
    firstKey: () => 0,
    episode(split: string, key: number) {
      const item = env.generate(split, key);
      return singleTurnEpisode(item.prompt, (completion) => env.score(item, completion));
    },
    batch: gpBatch,
    envlessBatchOps: [],
    tokenizerTexts: () => [],
    show: showGpTask,

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
  return env;
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
