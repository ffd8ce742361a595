/**
 * The reference's exhaustive template solver (docs/gp-rules.md#solver) and the memo table that
 * turns generation into a lookup.
 *
 * `solve_game(digits)` in the reference: take `sorted(set(permutations(digits)))`,
 * `random.shuffle` that list, then for every ordering, every ops tuple, every bracket pattern,
 * evaluate exactly (ints, or Fractions when a '/' is present; ZeroDivisionError skipped) and keep
 * the strings equal to the target. Only the shuffle depends on the RNG, and it only permutes
 * whole per-ordering blocks of the list. So a hand is stored once, keyed by its sorted value
 * multiset, as: the distinct orderings in sorted order, the solution count of each, and (lazily)
 * each ordering's solution strings in reference order. A generator replays the shuffle on the
 * ordering indices and the `random.choice` index to find the exact string the reference picks.
 *
 * Arithmetic: exact rationals held as unnormalised (numerator, denominator) doubles. With at
 * most N numbers of magnitude ≤ V every intermediate is bounded by 2^(N-1)·V^N, so inputs are
 * limited (`checkSolverBounds`) to keep every product below 2^53 — exact, no BigInt needed.
 */

import { renderSolution, templatesFor, type Templates } from "./templates.js";

export const TARGET = 24;

export interface Hand {
  /** Sorted value multiset, e.g. `1,2,10,10`, plus the target when it is not 24. */
  readonly key: string;
  readonly target: number;
  /** Distinct orderings of the values in Python's `sorted(set(permutations(...)))` order. */
  readonly perms: readonly Int32Array[];
  /** Solutions found for each ordering. */
  readonly counts: Int32Array;
  /** Length of the reference's solution list (sum of counts); 0 = unsolvable. */
  readonly total: number;
}

interface HandEntry extends Hand {
  /** Per ordering, its solution strings in reference order (ops-major, pattern-minor). */
  readonly lists: (string[] | undefined)[];
}

/** Why a value multiset cannot go through the exact double-based solver. */
export function checkSolverBounds(values: readonly number[], target: number): string | null {
  if (values.length < 3 || values.length > 6) return "values must hold 3 to 6 numbers";
  for (const v of values) {
    if (!Number.isSafeInteger(v) || v < 0) return "values must be non-negative integers";
  }
  if (!Number.isSafeInteger(target)) return "target must be an integer";
  const maxV = Math.max(1, ...values);
  const bound = 2 ** (values.length - 1) * maxV ** values.length * Math.max(1, Math.abs(target));
  if (bound >= 2 ** 53) return "values/target too large for exact arithmetic (2^(N-1)·max^N·|target| must stay below 2^53)";
  return null;
}

/** Distinct permutations of the values, in lexicographic order (next-permutation walk). */
export function distinctPermutations(values: readonly number[]): Int32Array[] {
  const a = Int32Array.from(values).sort();
  const out: Int32Array[] = [a.slice()];
  const n = a.length;
  for (;;) {
    let i = n - 2;
    while (i >= 0 && a[i]! >= a[i + 1]!) i--;
    if (i < 0) return out;
    let j = n - 1;
    while (a[j]! <= a[i]!) j--;
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
    for (let l = i + 1, r = n - 1; l < r; l++, r--) {
      const u = a[l]!;
      a[l] = a[r]!;
      a[r] = u;
    }
    out.push(a.slice());
  }
}

// Depth-first evaluation of flat templates. Module-level scratch keeps the hot loop free of
// allocation; the solver is not re-entrant (nothing in it calls back out).
let atomCount = 0;
const aStart = new Int32Array(8);
const aLen = new Int32Array(8);
const aWeight = new Int32Array(8);
// Candidate values of atoms: [0, N) hold the single numbers, group values are appended after.
const cN = new Float64Array(4096);
const cD = new Float64Array(4096);
const cT = new Int32Array(4096);
const MODE_COUNT = 0;
const MODE_COLLECT = 1;
const MODE_RECORD = 2;
let mode = MODE_COUNT;
let goal = TARGET;
let found = 0;
let bump = 0;
let recorded: number[] = [];

/**
 * Visits every operator choice of atoms i.. given the value so far, kept as `acc + sgn·term`
 * (term = the pending product/quotient run, so * and / bind tighter, all left-associative).
 * Exact arithmetic makes the grouping of the additions irrelevant; every division the reference
 * evaluates is a `term / atom` step here, so division by zero prunes exactly the candidates the
 * reference skips with ZeroDivisionError.
 */
