/**
 * One entry point for callers (CLI, eval job): a provider name and an endpoint URL → a client.
 */
import { openAIClient, type ClientOptions, type ModelClient } from "./client.js";
import { huggingFaceClient } from "./hf-client.js";

export type Provider = ModelClient["provider"];
export const PROVIDERS: readonly Provider[] = ["openai", "huggingface"];

/**
 * `http://host:8000` → `http://host:8000/v1`; a URL naming an endpoint (`…/v1/chat/completions`)
 * is cut back to its base. A URL with any other path is kept as given (hosted APIs differ).
 */
export function normalizeEndpoint(url: string): string {
  const u = new URL(url); // throws TypeError on garbage; callers name the flag
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new TypeError(`expected an http(s) URL, got '${url}'`);
  let path = u.pathname.replace(/\/+$/, "");
  path = path.replace(/\/(chat\/)?completions$/, "");
  if (path === "") path = "/v1";
  u.pathname = path;
  u.search = "";
  u.hash = "";
  return u.href.replace(/\/+$/, "");
}

export function createModelClient(provider: Provider, opts: ClientOptions): ModelClient {
  const o = { ...opts, baseURL: normalizeEndpoint(opts.baseURL) };
  switch (provider) {
    case "openai":
      return openAIClient(o);
    case "huggingface":
      return huggingFaceClient(o);
  }
}
