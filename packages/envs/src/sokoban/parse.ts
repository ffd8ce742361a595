/**
 * Answer parsing, two ways, exactly as the reference (docs/sokoban-rules.md#answer-parsing, docs/prompts.md#prompt-quirks).
 *
 * 1. Evaluation parser (debunk ctx_manager `_parse_response`, enable_think=False, then
 *    es_manager `_extract_map_valid_actions`): FIRST `<answer>(.*?)</answer>` with DOTALL; the six
 *    special tokens removed one after another, each followed by strip(); the whole rest is ONE
 *    label, looked up lower-cased in the env's table (a later duplicate label wins).
 * 2. Single-step RL reward (`compute_score_with_action_sequence_and_diverse_prompt`): split at
 *    the first `Assistant:` (else the first `<|im_start|>assistant`), tag-count/order gate, LAST
 *    `<answer>`/`<action>` block on one line, vocabulary read from the prompt's `Answers:` block,
 *    tokens mapped by `n(label)` / label / bare digit, leading token compared with the BFS action.
 */
import type { ActionId } from "./board.js";
import type { Labels } from "./prompts.js";
import { PY_WS, pyCount, pyStrip, reEscape } from "./pystr.js";

const SPECIAL_TOKENS = ["<think>", "</think>", "<answer>", "</answer>", "<|im_start|>", "<|im_end|>"];
const FIRST_ANSWER = /<answer>([\s\S]*?)<\/answer>/;

export type EvalParse =
  { kind: "no_answer" } | { kind: "unknown_label"; label: string } | { kind: "ok"; label: string; actionId: ActionId };

/** Lower-cased label → id table of an env (`{v.lower(): k}`: a repeated label keeps the later id). */
export function labelTable(labels: Labels): Map<string, ActionId> {
  const m = new Map<string, ActionId>();
  labels.forEach((l, i) => m.set(l.toLowerCase(), (i + 1) as ActionId));
  return m;
}

export function parseEvalDetailed(text: string, labels: Labels): EvalParse {
  const m = FIRST_ANSWER.exec(text);
  if (!m) return { kind: "no_answer" };
  let content = m[1]!;
  for (const tok of SPECIAL_TOKENS) content = pyStrip(content.split(tok).join(""));
  const id = labelTable(labels).get(content.toLowerCase());
  return id === undefined ? { kind: "unknown_label", label: content } : { kind: "ok", label: content, actionId: id };
}

/** Evaluation parser: the action id the env would execute, or null for an invalid turn. */
export function parseEvalAction(text: string, labels: Labels): ActionId | null {
  const r = parseEvalDetailed(text, labels);
  return r.kind === "ok" ? r.actionId : null;
}

// ---------------------------------------------------------------------------------------------
// RL reward

const ANSWERS_BLOCK = new RegExp(
  `Answers:[${PY_WS}]*(?:\\n)?[${PY_WS}]*` +
    Array.from({ length: 4 }, () => `<answer>[${PY_WS}]*([\\s\\S]*?)[${PY_WS}]*</answer>`).join(`[${PY_WS}]*\\|[${PY_WS}]*`),
  "iu",
);
const ANSWER_OR_ACTION = /<answer>([^\n]*?)<\/answer>|<action>([^\n]*?)<\/action>/g;
const TOKEN_SPLIT = new RegExp(`[,;${PY_WS}]+`, "u");

/** `extract_action_mapping`: the first `Answers:` block of the prompt as label → id, or null. */
export function promptActionMapping(prompt: string): Map<string, number> | null {
  const m = ANSWERS_BLOCK.exec(prompt);
  if (!m) return null;
  const map = new Map<string, number>(); // dict literal semantics: first position, later value
  for (let i = 1; i <= 4; i++) map.set(pyStrip(m[i]!), i);
  return map;
}

/** `validate_response_structure`: each tag exactly once, in think/answer order. */
export function formatOk(s: string): boolean {
  const tags = ["<think>", "</think>", "<answer>", "</answer>"];
  if (tags.some((t) => pyCount(s, t) !== 1)) return false;
  const pos = tags.map((t) => s.indexOf(t));
  return pos[0]! <= pos[1]! && pos[1]! <= pos[2]! && pos[2]! <= pos[3]!;
}

