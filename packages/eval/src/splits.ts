/**
 * Evaluation splits, item keys and the paper's sampling, per env.
 *
 * Split names are the public vocabulary of packages/contracts (the same as `trainyard env batch`),
 * kept only where the env defines them. The first N items of a split are the paper's, in order:
 * Sokoban seeds `firstSeed + i` of the setting (docs/sokoban-rules.md#evaluation-seeds: ID 123…, Large 223…), GP task
 * indices 0..N-1 (docs/gp-rules.md#splits). Past a Sokoban setting's 100 paper seeds the count
 * simply continues (firstSeed + 100, …), which overlaps the next setting's seed range — harmless,
 * since a seed only means something together with its setting.
 */
import { TASK_SPLITS, type TaskName } from "@trainyard/contracts";
import { gp, sokoban } from "@trainyard/envs";
import type { Sampling, TemplateMode } from "@trainyard/outbound";

export type EvalEnv = TaskName;
export const EVAL_ENVS: readonly EvalEnv[] = ["sokoban", "general-points"];

const defined: Record<EvalEnv, readonly string[]> = {
  sokoban: sokoban.SETTING_NAMES,
  "general-points": gp.GP_SPLITS,
};

/** Evaluation splits per env, in the paper's column order, then the extra variants. */
export const EVAL_SPLITS: Record<EvalEnv, readonly string[]> = {
  sokoban: TASK_SPLITS.sokoban.filter((s) => defined.sokoban.includes(s)),
  "general-points": TASK_SPLITS["general-points"].filter((s) => defined["general-points"].includes(s)),
};

/** `gp` is accepted as a short name for `general-points`. */
export function parseEnv(name: string): EvalEnv | null {
  if (name === "gp") return "general-points";
  return (EVAL_ENVS as readonly string[]).includes(name) ? (name as EvalEnv) : null;
}

export function isEvalSplit(env: EvalEnv, split: string): boolean {
  return EVAL_SPLITS[env].includes(split);
}

/** Sokoban's prompts carry their own Qwen-style wrapper as text (raw); GP used the chat template. */
export const DEFAULT_TEMPLATE: Record<EvalEnv, TemplateMode> = { sokoban: "raw", "general-points": "chat" };

/** The paper's decoding (docs/paper.md#evaluation-protocol): temperature 0.5, top-p 1, one sample; 4,096 / 8,192 new tokens. */
export const PAPER_SAMPLING: Record<EvalEnv, Readonly<Sampling>> = {
  sokoban: Object.freeze({ temperature: 0.5, topP: 1, n: 1, maxTokens: 4096 }),
  "general-points": Object.freeze({ temperature: 0.5, topP: 1, n: 1, maxTokens: 8192 }),
};

/** Keys (Sokoban seeds, GP indices) of the first `n` items of a split. */
export function splitKeys(env: EvalEnv, split: string, n: number): number[] {
  if (!isEvalSplit(env, split)) throw new RangeError(`unknown split '${split}' for ${env}; one of ${EVAL_SPLITS[env].join(", ")}`);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const first = env === "sokoban" ? sokoban.getSetting(split).firstSeed : 0;
  return Array.from({ length: n }, (_, i) => first + i);
}

/** The stable identity of one evaluation item: `<split>/<key>` (what a resume store remembers). */
export function itemKey(split: string, key: number): string {
  return `${split}/${key}`;
}

/**
 * Per-request seed when a base seed is asked for: distinct per item and Sokoban turn, the same
 * across runs and splits (so two checkpoints see the same seed on the same item).
 */
export function requestSeed(base: number, key: number, turn: number): number {
  return (base + key * 64 + turn) % 2_147_483_647;
}
