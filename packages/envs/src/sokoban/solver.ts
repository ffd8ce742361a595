/**
 * BFS optimal solver, equivalent to RAGEN `get_shortest_action_path(room_fixed, room_state,
 * MAX_DEPTH=30)` (docs/sokoban-rules.md#optimal-solver): expansion order Up, Down, Left, Right; visited set over
 * full states; goal = no box off a target; a path longer than MAX_DEPTH gives up with [].
 *
 * Why it returns the same path: the reference de-duplicates and goal-tests at dequeue time;
 * doing both when a child is generated keeps the same first occurrence of every state in FIFO
 * order, so the first goal generated is the first goal the reference would dequeue. Children
 * deeper than MAX_DEPTH are never generated (the reference returns [] when it dequeues one).
 *
 * State encoding: player and boxes as indices over the non-wall cells (boxes sorted, since the
 * grid does not tell boxes apart), packed into one exact integer key, looked up in a directly
 * indexed stamp table when the key space is small (≤ 2^22) and in an exact hash set otherwise.
 * No strings and no per-node allocation: nodes live in growable typed arrays reused across calls.
 */
import type { ActionId, Level } from "./board.js";
import { NumKeySet } from "./keyset.js";

export const MAX_DEPTH = 30;

// Cell codes (local copies: hot loops must not read imported bindings).
const WALL = 0;
const TARGET = 2;
const BOX_ON_TARGET = 3;
const BOX = 4;
const PLAYER = 5;
const DIRECT_LIMIT = 1 << 22;

export interface SolveStats {
  actions: ActionId[];
  /** States generated (visited set size). */
  visited: number;
  /** True when the start is already solved (the reference then also returns []). */
  alreadySolved: boolean;
}

let cap = 1 << 12;
let nodeP = new Int32Array(cap);
let nodeRef = new Int32Array(cap);
let parent = new Int32Array(cap);
let act = new Uint8Array(cap);
let boxStore = new Int32Array(cap);
let mark = new Int32Array(256);
let stamp = 0;
let direct = new Uint32Array(1 << 16);
let directGen = 0;
const hashed = new NumKeySet(12);
const strSeen = new Set<string>();

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const b = new (a.constructor as new (n: number) => T)(size);
  b.set(a.subarray(0, Math.min(a.length, size)));
  return b;
}

function ensureNodes(nodes: number): void {
  if (nodes < cap) return;
  let c = cap;
  while (c <= nodes) c *= 2;
  nodeP = grow(nodeP, c);
  nodeRef = grow(nodeRef, c);
  parent = grow(parent, c);
  act = grow(act, c);
  cap = c;
}

function ensureBoxes(size: number): void {
  if (size <= boxStore.length) return;
  let c = boxStore.length;
  while (c < size) c *= 2;
  boxStore = grow(boxStore, c);
}

