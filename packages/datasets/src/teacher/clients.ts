/**
 * Teacher model clients behind one call: `sample(prompt, n) → n texts`, on packages/outbound's
 * model client (its retry policy, per-attempt timeout and in-flight bound).
 *  - `openai`: any OpenAI-compatible server through the openai SDK. Raw-text prompts (Sokoban,
 *    already wrapped and pre-opened with `<think>`) go to `/v1/completions`; chat prompts (GP)
 *    to `/v1/chat/completions`. A reasoning server that splits Qwen3's thinking into
 *    `reasoning_content` gets it put back as `<think>…</think>\n\n` before the answer, the shape
 *    the paper's GP CoT data has (`mergeReasoning`).
 *  - `huggingface`: an HF endpoint through @huggingface/inference (chat only, one sample per request).
 * A request that fails for good becomes TY_ERR_TEACHER_REJECTED (not retryable, e.g. a 404) or
 * TY_ERR_TEACHER_UNAVAILABLE (retries spent); every attempt is counted in `stats`.
 */
import { TyError } from "@trainyard/contracts";
import { createModelClient, isEndpointError, isRetryable, type EndpointError, type FetchLike, type ModelClient } from "@trainyard/outbound";
import { abortError } from "../errors.js";
import type { ChatMessage } from "../tasks/types.js";
import type { TeacherSpec } from "../spec.js";

export type TeacherPrompt = string | ChatMessage[];

/** Attempts made and why attempts failed (`connection`, `timeout`, or the HTTP status). */
export interface RetryStats {
  requests: number;
  retries: number;
  failures: Record<string, number>;
}

export interface TeacherClient {
  /** `n` samples for one prompt, in the server's choice order. */
  sample(prompt: TeacherPrompt, n: number, signal: AbortSignal): Promise<string[]>;
  readonly stats: RetryStats;
  /** Releases the client's sockets. */
  close(): Promise<void>;
}

export interface TeacherDeps {
  /** API key (read from the environment at the edge, by the name in `apiKeyEnv`). */
  apiKey?: string;
  /** Injectable fetch (tests pass a counting one; production uses a keep-alive agent). */
  fetch?: FetchLike;
}

const failureKind = (e: EndpointError) => (e.kind === "status" ? String(e.status) : e.kind === "timeout" ? "timeout" : "connection");

export function teacherClient(cfg: TeacherSpec, deps: TeacherDeps = {}): TeacherClient {
  const stats: RetryStats = { requests: 0, retries: 0, failures: {} };
  const count = (e: EndpointError) => (stats.failures[failureKind(e)] = (stats.failures[failureKind(e)] ?? 0) + 1);
  const client: ModelClient = createModelClient(cfg.provider, {
    baseURL: cfg.baseUrl,
    model: cfg.model,
    // Local OpenAI-compatible servers (vLLM, TGI) accept any key; the SDK insists on one.
    apiKey: deps.apiKey ?? "no-key",
    fetch: deps.fetch,
    timeoutMs: cfg.timeoutMs,
    maxInFlight: cfg.concurrency,
    retry: { maxRetries: cfg.maxRetries },
    retryDeps: { onRetry: ({ error }) => count(error) },
    mergeReasoning: true,
  });
  const once = async (prompt: TeacherPrompt, n: number, signal: AbortSignal): Promise<string[]> => {
    if (signal.aborted) throw abortError(signal);
    const sampling = { temperature: cfg.temperature, topP: cfg.topP, n, maxTokens: cfg.maxTokens };
    try {
      const r = await client.complete({ ...(typeof prompt === "string" ? { prompt } : { messages: prompt }), sampling, signal });
      stats.requests += r.attempts;
      stats.retries += r.attempts - 1;
      return r.texts;
    } catch (e) {
      if (signal.aborted) throw abortError(signal);
      if (!isEndpointError(e)) throw e;
      stats.requests += e.attempts;
      stats.retries += e.attempts - 1;
      count(e);
      if (!isRetryable(e))
        throw new TyError("TY_ERR_TEACHER_REJECTED", `teacher endpoint refused the request (HTTP ${e.status}): ${e.message.slice(0, 300)}`);
      throw new TyError(
        "TY_ERR_TEACHER_UNAVAILABLE",
        `teacher endpoint failed ${e.attempts} times (last: ${failureKind(e)}: ${e.message.slice(0, 300)})`,
      );
    }
  };
  return {
    stats,
    async sample(prompt, n, signal) {
      if (cfg.provider !== "huggingface") return once(prompt, n, signal);
      if (typeof prompt === "string") throw new RangeError("the huggingface teacher takes chat prompts only");
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push(...(await once(prompt, 1, signal)));
      return out;
    },
    close: () => client.close(),
  };
}
