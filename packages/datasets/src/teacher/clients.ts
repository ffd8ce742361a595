/**
 * Teacher model clients behind one call: `sample(prompt, n) → n texts`.
 *  - `openai`: any OpenAI-compatible server through the openai SDK. Raw-text prompts (Sokoban,
 *    already wrapped and pre-opened with `<think>`) go to `/v1/completions`; chat prompts (GP)
 *    to `/v1/chat/completions`. A reasoning server that splits Qwen3's thinking into
 *    `reasoning_content` gets it put back as `<think>…</think>\n\n` before the answer, the shape
 *    the paper's GP CoT data has.
 *  - `huggingface`: an HF endpoint through @huggingface/inference `chatCompletion({endpointUrl})`
 *    (chat only, one sample per request).
 * Both run with their own retries off; `withRetries` applies the one policy.
 */
import OpenAI from "openai";
import { chatCompletion } from "@huggingface/inference";
import type { ChatMessage } from "../tasks/types.js";
import type { TeacherSpec } from "../spec.js";
import { withRetries, type AttemptFailure, type RetryStats } from "./retry.js";

export type TeacherPrompt = string | ChatMessage[];

export interface TeacherClient {
  /** `n` samples for one prompt, in the server's choice order. */
  sample(prompt: TeacherPrompt, n: number, signal: AbortSignal): Promise<string[]>;
  readonly stats: RetryStats;
}

export interface TeacherDeps {
  /** API key (read from the environment at the edge, by the name in `apiKeyEnv`). */
  apiKey?: string;
  /** Injectable fetch (tests pass a counting one; production uses the global). */
  fetch?: typeof fetch;
}

const errMessage = (e: unknown) => (e instanceof Error ? e.message : String(e));

function openAiFailure(e: unknown, timedOut: boolean): AttemptFailure {
  const status = e instanceof OpenAI.APIError && typeof e.status === "number" ? e.status : null;
  const headers = e instanceof OpenAI.APIError && e.headers instanceof Headers ? e.headers : null;
  return { status, headers, message: errMessage(e), timedOut };
}

function withReasoning(m: { content?: string | null; reasoning_content?: unknown; reasoning?: unknown }): string {
  const content = m.content ?? "";
  const r = typeof m.reasoning_content === "string" ? m.reasoning_content : typeof m.reasoning === "string" ? m.reasoning : null;
  return r !== null && !content.includes("</think>") ? `<think>${r}</think>\n\n${content}` : content;
}

export function openAiTeacher(cfg: TeacherSpec, deps: TeacherDeps = {}): TeacherClient {
  const client = new OpenAI({
    baseURL: cfg.baseUrl,
    // Local OpenAI-compatible servers (vLLM, TGI) accept any key; the SDK insists on one.
    apiKey: deps.apiKey ?? "no-key",
    maxRetries: 0,
    timeout: cfg.timeoutMs,
    ...(deps.fetch ? { fetch: deps.fetch } : {}),
  });
  const stats: RetryStats = { requests: 0, retries: 0, failures: {} };
  const policy = { maxRetries: cfg.maxRetries, timeoutMs: cfg.timeoutMs };
  return {
    stats,
    sample(prompt, n, signal) {
      return withRetries(
        async (s) => {
          const common = { model: cfg.model, n, temperature: cfg.temperature, top_p: cfg.topP, max_tokens: cfg.maxTokens };
          if (typeof prompt === "string") {
            const r = await client.completions.create({ ...common, prompt }, { signal: s });
            return [...r.choices].sort((a, b) => a.index - b.index).map((c) => c.text);
          }
          const r = await client.chat.completions.create({ ...common, messages: prompt }, { signal: s });
          return [...r.choices]
            .sort((a, b) => a.index - b.index)
            .map((c) => withReasoning(c.message as Parameters<typeof withReasoning>[0]));
        },
        openAiFailure,
        policy,
        signal,
        stats,
      );
    },
  };
}

export function huggingFaceTeacher(cfg: TeacherSpec, deps: TeacherDeps = {}): TeacherClient {
  const stats: RetryStats = { requests: 0, retries: 0, failures: {} };
  const policy = { maxRetries: cfg.maxRetries, timeoutMs: cfg.timeoutMs };
  const baseFetch = deps.fetch ?? fetch;
  return {
    stats,
    async sample(prompt, n, signal) {
      if (typeof prompt === "string") throw new RangeError("the huggingface teacher takes chat prompts only");
      const out: string[] = [];
      for (let i = 0; i < n; i++) {
        // HF errors carry the status but not the headers: keep the last response's headers for retry-after.
        let lastHeaders: Headers | null = null;
        const capture: typeof fetch = async (input, init) => {
          const r = await baseFetch(input, init);
          lastHeaders = r.headers;
          return r;
        };
        const text = await withRetries(
          async (s) => {
            lastHeaders = null;
            const r = await chatCompletion(
              {
                endpointUrl: cfg.baseUrl,
                ...(deps.apiKey ? { accessToken: deps.apiKey } : {}),
                model: cfg.model,
                messages: prompt,
                temperature: cfg.temperature,
                top_p: cfg.topP,
                max_tokens: cfg.maxTokens,
              },
              { fetch: capture, signal: s, retry_on_error: false },
            );
            const m = r.choices[0]?.message;
            return m ? withReasoning(m as Parameters<typeof withReasoning>[0]) : "";
          },
          (e, timedOut) => {
            const status = (e as { httpResponse?: { status?: unknown } }).httpResponse?.status;
            return { status: typeof status === "number" ? status : null, headers: lastHeaders, message: errMessage(e), timedOut };
          },
          policy,
          signal,
          stats,
        );
        out.push(text);
      }
      return out;
    },
  };
}

export function teacherClient(cfg: TeacherSpec, deps: TeacherDeps = {}): TeacherClient {
  return cfg.provider === "huggingface" ? huggingFaceTeacher(cfg, deps) : openAiTeacher(cfg, deps);
}
