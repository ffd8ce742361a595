/**
 * `sokobanEnv`: the shared Env interface over the Sokoban modules.
 *
 * Single-step scoring (`score`) — our reading of the spec, stated here because it decides what
 * "correct" means per setting:
 *  - `train` items use the RL reward of docs/sokoban-rules.md#single-step-reward (tag gate, vocabulary read from the prompt's
 *    `Answers:` block, `n(label)`/label/digit tokens) against the BFS action;
 *  - evaluation-setting items use the evaluation parser of docs/sokoban-rules.md#evaluation-parser against the labels the ENV
 *    accepts (so on Fake a numerical answer is an unknown label, as in the multi-turn eval), and
 *    the answer is correct when it is the BFS action.
 * Multi-turn success is played with `SokobanEpisode`.
 */
import { createHash } from "node:crypto";
import type { Env, FailureReason, Score } from "../env.js";
import { playerIndex } from "./board.js";
import { cotCompletion as writeCot } from "./cot.js";
import { answerOnlyCompletion } from "./dataset.js";
import { sokobanBatch } from "./batch-ops.js";
import { sokobanEvalEpisode } from "./episode.js";
import { renderableTexts } from "./prompts.js";
import { showSokobanLevel } from "./show.js";
import { generateItem, itemLevel, type SokobanItem } from "./items.js";
import { parseEvalDetailed, rlRewardDetail } from "./parse.js";
import { PAPER_EVAL_SETTINGS, SETTING_NAMES, getSetting } from "./settings.js";

function solverLabel(item: SokobanItem): string {
  return item.promptLabels[(item.optimal[0] ?? 1) - 1]!;
}

function score(item: SokobanItem, completion: string): Score {
  const answerId = item.optimal[0] ?? 0;
  const setting = getSetting(item.setting);
  if (!setting.evalPrompt) {
    const r = rlRewardDetail(item.prompt, completion, answerId);
    return { reward: r.reward, success: r.reward === 1, valid: r.valid, reason: r.reason };
  }
  const p = parseEvalDetailed(completion, item.accepted);
  let reason: FailureReason | null = null;
  if (p.kind === "no_answer") reason = "format";
  else if (p.kind === "unknown_label") reason = "unknown_label";
  else if (p.actionId !== answerId) reason = "wrong_action";
  return { reward: reason === null ? 1 : 0, success: reason === null, valid: p.kind === "ok", reason };
}

/** Canonical state of an item: size, board and player position (never the prompt text). */
export function stateHash(item: Pick<SokobanItem, "rows">): string {
  const level = itemLevel(item);
  const p = playerIndex(level);
  const canon = `sokoban-state-v1|${level.rows}x${level.cols}|${item.rows.join("/")}|player=${Math.floor(p / level.cols)},${p % level.cols}`;
  return createHash("sha256").update(canon, "utf8").digest("hex");
}

const EXTRA_EVAL_SETTINGS = SETTING_NAMES.filter(
  (n) => getSetting(n).evalPrompt && !(PAPER_EVAL_SETTINGS as readonly string[]).includes(n),
);

export const sokobanEnv: Env<SokobanItem> = {
  id: "sokoban",
  aliases: [],
  version: 1,
  settings: SETTING_NAMES,
  evalSplits: [...PAPER_EVAL_SETTINGS, ...EXTRA_EVAL_SETTINGS],
  paperSplits: PAPER_EVAL_SETTINGS,
  // The prompts carry their own Qwen-style wrapper as text; the paper sends them raw.
  template: "raw",
  // docs/paper.md#evaluation-protocol
  sampling: Object.freeze({ temperature: 0.5, topP: 1, n: 1, maxTokens: 4096 }),
  // Levels are generated per seed, so a split has no fixed size.
  maxEvalItems: 10_000,
  splitName: "setting",
  keyName: "seed",
  firstKey: (split) => getSetting(split).firstSeed,
  episode: sokobanEvalEpisode,
  batch: sokobanBatch,
  // `vocabulary` (the diverse training vocabulary) needs no env field.
  envlessBatchOps: ["vocabulary"],
  tokenizerTexts: renderableTexts,
  show: showSokobanLevel,
  generate: generateItem,
  solverCompletion: (item) => answerOnlyCompletion(solverLabel(item)),
  cotCompletion: (item) => writeCot(itemLevel(item), item.optimal, item.promptLabels, getSetting(item.setting).prompt.shown),
  score,
  stateHash,
  difficulty: (item) => {
    const level = itemLevel(item);
    let floor = 0;
    for (const f of level.fixed) if (f !== 0) floor++;
    return {
      optimalLength: item.optimal.length,
      solvable: item.optimal.length > 0 ? 1 : 0,
      numBoxes: item.numBoxes,
      rows: level.rows,
      cols: level.cols,
      floorCells: floor,
      displacement: item.displacement,
      fallback: item.fallback ? 1 : 0,
    };
  },
};
