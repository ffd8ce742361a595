/**
 * A running job's events (trainer output lines, metrics, logs), written in batches: one statement
 * per batch instead of one transaction per line that locked the experiment row (a chatty trainer
 * made every transition of its experiment queue behind its log lines).
 *
 * Events are flushed every `flushMs`, as soon as `maxBatch` are waiting (the caller awaits that
 * write: backpressure), and by the runner before any state transition, so a job's status event
 * always follows its own output. A failed timed flush keeps its events for the next one; a failed
 * flush the caller awaits throws (the job then fails as an infrastructure error and is retried).
 */
import { recordJobEvents, type Db, type PendingEvent } from "@trainyard/db";

export interface EventBufferOptions {
  maxBatch?: number;
  flushMs?: number;
  onError?: (err: unknown) => void;
}

export class EventBuffer {
  private pending: PendingEvent[] = [];
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private readonly maxBatch: number;
  private readonly flushMs: number;

  constructor(
    private readonly db: Db,
    private readonly job: { id: string; experimentId: string },
    private readonly opts: EventBufferOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.flushMs = opts.flushMs ?? 200;
  }

  /** Queue one event; resolves once it is queued, or written when the batch was full. */
  async add(event: PendingEvent): Promise<void> {
    this.pending.push(event);
    if (this.pending.length >= this.maxBatch) {
      await this.flush();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.flush().catch((err: unknown) => this.opts.onError?.(err));
    }, this.flushMs);
  }

  /** Write everything queued so far (in order, after any write in flight). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.writing) await this.writing.catch(() => undefined);
    while (this.pending.length) {
      const batch = this.pending.splice(0, this.maxBatch);
      this.writing = recordJobEvents(this.db, this.job, batch).then(
        () => undefined,
        (err: unknown) => {
          this.pending.unshift(...batch); // kept, in order, for the next flush
          throw err;
        },
      );
      try {
        await this.writing;
      } finally {
        this.writing = null;
      }
    }
  }

  /** Events queued and not yet written. */
  get size(): number {
    return this.pending.length;
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
