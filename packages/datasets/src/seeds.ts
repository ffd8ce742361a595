/**
 * Seed plans and their bounds.
 *
 * Sokoban evaluation seeds (docs/sokoban-rules.md#evaluation-seeds): the reference resets env k — counted across its
 * list of settings, 100 each — with base + k. Our settings carry that list position in their
 * default first seed (id 123, large 223, ... fake 823, then the extra variants), so split p gets
 * `base + p·size + i`. A split's levels therefore never depend on which other splits a spec
 * selects, and the paper's base 123 / size 100 reproduces its seeds exactly.
 */
import { gp, sokoban } from "@trainyard/envs";
import { invalidSpec } from "./errors.js";
import type { DatasetSpec, SeedRange } from "./spec.js";

const MAX_SEED = 0xffffffff;
/** GP task seed of index 0 (docs/gp-rules.md#drawing-cards: `random.seed(42 + index)`). */
export const GP_SEED0 = 42;

const EVAL_ORDER: readonly string[] = Object.values(sokoban.SETTINGS)
  .filter((s) => s.evalPrompt)
  .sort((a, b) => a.firstSeed - b.firstSeed)
  .map((s) => s.name);

/** Position of a Sokoban evaluation setting in the reference's seed order. */
export function sokobanSplitPosition(split: string): number {
  const p = EVAL_ORDER.indexOf(split);
  if (p < 0) throw new RangeError(`not a Sokoban evaluation setting: ${split}`);
  return p;
}

/** GP diverse training: rules in the reference's order, and the tasks each rule may use. */
export function gpDiverseLayout(): { rules: readonly string[]; perRuleMax: number } {
  const rules = gp.DIVERSE_MAPPINGS;
  return { rules, perRuleMax: (gp.SPLITS["train-diverse"].maxIndex + 1) / rules.length };
}

/**
 * Task indices of a GP diverse set of `size` tasks: `size / 8` per rule, taken from the same
 * offset inside each rule's block of 1,250 — the paper's 10,000 are exactly indices 0..9999.
 */
export function gpDiverseIndices(range: SeedRange): number[] {
  const { rules, perRuleMax } = gpDiverseLayout();
  const per = range.size / rules.length;
  const offset = range.seedStart - GP_SEED0;
  const out: number[] = [];
  for (let r = 0; r < rules.length; r++) for (let j = 0; j < per; j++) out.push(r * perRuleMax + offset + j);
  return out;
}

export function seedList(range: SeedRange): number[] {
  return Array.from({ length: range.size }, (_, i) => range.seedStart + i);
}

/** Rejects ranges the generators cannot serve, naming the field the user set. */
export function checkSeeds(spec: DatasetSpec, frozenOver: boolean, diverseOver: boolean, evalOver: Record<string, unknown>): void {
  const used = new Set(spec.train.arms.map((a) => a.data));
  const trainPath = (data: "frozen" | "diverse", field: string, over: boolean) => (over ? ["train", data, field] : ["train", field]);
  for (const data of ["frozen", "diverse"] as const) {
    if (!used.has(data)) continue;
    const r = spec.train[data];
    const over = data === "frozen" ? frozenOver : diverseOver;
    if (spec.task === "sokoban") {
      if (r.seedStart + r.size - 1 > MAX_SEED) {
        throw invalidSpec(trainPath(data, "size", over), `seeds ${r.seedStart}..${r.seedStart + r.size - 1} pass the largest seed 2^32-1`);
      }
      continue;
    }
    if (data === "frozen" && spec.train.frozenSource.kind === "upload") continue;
    if (r.seedStart < GP_SEED0) {
      throw invalidSpec(trainPath(data, "seedStart", over), `General Points task seeds start at ${GP_SEED0} (task 0); got ${r.seedStart}`);
    }
    if (data === "frozen") {
      const max = gp.SPLITS["train-frozen"].maxIndex + GP_SEED0;
      if (r.seedStart + r.size - 1 > max) throw invalidSpec(trainPath(data, "size", over), `seeds pass the largest task seed ${max}`);
      continue;
    }
    const { rules, perRuleMax } = gpDiverseLayout();
    if (r.size % rules.length !== 0) {
      throw invalidSpec(
        trainPath(data, "size", over),
        `the diverse set holds ${rules.length} face-card rules × N tasks: use a multiple of ${rules.length}`,
      );
    }
    if (r.seedStart - GP_SEED0 + r.size / rules.length > perRuleMax) {
      throw invalidSpec(
        trainPath(data, "size", over),
        `each rule has ${perRuleMax} tasks: (seedStart - ${GP_SEED0}) + size/${rules.length} must be at most ${perRuleMax}`,
      );
    }
  }
  for (const sp of spec.eval.splits) {
    const over = Object.prototype.hasOwnProperty.call(evalOver, sp.name);
    const path = (f: string) => (over ? ["eval", "overrides", sp.name, f] : ["eval", f]);
    if (spec.task === "general-points" && sp.seedStart < GP_SEED0) {
      throw invalidSpec(path("seedStart"), `General Points task seeds start at ${GP_SEED0} (task 0); got ${sp.seedStart}`);
    }
    if (sp.seedStart + sp.size - 1 > MAX_SEED) {
      throw invalidSpec(path("seedStart"), `split ${sp.name} would use seeds up to ${sp.seedStart + sp.size - 1}, past 2^32-1`);
    }
  }
}
