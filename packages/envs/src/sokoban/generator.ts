/**
 * RAGEN's reverse-play level generator (ragen/env/sokoban/room_utils.py::generate_room at the
 * pinned commit), seeded like `SokobanEnv.reset(seed)`: CPython `random` and NumPy's legacy
 * global RNG are both seeded with the level seed; topology, directions and the final player nudge
 * draw from CPython `random`, player/box placement from NumPy `randint` (docs/sokoban-rules.md#level-generation).
 *
 * Every random draw happens in the reference's order, so levels are identical seed for seed.
 * The DFS keeps the reference's exact semantics: ttl decremented on entry and checked before the
 * 300k cap and the explored-set test; states keyed by the full grid, where a box that has been
 * pulled is stored as code 3 and one never pulled as code 4 (so the key distinguishes them, as
 * `marshal.dumps(room_state)` does); strictly-greater score keeps the first best state in DFS
 * order (pull up, down, left, right).
 */
import { NpRandomState } from "../random/nprandom.js";
import { PyRandom } from "../random/pyrandom.js";
import type { Level } from "./board.js";
import { NumKeySet } from "./keyset.js";
import { retrySeed } from "./pyhash.js";

export interface GenParams {
  rows: number;
  cols: number;
  numBoxes: number;
  /** Reverse-play ttl (and BFS depth elsewhere). Paper: 30. */
  searchDepth?: number;
  /** Default floor(1.7 * (rows + cols)), like gym-sokoban's `int(1.7 * (dim[0] + dim[1]))`. */
  numGenSteps?: number;
  pChangeDirections?: number;
  tries?: number;
}

export interface GeneratedLevel {
  level: Level;
  /** The seed that produced the level (differs from the requested one after retries). */
  usedSeed: number;
  retries: number;
  /** True when a retry was needed: upstream reseeds through a salted hash (see pyhash.ts). */
  fallback: boolean;
  /** Total displacement score of the kept reverse-play state. */
  displacement: number;
  /** States the reverse-play DFS explored (summed over tries). */
  explored: number;
}

/** Generation failed for this seed (reference RuntimeError / RuntimeWarning → retry). */
class GenFailure extends Error {}

export const MAX_EXPLORED = 300_000;

// Cell codes, as local constants: hot loops must not read imported (getter-backed) bindings.
const WALL = 0;
const FLOOR = 1;
const TARGET = 2;
const BOX_ON_TARGET = 3;
const BOX = 4;
const PLAYER = 5;
const MAX_RETRIES = 64;

// gym-sokoban CHANGE_COORDINATES order: 0 up, 1 down, 2 left, 3 right.
const CH_R = [-1, 1, 0, 0];
const CH_C = [0, 0, -1, 1];
// Random-walk directions in the reference's list order: (1,0), (0,1), (-1,0), (0,-1).
const WALK_R = [1, 0, -1, 0];
const WALK_C = [0, 1, 0, -1];
// The five 3x3 masks as (row, col) offsets from the window's top-left corner.
const MASKS: readonly (readonly number[])[] = [
  [1, 0, 1, 1, 1, 2],
  [0, 1, 1, 1, 2, 1],
  [1, 0, 1, 1, 2, 1],
  [1, 0, 1, 1, 2, 0, 2, 1],
  [1, 1, 1, 2, 2, 1],
];

// One pair of generators reused for every level (re-seeded per level; seeding allocates nothing).
const py = new PyRandom(0);
const np = new NpRandomState(0);
const explored = new NumKeySet(12);

/** CPython _randbelow(n) for 1 <= n < 2^32: getrandbits(bit_length(n)) until < n. */
function randbelow(n: number): number {
  const mt = py.generator;
  const shift = Math.clz32(n);
  let r = mt.genrandInt32() >>> shift;
  while (r >= n) r = mt.genrandInt32() >>> shift;
  return r;
}

/** NumPy legacy randint(n) (int64 dtype, masked rejection; n == 1 draws nothing). */
function npRandint(n: number): number {
  const rng = n - 1;
  if (rng === 0) return 0;
  let mask = rng;
  mask |= mask >>> 1;
  mask |= mask >>> 2;
  mask |= mask >>> 4;
  mask |= mask >>> 8;
  mask |= mask >>> 16;
  const mt = np.generator;
  let v = (mt.genrandInt32() & mask) >>> 0;
  while (v > rng) v = (mt.genrandInt32() & mask) >>> 0;
  return v;
}

