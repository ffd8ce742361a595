/**
 * gym-sokoban dynamics and per-step reward (docs/sokoban-rules.md#dynamics), as RAGEN/debunk wrap them.
 *
 * Faithful details kept on purpose:
 *  - `boxesOnTarget` starts at 0 on reset (not counted from the board), so the first step on a
 *    board that already has a box on a target books +1, like the reference;
 *  - a push whose box destination row/col is >= the grid size returns "nothing moved" without
 *    trying a plain move (gym `_push` early return); negative coordinates wrap like numpy
 *    indexing. Both only matter for boards without the usual wall ring. Where Python would raise
 *    IndexError (a coordinate past the wrap range) we treat the cell as blocked.
 */
import {
  BOX,
  BOX_ON_TARGET,
  DC,
  DR,
  FLOOR,
  PLAYER,
  TARGET,
  cloneLevel,
  countBoxes,
  playerIndex,
  uncoveredTargets,
  type ActionId,
  type Level,
} from "./board.js";

export const MAX_STEPS = 30;

export const PENALTY_FOR_STEP = -0.1;
export const REWARD_BOX_ON_TARGET = 1;
export const PENALTY_BOX_OFF_TARGET = -1;
export const REWARD_FINISHED = 10;

export interface StepResult {
  reward: number;
  done: boolean;
  /** All boxes on targets after this step. */
  success: boolean;
  /** The player position changed (reference `action_is_effective`). */
  effective: boolean;
}

/** A live episode on one level: the gym env after `reset`, stepped with action ids 1..4. */
export class SokobanGame {
  readonly level: Level;
  readonly numBoxes: number;
  readonly maxSteps: number;
  steps = 0;
  boxesOnTarget = 0;
  /** Raw (numpy-style) player coordinates; may be negative only on boards without walls. */
  private pr: number;
  private pc: number;

  constructor(level: Level, opts: { numBoxes?: number; maxSteps?: number } = {}) {
    this.level = cloneLevel(level);
    this.numBoxes = opts.numBoxes ?? countBoxes(level);
    this.maxSteps = opts.maxSteps ?? MAX_STEPS;
    const p = playerIndex(level);
    this.pr = Math.floor(p / level.cols);
    this.pc = p % level.cols;
  }

  /** The wrapper's success(): boxes_on_target == num_boxes (as last computed by a step). */
  get success(): boolean {
    return this.boxesOnTarget === this.numBoxes;
  }

  /** gym `_check_if_done` after the last step. */
  get done(): boolean {
    return uncoveredTargets(this.level) === 0 || this.steps === this.maxSteps;
  }

  /** numpy-style flat index with negative wrap; -1 where Python would raise IndexError. */
  private idx(r: number, c: number): number {
    const { rows, cols } = this.level;
    const rr = r < 0 ? r + rows : r;
    const cc = c < 0 ? c + cols : c;
    if (rr < 0 || rr >= rows || cc < 0 || cc >= cols) return -1;
    return rr * cols + cc;
  }

  private cell(r: number, c: number): number {
    const i = this.idx(r, c);
    return i < 0 ? -1 : this.level.state[i]!;
  }

  private move(dr: number, dc: number): boolean {
    const nr = this.pr + dr;
    const nc = this.pc + dc;
    const s = this.cell(nr, nc);
    if (s !== FLOOR && s !== TARGET) return false;
    const { state, fixed } = this.level;
    const cur = this.idx(this.pr, this.pc);
    state[this.idx(nr, nc)] = PLAYER;
    state[cur] = fixed[cur]!;
    this.pr = nr;
    this.pc = nc;
    return true;
  }

  private push(dr: number, dc: number): boolean {
    const { rows, cols, state, fixed } = this.level;
    const nr = this.pr + dr;
    const nc = this.pc + dc;
    const br = nr + dr;
    const bc = nc + dc;
    if (br >= rows || bc >= cols) return false; // gym returns (False, False) without a move
    const s1 = this.cell(nr, nc);
    const s2 = this.cell(br, bc);
    if ((s1 === BOX || s1 === BOX_ON_TARGET) && (s2 === FLOOR || s2 === TARGET)) {
      const cur = this.idx(this.pr, this.pc);
      const ni = this.idx(nr, nc);
      const bi = this.idx(br, bc);
      state[ni] = PLAYER;
      state[cur] = fixed[cur]!;
      state[bi] = fixed[bi] === TARGET ? BOX_ON_TARGET : BOX;
      this.pr = nr;
      this.pc = nc;
      return true;
    }
    return this.move(dr, dc);
  }

  /** One env step with action 1..4 (always counts as a step, whether or not anything moved). */
  step(action: ActionId): StepResult {
    const before = this.pr * 65536 + this.pc;
    this.steps++;
    this.push(DR[action], DC[action]);
    // _calc_reward
    let reward = PENALTY_FOR_STEP;
    const uncovered = uncoveredTargets(this.level);
    const current = this.numBoxes - uncovered;
    if (current > this.boxesOnTarget) reward += REWARD_BOX_ON_TARGET;
    else if (current < this.boxesOnTarget) reward += PENALTY_BOX_OFF_TARGET;
    if (uncovered === 0) reward += REWARD_FINISHED;
    this.boxesOnTarget = current;
    return {
      reward,
      done: uncovered === 0 || this.steps === this.maxSteps,
      success: this.success,
      effective: before !== this.pr * 65536 + this.pc,
    };
  }
}

export interface PlayResult {
  level: Level;
  rewards: number[];
  done: boolean;
  success: boolean;
  steps: number;
}

/**
 * Steps a board through a list of actions, stopping once the episode is done (the wrapper
 * asserts it is never stepped after success; gym itself would keep going past max_steps).
 */
export function play(level: Level, actions: readonly ActionId[], maxSteps = MAX_STEPS): PlayResult {
  const game = new SokobanGame(level, { maxSteps });
  const rewards: number[] = [];
  // A board without boxes is "solved" at reset (success() is 0 == 0): nothing is stepped.
  let done = game.success;
  for (const a of actions) {
    if (done) break;
    const r = game.step(a);
    rewards.push(r.reward);
    done = r.done;
  }
  return { level: game.level, rewards, done, success: game.success, steps: game.steps };
}
