/**
 * Where mrd-server's log lines go, as the reference `main.py`: stdout, plus the log file with
 * `-l` (its folder is created); `-v` turns on DEBUG; `-r` ends lines with CRLF; `--log-format json`
 * writes each line as a JSON object instead (operations/json-log.ts).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { logger, LogLevel, type LogSink } from '@mrd-tools/core/logging';
import { jsonLogLine, type LogFormat } from './operations/json-log.js';

export interface ServerLogOptions {
  level: LogLevel;
  crlf: boolean;
  file?: string;
  /** Print "Logging to file: ..." / "No logfile provided" as the reference does. */
  announce: boolean;
  /** 'text' (default, the reference's) or 'json'. */
  format?: LogFormat;
  /** Where console lines go: stdout (default, the reference's) or stderr (`--stdio`, whose stdout is the MRD stream). */
  console?: 'stdout' | 'stderr';
}

export function configureServerLogging(o: ServerLogOptions): void {
  const eol = o.crlf ? '\r\n' : '\n';
  logger.level = o.level;
  const json = o.format === 'json';
  const text = (line: string, level: LogLevel) => (json ? jsonLogLine(line, level) : line);
  const out = o.console === 'stderr' ? process.stderr : process.stdout;
  const sinks: LogSink[] = [(line, level) => out.write(text(line, level) + eol)];
  const announce = (line: string) => out.write((json ? jsonLogLine(line, LogLevel.INFO) : line) + eol);
  if (o.file) {
    const abs = resolve(o.file);
    mkdirSync(dirname(abs), { recursive: true });
    sinks.push((line, level) => appendFileSync(abs, text(line, level) + eol));
    if (o.announce) announce(`Logging to file: ${o.file}`);
  } else if (o.announce) {
    announce('No logfile provided');
  }
  logger.setSinks(sinks);
}
