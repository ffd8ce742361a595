/**
 * Task generation for every split (docs/gp-rules.md#task-generation), seed for seed with the reference.
 *
 * Per task: `random.seed(42 + index)`, then (CPython `random`, in this exact call order)
 *   1. N−1 (or N) × randint(1, largest) [+ the forced randint(11|14, largest) when OOD];
 *   2. shuffle(ranks);
 *   3. solve: shuffle(sorted distinct orderings) — the solver's own RNG use;
 *   4. if no solution: back to 1 (RNG continues), at most 50 redraws;
 *   5. choice(solutions) — one _randbelow(len(solutions)).
 * Steps 3 and 5 are replayed on the memo table (solver.ts), so the RNG advances exactly as in
 * the reference and the chosen string is the reference's.
 */

import { PyRandom } from "../random/pyrandom.js";
import {
  DIVERSE_MAPPINGS,
  FACE_CARD_MAPPINGS,
  LEGACY_RULE_ALL_10,
  rankToString,
  rankValue,
  ruleMessage,
  type MappingName,
} from "./cards.js";
import { renderAnswer, renderPrompt, type PromptStyle } from "./prompt.js";
import { TARGET, handFor, solutionAt, type Hand } from "./solver.js";

export const GP_SPLITS = [
  "train-frozen",
  "train-diverse",
  "id",
  "all-5",
  "all-7",
  "all-12",
  "regular",
  "large",
  "five",
  "fake",
  "all-5-fake",
] as const;
export type GpSplit = (typeof GP_SPLITS)[number];

export interface SplitConfig {
  /** Dataset name in the reference (`test_*` parquet split, or the training set). */
  readonly reference: string;
  readonly numCards: number;
  readonly largest: number;
  /** Force one card from 11..13 (or 14..largest when largest ≥ 14). */
  readonly ood: boolean;
  /** The rule stated in the prompt; `null` = by index (diverse training). */
  readonly mapping: MappingName | null;
  /** Scoring ignores the stated rule: every face card is worth 10. */
  readonly fake: boolean;
  readonly style: PromptStyle;
  /** Largest valid index (inclusive); test splits are open-ended (the paper uses 0..499). */
  readonly maxIndex: number;
}

const OPEN = Number.MAX_SAFE_INTEGER - 42;
/** Tasks per mapping in the diverse training set. */
export const DIVERSE_PER_MAPPING = 1250;

export const SPLITS: Readonly<Record<GpSplit, SplitConfig>> = {
  // Stand-in for Chu et al.'s data (not downloadable): same distribution — 4 cards, ranks 1..13,
  // J=Q=K=10, redraw until solvable — drawn with the debunk generator's legacy-wording path.
  "train-frozen": {
    reference: "train (Chu et al. GP-L, regenerated)",
    numCards: 4,
    largest: 13,
    ood: false,
    mapping: "all_10",
    fake: false,
    style: "frozen",
    maxIndex: OPEN,
  },
  "train-diverse": {
    reference: "train (diverse, preset 'mixed')",
    numCards: 4,
    largest: 13,
    ood: false,
    mapping: null,
    fake: false,
    style: "train",
    maxIndex: DIVERSE_MAPPINGS.length * DIVERSE_PER_MAPPING - 1,
  },
  id: { reference: "test_id", numCards: 4, largest: 13, ood: true, mapping: "all_10", fake: false, style: "test", maxIndex: OPEN },
  "all-5": { reference: "test_all_5", numCards: 4, largest: 13, ood: true, mapping: "all_5", fake: false, style: "test", maxIndex: OPEN },
  "all-7": { reference: "test_all_7", numCards: 4, largest: 13, ood: true, mapping: "all_7", fake: false, style: "test", maxIndex: OPEN },
  "all-12": {
    reference: "test_all_12",
    numCards: 4,
    largest: 13,
    ood: true,
    mapping: "all_12",
    fake: false,
    style: "test",
    maxIndex: OPEN,
  },
  regular: {
    reference: "test_face_card_as_regular",
    numCards: 4,
    largest: 13,
    ood: true,
    mapping: "mixed_11_12_13",
    fake: false,
    style: "test",
    maxIndex: OPEN,
  },
  large: { reference: "test_large", numCards: 4, largest: 19, ood: true, mapping: "all_10", fake: false, style: "test", maxIndex: OPEN },
  five: { reference: "test_5cards", numCards: 5, largest: 13, ood: false, mapping: "all_10", fake: false, style: "test", maxIndex: OPEN },
  fake: {
    reference: "test_fake",
    numCards: 4,
    largest: 13,
    ood: true,
    mapping: "mixed_11_12_13",
    fake: true,
    style: "test",
    maxIndex: OPEN,
  },
  "all-5-fake": {
    reference: "test_all_5_fake",
    numCards: 4,
    largest: 13,
    ood: true,
    mapping: "all_5",
    fake: true,
    style: "test",
    maxIndex: OPEN,
  },
};

