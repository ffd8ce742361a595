/**
 * Solver-written chain of thought in the GP CoT shape (docs/prompts.md#chain-of-thought-data): a `<think>`
 * block that first translates the cards under the prompt's stated rule, then walks the formula's
 * arithmetic step by step, then `</think>`, a blank line, and the same object as the
 * answer-only target.
 *
 * The paper's CoT came from an RL-tuned Qwen3-8B and reads freely; this text is a deterministic
 * stand-in with that structure. It never contains `"formula": "` (the verifier takes the first
 * such match in the text, even inside `<think>`) and uses the ASCII operators of the answer.
 */

import { checkFormula, lastTokens, FORMULA_OK } from "./formula.js";
import { renderAnswer } from "./prompt.js";

const FACE = new Set(["A", "J", "Q", "K"]);
const OP_TEXT = ["+", "-", "*", "/"];

function gcd(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  while (b) [a, b] = [b, a % b];
  return a;
}

interface Frac {
  n: number;
  d: number;
}

function norm(n: number, d: number): Frac {
  if (d < 0) {
    n = -n;
    d = -d;
  }
  const g = gcd(n, d) || 1;
  return { n: n / g, d: d / g };
}

function show(x: Frac): string {
  return x.d === 1 ? String(x.n) : `${x.n}/${x.d}`;
}

/** "a op b = c" lines in evaluation order, in exact rationals; null if the formula does not parse. */
export function arithmeticSteps(formula: string, numbers: readonly number[]): string[] | null {
  if (checkFormula(formula, numbers) !== FORMULA_OK) return null;
  const tk = lastTokens();
  const stack: Frac[] = [];
  const steps: string[] = [];
  for (let i = 0; i < tk.postLen; i++) {
    const code = tk.post[i]!;
    if (code >= 0) {
      stack.push({ n: tk.value[code]!, d: 1 });
      continue;
    }
    const b = stack.pop()!;
    const a = stack.pop()!;
    let r: Frac;
    if (code === -1) r = norm(a.n * b.d + b.n * a.d, a.d * b.d);
    else if (code === -2) r = norm(a.n * b.d - b.n * a.d, a.d * b.d);
    else if (code === -3) r = norm(a.n * b.n, a.d * b.d);
    else {
      if (b.n === 0) return null;
      r = norm(a.n * b.d, a.d * b.n);
    }
    steps.push(`${show(a)}${OP_TEXT[-code - 1]}${show(b)} = ${show(r)}`);
    stack.push(r);
  }
  return steps;
}

/** The card-translation sentence, e.g. "A is worth 1 and Q is worth 10, so the numbers are …". */
export function translationSentence(cards: readonly string[], numbers: readonly number[], rule: string): string {
  const seen = new Map<string, number>();
  cards.forEach((c, i) => {
    if (FACE.has(c) && !seen.has(c)) seen.set(c, numbers[i]!);
  });
  const list = numbers.join(", ");
  if (seen.size === 0) return `The rule is that ${rule}, but no card here needs translating, so the numbers are ${list}.`;
  const parts = [...seen].map(([c, v]) => `${c} is worth ${v}`);
  const joined = parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
  return `The rule is that ${rule}. ${joined}, so the numbers are ${list}.`;
}

/**
 * Full CoT completion: reasoning, then the answer object under the stated rule. `formula` must use
 * exactly `numbers`; the closing sentence reports the value the steps reach.
 */
export function renderCot(cards: readonly string[], numbers: readonly number[], rule: string, formula: string, target = 24): string {
  const lines = [translationSentence(cards, numbers, rule)];
  const steps = arithmeticSteps(formula, numbers);
  if (steps && steps.length > 0) {
    lines.push(`Trying ${formula}: ${steps.join(", ")}.`);
    const last = steps[steps.length - 1]!;
    const reached = last.slice(last.lastIndexOf("= ") + 2);
    lines.push(
      reached === String(target)
        ? `That reaches ${target} and uses every number exactly once.`
        : `That reaches ${reached}, not ${target}; no formula found that reaches ${target}.`,
    );
  }
  return `<think>\n${lines.join("\n")}\n</think>\n\n${renderAnswer(cards, numbers, formula)}`;
}
