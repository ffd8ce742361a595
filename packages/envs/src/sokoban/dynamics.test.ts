import { describe, expect, it } from "vitest";
import { BoardError, levelToGrid, levelToRows, parseRows, renderObservation, type ActionId } from "./board.js";
import { SokobanGame, play } from "./dynamics.js";
import { generateLevel } from "./generator.js";

describe("board model and text rendering", () => {
  it("renders each cell as space-symbol-space-TAB, rows joined by one newline (docs/sokoban-rules.md#rendering)", () => {
    const level = generateLevel({ rows: 6, cols: 6, numBoxes: 1 }, 42).level;
    const lines = renderObservation(level).split("\n");
    expect(lines).toHaveLength(6);
    expect(lines[0]).toBe(" # \t # \t # \t # \t # \t # \t");
    expect(lines[1]).toBe(" # \t P \t X \t _ \t O \t # \t");
    expect(lines[2]).toBe(" # \t _ \t _ \t _ \t _ \t # \t");
    expect(lines.slice(3)).toEqual([lines[0], lines[0], lines[0]]);
    expect(renderObservation(level).endsWith("\n")).toBe(false);
  });

  it("round-trips every symbol, including √ (U+221A) and S (player on target)", () => {
    const rows = ["#####", "#S√X#", "#_O_#", "#####"];
    const level = parseRows(rows);
    expect(levelToRows(level)).toEqual(rows);
    expect(levelToGrid(level)[1]).toEqual(["#", "S", "√", "X", "#"]);
    expect(renderObservation(level).split("\n")[1]).toBe(" # \t S \t √ \t X \t # \t");
    expect(Array.from(level.fixed.slice(5, 10))).toEqual([0, 2, 2, 1, 0]);
    expect(Array.from(level.state.slice(5, 10))).toEqual([0, 5, 3, 4, 0]);
  });

  it("rejects malformed boards", () => {
    expect(() => parseRows([])).toThrow(BoardError);
    expect(() => parseRows(["###", "#P"])).toThrow(/row 1 has 2 cells/);
    expect(() => parseRows(["#P#", "#?#"])).toThrow(/unknown symbol/);
    expect(() => parseRows(["#_#"])).toThrow(/exactly one player/);
    expect(() => parseRows(["PP"])).toThrow(/exactly one player/);
  });
});

describe("gym-sokoban dynamics (fixtures printed by gym_sokoban 8e06e44 step/_push/_move)", () => {
  const run = (rows: string[], actions: number[], maxSteps = 30) => {
    const r = play(parseRows(rows), actions as ActionId[], maxSteps);
    return { rows: levelToRows(r.level), rewards: r.rewards, done: r.done, success: r.success, steps: r.steps };
  };

  it("seed-42 level: Right, Right solves it (−0.1, then +1 box on target +10 all placed)", () => {
    expect(run(["######", "#PX_O#", "#____#", "######", "######", "######"], [4, 4, 4])).toEqual({
      rows: ["######", "#__P√#", "#____#", "######", "######", "######"],
      rewards: [-0.1, 10.9],
      done: true,
      success: true,
      steps: 2,
    });
  });

  it("books +1 / −1 for covered-target changes; counts a step even when nothing moves", () => {
    // boxes_on_target starts at 0 on reset, so the first (blocked) step books +1 for the √.
    expect(run(["########", "#P√_X_O#", "########"], [3, 4, 4, 4, 4])).toEqual({
      rows: ["########", "#_SXX_O#", "########"],
      rewards: [0.9, -1.1, -0.1, -0.1, -0.1],
      done: false,
      success: false,
      steps: 5,
    });
  });

  it("ends at max_steps without success", () => {
    expect(run(["#####", "#P_X#", "#__O#", "#####"], [3, 3, 3, 3], 3)).toEqual({
      rows: ["#####", "#P_X#", "#__O#", "#####"],
      rewards: [-0.1, -0.1, -0.1],
      done: true,
      success: false,
      steps: 3,
    });
  });

  it("keeps gym's edge quirks on boards without a wall ring", () => {
    // `_push` returns early when the box cell would be past the last row/column: no plain move.
    expect(run(["P_", "XO"], [4, 2])).toMatchObject({ rows: ["P_", "XO"], rewards: [-0.1, -0.1], steps: 2 });
    // Negative coordinates wrap like numpy indexing: Up from row 0 pushes the box on the last row.
    expect(run(["P_", "__", "XO"], [1])).toMatchObject({ rows: ["__", "X_", "PO"], rewards: [-0.1], steps: 1 });
  });

  it("reports effective moves and never steps a board without boxes", () => {
    const g = new SokobanGame(parseRows(["#####", "#P_X#", "#__O#", "#####"]));
    expect(g.step(1).effective).toBe(false);
    expect(g.step(4).effective).toBe(true);
    expect(play(parseRows(["P_"]), [4])).toMatchObject({ done: true, success: true, steps: 0, rewards: [] });
  });
});
