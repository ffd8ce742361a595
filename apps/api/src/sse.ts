/**
 * Server-sent events over a Postgres cursor. Each event's SSE `id` is its gap-free sequence
 * number, so a client that reconnects with `Last-Event-ID` (or `?after=`) resumes exactly after
 * the last event it saw. Postgres is polled; the stream ends with `event: end` once the owner
 * (job or experiment) is finished and every event was sent.
 */
import type { FastifyReply, FastifyRequest } from "fastify";

export interface SseSource<E> {
  /** Events strictly after `after`, oldest first. */
  fetch(after: number, limit: number): Promise<E[]>;
  cursor(e: E): number;
  type(e: E): string;
  /** True when no further events can appear. */
  finished(): Promise<boolean>;
}

export function resumeCursor(req: FastifyRequest, after: number | undefined): number {
  const h = req.headers["last-event-id"];
  const fromHeader = typeof h === "string" && /^\d{1,12}$/.test(h.trim()) ? Number(h.trim()) : undefined;
  return fromHeader ?? after ?? 0;
}

export async function streamSse<E>(req: FastifyRequest, reply: FastifyReply, src: SseSource<E>, startAfter: number, pollMs: number) {
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
    req.log.error({ err }, "sse stream failed");
  } finally {
    res.end();
  }
}
