/**
 * fetch with the session's bearer key; every non-2xx answer becomes an ApiError carrying the
 * API's error body (`code`, `message`, `issues` naming fields). A 401 signs the tab out.
 */
import { getApiKey, setApiKey } from "./session";
import type { Issue } from "./types";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
    this.name = "ApiError";
  }
}

interface RequestOptions {
  method?: "GET" | "POST" | "PATCH" | "DELETE";
  body?: unknown;
  signal?: AbortSignal;
  /** Use this key instead of the session's (the sign-in check). */
  key?: string;
  headers?: Record<string, string>;
}

async function send(path: string, opts: RequestOptions, accept: string): Promise<Response> {
  const key = opts.key ?? getApiKey();
  if (!key) throw new ApiError(401, "TY_ERR_UNAUTHORIZED", "not signed in");
  const headers: Record<string, string> = { ...opts.headers, authorization: `Bearer ${key}`, accept };
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? "GET",
      headers,
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  } catch (e) {
    if ((e as Error).name === "AbortError") throw e;
    throw new ApiError(0, "NETWORK", "cannot reach the API; check your connection");
  }
  if (!res.ok) {
    const body = (await res.json().catch(() => null)) as { code?: string; message?: string; issues?: Issue[] } | null;
    const err = new ApiError(res.status, body?.code ?? `HTTP_${res.status}`, body?.message ?? res.statusText, body?.issues ?? []);
    if (res.status === 401 && !opts.key) setApiKey(null);
    throw err;
  }
  return res;
}

export async function api<T>(path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(path, opts, "application/json");
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** A file answer (CSV, dataset files) saved through a temporary link: the bearer header cannot ride on a plain <a>. */
export async function download(path: string, filename: string): Promise<void> {
  const res = await send(path, {}, "*/*");
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const qs = (params: Record<string, string | number | boolean | null | undefined>): string => {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== "") p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : "";
};
