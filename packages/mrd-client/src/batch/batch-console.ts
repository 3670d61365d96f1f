/**
 * What a batch shows while it runs: one line per input as it finishes, a status line with a
 * progress bar over the whole batch (on a terminal only, redrawn in place), and the summary.
 * The log lines of the sessions themselves carry their input's name (AsyncLocalStorage) and are
 * shown with -v only: eight sessions at once would otherwise interleave their lines.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { LogLevel, type LogSink } from '@mrd-tools/core/logging';

const sessionInput = new AsyncLocalStorage<string>();

/** Runs `fn` as the session of input `name` (its log lines are marked with the name). */
export function inSessionOf<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return sessionInput.run(name, fn);
}

export class BatchConsole {
  private status = '';
  private shown = false;

  constructor(
    private readonly out: NodeJS.WriteStream = process.stdout,
    private readonly err: NodeJS.WriteStream = process.stderr,
    private readonly o: { quiet: boolean; verbose: boolean; record?: (line: string) => void } = { quiet: false, verbose: false },
  ) {}

  private get tty(): boolean {
    return Boolean(this.out.isTTY) && !this.o.quiet;
  }

  private erase(): void {
    if (this.shown) {
      this.out.write('\r\x1b[2K');
      this.shown = false;
    }
  }

  private redraw(): void {
    if (!this.tty || !this.status) return;
    const width = Math.max(20, (this.out.columns || 80) - 1);
    this.out.write(this.status.length > width ? this.status.slice(0, width - 1) + '…' : this.status);
    this.shown = true;
  }

  /** A line of the batch (stdout; not with -q). */
  line(text: string): void {
    this.o.record?.(text);
    if (this.o.quiet) return;
    this.erase();
    this.out.write(text + '\n');
    this.redraw();
  }

  /** A line that must be seen even with -q (stderr). */
  problem(text: string): void {
    this.o.record?.(text);
    this.erase();
    this.err.write(text + '\n');
    this.redraw();
  }

  /** The status line (progress over the batch), on a terminal. */
  setStatus(text: string): void {
    if (!this.tty) return;
    this.erase();
    this.status = text;
    this.redraw();
  }

  finish(): void {
    this.erase();
    this.status = '';
  }

  /** The logger sink for a batch: batch lines as they come, session lines with -v, prefixed by their input. */
  logSink(): LogSink {
    return (line, level) => {
      const input = sessionInput.getStore();
      if (input === undefined) {
        if (level >= LogLevel.ERROR) this.problem(line);
        else this.line(line);
        return;
      }
      this.o.record?.(`[${input}] ${line}`);
      if (this.o.verbose && !this.o.quiet) {
        this.erase();
        this.out.write(`[${input}] ${line}\n`);
        this.redraw();
      }
    };
  }
}

/** A text progress bar: `[#####.....]`. */
export function bar(fraction: number, width = 24): string {
  const filled = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}
