/**
 * Progress bars on stderr. On a TTY one line is redrawn in place; otherwise a line is printed
 * only when the value crosses a 5 % step (and at 100 %), so logs stay readable.
 */
export class ProgressBar {
  /** Off a TTY: the last 5 % step printed (100 stands for itself). */
  private lastStep = -1;
  private readonly tty = Boolean(process.stderr.isTTY);
  constructor(
    private readonly label: string,
    private readonly width = 30,
  ) {}

  update(fraction: number, suffix = ""): void {
    const f = Math.max(0, Math.min(1, Number.isFinite(fraction) ? fraction : 0));
    const pct = Math.floor(f * 100);
    if (!this.tty) {
      const step = pct === 100 ? 100 : pct - (pct % 5);
      if (step === this.lastStep) return;
      this.lastStep = step;
    }
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