/** room_topology_generation: a random walk stamping 3x3 masks of floor (1) into walls (0). */
function topology(rows: number, cols: number, steps: number, pChange: number): Uint8Array {
  const room = new Uint8Array(rows * cols);
  let d = randbelow(4); // random.sample(directions, 1)[0]
  let r = 1 + randbelow(rows - 1); // random.randint(1, dim_x - 1)
  let c = 1 + randbelow(cols - 1);
  for (let s = 0; s < steps; s++) {
    if (py.random() < pChange) d = randbelow(4);
    r = Math.max(Math.min(r + WALK_R[d]!, rows - 2), 1);
    c = Math.max(Math.min(c + WALK_C[d]!, cols - 2), 1);
    const mask = MASKS[randbelow(5)]!;
    for (let k = 0; k < mask.length; k += 2) room[(r - 1 + mask[k]!) * cols + (c - 1 + mask[k + 1]!)] = FLOOR;
  }
  for (let i = 0; i < cols; i++) room[i] = room[(rows - 1) * cols + i] = WALL;
  for (let i = 0; i < rows; i++) room[i * cols] = room[i * cols + cols - 1] = WALL;
  return room;
}

/** place_boxes_and_player: player, then each box on a remaining floor cell (boxes start on targets). */
function place(room: Uint8Array, numBoxes: number): void {
  const floors: number[] = [];
  for (let i = 0; i < room.length; i++) if (room[i] === FLOOR) floors.push(i);
  if (floors.length <= numBoxes + 1) throw new GenFailure("Not enough free spots");
  room[floors[npRandint(floors.length)]!] = PLAYER;
  for (let n = 0; n < numBoxes; n++) {
    const free: number[] = [];
    for (let i = 0; i < room.length; i++) if (room[i] === FLOOR) free.push(i);
    room[free[npRandint(free.length)]!] = TARGET;
  }
}

interface ReverseResult {
  state: Uint8Array;
  boxPos: Int32Array;
  explored: number;
}

/**
 * reverse_playing + depth_first_search over pull moves. One instance per room size is reused;
 * the search state lives in fields and is restored on backtrack (no copies per child).
 */
class ReversePlayer {
  private readonly n: number;
  private readonly cols: number;
  private readonly st: Uint8Array;
  private readonly bestSt: Uint8Array;
  private readonly cmap: Int32Array;
  private fixed: Uint8Array;
  private targets = new Int32Array(0);
  private tr = new Int32Array(0);
  private tc = new Int32Array(0);
  private boxPos = new Int32Array(0);
  private bestBox = new Int32Array(0);
  private scratch = new Int32Array(0);
  private readonly delta: Int32Array;
  private K = 0;
  private base = 0;
  private useNum = true;
  private readonly strSeen = new Set<string>();
  private p = 0;
  private bestScore = -1;

  constructor(rows: number, cols: number) {
    this.n = rows * cols;
    this.cols = cols;
    this.st = new Uint8Array(this.n);
    this.bestSt = new Uint8Array(this.n);
    this.cmap = new Int32Array(this.n);
    this.fixed = new Uint8Array(this.n);
    this.delta = Int32Array.from([-cols, cols, -1, 1]);
  }

