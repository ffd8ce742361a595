/**
 * Training-pair expansion (docs/sokoban-rules.md#training-pairs, docs/prompts.md#sokoban-prompt-diversity, docs/prompts.md#sokoban-targets): for every training level,
 * BFS once, then one (observation, next optimal action) example per state along the plan,
 * stepping the env after each. Levels whose plan is empty are skipped. With seeds 42–1041 this
 * gives 3,982 pairs (the paper reports 3,981).
 *
 * Diverse variant: row r of the expanded dataset gets the random-word vocabulary `vocabulary(r)`
 * in its `Answers:` block and target; nothing else changes.
 */
import { levelToRows, renderObservation, type ActionId } from "./board.js";
import { SokobanGame } from "./dynamics.js";
import { generateLevel } from "./generator.js";
import { VOCABULARIES, trainPrompt, vocabulary, wordVocabulary, type Labels } from "./prompts.js";
import { SETTINGS, settingSeeds } from "./settings.js";
import { solve } from "./solver.js";

export interface TrainingPair {
  /** 0-based row of the expanded dataset. */
  row: number;
  seed: number;
  /** Position along the level's plan (0 = initial board). */
  step: number;
  /** Optimal plan length of the level this pair comes from. */
  pathLength: number;
  /** Board of this state, compact rows. */
  rows: string[];
  prompt: string;
  /** BFS action for this state. */
  answerId: ActionId;
  /** Labels printed in the prompt (Up, Down, Left, Right order). */
  labels: Labels;
  /** `answerId` written in the prompt's vocabulary. */
  label: string;
  /** Answer-only SFT target (after the pre-filled `<think>`). */
  completion: string;
}

/** Answer-only target: an empty reasoning block, the label, a newline (EOS is the trainer's). */
export function answerOnlyCompletion(label: string): string {
  return `</think> <answer> ${label} </answer>\n`;
}

export interface TrainingPairOptions {
  /** Level seeds (default: the training setting's 42–1041). */
  seeds?: Iterable<number>;
  /** Random-word vocabulary per row instead of the frozen base prompt. */
  diverse?: boolean;
}

export function* trainingPairs(opts: TrainingPairOptions = {}): Generator<TrainingPair> {
  const train = SETTINGS.train!;
  let row = 0;
  for (const seed of opts.seeds ?? settingSeeds(train)) {
    const g = generateLevel({ rows: train.rows, cols: train.cols, numBoxes: train.numBoxes }, seed);
    const plan = solve(g.level);
    if (plan.length === 0) continue;
    const game = new SokobanGame(g.level, { numBoxes: train.numBoxes });
    for (let i = 0; i < plan.length; i++, row++) {
      const answerId = plan[i]!;
      const labels = opts.diverse ? vocabulary(row) : VOCABULARIES.base.labels;
      const vocab = opts.diverse ? wordVocabulary(labels) : VOCABULARIES.base;
      const label = labels[answerId - 1]!;
      yield {
        row,
        seed,
        step: i,
        pathLength: plan.length,
        rows: levelToRows(game.level),
        prompt: trainPrompt(renderObservation(game.level), vocab),
        answerId,
        labels,
        label,
        completion: answerOnlyCompletion(label),
      };
      game.step(answerId);
    }
  }
}
