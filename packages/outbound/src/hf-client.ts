/**
 * Hugging Face endpoints (Inference Endpoints, TGI, or any OpenAI-compatible server) through
 * @huggingface/inference: `chatCompletion` for chat mode, `textGeneration` for raw prompts. With an
 * `endpointUrl` both post to the server's `/v1/chat/completions` / `/v1/completions`.
 *
 * The library's own 503 retry loops without a bound, so it is switched off (`retry_on_error:
 * false`) and our policy retries. `textGeneration` returns only the generated text, so the
 * transport keeps the raw JSON body of each answer to read `usage` and `finish_reason` from it.
 */
import {
  chatCompletion,
  InferenceClientProviderApiError,
  InferenceClientProviderOutputError,
  textGeneration,
} from "@huggingface/inference";
import { EndpointError, headerRecord, isEndpointError } from "./errors.js";
import { keepAliveTransport, type FetchLike } from "./http.js";
import {
  choicesOf,
  policyClient,
  samplingBody,
  timeoutSignal,
  usageOf,
  type Attempt,
  type AttemptResult,
  type ClientOptions,
  type CompletionRequest,
  type ModelClient,
} from "./client.js";

function classifyHf(e: unknown, headers: Record<string, string> = {}): EndpointError {
  if (e instanceof InferenceClientProviderApiError) {
    const status = e.httpResponse.status;
    return new EndpointError("status", `HTTP ${status}: ${e.message}`, {
      status,
      headers,
      requestId: e.httpResponse.requestId || null,
      cause: e,
    });
  }
  if (e instanceof InferenceClientProviderOutputError || e instanceof SyntaxError)
    return new EndpointError("bad_response", e.message, { cause: e });
  return new EndpointError("connection", (e as Error)?.message ?? String(e), { cause: e });
}

/** Wraps `fetch` so the JSON body of the answer to this one call can be read afterwards. */
function capturing(base: FetchLike): { fetch: FetchLike; body: () => unknown; headers: () => Record<string, string> } {
  let text: string | null = null;
  let headers: Record<string, string> = {};
  return {
    fetch: async (input, init) => {
      const res = await base(input, init);
      text = await res.text();
      headers = headerRecord(res.headers);
      return new Response(text, { status: res.status, headers: res.headers });
    },
    // The library keeps no response headers on its errors; these carry `retry-after` to our policy.
    headers: () => headers,
    body: () => {
      try {
        return text === null ? null : (JSON.parse(text) as unknown);
      } catch {
        return null;
      }
    },
  };
}

type Capture = ReturnType<typeof capturing>;
type HfOptions = { fetch: typeof fetch; signal: AbortSignal; retry_on_error: false };

async function hfAttempt(opts: ClientOptions, req: CompletionRequest, cap: Capture, options: HfOptions): Promise<AttemptResult> {
  const base = { endpointUrl: opts.baseURL, model: opts.model, ...(opts.apiKey ? { accessToken: opts.apiKey } : {}) };
  const body = samplingBody(req.sampling);
  if (req.messages) {
    const out = await chatCompletion({ ...body, ...base, messages: req.messages } as never, options);
    return { ...choicesOf(out, true, opts.mergeReasoning), usage: usageOf(out), raw: out };
  }
  // textGeneration renames `max_new_tokens` to `max_tokens` and passes other parameters through.
  const { max_tokens, ...rest } = body;
  const out = await textGeneration({ ...base, inputs: req.prompt!, parameters: { ...rest, max_new_tokens: max_tokens } } as never, options);
  const raw = cap.body();
  const finish = raw ? choicesOf(raw, false).finishReason : null;
  return { text: out.generated_text, texts: [out.generated_text], usage: usageOf(raw), finishReason: finish, raw: raw ?? out };
}

export function huggingFaceClient(opts: ClientOptions): ModelClient {
  const own = opts.fetch ? null : keepAliveTransport({ connections: opts.connections ?? opts.maxInFlight ?? 256 });
  const baseFetch = opts.fetch ?? own!.fetch;
  const attempt: Attempt = async (req, timeoutMs) => {
    const cap = capturing(baseFetch);
    const t = timeoutSignal(timeoutMs, req.signal);
    try {
      return await hfAttempt(opts, req, cap, { fetch: cap.fetch as typeof fetch, signal: t.signal, retry_on_error: false });
    } catch (e) {
      throw isEndpointError(e) ? e : classifyHf(e, cap.headers());
    } finally {
      t.done();
    }
  };
  return policyClient("huggingface", opts, attempt, classifyHf, async () => {
    await own?.close();
  });
}
