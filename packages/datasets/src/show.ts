/**
 * Rows for a person (`trainyard dataset show DIR --split id --n 3`): Sokoban boards drawn in a
 * frame with the answer or plan; GP cards, rule, values and solution; then the completion.
 */
import { createInterface } from "node:readline";
import type { Manifest, ManifestFile } from "./manifest.js";
import type { ArtifactStore } from "./store.js";

/** Reads rows `offset .. offset+limit-1` of a listed file (streamed, so big files stay cheap). */
export async function readRows(
  store: ArtifactStore,
  prefix: string,
  file: ManifestFile,
  opts: { offset?: number; limit?: number } = {},
): Promise<Record<string, unknown>[]> {
  const offset = opts.offset ?? 0;
  const limit = opts.limit ?? 10;
  const out: Record<string, unknown>[] = [];
  const rl = createInterface({ input: store.open(prefix ? `${prefix}/${file.path}` : file.path), crlfDelay: Infinity });
  let i = 0;
  for await (const line of rl) {
    if (i++ < offset || !line) continue;
    out.push(JSON.parse(line) as Record<string, unknown>);
    if (out.length >= limit) break;
  }
  rl.close();
  return out;
}

function frame(rows: readonly string[]): string[] {
  const cells = rows.map((r) => Array.from(r).join(" "));
  const w = Math.max(...cells.map((c) => Array.from(c).length)) + 2;
  return [`┌${"─".repeat(w)}┐`, ...cells.map((c) => `│ ${c}${" ".repeat(w - 2 - Array.from(c).length)} │`), `└${"─".repeat(w)}┘`];
}

const text = (v: unknown): string =>
  typeof v === "string" ? v : Array.isArray(v) ? v.map((m) => String((m as { content?: unknown }).content ?? "")).join("\n") : "";

function clip(s: string, max = 700): string {
  return s.length > max ? `${s.slice(0, max)}… (${s.length - max} more characters)` : s;
}

function indent(s: string): string {
  return s
    .split("\n")
    .map((l) => `    │ ${l.replace(/\t/g, "⇥")}`)
    .join("\n");
}

function sokobanRow(r: Record<string, unknown>): string[] {
  const out = [...frame((r.rows as string[]) ?? [])];
  if (r.answer !== undefined) {
    out.push(`answer  ${String(r.answer)} (action ${String(r.answerId)}) · labels ${(r.labels as string[]).join(" | ")}`);
    out.push(`level   seed ${String(r.seed)}, state ${String(r.step)} of a ${String(r.pathLength)}-move plan`);
  } else {
    out.push(`plan    ${(r.optimal as string[]).join(", ") || "(unsolvable)"} (${String(r.optimalLength)} moves)`);
    out.push(`labels  shown ${(r.labels as string[]).join(" | ")} · accepted ${(r.accepted as string[]).join(" | ")}`);
  }
  return out;
}

function gpRow(r: Record<string, unknown>): string[] {
  const cards = (r.cards as string[]) ?? [];
  return [
    `cards   ${cards.map((c) => `[${c}]`).join(" ")}`,
    `rule    ${String(r.rule)} (${String(r.mapping)})`,
    `values  ${(r.values as number[]).join(", ")}${JSON.stringify(r.values) !== JSON.stringify(r.promptValues) ? `  (scored; the stated rule gives ${(r.promptValues as number[]).join(", ")})` : ""}`,
    `answer  ${String(r.solution)} = 24`,
  ];
}

export function renderRows(manifest: Manifest, file: ManifestFile, rows: readonly Record<string, unknown>[], offset = 0): string {
  const out: string[] = [`${manifest.task} · ${file.path} · ${file.rows} rows · ${manifest.env} · template ${manifest.template}`];
  rows.forEach((r, i) => {
    out.push("", `── row ${offset + i} · ${String(r.id)}${r.inTrain === true ? " · state also in training data" : ""} ${"─".repeat(10)}`);
    out.push(...(manifest.task === "sokoban" ? sokobanRow(r) : gpRow(r)));
    if (r.completion !== undefined) out.push(`completion (${String(r.target)}):`, indent(clip(text(r.completion))));
    else out.push("prompt (first turn):", indent(clip(text(r.prompt), 400)));
  });
  return out.join("\n");
}
