/**
 * Where mrd-server's log lines go, as the reference `main.py`: stdout, plus the log file with
 * `-l` (its folder is created); `-v` turns on DEBUG; `-r` ends lines with CRLF.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { logger, LogLevel, type LogSink } from '@mrd-tools/core/logging';

export interface ServerLogOptions {
  level: LogLevel;
  crlf: boolean;
  file?: string;
  /** Print "Logging to file: ..." / "No logfile provided" as the reference does. */
  announce: boolean;
}

export function configureServerLogging(o: ServerLogOptions): void {
  const eol = o.crlf ? '\r\n' : '\n';
  logger.level = o.level;
  const sinks: LogSink[] = [(line) => process.stdout.write(line + eol)];
  if (o.file) {
    const abs = resolve(o.file);
    mkdirSync(dirname(abs), { recursive: true });
    sinks.push((line) => appendFileSync(abs, line + eol));
    if (o.announce) process.stdout.write(`Logging to file: ${o.file}${eol}`);
  } else if (o.announce) {
    process.stdout.write(`No logfile provided${eol}`);
  }
  logger.setSinks(sinks);
}
