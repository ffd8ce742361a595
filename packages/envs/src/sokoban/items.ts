/**
 * Task items: one generated level of a setting, its exact prompt and its BFS plan.
 */
import type { TaskItem } from "../env.js";
import { actionName, levelToRows, parseRows, renderObservation, type ActionId, type Level } from "./board.js";
import { generateLevel } from "./generator.js";
import { evalPrompt, trainPrompt, type Labels } from "./prompts.js";
import { getSetting, type SokobanSetting } from "./settings.js";
import { MAX_DEPTH, solve } from "./solver.js";

export interface SokobanItem extends TaskItem {
  env: "sokoban";
  /** Initial board, compact rows (`# _ O X P √ S`, one character per cell). */
  rows: string[];
  numBoxes: number;
  /** BFS-optimal plan from the initial board (Up/Down/Left/Right ids). */
  optimal: ActionId[];
  /** Labels printed in the prompt (Up, Down, Left, Right order). */
  promptLabels: Labels;
  /** Labels the environment accepts. */
  accepted: Labels;
  /** Seed that finally produced the level (differs from `key` after retries). */
  usedSeed: number;
  /** Total box displacement of the reverse-play state the generator kept. */
  displacement: number;
}

/** The prompt a setting shows for a board. */
export function promptFor(setting: SokobanSetting, level: Level): string {
  const obs = renderObservation(level);
  return setting.evalPrompt ? evalPrompt(obs, setting.prompt) : trainPrompt(obs, setting.prompt);
}

export function generateItem(settingName: string, seed: number): SokobanItem {
  const setting = getSetting(settingName);
  const g = generateLevel({ rows: setting.rows, cols: setting.cols, numBoxes: setting.numBoxes, searchDepth: MAX_DEPTH }, seed);
  return {
    env: "sokoban",
    setting: setting.name,
    key: seed,
    prompt: promptFor(setting, g.level),
    fallback: g.fallback,
    rows: levelToRows(g.level),
    numBoxes: setting.numBoxes,
    optimal: solve(g.level),
    promptLabels: setting.prompt.labels,
    accepted: setting.accepted,
    usedSeed: g.usedSeed,
    displacement: g.displacement,
  };
}

export function itemLevel(item: Pick<SokobanItem, "rows">): Level {
  return parseRows(item.rows);
}

export function optimalNames(item: Pick<SokobanItem, "optimal">): string[] {
  return item.optimal.map(actionName);
}
