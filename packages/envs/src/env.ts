/**
 * The one environment interface every task implements (docs/conventions.md#one-environment-interface).
 *
 * Shared code (datasets, eval, the `env batch` protocol, the conformance test) only talks to
 * this interface and never branches on an env's name. Task-specific operations that the
 * `env batch` protocol exposes (Sokoban `step`, GP `solve` over raw values, ...) live in the
 * task's own module and are wired in by that module's adapter.
 */

/** Why a single answer did not earn full reward. Fixed taxonomy shared with evaluation. */
export type FailureReason =
  | "format" // no parsable <answer> / malformed tags
  | "unknown_label" // Sokoban: the answer is not one of the prompt's labels
  | "wrong_action" // Sokoban single-step: a valid label, but not the optimal action
  | "invalid_formula" // GP: not a well-formed arithmetic expression
  | "wrong_numbers" // GP: does not use exactly the given values
  | "wrong_value" // GP: well-formed, right numbers, value is not 24
  | "not_solved" // multi-turn episode ended without solving
  | "endpoint_error"; // the model endpoint failed (set by the harness, never by an env)

export interface Score {
  /** The task's reward (Sokoban single-step 0|1, GP 5|-1|-2|-3). */
  reward: number;
  /** Full marks: the answer is correct. */
  success: boolean;
  /** The answer is well-formed in the paper's sense (Sokoban: a known label; GP: reward >= -1). */
  valid: boolean;
  reason: FailureReason | null;
}

/** One generated task item, ready to prompt a model with. */
export interface TaskItem {
  /** `sokoban` | `general-points` */
  env: string;
  /** Setting / split name this item was generated for (e.g. `id`, `alpha`, `all-5`). */
  setting: string;
  /** Seed (Sokoban) or index (General Points) the item was generated from. */
  key: number;
  /** The exact prompt text of the paper's template for this item. */
  prompt: string;
  /**
   * True when the reference itself is not reproducible for this key (generator retry reseeded
   * through CPython's salted string hash) and our documented deterministic fallback was used.
   */
  fallback: boolean;
}

export interface Env<I extends TaskItem = TaskItem> {
  /** Stable id, e.g. `sokoban`. */
  readonly id: string;
  /** Bumped on any change that could move results. */
  readonly version: number;
  /** Setting / split names accepted by `generate`. */
  readonly settings: readonly string[];
  /** Deterministic: the same (setting, key) gives a byte-identical item. */
  generate(setting: string, key: number): I;
  /** A completion the solver would give, in the prompt's own vocabulary/rule (answer-only). */
  solverCompletion(item: I): string;
  /** A solver-written chain-of-thought completion ending in the same answer. */
  cotCompletion(item: I): string;
  /** Score one completion for this item (single step). Never throws on arbitrary text. */
  score(item: I, completion: string): Score;
  /** Canonical state hash for leak detection; never derived from the prompt text. */
  stateHash(item: I): string;
  /** Difficulty statistics (e.g. optimal plan length, number of boxes, solution count). */
  difficulty(item: I): Record<string, number>;
}

/** `sokoban@1` */
export function envRef(env: Pick<Env, "id" | "version">): string {
  return `${env.id}@${env.version}`;
}
