/**
 * Prompt and answer-only target, byte for byte (docs/prompts.md#gp-task-prompt, docs/gp-rules.md#answer-format).
 *
 * Three renderings of the same template exist in the reference:
 *   - test splits (`create_test_dataset.py`): starts with "\n", ends with "}\n\n";
 *   - diverse training (`create_training_dataset.py`): starts with "\n", ends with "}\n";
 *   - frozen training (Chu et al.'s data as imported by `process_gp_l.py`): the legacy RULE
 *     wording "count as '10'", and the import `.strip()`s every question, so no leading or
 *     trailing newline (see FROZEN_PROMPT_STRIPPED).
 * `N` follows the card count, but the `[x, y, z, w]` / `[a, b, c, d]` placeholders stay four long
 * even for five cards — a reference quirk kept verbatim.
 */

import { jsonStrList, pyIntList, pyStrList } from "./cards.js";

export type PromptStyle = "test" | "train" | "frozen";

/**
 * The frozen set's questions went through `convo["value"].strip()` in the reference import.
 * Chu et al.'s raw data is not available to check the text it started from; we render the
 * debunk template with the legacy wording and apply the same strip.
 */
export const FROZEN_PROMPT_STRIPPED = true;

/** The body shared by all three styles: from "[Task Description]" to the closing brace. */
function body(numCards: number, rule: string, cards: readonly string[], target: number): string {
  return (
    "[Task Description]\n" +
    `You are an expert ${target} points card game player. You will receive a set of ${numCards} cards.\n` +
    `Note that ${rule}, and each card must be used once.\n` +
    `Your goal is to output a formula that evaluates to ${target} using numbers from the cards and operators such as '+', '-', '*', '/', '(', ')', and '='.\n` +
    "\n" +
    "[Input]\n" +
    `Cards: ${pyStrList(cards)}\n` +
    "\n" +
    "[Output]\n" +
    "{\n" +
    `  "cards": [x, y, z, w], where ${rule},\n` +
    '  "number": [a, b, c, d], where a, b, c, and d are the numbers on the cards,\n' +
    `  "formula": 'an equation that equals ${target}',\n` +
    "}"
  );
}

export function renderPrompt(style: PromptStyle, rule: string, cards: readonly string[], target = 24): string {
  const text = body(cards.length, rule, cards, target);
  switch (style) {
    case "test":
      return `\n${text}\n\n`;
    case "train":
      return `\n${text}\n`;
    case "frozen":
      return FROZEN_PROMPT_STRIPPED ? text : `\n${text}\n\n`;
  }
}

/**
 * The reference's answer-only target:
 * `{\n"cards": <json list>,\n "number": <python int list>,\n "formula": "<solution>"\n}`.
 */
export function renderAnswer(cards: readonly string[], numbers: readonly number[], formula: string): string {
  return `{\n"cards": ${jsonStrList(cards)},\n "number": ${pyIntList(numbers)},\n "formula": "${formula}"\n}`;
}
