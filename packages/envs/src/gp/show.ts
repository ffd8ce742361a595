/**
 * Human-readable view of one task for the terminal (`trainyard env show`): the cards drawn, the
 * stated rule, the values used for scoring, a solution and the exact prompt. Plain text; the CLI
 * adds colour if it wants.
 */

import { SPLITS, generateTask, isGpSplit } from "./generate.js";
import { solverFormula } from "./solver-formula.js";

function indent(text: string, prefix: string): string {
  return text
    .split("\n")
    .map((line) => (line.length > 0 ? prefix + line : prefix.trimEnd()))
    .join("\n");
}

/** Multi-line description of task `index` of `split`. */
export function showGpTask(split: string, index: number): string {
  if (!isGpSplit(split)) throw new RangeError(`unknown general-points split: ${split}`);
  const t = generateTask(split, index);
  const cfg = SPLITS[split];
  const oracle = solverFormula(t);
  const lines = [
    `General Points · ${split} #${index} (reference: ${cfg.reference}; seed ${t.seed}, ${t.draws} draw${t.draws === 1 ? "" : "s"})`,
    `Cards   ${t.cards.map((c) => `[${c}]`).join(" ")}`,
    `Rule    ${t.rule}  (mapping ${t.mapping})`,
    `Values  ${t.values.join(", ")}${cfg.fake ? `  ← scored as J=Q=K=10; the prompt's rule gives ${t.promptValues.join(", ")}` : ""}`,
    `Answer  ${t.solution} = ${t.target}  (reference choice among ${t.numSolutions} template solution${t.numSolutions === 1 ? "" : "s"})`,
  ];
  if (oracle && oracle.formula !== t.solution) {
    lines.push(`Oracle  ${oracle.formula}${oracle.paperSafe ? "  (float-safe alternative)" : "  (no float-safe solution)"}`);
  }
  if (cfg.fake && !oracle) lines.push("Oracle  none: the stated rule admits no template solution");
  lines.push("Prompt  ┐", indent(t.prompt, "        │ "));
  return lines.join("\n");
}
