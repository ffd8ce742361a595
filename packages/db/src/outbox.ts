import type { Db, Tx } from "./client.js";

/** Outbox topics. `job.enqueue`: put a job on its BullMQ queue (webhooks go through webhook_deliveries, not the outbox). */
export type OutboxTopic = "job.enqueue";

export async function writeOutbox(tx: Tx, topic: OutboxTopic, payload: Record<string, unknown>): Promise<void> {
  await tx.outboxMessage.create({ data: { topic, payload: payload as object } });
}

export interface OutboxRow {
  id: bigint;
  topic: string;
  payload: Record<string, unknown>;
}

/**
 * Relay one batch: lock unprocessed rows (SKIP LOCKED, so several relays never double-send),
 * hand each to `send`, stamp the ones sent. A failed send stays for the next round.
 * Returns how many were sent.
 */
export async function relayOutboxBatch(db: Db, send: (row: OutboxRow) => Promise<void>, limit = 100): Promise<number> {
  return db.$transaction(
    async (tx) => {
      const rows = await tx.$queryRaw<{ id: bigint; topic: string; payload: Record<string, unknown> }[]>`
      SELECT id, topic, payload FROM outbox WHERE processed_at IS NULL ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
      let sent = 0;
      for (const row of rows) {
        try {
          await send(row);
          await tx.outboxMessage.update({ where: { id: row.id }, data: { processedAt: new Date(), attempts: { increment: 1 } } });
          sent++;
        } catch (e) {
          await tx.outboxMessage.update({
            where: { id: row.id },
            data: { attempts: { increment: 1 }, lastError: String(e).slice(0, 1000) },
          });
        }
      }
      return sent;
    },
    { timeout: 60_000 },
  );
}
