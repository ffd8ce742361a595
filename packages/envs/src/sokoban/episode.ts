/**
 * Multi-turn evaluation episode (docs/sokoban-rules.md#evaluation-parser; debunk es_manager + agent_proxy):
 * every turn the model gets the whole prompt again for the current board (no history); its text
 * is parsed with the evaluation parser against the labels the env accepts; a valid label is
 * executed as one env step, an invalid turn executes nothing (format penalty −0.1, RL only) and
 * shows the same board again. The episode ends on success, after 30 executed steps, or after 30
 * turns. Validity = valid turns / turns.
 */
import type { EvalEpisode, FailureReason } from "../env.js";
import { levelToRows, type ActionId, type Level } from "./board.js";
import { MAX_STEPS, SokobanGame } from "./dynamics.js";
import { generateLevel } from "./generator.js";
import { promptFor } from "./items.js";
import { parseEvalDetailed, type EvalParse } from "./parse.js";
import { getSetting, type SokobanSetting } from "./settings.js";

export const MAX_TURNS = 30;
export const FORMAT_PENALTY = -0.1;

export interface TurnResult {
  parse: EvalParse;
  actionId: ActionId | null;
  /** The answer mapped to one of the env's labels. */
  valid: boolean;
  /** Env reward of the executed step, or the format penalty for an invalid turn. */
  reward: number;
  /** Player moved (reference `action_is_effective`). */
  effective: boolean;
  done: boolean;
  success: boolean;
}

export class SokobanEpisode {
  readonly setting: SokobanSetting;
  readonly game: SokobanGame;
  turns = 0;
  validTurns = 0;
  totalReward = 0;
  private finished = false;

  constructor(setting: SokobanSetting | string, level: Level) {
    this.setting = typeof setting === "string" ? getSetting(setting) : setting;
    this.game = new SokobanGame(level, { numBoxes: this.setting.numBoxes, maxSteps: MAX_STEPS });
  }

  /** The episode of a setting's level for `seed` (same level as `generate(setting, seed)`). */
  static fromSeed(setting: SokobanSetting | string, seed: number): SokobanEpisode {
    const s = typeof setting === "string" ? getSetting(setting) : setting;
    const g = generateLevel({ rows: s.rows, cols: s.cols, numBoxes: s.numBoxes }, seed);
    return new SokobanEpisode(s, g.level);
  }

  get success(): boolean {
    return this.game.success;
  }

  get steps(): number {
    return this.game.steps;
  }

  get done(): boolean {
    return this.finished || this.game.success;
  }

  /** Valid turns / turns (1 when no turn was played). */
  get validity(): number {
    return this.turns === 0 ? 1 : this.validTurns / this.turns;
  }

  /** Current board as compact rows. */
  rows(): string[] {
    return levelToRows(this.game.level);
  }

  /** The prompt for this turn: the setting's template and vocabulary over the current board. */
  prompt(): string {
    return promptFor(this.setting, this.game.level);
  }

  /** Plays one turn with the model's generated text (the part after the pre-filled `<think>`). */
  act(completion: string): TurnResult {
    if (this.done) throw new Error("episode is over");
    this.turns++;
    const parse = parseEvalDetailed(completion, this.setting.accepted);
    let result: TurnResult;
    if (parse.kind !== "ok") {
      this.totalReward += FORMAT_PENALTY;
      result = { parse, actionId: null, valid: false, reward: FORMAT_PENALTY, effective: false, done: false, success: false };
    } else {
      this.validTurns++;
      const r = this.game.step(parse.actionId);
      this.totalReward += r.reward;
      if (r.done) this.finished = true;
      result = { parse, actionId: parse.actionId, valid: true, reward: r.reward, effective: r.effective, done: r.done, success: r.success };
    }
    if (this.game.steps >= MAX_STEPS || this.turns >= MAX_TURNS) this.finished = true;
    result.done = this.done;
    return result;
  }
}

/**
 * The evaluation episode of one level (docs/sokoban-rules.md#evaluation-parser), as the shared
 * harness plays it. An unsolved episode fails on its parse failure if no turn was ever valid,
 * else `not_solved`.
 */
export function sokobanEvalEpisode(setting: string, seed: number): EvalEpisode {
  const ep = SokobanEpisode.fromSeed(setting, seed);
  let firstInvalid: FailureReason | null = null;
  return {
    get done() {
      return ep.done;
    },
    get turn() {
      return ep.turns;
    },
    prompt: () => ep.prompt(),
    act(completion) {
      const t = ep.act(completion);
      const reason: FailureReason | null = t.valid ? null : t.parse.kind === "unknown_label" ? "unknown_label" : "format";
      firstInvalid ??= reason;
      const action = t.parse.kind === "no_answer" ? null : t.parse.label;
      return { action, actionId: t.actionId, valid: t.valid, reward: t.reward, reason };
    },
    end() {
      const reason: FailureReason | null = ep.success ? null : ep.validTurns === 0 && firstInvalid ? firstInvalid : "not_solved";
      return { success: ep.success, validity: ep.validity, reward: ep.totalReward, reason, steps: ep.steps };
    },
    interrupted: () => ({ reward: ep.totalReward, steps: ep.steps }),
  };
}
