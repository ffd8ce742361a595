/**
 * Docker's multiplexed log stream (containers created without a TTY): frames of
 *   [stream: u8 (0 stdin, 1 stdout, 2 stderr), 0, 0, 0, length: u32 big-endian] + payload.
 * HTTP chunks cut frames anywhere, headers included, so bytes are carried over between pushes.
 * A frame's payload is raw output: it may end mid-line, and lines are split downstream.
 */

export type DockerStream = "stdout" | "stderr";

export class DockerLogDemuxer {
  private pending: Buffer = Buffer.alloc(0);
  private raw = false;

  constructor(private readonly onData: (stream: DockerStream, payload: Buffer) => void) {}

  push(chunk: Buffer): void {
    if (this.raw) {
      this.onData("stdout", chunk);
      return;
    }
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= 8) {
      const kind = buf[0];
      if ((kind !== 0 && kind !== 1 && kind !== 2) || buf[1] !== 0 || buf[2] !== 0 || buf[3] !== 0) {
        // Not a frame header: a TTY container's plain stream. Pass everything through as stdout.
        this.raw = true;
        this.pending = Buffer.alloc(0);
        this.onData("stdout", buf);
        return;
      }
      const length = buf.readUInt32BE(4);
      if (buf.length < 8 + length) break;
      if (length > 0) this.onData(kind === 2 ? "stderr" : "stdout", buf.subarray(8, 8 + length));
      buf = buf.subarray(8 + length);
    }
    // Copy: the remainder must not pin (or alias) the caller's chunk.
    this.pending = Buffer.from(buf);
  }

  /** Bytes of an unfinished frame left at the end of the stream (0 when the stream ended cleanly). */
  get leftover(): number {
    return this.pending.length;
  }
}

/** Encode one frame (used by the Docker API test double, and handy in tests). */
export function dockerFrame(stream: DockerStream, payload: Buffer | string): Buffer {
  const body = typeof payload === "string" ? Buffer.from(payload) : payload;
  const header = Buffer.alloc(8);
  header[0] = stream === "stderr" ? 2 : 1;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}
