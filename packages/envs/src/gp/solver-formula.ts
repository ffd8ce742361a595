/**
 * The answer the GP solver gives (used by the adapter's completions and by `env show`), kept apart
 * from the adapter so the show view can use it without an import cycle.
 */
import type { GpTask } from "./generate.js";
import { handFor, orderingSolutions } from "./solver.js";
import { scoreFormula } from "./verifier.js";

export function paperSafe(formula: string, values: readonly number[], target: number): boolean {
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
