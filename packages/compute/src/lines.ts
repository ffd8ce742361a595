/**
 * Output plumbing shared by the backends: bytes → lines → run events → one single-reader queue.
 *
 * Invariant: no line is dropped. Chunks may cut a line (or a multi-byte character) anywhere; the
 * splitter carries the remainder over. A line longer than `maxLineChars` (a progress bar that
 * never prints "\n") is emitted in pieces rather than buffered without bound.
 */
import { StringDecoder } from "node:string_decoder";
import { parseTrainerLine } from "@trainyard/contracts";
import type { OutputLine, RunEvent } from "./backend.js";
import { ComputeError } from "./errors.js";

export const DEFAULT_MAX_LINE_CHARS = 1 << 20;

export class LineSplitter {
  private decoder = new StringDecoder("utf8");
  private parts: string[] = [];
  private partLength = 0;

  constructor(
    private readonly emit: (line: string) => void,
    private readonly maxLineChars = DEFAULT_MAX_LINE_CHARS,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === "string" ? chunk : this.decoder.write(chunk);
    let start = 0;
    let nl: number;
    while ((nl = text.indexOf("\n", start)) !== -1) {
      this.parts.push(text.slice(start, nl));
      this.flushLine();
      start = nl + 1;
    }
    if (start < text.length) {
      this.parts.push(text.slice(start));
      this.partLength += text.length - start;
    }
    if (this.partLength > this.maxLineChars) {
      let rest = this.parts.join("");
      while (rest.length > this.maxLineChars) {
        this.emit(rest.slice(0, this.maxLineChars));
        rest = rest.slice(this.maxLineChars);
      }
      this.parts = rest ? [rest] : [];
      this.partLength = rest.length;
    }
  }

  /** End of stream: an unterminated last line is still a line. */
  end(): void {
    const tail = this.decoder.end();
    if (tail) this.parts.push(tail);
    if (this.parts.length > 0 && this.parts.join("") !== "") this.flushLine();
    this.parts = [];
    this.partLength = 0;
  }

  /** Forget an unterminated remainder (its source will send it again in full). */
  discard(): void {
    this.decoder = new StringDecoder("utf8");
    this.parts = [];
    this.partLength = 0;
  }

  private flushLine(): void {
    let line = this.parts.join("");
    this.parts = [];
    this.partLength = 0;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    this.emit(line);
  }
}

/** One output line as a run event: a protocol event when stdout carries one, else a plain line. */
export function toRunEvent(stream: OutputLine["stream"], line: string): RunEvent {
  // The protocol puts events on stdout only; stderr is logs, whatever it looks like.
  const ev = stream === "stdout" ? parseTrainerLine(line) : null;
  return ev ?? { type: "line", stream, line };
}

/**
 * An unbounded FIFO with one async reader. Writers never block (a blocked writer would stall the
 * trainer's pipe), so memory holds whatever the reader has not taken yet.
 */
export class EventQueue<T> {
  private items: (T | undefined)[] = [];
  private head = 0;
  private ended = false;
  private failure: unknown = undefined;
  private taken = false;
  private readerGone = false;
  private wake: (() => void) | null = null;

  push(item: T): void {
    if (this.ended || this.readerGone) return;
    this.items.push(item);
    this.notify();
  }

  /** No more items; a reader sees `error` (if given) after the queued items. */
  end(error?: unknown): void {
    if (this.ended) return;
    this.ended = true;
    this.failure = error;
    this.notify();
  }

  get isEnded(): boolean {
    return this.ended;
  }

  iterable(): AsyncIterable<T> {
    if (this.taken) throw new ComputeError("TY_ERR_COMPUTE_EVENTS_TAKEN", "events() was already called on this run handle");
    this.taken = true;
    return this.drain();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async *drain(): AsyncGenerator<T> {
    try {
      for (;;) {
        while (this.head < this.items.length) {
          const item = this.items[this.head] as T;
          this.items[this.head++] = undefined;
          if (this.head > 4096 && this.head * 2 > this.items.length) {
            this.items = this.items.slice(this.head);
            this.head = 0;
          }
          yield item;
        }
        if (this.ended) {
          if (this.failure !== undefined) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    } finally {
      // The reader broke out early: stop holding lines nobody will read.
      this.readerGone = true;
      this.items = [];
      this.head = 0;
    }
  }
}
