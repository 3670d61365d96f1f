/**
 * A one-line text progress bar for command-line tools: drawn only when the stream is a TTY,
 * redrawn at most 10 times a second, ended with a newline by `finish()`.
 */
export class TextProgressBar {
  private last = 0;
  private drawn = false;
  constructor(
    private readonly label: string,
    private readonly total: number,
    private readonly stream: NodeJS.WriteStream = process.stdout,
  ) {}

  get enabled(): boolean {
    return Boolean(this.stream.isTTY) && this.total > 0;
  }

  update(done: number, force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    const width = Math.max(10, Math.min(40, (this.stream.columns || 80) - this.label.length - 30));
    const frac = Math.min(1, done / this.total);
    const filled = Math.round(frac * width);
    this.stream.write(`\r${this.label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${this.total}`);
    this.drawn = true;
  }

  finish(): void {
    if (!this.drawn) return;
    this.update(this.total, true);
    this.stream.write('\n');
    this.drawn = false;
  }
}
