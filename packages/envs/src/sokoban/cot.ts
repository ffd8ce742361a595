/**
 * Solver-written chain of thought in the public CoT sets' shape (docs/prompts.md#chain-of-thought-data):
 * a newline after the pre-filled `<think>`, the grid re-read row by row, 0-indexed (row, column)
 * coordinates of player / boxes / targets, which side of the box the player must stand on and
 * whether a wall or box blocks the push, the next move in direction words translated to the
 * prompt's own label, then ` </think> <answer> LABEL </answer>`.
 *
 * The text is derived from the BFS plan, so its answer always equals the single-step label. It
 * never contains the four tag strings itself, so the RL reward's format gate accepts it.
 */
import { BOX, BOX_ON_TARGET, DC, DR, PLAYER, SYMBOLS, TARGET, actionName, renderCode, type ActionId, type Level } from "./board.js";
import { SokobanGame } from "./dynamics.js";
import type { Labels } from "./prompts.js";

const WORD = ["", "up", "down", "left", "right"];
/** Side of the box the player stands on to push in direction a. */
const SIDE = ["", "bottom (below it)", "top (above it)", "right", "left"];

const at = (level: Level, i: number): string => `(${Math.floor(i / level.cols)}, ${i % level.cols})`;

function listCells(level: Level, cells: number[]): string {
  const parts = cells.map((i) => at(level, i));
  return parts.length <= 1 ? (parts[0] ?? "") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

function describe(level: Level): string[] {
  const { rows, cols, fixed, state } = level;
  const lines = ["Let me re-read the board row by row (row 0 is the top row, column 0 the leftmost column):"];
  for (let r = 0; r < rows; r++) {
    const cells: string[] = [];
    for (let c = 0; c < cols; c++) cells.push(SYMBOLS[renderCode(level, r * cols + c)]!);
    lines.push(`Row ${r}: ${cells.join(" ")}`);
  }
  const boxes: number[] = [];
  const placed: number[] = [];
  const targets: number[] = [];
  let player = -1;
  for (let i = 0; i < state.length; i++) {
    if (state[i] === BOX) boxes.push(i);
    else if (state[i] === BOX_ON_TARGET) placed.push(i);
    else if (state[i] === TARGET) targets.push(i);
    else if (state[i] === PLAYER) player = i;
  }
  const onTarget = player >= 0 && fixed[player] === TARGET;
  lines.push("");
  lines.push(onTarget ? `The player stands on a target (S) at ${at(level, player)}.` : `The player (P) is at ${at(level, player)}.`);
  if (boxes.length) {
    lines.push(
      boxes.length === 1
        ? `The box that still has to be moved (X) is at ${listCells(level, boxes)}.`
        : `The ${boxes.length} boxes that still have to be moved (X) are at ${listCells(level, boxes)}.`,
    );
  }
  if (placed.length) lines.push(`Already on a target (√): ${listCells(level, placed)}.`);
  const free = onTarget ? [...targets, player].sort((a, b) => a - b) : targets;
  if (free.length) {
    lines.push(
      free.length === 1 ? `The free target is at ${listCells(level, free)}.` : `The free targets are at ${listCells(level, free)}.`,
    );
  }
  return lines;
}

/** Index of the first move of `plan` that pushes a box, replaying it on a copy of the board. */
function firstPush(level: Level, plan: readonly ActionId[]): { index: number; box: number } | null {
  const game = new SokobanGame(level, { maxSteps: Number.MAX_SAFE_INTEGER });
  for (let i = 0; i < plan.length; i++) {
    const a = plan[i]!;
    const st = game.level.state;
    const p = st.indexOf(PLAYER);
    const q = p + DR[a] * level.cols + DC[a];
    if (st[q] === BOX || st[q] === BOX_ON_TARGET) return { index: i, box: q };
    game.step(a);
  }
  return null;
}

function reasonNext(level: Level, plan: readonly ActionId[]): string[] {
  const a = plan[0]!;
  const d = DR[a] * level.cols + DC[a];
  const p = level.state.indexOf(PLAYER);
  const q = p + d;
  const lines: string[] = [];
  const push = firstPush(level, plan);
  if (push && push.index === 0) {
    const dest = q + d;
    const destWhat = level.fixed[dest] === TARGET ? "a free target" : "empty floor";
    lines.push(
      `The box at ${at(level, q)} is right next to the player, so moving ${WORD[a]} pushes it from its ${SIDE[a]} side to ${at(level, dest)}.`,
    );
    lines.push(`${at(level, dest)} is ${destWhat}, not a wall or another box, so the push works.`);
    if (level.fixed[dest] === TARGET) lines.push("That puts the box on a target.");
  } else if (push) {
    const b = push.box;
    const pa = plan[push.index]!;
    const stand = b - (DR[pa] * level.cols + DC[pa]);
    lines.push(
      `The first push of the plan moves the box at ${at(level, b)} ${WORD[pa]}, so the player must stand on its ${SIDE[pa]} side at ${at(level, stand)} first.`,
    );
    lines.push(
      `From ${at(level, p)} the shortest walk there that avoids walls and boxes starts by going ${WORD[a]} to ${at(level, q)}, which is ${level.fixed[q] === TARGET ? "a target" : "floor"}.`,
    );
  }
  return lines;
}

/**
 * The chain-of-thought completion (text after the pre-filled `<think>`): reasoning, then
 * ` </think> <answer> LABEL </answer>` with the label of `plan[0]` in `labels`.
 */
export function cotCompletion(level: Level, plan: readonly ActionId[], labels: Labels, labelsShown = true): string {
  const lines = describe(level);
  lines.push("");
  let answer: ActionId = 1;
  if (plan.length === 0) {
    lines.push("I cannot find a sequence of at most 30 moves that places every box from here, so I just try moving up.");
  } else {
    answer = plan[0]!;
    const names = plan.map(actionName);
    lines.push(`The shortest solution from here takes ${plan.length} move${plan.length === 1 ? "" : "s"}: ${names.join(", ")}.`);
    lines.push(...reasonNext(level, plan));
  }
  const word = actionName(answer);
  const label = labels[answer - 1]!;
  lines.push(
    labelsShown
      ? `So the next move is ${word}, and in this prompt's answer labels ${word} is written "${label}".`
      : `So the next move is ${word}; the prompt lists no answer labels, so I answer "${label}".`,
  );
  return `\n${lines.join("\n")} </think> <answer> ${label} </answer>`;
}
