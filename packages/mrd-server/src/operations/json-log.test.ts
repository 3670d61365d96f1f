import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { LogLevel } from '@mrd-tools/core/logging';
import { jsonLogLine } from './json-log.js';
import { bindEmitterToLogContext, runInLogContext } from './log-context.js';

describe('--log-format json lines', () => {
  const t = new Date('2026-01-02T03:04:05.678Z');

  it('one object a line: time, level, message without the text timestamp; session fields in a session', () => {
    expect(jsonLogLine('2026-01-02 04:04:05,678 - Server listening at 0.0.0.0:9002', LogLevel.INFO, t)).toBe('{"time":"2026-01-02T03:04:05.678Z","level":"INFO","msg":"Server listening at 0.0.0.0:9002"}');
    const line = runInLogContext({ session: 'abc123', client: '10.1.2.3:4444', config: 'simplefft' }, () => jsonLogLine('2026-01-02 04:04:05,678 - a "quoted"\nline', LogLevel.WARNING, t));
    expect(JSON.parse(line)).toEqual({ time: '2026-01-02T03:04:05.678Z', level: 'WARNING', msg: 'a "quoted"\nline', session: 'abc123', client: '10.1.2.3:4444', config: 'simplefft' });
    expect(line).not.toContain('\n');
  });

  it('an emitter bound to a context runs its listeners, and what they start, in it', async () => {
    const e = new EventEmitter();
    const ctx = { session: 's1', client: '1.2.3.4:5' };
    bindEmitterToLogContext(e, ctx);
    const seen: string[] = [];
    e.on('data', () => {
      seen.push(JSON.parse(jsonLogLine('x', LogLevel.DEBUG, t)).session);
      setTimeout(() => seen.push(JSON.parse(jsonLogLine('x', LogLevel.DEBUG, t)).session), 1);
    });
    e.emit('data');
    await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['s1', 's1']);
    expect(JSON.parse(jsonLogLine('x', LogLevel.ERROR, t)).session).toBeUndefined();
  });
});
