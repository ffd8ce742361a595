/**
 * Human view of one level for `trainyard env show sokoban --setting id --seed 123`: the board in
 * a box-drawing frame, the BFS plan replayed step by step, and the exact prompt.
 */
import { levelToRows, parseRows } from "./board.js";
import { play } from "./dynamics.js";
import { generateItem, optimalNames } from "./items.js";
import { getSetting } from "./settings.js";

function frame(rows: readonly string[], title: string): string[] {
  const cells = rows.map((r) => Array.from(r).join(" "));
  const width = Math.max(title.length, ...cells.map((c) => Array.from(c).length)) + 2;
  const pad = (s: string) => s + " ".repeat(width - 2 - Array.from(s).length);
  return [
    `┌${"─".repeat(width)}┐`,
    `│ ${pad(title)} │`,
    `├${"─".repeat(width)}┤`,
    ...cells.map((c) => `│ ${pad(c)} │`),
    `└${"─".repeat(width)}┘`,
  ];
}

export function showSokobanLevel(settingName: string, seed: number): string {
  const setting = getSetting(settingName);
  const item = generateItem(settingName, seed);
  const out: string[] = [];
  out.push(
    `sokoban · setting ${setting.name} (${setting.tag}, ${setting.rows}×${setting.cols}, ${setting.numBoxes} box${setting.numBoxes === 1 ? "" : "es"}) · seed ${seed}` +
      (item.fallback ? ` · fallback seed ${item.usedSeed} (reference retry is not reproducible)` : ""),
  );
  out.push("");
  out.push(...frame(item.rows, "start"));
  const plan = optimalNames(item);
  out.push("");
  out.push(`BFS plan (${plan.length} move${plan.length === 1 ? "" : "s"}): ${plan.join(", ") || "(none)"}`);
  out.push(`prompt labels: ${item.promptLabels.join(" | ")}${setting.prompt.shown ? "" : " (not shown: empty variant)"}`);
  out.push(`accepted by the env: ${item.accepted.join(" | ")}`);
  if (item.optimal.length) {
    const end = play(parseRows(item.rows), item.optimal);
    out.push("");
    out.push(...frame(levelToRows(end.level), `after plan: ${end.success ? "solved" : "not solved"}`));
  }
  out.push("");
  out.push("── prompt (exact text; ⇥ marks a TAB) " + "─".repeat(20));
  out.push(item.prompt.replace(/\t/g, "⇥"));
  return out.join("\n");
}
