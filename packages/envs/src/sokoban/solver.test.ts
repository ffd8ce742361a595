import { describe, expect, it } from "vitest";
import { actionName, levelToRows, parseRows, type ActionId, type Level } from "./board.js";
import { play } from "./dynamics.js";
import { generateLevel } from "./generator.js";
import { solve, solveWithStats } from "./solver.js";

const names = (level: Level) => solve(level).map(actionName);
const gen = (size: number, boxes: number, seed: number) => generateLevel({ rows: size, cols: size, numBoxes: boxes }, seed).level;

/**
 * A literal transcription of the reference `get_shortest_action_path` (string-keyed grids,
 * de-duplication and goal test at dequeue time, give up when a dequeued path is longer than
 * MAX_DEPTH): slow but obviously faithful, used as the oracle for the fast solver.
 */
function referenceBfs(level: Level, maxDepth = 30): ActionId[] {
  const { rows, cols, fixed } = level;
  const queue: [Uint8Array, ActionId[]][] = [[level.state.slice(), []]];
  const seen = new Set<string>();
  const moves: [number, number][] = [
    [-1, 0],
    [1, 0],
    [0, -1],
    [0, 1],
  ];
  for (let h = 0; h < queue.length; h++) {
    const [st, path] = queue[h]!;
    if (path.length > maxDepth) return [];
    const key = st.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    if (!st.includes(4)) return path;
    const p = st.indexOf(5);
    const pr = Math.floor(p / cols);
    const pc = p % cols;
    moves.forEach(([dr, dc], a) => {
      const nr = pr + dr;
      const nc = pc + dc;
      if (nr < 0 || nr >= rows || nc < 0 || nc >= cols || fixed[nr * cols + nc] === 0) return;
      const next = st.slice();
      const q = nr * cols + nc;
      if (st[q] === 3 || st[q] === 4) {
        const br = nr + dr;
        const bc = nc + dc;
        if (br < 0 || br >= rows || bc < 0 || bc >= cols) return;
        const b = br * cols + bc;
        if (fixed[b] === 0 || st[b] === 3 || st[b] === 4) return;
        next[q] = fixed[q]!;
        next[b] = fixed[b] === 2 ? 3 : 4;
      }
      next[p] = fixed[p]!;
      next[q] = 5;
      queue.push([next, [...path, (a + 1) as ActionId]]);
    });
  }
  return [];
}

describe("BFS solver", () => {
  it("gives the spec's plans (docs/sokoban-rules.md#rendering, docs/sokoban-rules.md#evaluation-difficulty)", () => {
    expect(names(gen(6, 1, 42))).toEqual(["Right", "Right"]);
    expect(names(gen(6, 1, 43))).toEqual(["Right", "Up", "Left"]);
    expect(names(gen(6, 1, 44))).toEqual(["Up", "Right", "Up", "Left", "Left"]);
    expect(names(gen(6, 1, 124))).toEqual(["Up"]);
    expect(names(gen(6, 1, 123))).toEqual(["Down", "Left", "Up"]);
  });

  it("matches a literal transcription of the reference BFS on generated levels", () => {
    for (let seed = 0; seed < 120; seed++) {
      const level = seed % 3 === 0 ? gen(6, 2, seed) : seed % 3 === 1 ? gen(6, 1, seed) : gen(7, 2, seed);
      expect(solve(level), `seed ${seed}: ${levelToRows(level).join("/")}`).toEqual(referenceBfs(level));
    }
  });

  it("breaks ties by expansion order Up, Down, Left, Right", () => {
    // The player reaches the pushing cell (2,1) by Up-Left-Up or Left-Up-Up: Up is expanded first.
    const level = parseRows(["######", "#____#", "#_X_O#", "#____#", "#_P__#", "######"]);
    expect(solve(level)).toEqual(referenceBfs(level));
    expect(names(level)).toEqual(["Up", "Left", "Up", "Right", "Right"]);
  });

  it("returns [] for a solved board, an unsolvable one, and past the depth limit", () => {
    expect(solveWithStats(parseRows(["#####", "#P√_#", "#####"]))).toMatchObject({ actions: [], alreadySolved: true });
    const stuck = parseRows(["#####", "#X_O#", "#P__#", "#####"]); // box in a corner
    expect(solveWithStats(stuck)).toMatchObject({ actions: [], alreadySolved: false });
    const corridor = parseRows(["#".repeat(39), `#PX${"_".repeat(34)}O#`, "#".repeat(39)]);
    expect(solve(corridor)).toEqual([]); // 35 moves needed, MAX_DEPTH 30
    expect(solve(corridor, 34)).toEqual([]);
    expect(solve(corridor, 35)).toHaveLength(35);
  });

  it("solves boards without a wall ring and with boxes already on targets", () => {
    const open = parseRows(["P_X_O", "__√__"]);
    expect(solve(open)).toEqual(referenceBfs(open));
    expect(names(open)).toEqual(["Right", "Right", "Right"]);
  });

  it("plans replay to success through the env dynamics", () => {
    for (let seed = 300; seed < 340; seed++) {
      const level = gen(10, 2, seed);
      const plan = solve(level);
      expect(plan.length).toBeGreaterThan(0);
      const r = play(level, plan);
      expect(r.success).toBe(true);
      expect(r.steps).toBe(plan.length);
    }
  });
});