export function isGpSplit(name: string): name is GpSplit {
  return (GP_SPLITS as readonly string[]).includes(name);
}

/** Redraws after the first draw before the reference gives up on a task. */
export const MAX_REDRAWS = 50;

export interface GpTask {
  readonly split: GpSplit;
  readonly index: number;
  readonly seed: number;
  /** Face-card rule stated in the prompt. */
  readonly mapping: MappingName;
  /** The RULE phrase as printed. */
  readonly rule: string;
  readonly ranks: readonly number[];
  /** Card strings as shown (`A`, `2` … `10`, `J`, `Q`, `K`, `14` … `19`). */
  readonly cards: readonly string[];
  /** Values used for scoring (the reference's `display_cards`). */
  readonly values: readonly number[];
  /** Values under the prompt's stated rule (differ from `values` only on fake splits). */
  readonly promptValues: readonly number[];
  readonly target: number;
  /** The reference answer: `random.choice` over the solver's (shuffled) solution list. */
  readonly solution: string;
  /** Length of that solution list. */
  readonly numSolutions: number;
  /** Draws used (1 + redraws). */
  readonly draws: number;
  readonly prompt: string;
  /** The answer-only target text. */
  readonly answer: string;
}

/** Mapping stated by a split for a given index (diverse training: by blocks of 1,250). */
export function mappingFor(split: GpSplit, index: number): MappingName {
  const cfg = SPLITS[split];
  return cfg.mapping ?? DIVERSE_MAPPINGS[Math.floor(index / DIVERSE_PER_MAPPING)]!;
}

export class GpGenerationError extends Error {
  // No GP-specific code in the catalogue (packages/contracts errors.ts); the reference would skip the task.
  readonly code = "TY_ERR_ENV_INTERNAL";
}

function drawRanks(rng: PyRandom, cfg: SplitConfig): number[] {
  const { numCards, largest } = cfg;
  const ranks: number[] = [];
  if (!cfg.ood || largest < 11) {
    for (let i = 0; i < numCards; i++) ranks.push(rng.randint(1, largest));
  } else {
    for (let i = 0; i < numCards - 1; i++) ranks.push(rng.randint(1, largest));
    ranks.push(rng.randint(largest >= 14 ? 14 : 11, largest));
  }
  rng.shuffle(ranks);
  return ranks;
}

/** Generates task `index` of `split`; identical output for identical arguments. */
export function generateTask(split: GpSplit, index: number): GpTask {
  const cfg = SPLITS[split];
  if (!Number.isSafeInteger(index) || index < 0 || index > cfg.maxIndex) {
    throw new RangeError(`index must be an integer in 0..${cfg.maxIndex} for split ${split}, got ${index}`);
  }
  const mappingName = mappingFor(split, index);
  const mapping = FACE_CARD_MAPPINGS[mappingName];
  const seed = 42 + index;
  const rng = new PyRandom(seed);
  let ranks: number[] = [];
  let values: number[] = [];
  let hand: Hand | null = null;
  let order: number[] = [];
  let draws = 0;
  while (draws <= MAX_REDRAWS) {
    ranks = drawRanks(rng, cfg);
    values = ranks.map((r) => rankValue(r, mapping, cfg.fake));
    draws++;
    hand = handFor(values, TARGET);
    // The reference shuffles its ordering list inside every solve, solvable or not.
    order = hand.perms.map((_, i) => i);
    rng.shuffle(order);
    if (hand.total > 0) break;
  }
  if (!hand || hand.total === 0) {
    // The reference skips such a task (never observed for the paper's splits).
    throw new GpGenerationError(`no solvable draw for ${split} index ${index} after ${MAX_REDRAWS} redraws`);
  }
  const solution = solutionAt(hand, order, rng._randbelow(hand.total));
  const cards = ranks.map(rankToString);
  const rule = cfg.style === "frozen" ? LEGACY_RULE_ALL_10 : ruleMessage(mapping);
  return {
    split,
    index,
    seed,
    mapping: mappingName,
    rule,
    ranks,
    cards,
    values,
    promptValues: cfg.fake ? ranks.map((r) => rankValue(r, mapping)) : values,
    target: TARGET,
    solution,
    numSolutions: hand.total,
    draws,
    prompt: renderPrompt(cfg.style, rule, cards, TARGET),
    answer: renderAnswer(cards, values, solution),
  };
}
