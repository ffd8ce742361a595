/**
 * Progress bars on stderr. On a TTY one line is redrawn in place; otherwise a line is printed
 * only when the value crosses a 5 % step (and at 100 %), so logs stay readable.
 */
export class ProgressBar {
  private lastPct = -1;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(
    private readonly label: string,
    private readonly width = 30,
  ) {}

  update(fraction: number, suffix = ""): void {
    const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    const pct = Math.floor(f * 100);
    if (!this.tty && (pct === this.lastPct || (pct < 100 && Math.floor(pct / 5) === Math.floor(this.lastPct / 5)))) return;
    this.lastPct = pct;
    const filled = Math.round(f * this.width);
    const bar = "█".repeat(filled) + "░".repeat(this.width - filled);
    const line = `${this.label} ${bar} ${String(pct).padStart(3)}% ${suffix}`;
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}`);
    else process.stderr.write(`${line}\n`);
  }

  done(suffix = "done"): void {
    this.update(1, suffix);
    if (this.tty) process.stderr.write("\n");
  }
}