/** `extract_solution`: stripped content of the LAST answer/action block, or null. */
export function lastAnswer(s: string): string | null {
  let last: RegExpExecArray | null = null;
  ANSWER_OR_ACTION.lastIndex = 0;
  for (let m = ANSWER_OR_ACTION.exec(s); m; m = ANSWER_OR_ACTION.exec(s)) last = m;
  if (!last) return null;
  const a = last[1] || last[2]; // Python `g1 or g2`: an empty <answer></answer> falls through to None
  return a ? pyStrip(a) : null;
}

const labelRegexCache = new Map<string, RegExp>();

/** The reference's token pattern for a single label (see tokenToId). */
function labelPattern(label: string): RegExp {
  let re = labelRegexCache.get(label);
  if (!re) {
    const alt = `(?:${reEscape(label)})`;
    re = new RegExp(`^[${PY_WS}]*(([1-4])[${PY_WS}]*\\((${alt})\\)|(${alt})|([1-4]))[${PY_WS}]*$`, "iu");
    if (labelRegexCache.size > 1000) labelRegexCache.clear();
    labelRegexCache.set(label, re);
  }
  return re;
}

/**
 * The reference's one pattern over all labels, `^\s*((\d)\s*\((l1|…|l4)\)|(l1|…|l4)|(\d))\s*$`,
 * matched as one pattern per label: the first label for which `n(label)` matches wins, then the
 * first for which the label alone matches, then the bare digit (the alternation's own order). A
 * pattern per label set would compile one regexp per diverse training row, and V8 keeps every
 * compiled regexp until a major GC: a 100k-level build's heap grew by gigabytes.
 */
function matchToken(text: string, labels: readonly string[]): RegExpExecArray | null {
  let best: RegExpExecArray | null = null;
  let rank = 4;
  // No labels: the alternation is empty, which the empty label's pattern is too.
  for (const label of labels.length ? labels : [""]) {
    const m = labelPattern(label).exec(text);
    const r = !m ? 4 : m[2] !== undefined ? 1 : m[4] !== undefined ? 2 : 3;
    if (r < rank) [best, rank] = [m, r];
    if (rank === 1) break;
  }
  return best;
}

/** `extract_action`: one token → id by `n(label)`, label (case-insensitive), bare digit; else 0. */
export function tokenToId(token: string, mapping: Map<string, number>): number {
  const normalized = new Map<string, number>();
  for (const [k, v] of mapping) normalized.set(pyStrip(k).toLowerCase(), v);
  const text = pyStrip(token);
  const m = matchToken(text, [...mapping.keys()]);
  if (m) {
    if (m[2]) return Number(m[2]);
    if (m[4] !== undefined && m[4] !== "") return normalized.get(pyStrip(m[4]).toLowerCase()) ?? 0;
    if (m[5]) return Number(m[5]);
  }
  return normalized.get(text.toLowerCase()) ?? 0;
}

export type RewardReason = "format" | "unknown_label" | "wrong_action" | null;

export interface RewardDetail {
  reward: 0 | 1;
  /** The leading token maps to one of the prompt's labels (id 1..4). */
  valid: boolean;
  reason: RewardReason;
  /** Id of the leading answer token (0 = invalid), when one was read. */
  firstId: number | null;
}

/** The single-step RL reward on `prompt + response` against the BFS action `answerId`. */
export function rlRewardDetail(prompt: string, response: string, answerId: number): RewardDetail {
  const fail = (reason: RewardReason, firstId: number | null = null): RewardDetail => ({
    reward: 0,
    valid: firstId !== null && firstId > 0,
    reason,
    firstId,
  });
  const s = prompt + response;
  let marker = "Assistant:";
  let at = s.indexOf(marker);
  if (at < 0) {
    marker = "<|im_start|>assistant";
    at = s.indexOf(marker);
  }
  if (at < 0) return fail("format");
  const before = s.slice(0, at);
  const after = s.slice(at + marker.length);
  if (!formatOk(after)) return fail("format");
  const answer = lastAnswer(after);
  if (answer === null) return fail("format");
  const mapping = promptActionMapping(before);
  if (mapping === null) return fail("unknown_label");
  const tokens = answer.split(TOKEN_SPLIT).filter((t) => t.length > 0);
  if (tokens.length < 1) return fail("format");
  const id = tokenToId(tokens[0]!, mapping);
  if (id === answerId) return { reward: 1, valid: true, reason: null, firstId: id };
  return fail(id === 0 ? "unknown_label" : "wrong_action", id);
}

export function rlReward(prompt: string, response: string, answerId: number): 0 | 1 {
  return rlRewardDetail(prompt, response, answerId).reward;
}
