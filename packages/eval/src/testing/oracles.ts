/**
 * Oracle "models" for FakeModelServer: they read only the prompt, as a model would.
 *
 *  - `sokobanPromptOracle`: BFS on the board printed in the prompt, answered with the label the
 *    prompt's own `Answers:` block lists for that action (Up/Down/Left/Right when it has none).
 *  - `sokobanFrozenOracle`: the same BFS action, always in the training words Up/Down/Left/Right
 *    (the frozen-prompt shortcut: perfect on Fake, useless on Alpha/Num/Rand).
 *  - `gpPromptOracle`: a paper-safe solver formula over the values the prompt's stated rule gives.
 *  - `gpFrozenOracle`: the same, always with J = Q = K = 10 (the GP shortcut).
 * Expected scores: docs/paper.md#oracle-checks.
 */
import { gp, sokoban } from "@trainyard/envs";

/** The board of a Sokoban prompt (`[Current Observation]:` cells are ` S \t`), as compact rows. */
export function boardRows(prompt: string): string[] {
  const start = prompt.indexOf("[Current Observation]:\n");
  const end = prompt.indexOf("\nDecide the next action:", start);
  if (start < 0 || end < 0) throw new Error("no board in prompt");
  const lines = prompt.slice(start + "[Current Observation]:\n".length, end).split("\n");
  return lines.map((line) =>
    line
      .split("\t")
      .filter((c) => c.length > 0)
      .map((c) => c.trim())
      .join(""),
  );
}

// Boards repeat (an invalid turn shows the same board again), so BFS answers are memoised.
const plans = new Map<string, number>();

function bfsAction(prompt: string): number {
  const rows = boardRows(prompt);
  const key = rows.join("/");
  let id = plans.get(key);
  if (id === undefined) {
    id = sokoban.solve(sokoban.parseRows(rows))[0] ?? 1;
    if (plans.size > 10_000) plans.clear();
    plans.set(key, id);
  }
  return id;
}

export function sokobanPromptOracle(prompt: string): string {
  const id = bfsAction(prompt);
  const table = sokoban.promptActionMapping(prompt);
  const label = table ? [...table].find(([, v]) => v === id)?.[0] : sokoban.BASE_LABELS[id - 1];
  return `I follow the shortest plan. </think> <answer> ${label} </answer>`;
}

export function sokobanFrozenOracle(prompt: string): string {
  return `</think> <answer> ${sokoban.BASE_LABELS[bfsAction(prompt) - 1]} </answer>`;
}

/** Face-card rule stated in a GP prompt (`Note that <rule>, and each card must be used once.`). */
function statedRule(prompt: string): gp.FaceCardMapping {
  const m = /Note that (.*), and each card must be used once\./.exec(prompt);
  if (!m) throw new Error("no rule in prompt");
  const rule = m[1]!;
  if (rule === gp.LEGACY_RULE_ALL_10) return gp.FACE_CARD_MAPPINGS.all_10;
  if (rule === gp.LEGACY_RULE_REGULAR) return gp.FACE_CARD_MAPPINGS.mixed_11_12_13;
  const found = Object.values(gp.FACE_CARD_MAPPINGS).find((mp) => gp.ruleMessage(mp) === rule);
  if (!found) throw new Error(`unknown rule: ${rule}`);
  return found;
}

function cardsOf(prompt: string): string[] {
  const m = /Cards: \[(.*)\]/.exec(prompt);
  if (!m) throw new Error("no cards in prompt");
  return [...m[1]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!);
}

function value(card: string, rule: gp.FaceCardMapping): number {
  if (card === "A") return 1;
  if (card === "J" || card === "Q" || card === "K") return rule[card];
  return Number(card);
}

function gpAnswer(prompt: string, rule: gp.FaceCardMapping): string {
  const cards = cardsOf(prompt);
  const values = cards.map((c) => value(c, rule));
  const target = Number(/expert (\d+) points/.exec(prompt)?.[1] ?? 24);
  const safe = gp.allSolutions(gp.handFor(values, target)).find((f) => gp.scoreFormula(f, values, "paper", target).reward === 5);
  return gp.renderAnswer(cards, values, safe ?? values.join("+"));
}

export function gpPromptOracle(prompt: string): string {
  return gpAnswer(prompt, statedRule(prompt));
}

export function gpFrozenOracle(prompt: string): string {
  return gpAnswer(prompt, gp.FACE_CARD_MAPPINGS.all_10);
}