function visit(i: number, accN: number, accD: number, sgn: number, termN: number, termD: number, t: number): void {
  const s = aStart[i]!;
  const e = s + aLen[i]!;
  const w = aWeight[i]!;
  const foldN = accN * termD + sgn * termN * accD;
  const foldD = accD * termD;
  if (i === atomCount - 1) {
    // Last atom: finish the four operator choices inline (the leaves are ~3/4 of all visits).
    if (mode === MODE_COUNT) {
      const g = goal;
      const sa = sgn * accD;
      let f = 0;
      for (let c = s; c < e; c++) {
        const xn = cN[c]!;
        const xd = cD[c]!;
        const gd = g * foldD * xd;
        const p = foldN * xd;
        const q = xn * foldD;
        if (p + q === gd) f++;
        if (p - q === gd) f++;
        const md = termD * xd;
        if (accN * md + sa * termN * xn === g * accD * md) f++;
        if (xn !== 0) {
          const qd = termD * xn;
          if (accN * qd + sa * termN * xd === g * accD * qd) f++;
        }
      }
      found += f;
      return;
    }
    for (let c = s; c < e; c++) {
      const xn = cN[c]!;
      const xd = cD[c]!;
      const xt = t + cT[c]!;
      const d1 = foldD * xd;
      leaf(foldN * xd + xn * foldD, d1, xt);
      leaf(foldN * xd - xn * foldD, d1, xt + w);
      const mn = termN * xn;
      const md = termD * xd;
      leaf(accN * md + sgn * mn * accD, accD * md, xt + 2 * w);
      if (xn !== 0) {
        const qn = termN * xd;
        const qd = termD * xn;
        leaf(accN * qd + sgn * qn * accD, accD * qd, xt + 3 * w);
      }
    }
    return;
  }
  for (let c = s; c < e; c++) visit(i + 1, foldN, foldD, 1, cN[c]!, cD[c]!, t + cT[c]!);
  for (let c = s; c < e; c++) visit(i + 1, foldN, foldD, -1, cN[c]!, cD[c]!, t + w + cT[c]!);
  for (let c = s; c < e; c++) visit(i + 1, accN, accD, sgn, termN * cN[c]!, termD * cD[c]!, t + 2 * w + cT[c]!);
  for (let c = s; c < e; c++) {
    if (cN[c] !== 0) visit(i + 1, accN, accD, sgn, termN * cD[c]!, termD * cN[c]!, t + 3 * w + cT[c]!);
  }
}

/** A complete expression with value n/d and ops tuple t. */
function leaf(n: number, d: number, t: number): void {
  if (mode === MODE_COLLECT) {
    cN[bump] = n;
    cD[bump] = d;
    cT[bump] = t;
    bump++;
  } else if (n === goal * d) {
    found++;
    if (mode === MODE_RECORD) recorded.push(t);
  }
}

/** Runs the current atoms (atomCount/aStart/aLen/aWeight) from every candidate of atom 0. */
function visitAll(): void {
  const e = aStart[0]! + aLen[0]!;
  for (let c = aStart[0]!; c < e; c++) visit(1, 0, 1, 1, cN[c]!, cD[c]!, cT[c]!);
}

/** Evaluates every template of one ordering; returns the number equal to the target. */
function runOrdering(tpl: Templates, v: Int32Array, target: number, runMode: number): number {
  const n = tpl.n;
  for (let k = 0; k < n; k++) {
    cN[k] = v[k]!;
    cD[k] = 1;
    cT[k] = 0;
  }
  goal = target;
  found = 0;
  const gStart = [0, 0];
  const gLen = [0, 0];
  tpl.patterns.forEach((pattern, p) => {
    const atoms = pattern.atoms;
    const m = atoms.length / 2;
    // Groups first: collect all values of each bracketed run (its inner ops tuples).
    bump = n;
    let g = 0;
    for (let a = 0; a < m; a++) {
      const first = atoms[2 * a]!;
      const last = atoms[2 * a + 1]!;
      if (first === last) continue;
      atomCount = last - first + 1;
      for (let k = 0; k < atomCount; k++) {
        aStart[k] = first + k;
        aLen[k] = 1;
        aWeight[k] = k === 0 ? 0 : tpl.weight[first + k - 1]!;
      }
      mode = MODE_COLLECT;
      gStart[g] = bump;
      visitAll();
      gLen[g] = bump - gStart[g]!;
      g++;
    }
    // Then the outer flat sequence, groups standing in with all their candidate values.
    atomCount = m;
    g = 0;
    for (let a = 0; a < m; a++) {
      const first = atoms[2 * a]!;
      const last = atoms[2 * a + 1]!;
      if (first === last) {
        aStart[a] = first;
        aLen[a] = 1;
      } else {
        aStart[a] = gStart[g]!;
        aLen[a] = gLen[g]!;
        g++;
      }
      aWeight[a] = a === 0 ? 0 : tpl.weight[atoms[2 * a - 1]!]!;
    }
    mode = runMode;
    if (runMode === MODE_RECORD) {
      // Encode (t, p) so that sorting restores ops-major, pattern-minor order.
      const before = recorded.length;
      visitAll();
      for (let r = before; r < recorded.length; r++) recorded[r] = recorded[r]! * tpl.patterns.length + p;
    } else {
      visitAll();
    }
  });
  return found;
}

