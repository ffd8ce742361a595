/**
 * General Points cards for drawing. Dataset rows carry `cards`, `values` (what the verifier
 * scores), `promptValues` (what the stated rule gives; they differ on the Fake splits) and the
 * rule text; an evaluation turn carries only its prompt, from which cards and rule are read.
 * Rule wordings (ruleMessage and the legacy rules in packages/envs/src/gp/cards.ts):
 * "'J', 'Q', and 'K' all count as '5'", "'J' counts as '11', 'Q' counts as '12', and 'K'
 * counts as '13'", "'J', 'Q', and 'K' count as '10'" and "... count as '11', '12', and '13'
 * respectively".
 */

export type Face = "J" | "Q" | "K";

/** Face-card values a rule states, or null when the text states none. */
export function faceValues(rule: string): Record<Face, number> | null {
  // "... respectively" is the legacy wording of the frozen training split.
  const each = /'J', 'Q', and 'K' count as '(\d+)', '(\d+)', and '(\d+)' respectively/.exec(rule);
  if (each) return { J: Number(each[1]), Q: Number(each[2]), K: Number(each[3]) };
  const all = /'J', 'Q', and 'K' (?:all )?count as '(\d+)'/.exec(rule);
  if (all) {
    const v = Number(all[1]);
    return { J: v, Q: v, K: v };
  }
  const out: Partial<Record<Face, number>> = {};
  for (const m of rule.matchAll(/'([JQK])' counts? as '(\d+)'/g)) out[m[1] as Face] = Number(m[2]);
  return out.J !== undefined && out.Q !== undefined && out.K !== undefined ? (out as Record<Face, number>) : null;
}

/** The rule sentence of a GP prompt ("'J', 'Q', and 'K' all count as '5'"). */
export function ruleFromPrompt(prompt: string): string | null {
  const m = /Note that (.+?), and each card must be used once/.exec(prompt);
  return m ? m[1]! : null;
}

/** The cards of a GP prompt: `Cards: ['2', 'K', 'J', 'A']`. */
export function cardsFromPrompt(prompt: string): string[] | null {
  const m = /Cards: \[([^\]]*)\]/.exec(prompt);
  if (!m) return null;
  const cards = [...m[1]!.matchAll(/'([^']*)'/g)].map((x) => x[1]!);
  return cards.length ? cards : null;
}

export function isFace(card: string): card is Face {
  return card === "J" || card === "Q" || card === "K";
}

/** A card's value under a rule: A = 1, numbers as printed, faces as the rule says. */
export function cardValue(card: string, faces: Record<Face, number> | null): number | null {
  if (card === "A") return 1;
  if (isFace(card)) return faces ? faces[card] : null;
  const n = Number(card);
  return Number.isFinite(n) ? n : null;
}

/** The text a GP prompt or a chat-message list carries. */
export function promptText(prompt: unknown): string {
  if (typeof prompt === "string") return prompt;
  if (Array.isArray(prompt)) return prompt.map((m) => String((m as { content?: unknown }).content ?? "")).join("\n");
  return "";
}
