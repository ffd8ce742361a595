/**
 * Server-sent events over a Postgres cursor. Each event's SSE `id` is its gap-free sequence
 * number, so a client that reconnects with `Last-Event-ID` (or `?after=`) resumes exactly after
 * the last event it saw. Postgres is polled; the stream ends with `event: end` once the owner
 * (job or experiment) is finished and every event was sent, or at once for a cursor past the
 * last event (such an id was never sent, so waiting would only make browsers reconnect forever).
 *
 * Streams are capped per API key and in all (SSE_MAX_STREAMS_PER_KEY, SSE_MAX_STREAMS): each
 * holds a socket and polls Postgres. HEAD is refused (it would poll without reading).
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import { TyError } from "@trainyard/contracts";
import { PG_INT_MAX } from "./routes/schemas.js";

export interface SseSource<E> {
  /** Events strictly after `after`, oldest first. */
  fetch(after: number, limit: number): Promise<E[]>;
  cursor(e: E): number;
  type(e: E): string;
  /** True when no further events can appear. */
  finished(): Promise<boolean>;
  /** The highest sequence number so far (0 for none). */
  last(): Promise<number>;
}

export interface SseLimits {
  perKey: number;
  total: number;
}

/** Open streams of one app: in all and per API key id. */
export class SseGate {
  private total = 0;
  private readonly perKey = new Map<string, number>();
  constructor(private readonly limits: SseLimits) {}

  /** Reserve a stream for the key, or throw 429 TY_ERR_QUOTA_EXCEEDED; returns its release. */
  acquire(keyId: string): () => void {
    const mine = this.perKey.get(keyId) ?? 0;
    if (mine >= this.limits.perKey)
      throw new TyError(
        "TY_ERR_QUOTA_EXCEEDED",
        `this key has ${mine} open event streams; at most ${this.limits.perKey} (SSE_MAX_STREAMS_PER_KEY)`,
        [{ code: "custom", path: ["SSE_MAX_STREAMS_PER_KEY"], message: "too many open streams for this key" }],
      );
    if (this.total >= this.limits.total)
      throw new TyError(
        "TY_ERR_QUOTA_EXCEEDED",
        `the server has ${this.total} open event streams; at most ${this.limits.total} (SSE_MAX_STREAMS)`,
        [{ code: "custom", path: ["SSE_MAX_STREAMS"], message: "too many open streams" }],
      );
    this.total++;
    this.perKey.set(keyId, mine + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const n = (this.perKey.get(keyId) ?? 1) - 1;
      if (n <= 0) this.perKey.delete(keyId);
      else this.perKey.set(keyId, n);
    };
  }

  get open(): number {
    return this.total;
  }
}

/** The cursor to resume after: `Last-Event-ID` wins over `?after=`; a malformed one is a 400 naming it. */
export function resumeCursor(req: FastifyRequest, after: number | undefined): number {
  const h = req.headers["last-event-id"];
  if (h === undefined) return after ?? 0;
  const v = (Array.isArray(h) ? h[0] : h)?.trim() ?? "";
  if (v === "") return after ?? 0;
  if (!/^\d{1,10}$/.test(v) || Number(v) > PG_INT_MAX)
    throw new TyError("TY_ERR_VALIDATION", `headers.last-event-id: must be an event id (an integer 0-${PG_INT_MAX})`, [
      { code: "custom", path: ["headers", "last-event-id"], message: "not an event id" },
    ]);
  return Number(v);
}

export async function streamSse<E>(
  req: FastifyRequest,
  reply: FastifyReply,
  src: SseSource<E>,
  startAfter: number,
  pollMs: number,
  gate: SseGate,
) {
  if (req.method !== "GET") throw new TyError("TY_ERR_METHOD_NOT_ALLOWED", "event streams answer GET only");
  const release = gate.acquire(req.principal?.keyId ?? req.ip);
  let pastEnd: boolean;
  try {
    pastEnd = startAfter > 0 && startAfter > (await src.last());
  } catch (e) {
    release();
    throw e;
  }
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache, no-transform",
    connection: "keep-alive",
    "x-accel-buffering": "no",
    "x-request-id": String(req.id),
  });
  res.write(`retry: 2000\n\n`);
  let closed = false;
  req.raw.on("close", () => (closed = true));
  let cursor = startAfter;
  let lastBeat = Date.now();
  try {
    if (pastEnd) {
      res.write(`event: end\ndata: ${JSON.stringify({ reason: "cursor past the last event", after: startAfter })}\n\n`);
      return;
    }
    while (!closed) {
      const done = await src.finished(); // read before fetching: no event can slip in between
      const batch = await src.fetch(cursor, 500);
      for (const e of batch) {
        cursor = src.cursor(e);
        res.write(`id: ${cursor}\nevent: ${src.type(e)}\ndata: ${JSON.stringify(e)}\n\n`);
      }
      if (batch.length === 500) continue;
      if (done) {
        res.write(`event: end\ndata: {}\n\n`);
        break;
      }
      if (Date.now() - lastBeat > 15_000) {
        res.write(`: keep-alive\n\n`);
        lastBeat = Date.now();
      }
      await new Promise((r) => setTimeout(r, pollMs));
    }
  } catch (err) {
    // A database outage mid-stream: tell the client to come back (it resumes by Last-Event-ID).
    req.log.warn({ err }, "sse stream failed");
    if (!closed)
      res.write(
        `event: error\ndata: ${JSON.stringify({ code: "TY_ERR_DEPENDENCY_UNAVAILABLE", message: "stream interrupted; reconnect" })}\n\n`,
      );
  } finally {
    release();
    res.end();
  }
}
