/**
 * The project's one logger. Levels as Python's logging module (the reference tools log through
 * it): DEBUG < INFO < WARNING < ERROR. Libraries never write to the console directly; they call
 * `logger.*`, and the executables decide where it goes (stderr by default, a log file with `-l`)
 * and at which level (`-v` turns on DEBUG, `-q` keeps only warnings and errors).
 *
 * Line format follows the reference server: `YYYY-MM-DD HH:MM:SS,mmm - message`.
 */
import { appendFileSync } from 'node:fs';

export enum LogLevel {
  DEBUG = 10,
  INFO = 20,
  WARNING = 30,
  ERROR = 40,
  SILENT = 100,
}

export type LogSink = (line: string, level: LogLevel) => void;

function timestamp(d = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())},${p(d.getMilliseconds(), 3)}`;
}

function format(args: unknown[]): string {
  return args
    .map((a) => (typeof a === 'string' ? a : a instanceof Error ? (a.stack ?? a.message) : JSON.stringify(a)))
    .join(' ');
}

export class Logger {
  level: LogLevel = LogLevel.INFO;
  private sinks: LogSink[] = [(line) => process.stderr.write(line + '\n')];

  /** Replace all outputs (e.g. a log file and/or stderr). */
  setSinks(sinks: LogSink[]): void {
    this.sinks = sinks;
  }

  /** Route output to a file (appended), as the reference's `-l/--logfile`. */
  toFile(path: string, alsoStderr = false): void {
    const sinks: LogSink[] = [(line) => appendFileSync(path, line + '\n')];
    if (alsoStderr) sinks.push((line) => process.stderr.write(line + '\n'));
    this.sinks = sinks;
  }

  enabled(level: LogLevel): boolean {
    return level >= this.level;
  }

  log(level: LogLevel, ...args: unknown[]): void {
    if (!this.enabled(level)) return;
    const line = `${timestamp()} - ${format(args)}`;
    for (const sink of this.sinks) sink(line, level);
  }

  debug(...args: unknown[]): void { this.log(LogLevel.DEBUG, ...args); }
  info(...args: unknown[]): void { this.log(LogLevel.INFO, ...args); }
  warning(...args: unknown[]): void { this.log(LogLevel.WARNING, ...args); }
  error(...args: unknown[]): void { this.log(LogLevel.ERROR, ...args); }
}

/** The process-wide logger. */
export const logger = new Logger();
