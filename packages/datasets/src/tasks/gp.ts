/**
 * General Points training tasks and the fixed evaluation sets (docs/gp-rules.md#task-generation).
 *
 * Frozen training data: the paper used a random 10k subset of Chu et al.'s released GP-L SFT
 * data, which cannot be downloaded here. By default we regenerate the equivalent: the same
 * distribution (4 cards, ranks 1..13, J=Q=K=10, redraw until solvable) with the legacy prompt
 * wording, through the envs split `train-frozen`. The manifest says so. A user who has the real
 * file uploads it to the artifact store and names it in `train.frozenSource` (gp-upload.ts).
 *
 * Diverse training data: 8 face-card rules × size/8 tasks, from the same offset inside each
 * rule's block of the envs split `train-diverse` (the paper's 10,000 = indices 0..9999).
 */
import { envRef, gp, templateFor } from "@trainyard/envs";
import type { SeedRange } from "../spec.js";
import { GP_SEED0, gpDiverseIndices } from "../seeds.js";
import { readUploadedFrozen, type UploadedTask } from "./gp-upload.js";
import type { BuildContext, DatasetTask, EvalEntry, TaskSource, TrainEntry } from "./types.js";

type Item = gp.GpItem;

export class GpSource implements TaskSource<Item> {
  readonly env: gp.GpEnv;
  readonly template = templateFor(gp.GP_ENV_ID);
  private readonly ref: string;
  private uploaded: Promise<UploadedTask[]> | null = null;

  constructor(
    private readonly ranges: { frozen: SeedRange; diverse: SeedRange },
    private readonly mode: "paper" | "exact",
    private readonly upload: string | null,
  ) {
    this.env = gp.makeGeneralPointsEnv({ mode });
    this.ref = envRef(this.env);
  }

  trainUnits(data: "frozen" | "diverse"): number {
    return this.ranges[data].size;
  }

  trainSeeds(data: "frozen" | "diverse"): Record<string, unknown> {
    const r = this.ranges[data];
    if (data === "frozen" && this.upload) return { tasks: r.size, source: this.upload };
    if (data === "frozen") return { tasks: r.size, split: "train-frozen", firstSeed: r.seedStart, lastSeed: r.seedStart + r.size - 1 };
    const idx = gpDiverseIndices(r);
    return {
      tasks: r.size,
      split: "train-diverse",
      rules: [...gp.DIVERSE_MAPPINGS],
      perRule: r.size / gp.DIVERSE_MAPPINGS.length,
      indices: `${r.seedStart - GP_SEED0}.. within each rule's block`,
      firstSeed: GP_SEED0 + (idx[0] ?? 0),
    };
  }

  reward(item: Item): Record<string, unknown> {
    return { op: "reward", env: "general-points", values: [...item.values], mode: this.mode };
  }

  /** Metadata columns shared by training and evaluation rows. */
  private meta(item: Item, hash: string): Record<string, unknown> {
    return {
      env: this.ref,
      stateHash: hash,
      index: item.index,
      seed: item.seed,
      cards: [...item.cards],
      values: [...item.values],
      promptValues: [...item.promptValues],
      rule: item.rule,
      mapping: item.mapping,
      solution: item.solution,
      numSolutions: item.numSolutions,
    };
  }

  private entry(item: Item, data: "frozen" | "diverse", answer?: string): TrainEntry<Item> {
    const hash = this.env.stateHash(item);
    const id = `general-points/${item.setting}/${item.index}`;
    return {
      id,
      item,
      hash,
      reward: this.reward(item),
      meta: { id, split: item.setting, data, ...this.meta(item, hash) },
      ...(answer !== undefined ? { answer } : {}),
    };
  }

  async *train(data: "frozen" | "diverse", ctx: BuildContext): AsyncIterable<TrainEntry<Item>> {
    const r = this.ranges[data];
    if (data === "frozen" && this.upload) {
      // Read (and its note written) once per build; an upload is read whole anyway.
      this.uploaded ??= readUploadedFrozen(ctx.store, this.upload, r.size, this.env, ctx.notes);
      for (const u of await this.uploaded) {
        yield this.entry(u.item, "frozen", u.answer);
        await ctx.ticker.tick();
      }
      return;
    }
    const split = data === "frozen" ? "train-frozen" : "train-diverse";
    const indices = data === "frozen" ? Array.from({ length: r.size }, (_, i) => r.seedStart - GP_SEED0 + i) : gpDiverseIndices(r);
    for (const index of indices) {
      yield this.entry(this.env.generate(split, index), data);
      await ctx.ticker.tick();
    }
  }

  async evalSplit(split: { name: string; size: number; seedStart: number }, ctx: BuildContext): Promise<EvalEntry[]> {
    const out: EvalEntry[] = [];
    for (let i = 0; i < split.size; i++) {
      const item = this.env.generate(split.name, split.seedStart - GP_SEED0 + i);
      const hash = this.env.stateHash(item);
      const id = `general-points/${split.name}/${item.index}`;
      out.push({
        id,
        hash,
        row: {
          id,
          split: split.name,
          prompt: [{ role: "user", content: item.prompt }],
          reward: this.reward(item),
          ...this.meta(item, hash),
        },
      });
      await ctx.ticker.tick();
    }
    return out;
  }
}

function gpRow(r: Record<string, unknown>): string[] {
  const cards = (r.cards as string[]) ?? [];
  return [
    `cards   ${cards.map((c) => `[${c}]`).join(" ")}`,
    `rule    ${String(r.rule)} (${String(r.mapping)})`,
    `values  ${(r.values as number[]).join(", ")}${JSON.stringify(r.values) !== JSON.stringify(r.promptValues) ? `  (scored; the stated rule gives ${(r.promptValues as number[]).join(", ")})` : ""}`,
    `answer  ${String(r.solution)} = 24`,
  ];
}

export const gpDataset: DatasetTask = {
  source: (spec) =>
    new GpSource(
      { frozen: spec.train.frozen, diverse: spec.train.diverse },
      spec.scoring,
      spec.train.frozenSource.kind === "upload" ? spec.train.frozenSource.uri : null,
    ) as unknown as TaskSource,
  notes(spec, used) {
    if (used.has("frozen") && spec.train.frozenSource.kind === "generated") {
      return [
        "frozen training data: the paper used a 10k subset of Chu et al.'s released GP-L SFT data, which cannot be downloaded here; these tasks are regenerated with the same distribution (4 cards, ranks 1..13, J=Q=K=10, redrawn until solvable) and the legacy wording \"count as '10'\" (envs split train-frozen). Upload the real file and set train.frozenSource to use it.",
      ];
    }
    return [];
  },
  // Fixed test sets: every split counts task indices from the same base.
  evalSeedStart: (_split, base) => base,
  previewRow: gpRow,
};
