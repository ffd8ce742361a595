/**
 * One evaluation item, played against a model client. The env's episode (packages/envs) decides
 * the turns and scores; this module sends the requests and keeps the records.
 *
 * Sokoban (docs/sokoban-rules.md#evaluation-parser): multi-turn through the env's `SokobanEpisode` — each turn the
 * whole prompt is rebuilt from the current board (no history), the first `<answer>` is parsed
 * against the labels the env accepts, an invalid turn executes nothing, at most 30 turns.
 * General Points (docs/gp-rules.md#verifier): one turn, scored by the env's paper-mode verifier.
 *
 * An endpoint that still fails after the client's retries ends the item with `endpoint_error`
 * (success false, the turns played so far kept); the caller's abort is re-thrown, not scored.
 */
import { requireEnv, type EpisodeTurn, type FailureReason } from "@trainyard/envs";
import {
  isEndpointError,
  type ChatMessage,
  type CompletionRequest,
  type CompletionResult,
  type EndpointError,
  type ModelClient,
  type Sampling,
  type TemplateMode,
} from "@trainyard/outbound";
import { itemKey, requestSeed, type EvalEnv } from "./splits.js";

export interface TurnRecord {
  prompt: string;
  completion: string;
  /** The answer as parsed (Sokoban: the label; GP: null), null when none was read. */
  action: string | null;
  /** Sokoban action id executed (1..4), null for an invalid turn. */
  actionId: number | null;
  valid: boolean;
  /** Sokoban: the env step's reward (or the −0.1 format penalty); GP: the verifier's reward. */
  reward: number;
  reason: FailureReason | null;
  finishReason: string | null;
  promptTokens: number | null;
  completionTokens: number | null;
  attempts: number;
  latencyMs: number;
  /** The request's seed, when one was sent. */
  seed: number | null;
}

export interface ItemResult {
  env: EvalEnv;
  split: string;
  /** Sokoban level seed or GP task index. */
  key: number;
  /** `<split>/<key>`. */
  id: string;
  success: boolean;
  /** Sokoban: valid turns / turns (`action_is_valid`); GP: 1 when reward ≥ −1. 0 after an endpoint error. */
  validity: number;
  /** Sokoban: the episode's total env reward; GP: the verifier's reward (5 | −1 | −2 | −3). */
  reward: number;
  reason: FailureReason | null;
  turns: TurnRecord[];
  promptTokens: number;
  completionTokens: number;
  /** Sokoban: env steps executed. */
  steps?: number;
  error?: ReturnType<EndpointError["toJSON"]>;
}

export interface ItemContext {
  client: ModelClient;
  template: TemplateMode;
  sampling: Sampling;
  /** Base of per-request seeds; none sent when undefined. */
  seed?: number | undefined;
  signal?: AbortSignal | undefined;
  /** Prefix of idempotency keys (one per evaluation run). */
  runId: string;
}

const QWEN_USER = "<|im_start|>user\n";
const QWEN_TAIL = " <|im_end|>\n<|im_start|>assistant\n<think>";

/**
 * Chat messages for a prompt. A Sokoban prompt carries the Qwen-style wrapper as text; in chat
 * mode the wrapper is taken off so the server's own template applies (a departure from the paper,
 * which evaluates Sokoban raw).
 */
export function chatMessages(prompt: string): ChatMessage[] {
  const wrapped = prompt.startsWith(QWEN_USER) && prompt.endsWith(QWEN_TAIL);
  return [{ role: "user", content: wrapped ? prompt.slice(QWEN_USER.length, -QWEN_TAIL.length) : prompt }];
}

async function ask(
  ctx: ItemContext,
  prompt: string,
  split: string,
  key: number,
  turn: number,
): Promise<{ r: CompletionResult; seed: number | null }> {
  const seed = ctx.seed === undefined ? null : requestSeed(ctx.seed, key, turn);
  const req: CompletionRequest = {
    ...(ctx.template === "raw" ? { prompt } : { messages: chatMessages(prompt) }),
    sampling: seed === null ? ctx.sampling : { ...ctx.sampling, seed },
    idempotencyKey: `${ctx.runId}:${itemKey(split, key)}:${turn}`,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  return { r: await ctx.client.complete(req), seed };
}

function turnRecord(prompt: string, r: CompletionResult, seed: number | null): Omit<TurnRecord, keyof EpisodeTurn> {
  return {
    prompt,
    completion: r.text,
    finishReason: r.finishReason,
    promptTokens: r.usage?.promptTokens ?? null,
    completionTokens: r.usage?.completionTokens ?? null,
    attempts: r.attempts,
    latencyMs: Math.round(r.latencyMs),
    seed,
  };
}

function finish(base: Omit<ItemResult, "promptTokens" | "completionTokens">): ItemResult {
  let promptTokens = 0;
  let completionTokens = 0;
  for (const t of base.turns) {
    promptTokens += t.promptTokens ?? 0;
    completionTokens += t.completionTokens ?? 0;
  }
  return { ...base, promptTokens, completionTokens };
}

/** Rethrows the caller's abort; any other endpoint failure becomes the item's result. */
function endpointFailure(e: unknown, ctx: ItemContext): EndpointError {
  if (!isEndpointError(e) || e.kind === "aborted" || ctx.signal?.aborted) throw e;
  return e;
}

/**
 * Plays one item of any registered env: the env's episode says what to ask and scores each
 * answer; this loop owns the requests and the records.
 */
export async function runItem(env: EvalEnv, split: string, key: number, ctx: ItemContext): Promise<ItemResult> {
  const id = itemKey(split, key);
  const ep = requireEnv(env).episode(split, key);
  const turns: TurnRecord[] = [];
  const base = { env, split, key, id };
  while (!ep.done) {
    const prompt = ep.prompt();
    let asked: Awaited<ReturnType<typeof ask>>;
    try {
      asked = await ask(ctx, prompt, split, key, ep.turn);
    } catch (e) {
      const error = endpointFailure(e, ctx).toJSON();
      const { reward, steps } = ep.interrupted();
      return finish({ ...base, success: false, validity: 0, reward, reason: "endpoint_error", turns, ...stepsOf(steps), error });
    }
    const t = ep.act(asked.r.text);
    turns.push({ ...turnRecord(prompt, asked.r, asked.seed), ...t });
  }
  const end = ep.end();
  return finish({
    ...base,
    success: end.success,
    validity: end.validity,
    reward: end.reward,
    reason: end.reason,
    turns,
    ...stepsOf(end.steps),
  });
}

/** `steps` only for envs that execute steps, so other items' records keep their shape. */
function stepsOf(steps: number | undefined): { steps?: number } {
  return steps === undefined ? {} : { steps };
}
