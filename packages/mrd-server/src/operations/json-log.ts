/**
 * `--log-format json`: each log line as one JSON object on one line, for log collectors (Loki,
 * Elasticsearch, journald with a JSON parser):
 * `{"time":"2026-01-02T03:04:05.678Z","level":"INFO","msg":"...","session":"3f2a9c1b0d4e","client":"10.1.2.3:51234","config":"invertcontrast"}`.
 * `session`, `client` and `config` are present on the lines of a session (see log-context.ts).
 * The reference's text format (`YYYY-MM-DD HH:MM:SS,mmm - message`) stays the default.
 */
import { LogLevel } from '@mrd-tools/core/logging';
import { currentLogContext } from './log-context.js';

export type LogFormat = 'text' | 'json';

export const LOG_FORMATS: readonly LogFormat[] = ['text', 'json'];

const LEVEL_NAMES: Record<number, string> = {
  [LogLevel.DEBUG]: 'DEBUG',
  [LogLevel.INFO]: 'INFO',
  [LogLevel.WARNING]: 'WARNING',
  [LogLevel.ERROR]: 'ERROR',
};

/** The message of a logger line (`<timestamp> - <message>`). */
function messageOf(line: string): string {
  const i = line.indexOf(' - ');
  return i >= 0 && i <= 24 ? line.slice(i + 3) : line;
}

/** One JSON log line (no line ending) for a logger line at `level`, in the current log context. */
export function jsonLogLine(line: string, level: LogLevel, time = new Date()): string {
  const ctx = currentLogContext();
  const record: Record<string, string> = { time: time.toISOString(), level: LEVEL_NAMES[level] ?? String(level), msg: messageOf(line) };
  if (ctx?.session) record.session = ctx.session;
  if (ctx?.client) record.client = ctx.client;
  if (ctx?.config) record.config = ctx.config;
  return JSON.stringify(record);
}
