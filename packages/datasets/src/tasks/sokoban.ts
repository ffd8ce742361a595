/**
 * Sokoban training pairs and evaluation levels (docs/sokoban-rules.md#training-pairs, docs/sokoban-rules.md#settings; docs/prompts.md#sokoban-prompt-diversity, docs/prompts.md#sokoban-targets).
 *
 * Training: every training level is generated and solved, then expanded into one item per
 * state along its BFS plan (stepping the game after each), exactly like envs' `trainingPairs`,
 * lazily, level by level, each time a file asks for them (the build writes rows as they come);
 * the frozen and diverse sets have the same expansion and differ only in the vocabulary of row r
 * (`vocabulary(r)`, r = position in the full expansion, kept even if leak removal drops rows).
 * Each state is a full `SokobanItem` of setting `train`, so the env's own `solverCompletion`,
 * `cotCompletion`, `score` and `stateHash` apply to it unchanged.
 *
 * Evaluation: one row per level (played live, multi-turn, by the eval harness).
 */
import { envRef, sokoban, templateFor } from "@trainyard/envs";
import type { SeedRange } from "../spec.js";
import { seedList } from "../seeds.js";
import type { BuildContext, EvalEntry, TaskSource, TrainEntry } from "./types.js";

type Item = sokoban.SokobanItem;

interface State {
  seed: number;
  step: number;
  pathLength: number;
  /** Row of the full expansion (the diverse vocabulary index). */
  row: number;
  rows: string[];
  observation: string;
  plan: sokoban.ActionId[];
  usedSeed: number;
  displacement: number;
  fallback: boolean;
  hash: string;
}

export class SokobanSource implements TaskSource<Item> {
  readonly env = sokoban.sokobanEnv;
  readonly template = templateFor(sokoban.sokobanEnv.id);
  private readonly ref = envRef(sokoban.sokobanEnv);

  constructor(private readonly ranges: { frozen: SeedRange; diverse: SeedRange }) {}

  trainUnits(data: "frozen" | "diverse"): number {
    return this.ranges[data].size;
  }

  trainSeeds(data: "frozen" | "diverse"): Record<string, unknown> {
    const r = this.ranges[data];
    return { levels: r.size, first: r.seedStart, last: r.seedStart + r.size - 1 };
  }

  /**
   * Generates, solves and expands the levels of a seed range, one level at a time: nothing is
   * kept between levels, so a caller that writes each state as it comes holds one level in memory.
   */
  private async *expand(range: SeedRange, ctx: BuildContext): AsyncIterable<State> {
    const train = sokoban.getSetting("train");
    let row = 0;
    for (const seed of seedList(range)) {
      const g = sokoban.generateLevel({ rows: train.rows, cols: train.cols, numBoxes: train.numBoxes }, seed);
      const plan = sokoban.solve(g.level);
      const states: State[] = [];
      if (plan.length > 0) {
        const game = new sokoban.SokobanGame(g.level, { numBoxes: train.numBoxes });
        for (let i = 0; i < plan.length; i++) {
          const rows = sokoban.levelToRows(game.level);
          states.push({
            seed,
            step: i,
            pathLength: plan.length,
            row: row++,
            rows,
            observation: sokoban.renderObservation(game.level),
            plan: plan.slice(i),
            usedSeed: g.usedSeed,
            displacement: g.displacement,
            fallback: g.fallback,
            hash: sokoban.stateHash({ rows }),
          });
          game.step(plan[i]!);
        }
      }
      await ctx.ticker.tick();
      yield* states;
    }
  }

  async *train(data: "frozen" | "diverse", ctx: BuildContext): AsyncIterable<TrainEntry<Item>> {
    const base = sokoban.VOCABULARIES.base;
    for await (const s of this.expand(this.ranges[data], ctx)) {
      const labels = data === "diverse" ? sokoban.vocabulary(s.row) : base.labels;
      const vocab = data === "diverse" ? sokoban.wordVocabulary(labels) : base;
      const answerId = s.plan[0]!;
      const item: Item = {
        env: "sokoban",
        setting: "train",
        key: s.seed,
        prompt: sokoban.trainPrompt(s.observation, vocab),
        fallback: s.fallback,
        rows: s.rows,
        numBoxes: 1,
        optimal: s.plan,
        promptLabels: labels,
        accepted: labels,
        usedSeed: s.usedSeed,
        displacement: s.displacement,
      };
      yield {
        id: `sokoban/train/${s.seed}/${s.step}`,
        item,
        hash: s.hash,
        reward: { op: "reward", env: "sokoban", answerId },
        meta: {
          id: `sokoban/train/${s.seed}/${s.step}`,
          split: "train",
          data,
          env: this.ref,
          stateHash: s.hash,
          answer: labels[answerId - 1]!,
          answerId,
          labels: [...labels],
          seed: s.seed,
          step: s.step,
          pathLength: s.pathLength,
          row: s.row,
          rows: s.rows,
        },
      };
    }
  }

  async evalSplit(split: { name: string; size: number; seedStart: number }, ctx: BuildContext): Promise<EvalEntry[]> {
    const out: EvalEntry[] = [];
    for (const seed of seedList(split)) {
      const item = this.env.generate(split.name, seed);
      const hash = this.env.stateHash(item);
      out.push({
        id: `sokoban/${split.name}/${seed}`,
        hash,
        row: {
          id: `sokoban/${split.name}/${seed}`,
          split: split.name,
          setting: item.setting,
          seed,
          env: this.ref,
          stateHash: hash,
          rows: item.rows,
          numBoxes: item.numBoxes,
          optimalLength: item.optimal.length,
          optimal: item.optimal.map(sokoban.actionName),
          solvable: item.optimal.length > 0,
          labels: [...item.promptLabels],
          accepted: [...item.accepted],
          fallback: item.fallback,
          usedSeed: item.usedSeed,
          prompt: item.prompt,
        },
      });
      await ctx.ticker.tick();
    }
    return out;
  }
}
