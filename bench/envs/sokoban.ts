/**
 * Sokoban throughput vs the Python reference (run: `npx tsx bench/envs/sokoban.ts`).
 *
 * Reference figures: docs/performance-reference.md#sokoban-reference-figures (RAGEN room_utils at 0d63165,
 * CPython 3.11, single thread, median of 5 runs, counted against process CPU time, seeds 0..N-1):
 * gen 6×6/1 = 463 levels/s, gen 10×10/2 = 37 levels/s, BFS 10×10/2 = 22.5 solves/s.
 * We measure the same way: same configs and seeds, process CPU time (the dev box is shared),
 * median of 5 runs after a warm-up. Goals (from the brief): ≥ 50×, ≥ 30×, ≥ 300×.
 */
import { generateLevel, solve, type Level } from "../../packages/envs/src/sokoban/index.js";
import { cpuSeconds, median } from "./measure.js";

interface Case {
  name: string;
  section: string;
  reference: number;
  unit: string;
  goal: number;
  /** Runs the work once; returns the number of items processed. */
  run: () => number;
}

function rate(run: () => number, minSeconds = 0.4): number {
  let items = 0;
  const t0 = cpuSeconds();
  let dt = 0;
  do {
    items += run();
    dt = cpuSeconds() - t0;
  } while (dt < minSeconds);
  return items / dt;
}

const gen = (size: number, boxes: number, n: number) => (): number => {
  for (let s = 0; s < n; s++) generateLevel({ rows: size, cols: size, numBoxes: boxes }, s);
  return n;
};

const levels = (size: number, boxes: number, n: number): Level[] =>
  Array.from({ length: n }, (_, s) => generateLevel({ rows: size, cols: size, numBoxes: boxes }, s).level);

const bfs10x2 = levels(10, 2, 100);
const bfs6x1 = levels(6, 1, 500);

const cases: Case[] = [
  { name: "gen 6×6, 1 box", section: "#sokoban-reference-figures", reference: 463, unit: "levels/s", goal: 50, run: gen(6, 1, 500) },
  { name: "gen 10×10, 2 boxes", section: "#sokoban-reference-figures", reference: 37, unit: "levels/s", goal: 30, run: gen(10, 2, 100) },
  {
    name: "BFS 10×10, 2 boxes",
    section: "#sokoban-reference-figures",
    reference: 22.5,
    unit: "solves/s",
    goal: 300,
    run: () => {
      for (const l of bfs10x2) solve(l);
      return bfs10x2.length;
    },
  },
  {
    name: "BFS 6×6, 1 box (info)",
    section: "#sokoban-reference-figures",
    reference: 998,
    unit: "solves/s",
    goal: 0,
    run: () => {
      for (const l of bfs6x1) solve(l);
      return bfs6x1.length;
    },
  },
  {
    name: "gen+BFS 6×6, 1 box (info)",
    section: "#sokoban-reference-figures",
    reference: 316,
    unit: "levels/s",
    goal: 0,
    run: () => {
      for (let s = 0; s < 500; s++) solve(generateLevel({ rows: 6, cols: 6, numBoxes: 1 }, s).level);
      return 500;
    },
  },
];

const pad = (s: string, n: number) => s + " ".repeat(Math.max(0, n - s.length));
console.log(`Sokoban throughput, Node ${process.version}, process CPU time, median of 5 runs`);
console.log(`reference: docs/performance-reference.md${cases[0]!.section} (Python RAGEN generate_room / get_shortest_action_path)\n`);
console.log(`${pad("hot path", 28)}${pad("ours", 18)}${pad("reference", 18)}${pad("ratio", 8)}goal`);
let failed = 0;
for (const c of cases) {
  rate(c.run, 0.5); // warm-up: let the JIT settle before timing
  const runs = Array.from({ length: 5 }, () => rate(c.run));
  const ours = median(runs);
  const ratio = ours / c.reference;
  const ok = c.goal === 0 || ratio >= c.goal;
  if (!ok) failed++;
  console.log(
    `${pad(c.name, 28)}${pad(`${Math.round(ours).toLocaleString("en-US")} ${c.unit}`, 18)}` +
      `${pad(`${c.reference} ${c.unit}`, 18)}${pad(`${ratio.toFixed(0)}×`, 8)}${c.goal ? `≥ ${c.goal}× ${ok ? "ok" : "MISSED"}` : "-"}`,
  );
}
// Latency target of docs/performance-reference.md#sokoban-goals: a 10k-level 6×6/1 training set (gen + BFS labels) in < 2 s.
const t0 = cpuSeconds();
for (let s = 0; s < 10_000; s++) solve(generateLevel({ rows: 6, cols: 6, numBoxes: 1 }, s).level);
console.log(`\n10k 6×6/1 levels generated + solved in ${(cpuSeconds() - t0).toFixed(2)} s CPU (target < 2 s)`);
process.exitCode = failed ? 1 : 0;
