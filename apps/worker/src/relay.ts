/**
 * Outbox relay: moves committed enqueue intents from Postgres to BullMQ. Polls, and wakes early
 * when the API publishes on the outbox channel. Several relays may run (SKIP LOCKED).
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { JobKind, outboxChannel } from "@trainyard/contracts";
import { relayOutboxBatch, type Db } from "@trainyard/db";
import { enqueueJob, type Queues } from "./queues.js";

export interface Relay {
  /** Run one pass now (tests, and after local commits). */
  kick(): void;
  close(): Promise<void>;
}

export function startRelay(opts: { db: Db; queues: Queues; subscriber: Redis; prefix: string; pollMs: number; logger: Logger }): Relay {
  const { db, queues, subscriber, prefix, pollMs, logger } = opts;
  let stopped = false;
  let wake: (() => void) | null = null;
  const channel = outboxChannel(prefix);
  void subscriber.subscribe(channel).catch((err: unknown) => logger.warn({ err }, "outbox channel subscribe failed; polling only"));
  subscriber.on("message", (ch: string) => {
    if (ch === channel) wake?.();
  });

  const send = async (row: { topic: string; payload: Record<string, unknown> }) => {
    switch (row.topic) {
      case "job.enqueue": {
        const p = row.payload as { jobId: string; experimentId: string; kind: string };
        await enqueueJob(queues, JobKind.parse(p.kind), { jobId: p.jobId, experimentId: p.experimentId });
        return;
      }
      default:
        throw new Error(`unknown outbox topic ${row.topic}`);
    }
  };

  const loop = (async () => {
    while (!stopped) {
      try {
        const n = await relayOutboxBatch(db, send);
        if (n >= 100) continue;
      } catch (err) {
        if (!stopped) logger.error({ err }, "outbox relay pass failed");
      }
      await new Promise<void>((r) => {
        const t = setTimeout(r, pollMs);
        wake = () => {
          clearTimeout(t);
          r();
        };
      });
      wake = null;
    }
  })();

  return {
    kick: () => wake?.(),
    async close() {
      stopped = true;
      wake?.();
      await loop;
      await subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
