/**
 * Sokoban board model (docs/sokoban-rules.md#board, docs/sokoban-rules.md#rendering).
 *
 * A level is two byte matrices in row-major order, exactly like the reference's numpy arrays:
 *  - `fixed`: 0 wall, 1 floor, 2 target (never changes during play);
 *  - `state`: 0 wall, 1 floor, 2 empty target, 3 box on target, 4 box off target, 5 player.
 * Code 6 (player on a target, symbol `S`) is render-only, as in the reference.
 *
 * The public, human-facing form is a list of rows, one character per cell (`# _ O X P √ S`).
 */

export const WALL = 0;
export const FLOOR = 1;
export const TARGET = 2;
export const BOX_ON_TARGET = 3;
export const BOX = 4;
export const PLAYER = 5;
/** Render-only: player standing on a target. */
export const PLAYER_ON_TARGET = 6;

/** Symbol per render code (index = code). `√` is U+221A. */
export const SYMBOLS = ["#", "_", "O", "√", "X", "P", "S"] as const;

/** Action ids of the benchmark: 1 Up, 2 Down, 3 Left, 4 Right (0 = no-op, never sent). */
export type ActionId = 1 | 2 | 3 | 4;
export const ACTION_NAMES = ["Up", "Down", "Left", "Right"] as const;
export type ActionName = (typeof ACTION_NAMES)[number];
/** Row / column deltas per action id (index 0 unused). */
export const DR = [0, -1, 1, 0, 0] as const;
export const DC = [0, 0, 0, -1, 1] as const;

export function actionName(id: ActionId): ActionName {
  return ACTION_NAMES[id - 1] as ActionName;
}

export function actionId(name: string): ActionId | null {
  const i = (ACTION_NAMES as readonly string[]).indexOf(name);
  return i < 0 ? null : ((i + 1) as ActionId);
}

export interface Level {
  readonly rows: number;
  readonly cols: number;
  /** 0 wall / 1 floor / 2 target. */
  readonly fixed: Uint8Array;
  /** 0..5 as in the reference's room_state. */
  readonly state: Uint8Array;
}

/** A board as rows of one-character cells (the board model the rest of the code shows). */
export type Grid = string[][];

export function cloneLevel(level: Level): Level {
  return { rows: level.rows, cols: level.cols, fixed: level.fixed.slice(), state: level.state.slice() };
}

/** Render code of one cell: the state code, or 6 where the player stands on a target. */
export function renderCode(level: Level, i: number): number {
  const s = level.state[i]!;
  return s === PLAYER && level.fixed[i] === TARGET ? PLAYER_ON_TARGET : s;
}

/** Compact rows, one character per cell (`######`, `#PX_O#`, ...). */
export function levelToRows(level: Level): string[] {
  const out: string[] = [];
  for (let r = 0; r < level.rows; r++) {
    let line = "";
    for (let c = 0; c < level.cols; c++) line += SYMBOLS[renderCode(level, r * level.cols + c)];
    out.push(line);
  }
  return out;
}

export function levelToGrid(level: Level): Grid {
  return levelToRows(level).map((row) => Array.from(row));
}

/**
 * The observation text the model sees (reference GRID_LOOKUP / `tiny_rgb_array`): every cell is
 * space, symbol, space, TAB; rows joined by a single newline; no trailing newline.
 */
export function renderObservation(level: Level): string {
  const lines: string[] = [];
  for (let r = 0; r < level.rows; r++) {
    let line = "";
    for (let c = 0; c < level.cols; c++) line += ` ${SYMBOLS[renderCode(level, r * level.cols + c)]} \t`;
    lines.push(line);
  }
  return lines.join("\n");
}

export class BoardError extends Error {}

/** fixed / state codes per symbol. */
const PARSE: Record<string, readonly [number, number]> = {
  "#": [WALL, WALL],
  _: [FLOOR, FLOOR],
  O: [TARGET, TARGET],
  "√": [TARGET, BOX_ON_TARGET],
  X: [FLOOR, BOX],
  P: [FLOOR, PLAYER],
  S: [TARGET, PLAYER],
};

/**
 * Parses rows (strings of one character per cell, or arrays of one-character strings).
 * Requires a non-empty rectangle of known symbols and exactly one player (`P` or `S`).
 */
export function parseRows(rows: readonly (string | readonly string[])[]): Level {
  if (rows.length === 0) throw new BoardError("board has no rows");
  const cells = rows.map((row, r) => {
    const cs = typeof row === "string" ? Array.from(row) : [...row];
    if (cs.length === 0) throw new BoardError(`row ${r} is empty`);
    return cs;
  });
  const cols = cells[0]!.length;
  const nRows = cells.length;
  const fixed = new Uint8Array(nRows * cols);
  const state = new Uint8Array(nRows * cols);
  let players = 0;
  for (let r = 0; r < nRows; r++) {
    const row = cells[r]!;
    if (row.length !== cols) throw new BoardError(`row ${r} has ${row.length} cells, expected ${cols}`);
    for (let c = 0; c < cols; c++) {
      const ch = row[c]!;
      const codes = Object.prototype.hasOwnProperty.call(PARSE, ch) ? PARSE[ch] : undefined;
      if (codes === undefined) throw new BoardError(`row ${r} col ${c}: unknown symbol ${JSON.stringify(ch)}`);
      fixed[r * cols + c] = codes[0];
      state[r * cols + c] = codes[1];
      if (codes[1] === PLAYER) players++;
    }
  }
  if (players !== 1) throw new BoardError(`board must have exactly one player (P or S), found ${players}`);
  return { rows: nRows, cols, fixed, state };
}

export function playerIndex(level: Level): number {
  return level.state.indexOf(PLAYER);
}

/** Boxes on the board (codes 3 and 4). */
export function countBoxes(level: Level): number {
  let n = 0;
  for (const s of level.state) if (s === BOX || s === BOX_ON_TARGET) n++;
  return n;
}

/** Targets not covered by a box: empty targets plus the target the player may stand on. */
export function uncoveredTargets(level: Level): number {
  let n = 0;
  const { fixed, state } = level;
  for (let i = 0; i < state.length; i++) {
    if (state[i] === TARGET || (state[i] === PLAYER && fixed[i] === TARGET)) n++;
  }
  return n;
}
