/**
 * Rows for a person (`trainyard dataset show DIR --split id --n 3`): Sokoban boards drawn in a
 * frame with the answer or plan; GP cards, rule, values and solution; then the completion.
 */
import { createInterface } from "node:readline";
import type { Manifest, ManifestFile } from "./manifest.js";
import type { ArtifactStore } from "./store.js";
import { datasetTask } from "./tasks/index.js";

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

export function renderRows(manifest: Manifest, file: ManifestFile, rows: readonly Record<string, unknown>[], offset = 0): string {
  const out: string[] = [`${manifest.task} · ${file.path} · ${file.rows} rows · ${manifest.env} · template ${manifest.template}`];
  rows.forEach((r, i) => {
    out.push("", `── row ${offset + i} · ${String(r.id)}${r.inTrain === true ? " · state also in training data" : ""} ${"─".repeat(10)}`);
    out.push(...datasetTask(manifest.task).previewRow(r));
    if (r.completion !== undefined) out.push(`completion (${String(r.target)}):`, indent(clip(text(r.completion))));
    else out.push("prompt (first turn):", indent(clip(text(r.prompt), 400)));
  });
  return out.join("\n");
}
