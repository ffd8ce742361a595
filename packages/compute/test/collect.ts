/**
 * Test helper: read a run's events in the background and wait for particular ones.
 */
import type { RunEvent, RunHandle } from "../src/index.js";

export interface Collected {
  events: RunEvent[];
  /** Resolves when the event stream ends (rejects if it ended with an error). */
  done: Promise<void>;
  /** The first event (already seen or still to come) matching `pred`; rejects after `timeoutMs`. */
  until(pred: (ev: RunEvent) => boolean, timeoutMs?: number): Promise<RunEvent>;
}

export function collect(handle: RunHandle): Collected {
  const events: RunEvent[] = [];
  const waiters = new Set<() => void>();
  let ended = false;
  const done = (async () => {
    try {
      for await (const ev of handle.events()) {
        events.push(ev);
        for (const w of [...waiters]) w();
      }
    } finally {
      ended = true;
      for (const w of [...waiters]) w();
    }
  })();
  done.catch(() => undefined);
  const until = (pred: (ev: RunEvent) => boolean, timeoutMs = 5000) =>
    new Promise<RunEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching event within ${timeoutMs} ms; saw ${JSON.stringify(events)}`));
      }, timeoutMs);
      const check = () => {
        const hit = events.find(pred);
        if (hit || ended) {
          clearTimeout(timer);
          waiters.delete(check);
          if (hit) resolve(hit);
          else reject(new Error(`stream ended without a matching event; saw ${JSON.stringify(events)}`));
        }
      };
      waiters.add(check);
      check();
    });
  return { events, done, until };
}

export const lineOf = (text: string) => (ev: RunEvent) => ev.type === "line" && ev.line === text;
