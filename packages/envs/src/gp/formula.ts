/**
 * Steps 2–6 of the verifier (docs/gp-rules.md#verifier) plus our recursive-descent parser.
 * Model text is never evaluated as code.
 *
 * Reference semantics reproduced here (debunk `calculate_rewards`):
 *   - cut at the first '=', then delete U+0020 only (a TAB stays and makes the formula illegal);
 *     deleting spaces first means `1 0` is the number 10;
 *   - tokens are maximal runs of Unicode Nd digits (Python `\d`) and single `+ - * / ( )`; any
 *     other character → ILLEGAL (−3);
 *   - the left-to-right grammar check (−3) allows a trailing operator and unclosed '(';
 *   - the multiset of `int(run)` values must equal the card values (−2);
 *   - then Python `eval`, which additionally rejects (→ −1) what its own parser refuses:
 *     unclosed '(' or a trailing operator, leading zeros (`02`), non-ASCII digits, and more than
 *     200 nested parentheses (CPython's tokenizer limit).
 */

import { digitValue } from "./unicode-digits.js";

export const T_NUM = 0;
export const T_ADD = 1;
export const T_SUB = 2;
export const T_MUL = 3;
export const T_DIV = 4;
export const T_LP = 5;
export const T_RP = 6;

/** Outcome of the syntactic stages. */
export const FORMULA_ILLEGAL = -3;
export const FORMULA_WRONG_NUMBERS = -2;
/** Passed the checks, but Python's own parser would raise SyntaxError: scores −1. */
export const FORMULA_SYNTAX_ERROR = -1;
export const FORMULA_OK = 0;

const MAX_PAREN_DEPTH = 200;
/** Runs longer than this make `int()` raise in CPython 3.11 (the reference crashes; we say −2). */
const INT_MAX_DIGITS = 4300;
const TWO53 = 9007199254740992;

/** Parsed formula: token kinds, number values, and the postfix program built by `parse`. */
export interface Tokens {
  count: number;
  kind: Int8Array;
  /** Value of each number token (exact when below 2^53; Infinity marks a larger run). */
  value: Float64Array;
  /** Postfix program: >= 0 pushes value[i], < 0 applies operator -code. */
  post: Int32Array;
  postLen: number;
}

let scratch: Tokens = alloc(64);

function alloc(n: number): Tokens {
  return { count: 0, kind: new Int8Array(n), value: new Float64Array(n), post: new Int32Array(n), postLen: 0 };
}

/** Kind of a prefix token for the grammar check: none yet, number, operator, '(' or ')'. */
const P_NONE = 0;
const P_NUM = 1;
const P_OP = 2;
const P_LP = 3;
const P_RP = 4;

/**
 * Runs steps 2–6 on the raw extracted formula against the card values (any order). Returns one of the
 * FORMULA_* codes; on FORMULA_OK the shared token buffer (see `lastTokens`) holds the postfix
 * program for evaluation.
 */
