/**
 * Cooperative progress for CPU-bound builds. Generation is synchronous work on the event loop;
 * inside a worker the job's lease heartbeat, cancel messages and timeouts also run there, so a
 * build must give the loop back regularly. `tick()` yields every `sliceMs` of work, checks the
 * AbortSignal and reports progress — cheap enough to call once per item.
 */
import { abortError } from "./errors.js";

export type ProgressFn = (fraction: number, phase: string) => void | Promise<void>;

const yieldLoop = () => new Promise<void>((r) => setImmediate(r));

export class Ticker {
  private done = 0;
  private total = 1;
  private last = performance.now();
  private phase = "";
  private lastReported = 0;

  constructor(
    private readonly signal?: AbortSignal,
    private readonly onProgress?: ProgressFn,
    private readonly sliceMs = 20,
  ) {}

  /** Sets the expected total of work units (may grow as plans become known). */
  plan(total: number): void {
    this.total = Math.max(1, total);
  }

  /** Sets the total to what is done plus `remaining`. */
  planRemaining(remaining: number): void {
    this.total = Math.max(1, this.done + remaining);
  }

  /** Marks the end: the next report says 1. */
  finish(): void {
    this.done = this.total;
  }

  setPhase(phase: string): void {
    this.phase = phase;
  }

  get fraction(): number {
    return Math.min(1, this.done / this.total);
  }

  throwIfAborted(): void {
    if (this.signal?.aborted) throw abortError(this.signal);
  }

  /** Counts `units` of work; every `sliceMs` yields to the event loop and reports. */
  async tick(units = 1): Promise<void> {
    this.done += units;
    const now = performance.now();
    if (now - this.last < this.sliceMs) return;
    this.last = now;
    await yieldLoop();
    this.throwIfAborted();
    await this.report();
  }

  async report(force = false): Promise<void> {
    // Monotonic: a re-plan that grows the total never moves the bar backwards.
    const f = Math.max(this.lastReported, Math.floor(this.fraction * 1000) / 1000);
    if (!this.onProgress || (!force && f === this.lastReported)) return;
    this.lastReported = f;
    await this.onProgress(f, this.phase);
  }
}