  run(state: Uint8Array, fixed: Uint8Array, ttl0: number): ReverseResult {
    const { n, cols, cmap } = this;
    this.fixed = fixed;
    let K = 0;
    let F = 0;
    for (let i = 0; i < n; i++) {
      if (fixed[i] === TARGET) K++;
      cmap[i] = fixed[i] === WALL ? -1 : F++;
    }
    if (this.targets.length !== K) {
      this.targets = new Int32Array(K);
      this.tr = new Int32Array(K);
      this.tc = new Int32Array(K);
      this.boxPos = new Int32Array(K);
      this.bestBox = new Int32Array(K);
      this.scratch = new Int32Array(K);
    }
    for (let i = 0, k = 0; i < n; i++) {
      if (fixed[i] !== TARGET) continue;
      this.targets[k] = i;
      this.tr[k] = Math.floor(i / cols);
      this.tc[k] = i % cols;
      this.boxPos[k++] = i;
    }
    this.K = K;
    this.base = 2 * F;
    this.useNum = F * Math.pow(this.base, K) < 2 ** 53;
    this.strSeen.clear();
    this.st.set(state);
    this.p = state.indexOf(PLAYER);
    this.bestScore = -1;
    explored.clear();
    this.dfs(ttl0, 0, -1);
    return { state: this.bestSt.slice(), boxPos: this.bestBox.slice(), explored: explored.size };
  }

  /** Adds the current grid to the explored set; false if it was there already. */
  private fresh(): boolean {
    const { K, boxPos, st, cmap, scratch } = this;
    for (let k = 0; k < K; k++) {
      const b = boxPos[k]!;
      const v = cmap[b]! * 2 + (st[b] === BOX_ON_TARGET ? 1 : 0);
      let j = k;
      for (; j > 0 && scratch[j - 1]! > v; j--) scratch[j] = scratch[j - 1]!;
      scratch[j] = v;
    }
    if (this.useNum) {
      let key = cmap[this.p]!;
      for (let k = 0; k < K; k++) key = key * this.base + scratch[k]!;
      return explored.add(key);
    }
    const key = `${cmap[this.p]}:${scratch.join(",")}`;
    if (this.strSeen.has(key)) return false;
    this.strSeen.add(key);
    explored.size++;
    return true;
  }

  private dfs(ttlIn: number, swaps: number, lastPull: number): void {
    const ttl = ttlIn - 1;
    if (ttl <= 0 || explored.size >= MAX_EXPLORED) return;
    if (!this.fresh()) return;
    const { K, st, fixed, boxPos, targets, delta, cols } = this;
    // room_score = box_swaps * displacement, forced to 0 unless every target shows as empty (2).
    let score = 0;
    if (swaps > 0) {
      let visible = true;
      for (let k = 0; k < K; k++) if (st[targets[k]!] !== TARGET) visible = false;
      if (visible) {
        let disp = 0;
        for (let k = 0; k < K; k++) {
          const b = boxPos[k]!;
          disp += Math.abs(Math.floor(b / cols) - this.tr[k]!) + Math.abs((b % cols) - this.tc[k]!);
        }
        score = swaps * disp;
      }
    }
    if (score > this.bestScore) {
      this.bestScore = score;
      this.bestSt.set(st);
      this.bestBox.set(boxPos);
    }
    for (let a = 0; a < 4; a++) {
      const d = delta[a]!;
      const old = this.p;
      const next = old + d;
      const sn = st[next]!;
      // A blocked move leaves the grid unchanged: the child would only meet an explored state.
      if (sn !== FLOOR && sn !== TARGET) continue;
      const behind = old - d;
      const sb = st[behind]!;
      st[old] = fixed[old]!;
      st[next] = PLAYER;
      this.p = next;
      let pulled = -1;
      if (sb === BOX || sb === BOX_ON_TARGET) {
        st[old] = BOX_ON_TARGET; // the reference marks every pulled box 3, on a target or not
        st[behind] = fixed[behind]!;
        for (let k = 0; k < K; k++) if (boxPos[k] === behind) pulled = k;
        boxPos[pulled] = old;
      }
      const nextPull = pulled >= 0 ? pulled : lastPull;
      this.dfs(ttl, nextPull !== lastPull ? swaps + 1 : swaps, nextPull);
      if (pulled >= 0) boxPos[pulled] = behind;
      st[behind] = sb;
      st[next] = sn;
      st[old] = PLAYER;
      this.p = old;
    }
  }
}

const players = new Map<number, ReversePlayer>();

function reversePlay(state: Uint8Array, fixed: Uint8Array, rows: number, cols: number, ttl0: number): ReverseResult {
  const key = rows * 65536 + cols;
  let rp = players.get(key);
  if (!rp) {
    rp = new ReversePlayer(rows, cols);
    players.set(key, rp);
  }
  return rp.run(state, fixed, ttl0);
}

