/**
 * A keep-alive `fetch` for the model SDKs.
 *
 * Node's global fetch was about 4× slower than a keep-alive agent here
 * (docs/performance-reference.md#eval-client-overhead), and most of that cost is the WHATWG request/stream machinery,
 * not the socket. So the fetch we hand the SDKs sends through `undici.request` on one shared
 * keep-alive `Agent` and buffers the (small, non-streamed) answer into a `BufferedResponse`: the
 * part of the `Response` interface the SDKs read (status, headers, text/json/blob), without a
 * WHATWG stream per answer, which profiling showed was a fifth of the client's CPU per request.
 * A real stream is built only if a caller asks for `body`. Bodies the fast path cannot send
 * (streams, form data) go through undici's own fetch on the same agent.
 *
 * Why not undici's own `fetch` on the keep-alive agent: measured with `npm run bench:eval`, back to
 * back on one shared 2-vCPU box, through the whole client at 64 in flight on a zero-latency
 * server, this shim did 3,001 and 4,410 req/s at 0.18 and 0.16 ms of client CPU per request;
 * undici's fetch did 1,089 and 1,401 req/s at 0.51 and 0.53 ms (about 3× the CPU), and 552/694
 * instead of 713/776 req/s against the 800 req/s server (docs/performance-reference.md#eval-client-overhead).
 *
 * undici's own header/body timeouts (300 s) are switched off: long generations under load take
 * longer than that, and the harness applies its own per-request timeout instead.
 */
import { Agent, fetch as undiciFetch, request, type Dispatcher } from "undici";

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface KeepAliveOptions {
  /** Sockets per origin (default 256; requests beyond it queue in the agent). */
  connections?: number;
  /** Idle socket lifetime, ms (default 30 000). */
  keepAliveTimeoutMs?: number;
}

export function keepAliveAgent(opts: KeepAliveOptions = {}): Agent {
  return new Agent({
    connections: opts.connections ?? 256,
    keepAliveTimeout: opts.keepAliveTimeoutMs ?? 30_000,
    keepAliveMaxTimeout: Math.max(opts.keepAliveTimeoutMs ?? 30_000, 600_000),
    headersTimeout: 0,
    bodyTimeout: 0,
    pipelining: 1,
  });
}

function headerObject(h: RequestInit["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  if (!h) return out;
  if (Array.isArray(h)) for (const [k, v] of h) out[k!.toLowerCase()] = v!;
  else if (typeof (h as Headers).forEach === "function") (h as Headers).forEach((v, k) => (out[k] = v));
  else for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = String(v);
  return out;
}

/** Read-only, case-insensitive response headers (undici gives lower-cased names). */
class BufferedHeaders {
  private readonly map = new Map<string, string>();
  constructor(raw: Record<string, string | string[] | undefined>) {
    for (const k in raw) {
      const v = raw[k];
      if (v !== undefined) this.map.set(k.toLowerCase(), Array.isArray(v) ? v.join(", ") : v);
    }
  }
  get(name: string): string | null {
    return this.map.get(name.toLowerCase()) ?? null;
  }
  has(name: string): boolean {
    return this.map.has(name.toLowerCase());
  }
  forEach(fn: (value: string, key: string, parent: BufferedHeaders) => void): void {
    this.map.forEach((v, k) => fn(v, k, this));
  }
  entries(): IterableIterator<[string, string]> {
    return this.map.entries();
  }
  keys(): IterableIterator<string> {
    return this.map.keys();
  }
  values(): IterableIterator<string> {
    return this.map.values();
  }
  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.map.entries();
  }
}

/** A fully read answer behind the `Response` members the openai and HF SDKs use. */
export class BufferedResponse {
  readonly ok: boolean;
  readonly statusText = "";
  readonly redirected = false;
  readonly type = "basic";
  bodyUsed = false;
  constructor(
    readonly status: number,
    readonly headers: BufferedHeaders,
    private readonly buf: Buffer,
    readonly url: string,
  ) {
    this.ok = status >= 200 && status < 300;
  }
  private take(): Buffer {
    if (this.bodyUsed) throw new TypeError("Body is unusable: Body has already been read");
    this.bodyUsed = true;
    return this.buf;
  }
  async text(): Promise<string> {
    return this.take().toString("utf8");
  }
  async json(): Promise<unknown> {
    return JSON.parse(this.take().toString("utf8"));
  }
  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = this.take();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }
  async blob(): Promise<Blob> {
    return new Blob([this.take() as Uint8Array<ArrayBuffer>], { type: this.headers.get("content-type") ?? "" });
  }
  get body(): ReadableStream<Uint8Array> | null {
    return this.buf.length === 0 ? null : new Response(this.buf as Uint8Array<ArrayBuffer>).body;
  }
  clone(): BufferedResponse {
    return new BufferedResponse(this.status, this.headers, this.buf, this.url);
  }
}

/** A fetch-compatible function over `undici.request` on `agent`. */
export function keepAliveFetch(agent: Dispatcher): FetchLike {
  return async (input, init = {}) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const body = init.body;
    const simpleBody = body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array;
    if (typeof input !== "string" && !(input instanceof URL))
      return undiciFetch(input as never, { ...(init as object), dispatcher: agent }) as never;
    if (!simpleBody) return undiciFetch(url, { ...(init as object), dispatcher: agent } as never) as unknown as Response;
    const res = await request(url, {
      dispatcher: agent,
      method: (init.method ?? "GET").toUpperCase() as Dispatcher.HttpMethod,
      headers: headerObject(init.headers),
      body: body as string | Uint8Array | null | undefined,
      signal: init.signal ?? undefined,
    });
    const buf = Buffer.from(await res.body.arrayBuffer());
    return new BufferedResponse(res.statusCode, new BufferedHeaders(res.headers), buf, url) as unknown as Response;
  };
}

/** A keep-alive agent and the fetch over it; `close()` ends the sockets. */
export interface HttpTransport {
  fetch: FetchLike;
  agent: Agent;
  close(): Promise<void>;
}

export function keepAliveTransport(opts: KeepAliveOptions = {}): HttpTransport {
  const agent = keepAliveAgent(opts);
  return { fetch: keepAliveFetch(agent), agent, close: () => agent.close() };
}