/** Number of template solutions of one ordering. */
export function countOrdering(tpl: Templates, v: Int32Array, target = TARGET): number {
  return runOrdering(tpl, v, target, MODE_COUNT);
}

/** Solution strings of one ordering, in the reference's order. */
export function solveOrdering(tpl: Templates, v: Int32Array, target = TARGET): string[] {
  recorded = [];
  runOrdering(tpl, v, target, MODE_RECORD);
  const codes = recorded.sort((a, b) => a - b);
  recorded = [];
  const patterns = tpl.patterns.length;
  return codes.map((code) => renderSolution(tpl, v, Math.floor(code / patterns), code % patterns));
}

const table = new Map<string, HandEntry>();
/** Far above the 7,315 hands any paper split can draw (19 distinct 4-card values) plus 2,002 5-card ones. */
const MAX_TABLE_ENTRIES = 50_000;

function handKey(sorted: readonly number[], target: number): string {
  return target === TARGET ? sorted.join(",") : `${sorted.join(",")}@${target}`;
}

/** The memoised hand of a value multiset (any order). Deterministic: built the same way each time. */
export function handFor(values: readonly number[], target = TARGET): Hand {
  const sorted = [...values].sort((a, b) => a - b);
  const key = handKey(sorted, target);
  const hit = table.get(key);
  if (hit) return hit;
  const bad = checkSolverBounds(sorted, target);
  if (bad) throw new RangeError(bad);
  const tpl = templatesFor(sorted.length);
  const perms = distinctPermutations(sorted);
  const counts = new Int32Array(perms.length);
  let total = 0;
  perms.forEach((perm, i) => {
    counts[i] = countOrdering(tpl, perm, target);
    total += counts[i]!;
  });
  const entry: HandEntry = { key, target, perms, counts, total, lists: new Array(perms.length) };
  // Bounded: `env batch` solve requests may name arbitrary hands. Dropping the memo never changes
  // a result, only the time to recompute it.
  if (table.size >= MAX_TABLE_ENTRIES) table.clear();
  table.set(key, entry);
  return entry;
}

/** Solution strings of ordering `i` of a hand (reference order), rendered once. */
export function orderingSolutions(hand: Hand, i: number): readonly string[] {
  const entry = hand as HandEntry;
  let list = entry.lists[i];
  if (!list) {
    const perm = entry.perms[i]!;
    list = solveOrdering(templatesFor(perm.length), perm, entry.target);
    entry.lists[i] = list;
  }
  return list;
}

/**
 * The full solution list the reference would return after shuffling the orderings into
 * `order` (indices into hand.perms). Without `order`, the unshuffled (sorted) order.
 */
export function allSolutions(hand: Hand, order?: readonly number[]): string[] {
  const out: string[] = [];
  const idx = order ?? hand.perms.map((_, i) => i);
  for (const i of idx) out.push(...orderingSolutions(hand, i));
  return out;
}

/** The k-th entry of the shuffled solution list without materialising the whole list. */
export function solutionAt(hand: Hand, order: readonly number[], k: number): string {
  let rest = k;
  for (const i of order) {
    const c = hand.counts[i]!;
    if (rest < c) return orderingSolutions(hand, i)[rest]!;
    rest -= c;
  }
  throw new RangeError(`solution index ${k} out of range (${hand.total} solutions)`);
}

/** Drops the memo table (benchmarks measure cold generation with it). */
export function clearSolverTable(): void {
  table.clear();
}
