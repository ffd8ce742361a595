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
import type { TaskName } from "@trainyard/contracts";
import type { Sampling } from "@trainyard/outbound";
import { getEnv, requireEnv } from "@trainyard/envs";

export type EvalEnv = TaskName;

/** Evaluation splits per env, in the paper's column order, then the extra variants. */
export function evalSplits(env: EvalEnv): readonly string[] {
  return requireEnv(env).evalSplits;
}

/** An env's id from its name or alias (`gp` for `general-points`); null when none is registered. */
export function parseEnv(name: string): EvalEnv | null {
  return (getEnv(name)?.id as EvalEnv | undefined) ?? null;
}

/** The paper's decoding (docs/paper.md#evaluation-protocol): temperature 0.5, top-p 1, one sample; 4,096 / 8,192 new tokens. */
export function paperSampling(env: EvalEnv): Readonly<Sampling> {
  return requireEnv(env).sampling;
}

/** Keys (Sokoban seeds, GP indices) of the first `n` items of a split. */
export function splitKeys(env: EvalEnv, split: string, n: number): number[] {
  const e = requireEnv(env);
  if (!e.evalSplits.includes(split)) throw new RangeError(`unknown split '${split}' for ${env}; one of ${e.evalSplits.join(", ")}`);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`n must be a positive integer, got ${n}`);
  const first = e.firstKey(split);
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
