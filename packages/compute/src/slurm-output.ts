/**
 * Reading a Slurm job's output files as they grow, line by line, with the byte offset at which
 * each line ends (the position a re-attached reader compares against).
 *
 * Each read opens the file, reads from the offset to the current end and closes it: on NFS that
 * open is what makes the client fetch what the compute node wrote (close-to-open consistency); a
 * kept-open descriptor or fs.watch would not see it. A file that does not exist yet (the job has
 * not started) reads as empty.
 */
import { open } from "node:fs/promises";
import { DEFAULT_MAX_LINE_CHARS } from "./lines.js";

export interface OffsetLine {
  line: string;
  /** Byte offset just past this line (and its "\n") in the file. */
  end: number;
}

/** Splits bytes into lines, tracking byte offsets; a line longer than `maxBytes` is emitted in pieces. */
export class ByteLines {
  private pending: Buffer = Buffer.alloc(0);
  /** File offset of the first pending byte. */
  private start: number;

  constructor(
    offset = 0,
    private readonly maxBytes = DEFAULT_MAX_LINE_CHARS,
  ) {
    this.start = offset;
  }

  push(chunk: Buffer): OffsetLine[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: OffsetLine[] = [];
    let from = 0;
    for (;;) {
      const nl = this.pending.indexOf(10, from);
      if (nl === -1) break;
      out.push(this.line(from, nl, nl + 1));
      from = nl + 1;
    }
    while (this.pending.length - from > this.maxBytes) {
      // Cut on a UTF-8 character boundary (never before a continuation byte 10xxxxxx).
      let cut = from + this.maxBytes;
      while (cut > from + 1 && (this.pending[cut]! & 0xc0) === 0x80) cut--;
      out.push(this.line(from, cut, cut));
      from = cut;
    }
    this.start += from;
    this.pending = this.pending.subarray(from);
    return out;
  }

  /** End of the file for good: an unterminated last line is still a line. */
  end(): OffsetLine[] {
    if (this.pending.length === 0) return [];
    const last = this.line(0, this.pending.length, this.pending.length);
    this.start += this.pending.length;
    this.pending = Buffer.alloc(0);
    return [last];
  }

  private line(from: number, to: number, next: number): OffsetLine {
    let text = this.pending.toString("utf8", from, to);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    return { line: text, end: this.start + next };
  }
}

/** One output file, read from an offset as it grows. */
export class FileTail {
  private offset: number;
  private readonly lines: ByteLines;

  constructor(
    readonly path: string,
    offset = 0,
  ) {
    this.offset = offset;
    this.lines = new ByteLines(offset);
  }

  /** Bytes read so far. */
  get size(): number {
    return this.offset;
  }

  /** The complete lines written since the last read (empty when nothing new, or no file yet). */
  async read(): Promise<OffsetLine[]> {
    let fh;
    try {
      fh = await open(this.path, "r");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw e;
    }
    const out: OffsetLine[] = [];
    try {
      const buf = Buffer.alloc(1 << 16);
      for (;;) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
        if (bytesRead === 0) break;
        this.offset += bytesRead;
        out.push(...this.lines.push(Buffer.from(buf.subarray(0, bytesRead))));
      }
    } finally {
      await fh.close();
    }
    return out;
  }

  /** The job is over and the file read to its end: flush an unterminated last line. */
  end(): OffsetLine[] {
    return this.lines.end();
  }
}
