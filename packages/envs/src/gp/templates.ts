/**
 * The reference solver's expression templates (docs/gp-rules.md#solver; debunk
 * `create_test_dataset.py::solve_game`, RosettaCode 24-game style).
 *
 * For N numbers the reference builds the flat token list `n0 o0 n1 o1 … n(N-1)` and, per bracket
 * pattern, inserts '(' / ')' at fixed list positions with Python's `list.insert` (an index past
 * the end appends). Patterns, in the reference's order:
 *   - `()`: no brackets;
 *   - `(x, y)` for x in range(0, exprlen, 2), y in range(x+4, exprlen+2, 2), except the pair that
 *     would wrap everything;
 *   - `(0, 4, 6, 10)`: the fixed "double" placement, `(a∘b)∘(c∘d)` for N = 4 (for N = 5 it is
 *     `(a∘b)∘(c∘d)∘e`, for N = 3 the odd `(a∘b)∘(c)`).
 * Operator tuples come from Python's `product` over the operators + - * / (repeat N-1): tuple
 * index t has op j equal to digit j of t in base 4, most significant first. The reference lists
 * solutions ops-major, pattern-minor.
 *
 * No pattern nests brackets, so every template is a flat sequence of "atoms" (a number or a
 * bracketed flat group of numbers) joined by operators; solver.ts exploits that.
 */

export const OPS = ["+", "-", "*", "/"] as const;

/** Token codes in a layout: 0..N-1 = number k, 100+j = operator slot j, LP / RP = brackets. */
export const LP = -1;
export const RP = -2;
const OP_BASE = 100;

export interface Pattern {
  /** Tokens after the reference's insertions. */
  readonly layout: Int8Array;
  /** Atoms as [first, last] number indices, flattened; an atom with first < last is a group. */
  readonly atoms: Int8Array;
}

export interface Templates {
  readonly n: number;
  /** Bracket patterns in reference order. */
  readonly patterns: readonly Pattern[];
  /** Number of operator tuples, 4^(n-1). */
  readonly opCount: number;
  /** weight[j] = 4^(n-2-j): contribution of op slot j to the tuple index. */
  readonly weight: Int32Array;
}

/** The reference's bracket insertion points for N numbers (Python `brackets` list). */
export function bracketPatterns(n: number): number[][] {
  const exprlen = 2 * n - 1;
  const out: number[][] = [[]];
  for (let x = 0; x < exprlen; x += 2) {
    for (let y = x + 4; y < exprlen + 2; y += 2) {
      if (!(x === 0 && y === exprlen + 1)) out.push([x, y]);
    }
  }
  out.push([0, 3 + 1, 4 + 2, 7 + 3]);
  return out;
}

function patternOf(n: number, insertPoints: readonly number[]): Pattern {
  const tokens: number[] = [];
  for (let k = 0; k < n; k++) {
    tokens.push(k);
    if (k < n - 1) tokens.push(OP_BASE + k);
  }
  insertPoints.forEach((at, i) => {
    // Python list.insert clamps the index to the end of the list.
    tokens.splice(Math.min(at, tokens.length), 0, i % 2 === 0 ? LP : RP);
  });
  const atoms: number[] = [];
  let groupStart = -1;
  let inGroup = false;
  for (const tok of tokens) {
    if (tok === LP) {
      inGroup = true;
      groupStart = -1;
    } else if (tok === RP) {
      inGroup = false;
    } else if (tok >= 0 && tok < OP_BASE) {
      if (!inGroup) atoms.push(tok, tok);
      else if (groupStart < 0) {
        groupStart = tok;
        atoms.push(tok, tok);
      } else atoms[atoms.length - 1] = tok;
    }
  }
  return { layout: Int8Array.from(tokens), atoms: Int8Array.from(atoms) };
}

const cache = new Map<number, Templates>();

/** Templates for N numbers (3 ≤ N ≤ 6), built once per N. */
export function templatesFor(n: number): Templates {
  const hit = cache.get(n);
  if (hit) return hit;
  if (!Number.isInteger(n) || n < 3 || n > 6) throw new RangeError(`templates need 3..6 numbers, got ${n}`);
  const weight = new Int32Array(n - 1);
  for (let j = 0; j < n - 1; j++) weight[j] = 4 ** (n - 2 - j);
  const built: Templates = {
    n,
    patterns: bracketPatterns(n).map((p) => patternOf(n, p)),
    opCount: 4 ** (n - 1),
    weight,
  };
  cache.set(n, built);
  return built;
}

/** Operator j (index into OPS) of ops tuple t. */
export function opOf(tpl: Templates, t: number, j: number): number {
  return Math.floor(t / tpl.weight[j]!) % 4;
}

/** The reference's solution string: tokens joined with no spaces, numbers via str(int). */
export function renderSolution(tpl: Templates, values: ArrayLike<number>, t: number, p: number): string {
  let s = "";
  for (const tok of tpl.patterns[p]!.layout) {
    if (tok === LP) s += "(";
    else if (tok === RP) s += ")";
    else if (tok >= OP_BASE) s += OPS[opOf(tpl, t, tok - OP_BASE)];
    else s += String(values[tok]);
  }
  return s;
}
