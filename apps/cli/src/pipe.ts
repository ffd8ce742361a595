/**
 * `trainyard … | head` must end quietly. When the reader closes the pipe, the next write fails
 * with EPIPE, emitted as an 'error' on stdout; unhandled, Node prints a stack trace and exits 1.
 * The output nobody reads is done: exit 0 at once, also out of a `logs -f` stream loop.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WriteStream = process.stdout, exit: (code: number) => void = process.exit): void {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") exit(0);
    else throw err;
  });
}