/** add_random_player_movement: 1–3 random steps onto unvisited floor/target cells. */
function nudge(st: Uint8Array, fixed: Uint8Array, cols: number, moveProbability: number): void {
  if (py.random() > moveProbability) return;
  let p = st.indexOf(PLAYER);
  const visited = [p];
  const valid: number[] = [];
  let steps = 0;
  while (steps < 3) {
    valid.length = 0;
    for (let a = 0; a < 4; a++) {
      const next = p + CH_R[a]! * cols + CH_C[a]!;
      const s = st[next];
      if ((s === FLOOR || s === TARGET) && !visited.includes(next)) valid.push(next);
    }
    if (valid.length === 0) break;
    const next = valid[randbelow(valid.length)]!;
    st[p] = fixed[p]!;
    st[next] = PLAYER;
    p = next;
    visited.push(p);
    steps++;
    if (steps >= 3 || py.random() > 0.5) break;
  }
}

/** One `generate_room` call with the generators already seeded; throws GenFailure like upstream. */
function generateRoom(prm: Required<GenParams>): Omit<GeneratedLevel, "usedSeed" | "retries" | "fallback"> {
  const { rows, cols } = prm;
  let fixed: Uint8Array = new Uint8Array(0);
  let state: Uint8Array = new Uint8Array(0);
  let displacement = 0;
  let total = 0;
  for (let t = 0; t < prm.tries; t++) {
    const room = topology(rows, cols, prm.numGenSteps, prm.pChangeDirections);
    place(room, prm.numBoxes);
    fixed = room.slice();
    const start = room.slice();
    for (let i = 0; i < room.length; i++) {
      if (room[i] === PLAYER) fixed[i] = FLOOR;
      if (room[i] === TARGET) start[i] = BOX;
    }
    const res = reversePlay(start, fixed, rows, cols, prm.searchDepth);
    total += res.explored;
    state = res.state;
    for (let i = 0; i < state.length; i++) if (state[i] === BOX_ON_TARGET) state[i] = BOX;
    displacement = 0;
    for (let i = 0, k = 0; i < fixed.length; i++) {
      if (fixed[i] !== TARGET) continue;
      const b = res.boxPos[k++]!;
      displacement += Math.abs(Math.floor(b / cols) - Math.floor(i / cols)) + Math.abs((b % cols) - (i % cols));
    }
    if (displacement > 0) break;
  }
  if (displacement === 0) throw new GenFailure("Generated Model with score == 0");
  nudge(state, fixed, cols, displacement === 1 ? 0.8 : 0.5);
  return { level: { rows, cols, fixed, state }, displacement, explored: total };
}

export function withDefaults(p: GenParams): Required<GenParams> {
  return {
    rows: p.rows,
    cols: p.cols,
    numBoxes: p.numBoxes,
    searchDepth: p.searchDepth ?? 30,
    numGenSteps: p.numGenSteps ?? Math.trunc(1.7 * (p.rows + p.cols)),
    pChangeDirections: p.pChangeDirections ?? 0.35,
    tries: p.tries ?? 4,
  };
}

/**
 * `SokobanEnv.reset(seed)`: seed both generators, generate; on failure retry with the
 * reference's hash-derived seed (our PYTHONHASHSEED=0 emulation, flagged `fallback`).
 */
export function generateLevel(params: GenParams, seed: number): GeneratedLevel {
  const prm = withDefaults(params);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new RangeError(`seed must be an integer in [0, 2^32 - 1], got ${seed}`);
  }
  if (prm.rows < 3 || prm.cols < 3) throw new RangeError("rooms need at least 3 rows and 3 columns");
  let s = seed;
  for (let retries = 0; retries <= MAX_RETRIES; retries++) {
    py.seed(s);
    np.seed(s);
    try {
      const g = generateRoom(prm);
      return { ...g, usedSeed: s, retries, fallback: retries > 0 };
    } catch (e) {
      if (!(e instanceof GenFailure)) throw e;
      s = retrySeed(s);
    }
  }
  throw new Error(`no level after ${MAX_RETRIES} retries from seed ${seed}`);
}
