/**
 * What the shared build needs from a task: its env (behind the shared Env interface), its
 * training items per data variant and its evaluation rows. The build never branches on the
 * task's name; everything task-specific is here, in sokoban.ts and gp.ts.
 */
import type { Env, TaskItem, TemplateMode } from "@trainyard/envs";
import type { ArtifactStore } from "../store.js";
import type { DatasetSpec } from "../spec.js";
import type { Ticker } from "../ticker.js";

export type Template = TemplateMode;
export type ChatMessage = { role: "user" | "assistant" | "system"; content: string };

export interface TrainEntry<I extends TaskItem = TaskItem> {
  /** Stable across builds of the same spec (journal and resume key). */
  id: string;
  item: I;
  /** env.stateHash(item): leak detection key. */
  hash: string;
  /** The `env batch` reward request, minus `prompt` / `response`. */
  reward: Record<string, unknown>;
  /** Metadata columns, in output order (ground truth, vocabulary or rule, split, env, seed, ...). */
  meta: Record<string, unknown>;
  /**
   * Answer-only target when it does not come from the solver (an uploaded row's own answer);
   * otherwise `env.solverCompletion(item)` is used.
   */
  answer?: string;
}

export interface EvalEntry {
  id: string;
  hash: string;
  /** The row without `inTrain` (added by the build once the training hashes are known). */
  row: Record<string, unknown>;
}

export interface BuildContext {
  spec: DatasetSpec;
  store: ArtifactStore;
  ticker: Ticker;
  notes: string[];
}

export interface TaskSource<I extends TaskItem = TaskItem> {
  readonly env: Env<I>;
  readonly template: Template;
  /** Work units `train` will tick for one data variant (progress only). */
  trainUnits(data: "frozen" | "diverse"): number;
  /**
   * The training items of one data variant, generated lazily in a fixed order (each call starts
   * over): the build streams them to disk and never holds a whole set.
   */
  train(data: "frozen" | "diverse", ctx: BuildContext): AsyncIterable<TrainEntry<I>>;
  evalSplit(split: { name: string; size: number; seedStart: number }, ctx: BuildContext): Promise<EvalEntry[]>;
  /** Seeds actually used per training data variant, for the manifest. */
  trainSeeds(data: "frozen" | "diverse"): Record<string, unknown>;
}

/**
 * The dataset builder's side of one task, registered in tasks/index.ts: its training and
 * evaluation source, its manifest notes and its preview rows.
 */
export interface DatasetTask {
  source(spec: DatasetSpec): TaskSource;
  /** Notes on this task's training data (departures from the paper); `used` = the arms' data variants. */
  notes(spec: DatasetSpec, used: ReadonlySet<string>): string[];
  /** First seed (or index) of an evaluation split of `size` items, from the spec's base seed. */
  evalSeedStart(split: string, base: number, size: number): number;
  /** Lines drawing one stored row for a person (`trainyard dataset show`). */
  previewRow(r: Record<string, unknown>): string[];
}

export function promptField(template: Template, text: string): string | ChatMessage[] {
  return template === "raw" ? text : [{ role: "user", content: text }];
}

export function completionField(template: Template, text: string): string | ChatMessage[] {
  return template === "raw" ? text : [{ role: "assistant", content: text }];
}
