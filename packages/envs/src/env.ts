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

/** How a prompt is sent to a model: as raw text, or as a user message under the model's chat template. */
export type TemplateMode = "raw" | "chat";

/** Decoding defaults for evaluation (the paper's, per task). */
export interface SamplingDefaults {
  temperature: number;
  topP: number;
  n: number;
  maxTokens: number;
}

/** What one evaluation turn did (the harness adds the request's prompt, text, tokens, timing). */
export interface EpisodeTurn {
  /** The answer as parsed (e.g. a Sokoban label), null when none was read or the task has none. */
  action: string | null;
  /** The env action executed, null for an invalid turn or a task without actions. */
  actionId: number | null;
  valid: boolean;
  reward: number;
  reason: FailureReason | null;
}

/** How an evaluation episode ended. `steps` only for tasks that execute env steps. */
export interface EpisodeEnd {
  success: boolean;
  validity: number;
  reward: number;
  reason: FailureReason | null;
  steps?: number;
}

/**
 * One evaluation item as the harness plays it: ask for `prompt()` until `done`, feeding each
 * completion to `act`. Pure: the harness owns the model calls, retries and records.
 */
export interface EvalEpisode {
  readonly done: boolean;
  /** Turns played so far (the next request's turn index). */
  readonly turn: number;
  prompt(): string;
  act(completion: string): EpisodeTurn;
  /** The result once `done`. */
  end(): EpisodeEnd;
  /** Reward (and steps) to record when the endpoint failed before the episode was done. */
  interrupted(): Pick<EpisodeEnd, "reward" | "steps">;
}

/**
 * Everything shared code needs from a task, so it looks the task up in the registry instead of
 * branching on its name (docs/conventions.md#adding-a-task).
 */
export interface Env<I extends TaskItem = TaskItem> {
  /** Stable id, e.g. `sokoban`. */
  readonly id: string;
  /** Other names the CLI accepts for this env (e.g. `gp`). */
  readonly aliases: readonly string[];
  /** Bumped on any change that could move results. */
  readonly version: number;
  /** Setting / split names accepted by `generate`. */
  readonly settings: readonly string[];
  /** Evaluation splits: the paper's columns in order, then the extra variants. */
  readonly evalSplits: readonly string[];
  /** The paper's Table 1 columns, in order. */
  readonly paperSplits: readonly string[];
  /** How this task's prompts are sent by default; read it through `templateFor`. */
  readonly template: TemplateMode;
  /** The paper's evaluation decoding. */
  readonly sampling: Readonly<SamplingDefaults>;
  /** Most items one evaluation of a split may ask for. */
  readonly maxEvalItems: number;
  /** Names of a split and of an item key, as flags and messages spell them (`setting`/`seed`, `split`/`index`). */
  readonly splitName: string;
  readonly keyName: string;
  /** Key of a split's first evaluation item; the first N items are keys `firstKey .. firstKey + N - 1`. */
  firstKey(split: string): number;
  /** A fresh evaluation episode for one item. */
  episode(split: string, key: number): EvalEpisode;
  /** One `env batch` request addressed to this env (the Python trainer's rewards). Throws a coded error on a bad request. */
  batch(req: Record<string, unknown>): Record<string, unknown>;
  /** `env batch` ops this env answers when a request names no env. */
  readonly envlessBatchOps: readonly string[];
  /** Every text the env can render into a prompt's answer vocabulary, for a tiny tokenizer that must know them. */
  tokenizerTexts(): string[];
  /** A person's view of one item (`trainyard env show`). */
  show(split: string, key: number): string;
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
