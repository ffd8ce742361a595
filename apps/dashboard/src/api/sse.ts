/**
 * Server-sent events over fetch. EventSource cannot send an Authorization header, and the key
 * must not become a cookie or a query parameter, so the stream is read with fetch and parsed by
 * eventsource-parser.
 *
 * Every event's id is its gap-free sequence number. After a dropped connection the stream is
 * reopened with `Last-Event-ID` = the last id delivered, and any event at or below it is
 * dropped, so a listener sees each event exactly once and in order. The server's `end` event
 * (the job or experiment finished and everything was sent) ends the stream for good.
 */
import { createParser } from "eventsource-parser";

export type StreamStatus = "connecting" | "open" | "reconnecting" | "ended" | "failed";

export interface StreamEvent<T> {
  id: number;
  type: string;
  data: T;
}

export interface FollowOptions<T> {
  /** Stream URL without `after`, e.g. `/v1/jobs/ID/events/stream`. */
  url: string;
  /** Deliver only events after this id. */
  after: number;
  headers: () => Record<string, string>;
  signal: AbortSignal;
  onEvent(e: StreamEvent<T>): void;
  onStatus?(s: StreamStatus, detail?: string): void;
  /** Longest wait between reconnects, in ms. */
  maxDelayMs?: number;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), resolve()), { once: true });
  });
}

/** Follows the stream until `end`, a permanent error (4xx) or the signal; never throws. */
export async function followEvents<T>(opts: FollowOptions<T>): Promise<StreamStatus> {
  const { signal } = opts;
  let last = opts.after;
  let retryMs = 1000;
  let failures = 0;
  const status = (s: StreamStatus, detail?: string) => opts.onStatus?.(s, detail);
  status("connecting");
  while (!signal.aborted) {
    let ended = false;
    try {
      const sep = opts.url.includes("?") ? "&" : "?";
      const res = await fetch(`${opts.url}${sep}after=${last}`, {
        headers: { ...opts.headers(), accept: "text/event-stream", "last-event-id": String(last) },
        signal,
        cache: "no-store",
      });
      if (res.status >= 400 && res.status < 500) {
        const body = (await res.json().catch(() => null)) as { message?: string } | null;
        status("failed", body?.message ?? `HTTP ${res.status}`);
        return "failed";
      }
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      status("open");
      failures = 0;
      const parser = createParser({
        onEvent(m) {
          if (m.event === "end") {
            ended = true;
            return;
          }
          const id = Number(m.id);
          if (!Number.isSafeInteger(id) || id <= last) return; // already delivered before a reconnect
          last = id;
          opts.onEvent({ id, type: m.event ?? "message", data: JSON.parse(m.data) as T });
        },
        onRetry(ms) {
          retryMs = ms;
        },
      });
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      try {
        while (!ended) {
          const { value, done } = await reader.read();
          if (done) break;
          parser.feed(value);
        }
      } finally {
        void reader.cancel().catch(() => undefined);
      }
      if (ended) {
        status("ended");
        return "ended";
      }
    } catch {
      if (signal.aborted) break;
    }
    failures++;
    status("reconnecting");
    await sleep(Math.min(retryMs * 2 ** Math.min(failures - 1, 5), opts.maxDelayMs ?? 15_000), signal);
  }
  return "ended";
}
