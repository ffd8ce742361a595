/**
 * An uploaded frozen General Points set (e.g. the real 10k subset of Chu et al.'s data,
 * converted). One JSON object per line, in the same chat format the builder writes:
 *
 *   {"prompt": [{"role":"user","content":"…"}] | "…",
 *    "completion": [{"role":"assistant","content":"…"}] | "…",
 *    "cards": ["2","7","Q","2"], "values": [2,7,10,2],          (or "reward": {"values": […]})
 *    "rule": "'J', 'Q', and 'K' count as '10'", "mapping": "all_10"}   (optional; these defaults)
 *
 * The first `size` rows whose completion earns full reward under the spec's scoring are used,
 * in file order; rows that do not are skipped and counted in the manifest notes. A malformed
 * line, or fewer usable rows than `size`, is TY_ERR_DATASET_BAD_UPLOAD naming the line.
 */
import { gp } from "@trainyard/envs";
import { badUpload } from "../errors.js";
import type { ArtifactStore } from "../store.js";

export interface UploadedTask {
  item: gp.GpItem;
  /** The row's own completion text (the answer-only target). */
  answer: string;
}

const RANK: Record<string, number> = { A: 1, J: 11, Q: 12, K: 13 };

function text(v: unknown, role: string): string | null {
  if (typeof v === "string") return v;
  if (Array.isArray(v)) {
    const m = v.find((x) => typeof x === "object" && x !== null && (x as { role?: unknown }).role === role);
    const c = (m as { content?: unknown } | undefined)?.content;
    return typeof c === "string" ? c : null;
  }
  return null;
}

function parseLine(
  line: string,
  n: number,
  where: string,
): { prompt: string; completion: string; cards: string[]; values: number[]; rule: string; mapping: gp.MappingName } {
  const at = `${where} line ${n + 1}`;
  let row: Record<string, unknown>;
  try {
    row = JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw badUpload(`${at}: not valid JSON`);
  }
  if (typeof row !== "object" || row === null || Array.isArray(row)) throw badUpload(`${at}: not a JSON object`);
  const prompt = text(row.prompt, "user");
  const completion = text(row.completion, "assistant");
  if (prompt === null) throw badUpload(`${at}: "prompt" must be a string or a list with a user message`);
  if (completion === null) throw badUpload(`${at}: "completion" must be a string or a list with an assistant message`);
  const cards = row.cards;
  if (
    !Array.isArray(cards) ||
    cards.length < 4 ||
    cards.length > 5 ||
    !cards.every((c) => typeof c === "string" && /^(A|J|Q|K|[2-9]|1[0-9])$/.test(c))
  ) {
    throw badUpload(`${at}: "cards" must list 4 or 5 card strings (A, 2..19, J, Q, K)`);
  }
  const values = row.values ?? (row.reward as { values?: unknown } | undefined)?.values;
  if (
    !Array.isArray(values) ||
    values.length !== cards.length ||
    !values.every((v) => Number.isSafeInteger(v) && (v as number) > 0 && (v as number) < 100)
  ) {
    throw badUpload(`${at}: "values" must list one positive integer per card`);
  }
  const mapping = row.mapping ?? "all_10";
  if (typeof mapping !== "string" || !Object.prototype.hasOwnProperty.call(gp.FACE_CARD_MAPPINGS, mapping)) {
    throw badUpload(`${at}: "mapping" must be a face-card mapping name such as all_10`);
  }
  const rule = row.rule ?? gp.LEGACY_RULE_ALL_10;
  if (typeof rule !== "string") throw badUpload(`${at}: "rule" must be a string`);
  return { prompt, completion, cards: cards as string[], values: values as number[], rule, mapping: mapping as gp.MappingName };
}

export async function readUploadedFrozen(
  store: ArtifactStore,
  uri: string,
  size: number,
  env: gp.GpEnv,
  notes: string[],
): Promise<UploadedTask[]> {
  if (!(await store.stat(uri))) throw badUpload(`${uri}: not in the artifact store; upload the frozen General Points JSONL there first`);
  const lines = (await store.get(uri)).toString("utf8").split("\n");
  const out: UploadedTask[] = [];
  let skipped = 0;
  for (let n = 0; n < lines.length && out.length < size; n++) {
    const line = lines[n]!;
    if (line.trim() === "") continue;
    const r = parseLine(line, n, uri);
    let hand: gp.Hand;
    try {
      hand = gp.handFor(r.values);
    } catch (e) {
      throw badUpload(`${uri} line ${n + 1}: "values": ${(e as Error).message}`);
    }
    const found = gp.extractFormula(r.completion);
    const item: gp.GpItem = {
      env: env.id,
      setting: "train-frozen",
      key: n,
      prompt: r.prompt,
      fallback: false,
      split: "train-frozen",
      index: n,
      seed: -1,
      mapping: r.mapping,
      rule: r.rule,
      ranks: r.cards.map((c) => RANK[c] ?? Number(c)),
      cards: r.cards,
      values: r.values,
      promptValues: r.values,
      target: gp.TARGET,
      solution: found.kind === "string" ? found.formula : "",
      numSolutions: hand.total,
      draws: 1,
      answer: r.completion,
    };
    if (!env.score(item, r.completion).success) {
      skipped++;
      continue;
    }
    out.push({ item, answer: r.completion });
  }
  if (out.length < size) {
    throw badUpload(
      `${uri}: ${out.length} usable rows (${skipped} without full reward skipped), the spec asks for train.frozen.size = ${size}`,
    );
  }
  notes.push(
    `frozen training data: the first ${size} rows of the uploaded ${uri} (row index = line number; ${skipped} rows without full reward under '${env.mode}' scoring skipped).`,
  );
  return out;
}
