/**
 * Progress lines for long computations (iterative recons that run for minutes): the stage, the
 * position in it ("chunk 2 of 5, CG step 40 of 121"), the elapsed time and an estimate of the
 * time left, given to a sink (a recon logs them at INFO and sends them to its client). A new
 * stage is always reported; updates within a stage at most every `intervalMs` (default 5 s), so
 * a user hears from a long run every few seconds and a fast one stays quiet.
 *
 * The estimate is the stage's elapsed time scaled by the fraction of it still to do (steps of
 * a stage take about equally long: CG iterations, Newton steps, chunks of frames).
 */

export interface ProgressReportOptions {
  /** what runs, first word of every line (e.g. the recon module's name) */
  label: string;
  /** where lines go */
  sink: (line: string) => void;
  /** least time between two updates within a stage, ms (default 5000) */
  intervalMs?: number;
  /** clock in ms (tests) */
  now?: () => number;
}

/** `75 s` -> `1m15s`, `4 s` -> `4s`, `3725 s` -> `1h02m05s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (n: number) => String(n).padStart(2, '0');
  if (h > 0) return `${h}h${two(m)}m${two(r)}s`;
  if (m > 0) return `${m}m${two(r)}s`;
  return `${r}s`;
}

/**
 * Whether a line (or a text message holding one) is a progress update of a stage (from
 * `update` or `during`), which a terminal may show as one line redrawn in place, as opposed to
 * a stage start or the closing line, which are kept.
 */
export function isProgressUpdate(text: string): boolean {
  return /\(\d+%\), elapsed \d|, running for \d/.test(text);
}

export class ProgressReport {
  private readonly start: number;
  private stageName = '';
  private stageStart = 0;
  private lastLine = -Infinity;
  private readonly now: () => number;
  private readonly interval: number;

  constructor(private readonly o: ProgressReportOptions) {
    this.now = o.now ?? (() => performance.now());
    this.interval = o.intervalMs ?? 5000;
    this.start = this.now();
  }

  /** Seconds since the report was created. */
  get elapsedSeconds(): number {
    return (this.now() - this.start) / 1000;
  }

  /** Starts a stage and reports it (`detail`: what it is, e.g. its size). */
  stage(name: string, detail?: string): void {
    this.stageName = name;
    this.stageStart = this.now();
    this.emit(`${name}${detail ? ` (${detail})` : ''}: started, elapsed ${formatDuration(this.elapsedSeconds)}`);
  }

  /**
   * Position within the stage: `fraction` of it done (0..1) and where it is in words
   * ("chunk 2 of 5, CG step 40 of 121"). Reported at most every intervalMs.
   */
  update(fraction: number, where: string): void {
    const t = this.now();
    if (t - this.lastLine < this.interval) return;
    const f = Math.min(1, Math.max(0, fraction));
    const stageSeconds = (t - this.stageStart) / 1000;
    const left = f > 0 ? (stageSeconds * (1 - f)) / f : undefined;
    this.emit(`${this.stageName}: ${where} (${Math.floor(f * 100)}%), elapsed ${formatDuration(this.elapsedSeconds)}${left !== undefined ? `, about ${formatDuration(left)} left in this stage` : ''}`);
  }

  /** Reports lines every intervalMs while `work` runs (a stage done by another process). */
  async during<T>(work: Promise<T>, where: string): Promise<T> {
    const timer = setInterval(() => {
      this.emit(`${this.stageName}: ${where}, running for ${formatDuration((this.now() - this.stageStart) / 1000)}, elapsed ${formatDuration(this.elapsedSeconds)}`);
    }, this.interval);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  /** The closing line. */
  finish(what = 'done'): void {
    this.emit(`${what} in ${formatDuration(this.elapsedSeconds)}`);
  }

  private emit(text: string): void {
    this.lastLine = this.now();
    this.o.sink(`${this.o.label}: ${text}`);
  }
}