export function checkFormula(raw: string, values: readonly number[]): number {
  const eq = raw.indexOf("=");
  const end = eq < 0 ? raw.length : eq;
  if (scratch.kind.length < end + 1) scratch = alloc(end + 1);
  const tk = scratch;
  const kind = tk.kind;
  const value = tk.value;
  let n = 0;
  let prev = P_NONE;
  let depth = 0;
  let maxDepth = 0;
  let pySyntaxError = false;
  // Current digit run: it continues across deleted spaces.
  let inRun = false;
  let runVal = 0;
  let runDigits = 0;
  let runAscii = true;
  let runFirst = 0;
  let runNonZero = false;

  // i === end acts as a terminator (c = -1) so a trailing run is closed in the same place.
  for (let i = 0; i <= end; i++) {
    const c = i < end ? raw.charCodeAt(i) : -1;
    if (c === 0x20) continue;
    let d = c >= 0x30 && c <= 0x39 ? c - 0x30 : -1;
    if (d < 0 && c >= 0x80) {
      // Astral digits (e.g. MATHEMATICAL BOLD DIGIT ONE) arrive as surrogate pairs.
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
        const lo = raw.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          const cp = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          d = digitValue(cp);
          if (d >= 0) i++;
        }
      } else d = digitValue(c);
    }
    if (d >= 0) {
      if (!inRun) {
        if (prev === P_RP) return FORMULA_ILLEGAL;
        inRun = true;
        runVal = 0;
        runDigits = 0;
        runFirst = d;
        runNonZero = false;
        runAscii = true;
      }
      if (c >= 0x80) runAscii = false;
      runDigits++;
      if (d !== 0) runNonZero = true;
      runVal = runVal * 10 + d;
      if (runVal >= TWO53) runVal = Infinity; // cannot equal a card value
      prev = P_NUM;
      continue;
    }
    if (inRun) {
      inRun = false;
      // Python refuses `01` (leading zeros) and any non-ASCII digit; `00` is a valid literal.
      if (!runAscii || (runDigits > 1 && runFirst === 0 && runNonZero)) pySyntaxError = true;
      value[n] = runDigits > INT_MAX_DIGITS ? Infinity : runVal;
      kind[n++] = T_NUM;
    }
    switch (c) {
      case -1:
        break;
      case 0x2b: // +
      case 0x2d: // -
      case 0x2a: // *
      case 0x2f: // /
        if (prev !== P_NUM && prev !== P_RP) return FORMULA_ILLEGAL;
        kind[n++] = c === 0x2b ? T_ADD : c === 0x2d ? T_SUB : c === 0x2a ? T_MUL : T_DIV;
        prev = P_OP;
        break;
      case 0x28: // (
        if (prev === P_NUM || prev === P_RP) return FORMULA_ILLEGAL;
        kind[n++] = T_LP;
        if (++depth > maxDepth) maxDepth = depth;
        prev = P_LP;
        break;
      case 0x29: // )
        if ((prev !== P_NUM && prev !== P_RP) || depth === 0) return FORMULA_ILLEGAL;
        kind[n++] = T_RP;
        depth--;
        prev = P_RP;
        break;
      default:
        return FORMULA_ILLEGAL;
    }
  }
  tk.count = n;

  // Step 6: the numbers used must be exactly the card values (as a multiset).
  let nums = 0;
  for (let i = 0; i < n; i++) if (kind[i] === T_NUM) nums++;
  if (nums !== values.length) return FORMULA_WRONG_NUMBERS;
  if (nums > 0 && !sameMultiset(value, kind, n, values)) return FORMULA_WRONG_NUMBERS;

  // What Python's parser would still refuse.
  if (pySyntaxError || depth !== 0 || maxDepth > MAX_PAREN_DEPTH || n === 0 || prev === P_OP) {
    return FORMULA_SYNTAX_ERROR;
  }
  return parse(tk) ? FORMULA_OK : FORMULA_SYNTAX_ERROR;
}

let usedScratch = new Float64Array(8);
let wantScratch = new Float64Array(8);

function insertionSort(a: Float64Array, len: number): void {
  for (let i = 1; i < len; i++) {
    const x = a[i]!;
    let j = i - 1;
    while (j >= 0 && a[j]! > x) {
      a[j + 1] = a[j]!;
      j--;
    }
    a[j + 1] = x;
  }
}

/** Number tokens equal `values` as multisets (both sides are a handful of entries). */
function sameMultiset(value: Float64Array, kind: Int8Array, n: number, values: readonly number[]): boolean {
  const m = values.length;
  if (usedScratch.length < m) {
    usedScratch = new Float64Array(m);
    wantScratch = new Float64Array(m);
  }
  for (let i = 0, j = 0; i < n; i++) if (kind[i] === T_NUM) usedScratch[j++] = value[i]!;
  for (let j = 0; j < m; j++) wantScratch[j] = values[j]!;
  insertionSort(usedScratch, m);
  insertionSort(wantScratch, m);
  for (let j = 0; j < m; j++) if (usedScratch[j] !== wantScratch[j]) return false;
  return true;
}

/** The token buffer of the last `checkFormula` call that returned FORMULA_OK. */
export function lastTokens(): Tokens {
  return scratch;
}

// Recursive descent over the token buffer, writing postfix:
//   expr := term (('+' | '-') term)*    term := atom (('*' | '/') atom)*    atom := NUM | '(' expr ')'
// Recursion depth is bounded by the 200-level parenthesis limit checked before parsing.
let pos = 0;
let toks: Tokens = scratch;

function parse(tk: Tokens): boolean {
  if (tk.post.length < tk.count) tk.post = new Int32Array(tk.kind.length);
  toks = tk;
  pos = 0;
  tk.postLen = 0;
  return expr() && pos === tk.count;
}

function emit(code: number): void {
  toks.post[toks.postLen++] = code;
}

function expr(): boolean {
  if (!term()) return false;
  for (;;) {
    const k = toks.kind[pos];
    if (pos >= toks.count || (k !== T_ADD && k !== T_SUB)) return true;
    pos++;
    if (!term()) return false;
    emit(-k!);
  }
}

function term(): boolean {
  if (!atom()) return false;
  for (;;) {
    const k = toks.kind[pos];
    if (pos >= toks.count || (k !== T_MUL && k !== T_DIV)) return true;
    pos++;
    if (!atom()) return false;
    emit(-k!);
  }
}

function atom(): boolean {
  if (pos >= toks.count) return false;
  const k = toks.kind[pos];
  if (k === T_NUM) {
    emit(pos++);
    return true;
  }
  if (k !== T_LP) return false;
  pos++;
  if (!expr() || pos >= toks.count || toks.kind[pos] !== T_RP) return false;
  pos++;
  return true;
}