export function solveWithStats(level: Level, maxDepth = MAX_DEPTH): SolveStats {
  const { rows, cols, fixed, state } = level;
  const n = rows * cols;
  const cmap = new Int32Array(n);
  let F = 0;
  for (let i = 0; i < n; i++) cmap[i] = fixed[i] === WALL ? -1 : F++;
  // Neighbour table in action order Up, Down, Left, Right; -1 = wall or outside the grid.
  const nb = new Int32Array(F * 4).fill(-1);
  const isTarget = new Uint8Array(F);
  const boxes: number[] = [];
  let p0 = -1;
  let offTarget = 0;
  for (let i = 0; i < n; i++) {
    const k = cmap[i]!;
    const s = state[i];
    if (s === PLAYER && p0 < 0) p0 = k;
    else if (s === BOX || s === BOX_ON_TARGET) {
      boxes.push(k);
      if (s === BOX) offTarget++;
    }
    if (k < 0) continue;
    const r = Math.floor(i / cols);
    const c = i % cols;
    isTarget[k] = fixed[i] === TARGET ? 1 : 0;
    if (r > 0) nb[k * 4] = cmap[i - cols]!;
    if (r < rows - 1) nb[k * 4 + 1] = cmap[i + cols]!;
    if (c > 0) nb[k * 4 + 2] = cmap[i - 1]!;
    if (c < cols - 1) nb[k * 4 + 3] = cmap[i + 1]!;
  }
  if (offTarget === 0) return { actions: [], visited: 0, alreadySolved: true };
  if (p0 < 0 || boxes.some((b) => b < 0)) return { actions: [], visited: 0, alreadySolved: false };
  const K = boxes.length;
  boxes.sort((a, b) => a - b);

  // Key = player * F^K + Σ sorted boxes in base F. Visited set: 0 = direct stamp table,
  // 1 = exact hash set, 2 = strings (key spaces beyond 2^53).
  let FK = 1;
  for (let k = 0; k < K; k++) FK *= F;
  const space = FK * F;
  const mode = space <= DIRECT_LIMIT ? 0 : space < 2 ** 53 ? 1 : 2;
  if (mode === 0) {
    if (direct.length < space) direct = new Uint32Array(Math.max(space, direct.length * 2));
    if (++directGen === 0xffffffff) {
      direct.fill(0);
      directGen = 1;
    }
  } else if (mode === 1) hashed.clear();
  else strSeen.clear();
  const gen = directGen;
  const dir = direct;
  if (mark.length < F) mark = new Int32Array(F * 2);
  const mk = mark;
  ensureBoxes(4 * K);
  let nP = nodeP;
  let nR = nodeRef;
  let par = parent;
  let ac = act;
  let bs = boxStore;

  // Boxes are stored once per distinct push; a walking move shares its parent's box list.
  let bk0 = 0;
  for (let k = 0; k < K; k++) {
    bs[k] = boxes[k]!;
    bk0 = bk0 * F + boxes[k]!;
  }
  let boxTop = K;
  nP[0] = p0;
  nR[0] = 0;
  par[0] = -1;
  const key0 = p0 * FK + bk0;
  if (mode === 0) dir[key0] = gen;
  else if (mode === 1) hashed.add(key0);
  else strSeen.add(`${p0}:${boxes.join(",")}`);
  let visited = 1;

  let head = 0;
  let tail = 1;
  let d = 0;
  let levelEnd = 1;
  while (head < tail) {
    if (head === levelEnd) {
      d++;
      levelEnd = tail;
    }
    if (d >= maxDepth) break; // every later node is at least this deep: children would exceed it
    const node = head++;
    if (++stamp === 0x7fffffff) {
      mk.fill(0);
      stamp = 1;
    }
    const ref = nR[node]!;
    let bk = 0;
    for (let k = 0; k < K; k++) {
      const b = bs[ref + k]!;
      mk[b] = stamp;
      bk = bk * F + b;
    }
    const p = nP[node]!;
    for (let a = 0; a < 4; a++) {
      const q = nb[p * 4 + a]!;
      if (q < 0) continue;
      let cref = ref;
      let cbk = bk;
      const pushed = mk[q] === stamp;
      if (pushed) {
        const q2 = nb[q * 4 + a]!;
        if (q2 < 0 || mk[q2] === stamp) continue;
        // New box list (q replaced by q2, kept sorted) written at the top of the store.
        if (boxTop + K > bs.length) {
          ensureBoxes(boxTop + K);
          bs = boxStore;
        }
        let j = boxTop;
        for (let k = 0; k < K; k++) {
          const b = bs[ref + k]!;
          if (b !== q) bs[j++] = b;
        }
        let i = boxTop + K - 1;
        for (; i > boxTop && bs[i - 1]! > q2; i--) bs[i] = bs[i - 1]!;
        bs[i] = q2;
        cbk = 0;
        for (let k = 0; k < K; k++) cbk = cbk * F + bs[boxTop + k]!;
        cref = boxTop;
      }
      const key = q * FK + cbk;
      if (mode === 0) {
        if (dir[key] === gen) continue;
        dir[key] = gen;
      } else if (mode === 1) {
        if (!hashed.add(key)) continue;
      } else {
        const s = `${q}:${bs.subarray(cref, cref + K).join(",")}`;
        if (strSeen.has(s)) continue;
        strSeen.add(s);
      }
      visited++;
      if (pushed) boxTop += K;
      if (tail >= cap) {
        ensureNodes(tail);
        nP = nodeP;
        nR = nodeRef;
        par = parent;
        ac = act;
      }
      nP[tail] = q;
      nR[tail] = cref;
      par[tail] = node;
      ac[tail] = a + 1;
      const child = tail++;
      if (pushed) {
        let on = 0;
        for (let k = 0; k < K; k++) on += isTarget[bs[cref + k]!]!;
        if (on === K) {
          const path: ActionId[] = [];
          for (let x = child; x > 0; x = par[x]!) path.push(ac[x] as ActionId);
          path.reverse();
          return { actions: path, visited, alreadySolved: false };
        }
      }
    }
  }
  return { actions: [], visited, alreadySolved: false };
}

/** The BFS-optimal plan ([] when already solved or not solvable within `maxDepth`). */
export function solve(level: Level, maxDepth = MAX_DEPTH): ActionId[] {
  return solveWithStats(level, maxDepth).actions;
}
