/**
 * mrd-server never drops results silently (issue 13, point 2): every session ends with CLOSE,
 * after an ERROR text when something went wrong, in worker and -m modes, whatever the client
 * does with its side of the connection (half-close after CLOSE, slow reading) and whatever the
 * session does (a module throwing, a worker or process dying, bytes that are not MRD). The
 * client is told one line, never a stack trace.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessages } from '@mrd-tools/core/stream';
import type { Image } from '@mrd-tools/core/messages';
import { mulberry32 } from '@mrd-tools/core/testing';
import { startServer, tempDir, type RunningServer } from './server-harness.js';
import { images, sessionBytes, talk, type Answer } from './server-sessions.js';

const MODULES = {
  'boom.ts': `
export async function process(connection: any): Promise<void> {
  for await (const msg of connection) if (msg.type === 'image') throw new Error('kaboom from a user module\\nsecond line');
}
`,
  // Worker mode: process.exit ends the session's worker thread; -m: the whole session process.
  'die.ts': `
export async function process(connection: any): Promise<void> {
  let n = 0;
  for await (const msg of connection) {
    if (msg.type === 'image') await connection.sendImage(msg.image);
    if (++n === 3) globalThis.process.exit(3);
  }
}
`,
  'sigkill.ts': `
export async function process(connection: any): Promise<void> {
  for await (const msg of connection) if (msg.type === 'image') { await connection.sendImage(msg.image); globalThis.process.kill(globalThis.process.pid, 'SIGKILL'); }
}
`,
};

function modulesDir(): string {
  const dir = join(tempDir('mrd-session-end-'), 'modules');
  mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(MODULES)) writeFileSync(join(dir, name), text);
  return dir;
}

function imageCount(a: Answer): number {
  return a.types.filter((t) => t === 'image').length;
}

function garbage(): Uint8Array {
  const g = new Uint8Array(3000);
  for (let i = 0; i < g.length; i++) g[i] = (i * 7919 + 13) & 0xff;
  g[0] = 0xff;
  g[1] = 0xee;
  return g;
}

for (const mode of ['worker', '-m'] as const) {
  describe(`mrd-server ${mode === '-m' ? '-m (a process per session)' : '(worker threads)'}: every session ends with CLOSE`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      server = await startServer([...(mode === '-m' ? ['-m'] : []), '-d', 'invertcontrast', '--modules-dir', modulesDir(), '-S', tempDir('mrd-se-saved-')]);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers in full a client that shuts its write side after CLOSE (SHUT_WR, nc -N)', async () => {
      const input = sessionBytes('invertcontrast', images(12));
      const plain = await talk(server.port, input);
      const half = await talk(server.port, input, { halfClose: true });
      expect(plain.endsWithClose).toBe(true);
      expect(imageCount(plain)).toBe(12);
      expect(half.endsWithClose).toBe(true);
      expect(half.types).toEqual(plain.types);
      const pixels = (a: Answer) => a.messages.filter((m) => m.type === 'image').map((m) => Array.from((m as { image: Image }).image.data.subarray(0, 50)));
      expect(pixels(half)).toEqual(pixels(plain));
    });

    it('sends ERROR texts and CLOSE to a half-closed client too (garbage, a module throwing, a truncated stream)', async () => {
      const g = await talk(server.port, garbage(), { halfClose: true });
      expect(g.types).toEqual(['text', 'close']);
      expect(g.texts[0]).toMatch(/^ERROR +protocol error/);
      const boom = await talk(server.port, sessionBytes('boom', images(2)), { halfClose: true });
      expect(boom.types).toEqual(['text', 'close']);
      expect(boom.texts[0]).toMatch(/^ERROR +boom: kaboom from a user module$/);
      const full = sessionBytes('invertcontrast', images(4), false);
      const cut = await talk(server.port, full.subarray(0, full.length - 100), { halfClose: true });
      expect(cut.endsWithClose).toBe(true);
      expect(cut.texts.at(-1)).toMatch(/^ERROR +protocol error: stream ended inside message .*IMAGE/);
    });

    it('answers a config-only connection with CLOSE, and an empty one with nothing', async () => {
      expect((await talk(server.port, encodeMessages([{ type: 'config_file', name: 'null' }]), { halfClose: true })).types).toEqual(['close']);
      expect((await talk(server.port, new Uint8Array(0), { halfClose: true })).bytes).toBe(0);
    });

    it('tells the client in one line what failed, never a stack trace; the trace goes to the log', async () => {
      const before = server.log().length;
      const a = await talk(server.port, sessionBytes('boom', images(1)));
      expect(a.types).toEqual(['text', 'close']);
      const text = a.texts[0]!;
      expect(text).toBe('ERROR    boom: kaboom from a user module');
      for (let t = 0; t < 100 && !server.log().slice(before).includes('at process'); t++) await new Promise((r) => setTimeout(r, 50));
      expect(server.log().slice(before)).toMatch(/Module 'boom' failed: Error: kaboom from a user module\n[^]*at process/);
    });

    it('ends with an ERROR text and CLOSE when the session\'s worker or process dies, keeping the results sent before', async () => {
      const a = await talk(server.port, sessionBytes('die', images(6)));
      expect(a.endsWithClose).toBe(true);
      expect(a.texts.at(-1)).toMatch(mode === '-m' ? /^ERROR +session ended: session process \d+ exited with code 3$/ : /^ERROR +session ended: worker exited with code 3$/);
      expect(imageCount(a)).toBe(3);
      if (mode === '-m') {
        const k = await talk(server.port, sessionBytes('sigkill', images(3)));
        expect(k.endsWithClose).toBe(true);
        expect(k.texts.at(-1)).toMatch(/^ERROR +session ended: session process \d+ killed by SIGKILL$/);
      }
      expect((await talk(server.port, sessionBytes('null'))).types).toEqual(['close']);
    });

    it('falls back to the default config for a config name that is no module, and says so in a WARNING text', async () => {
      const a = await talk(server.port, sessionBytes('filterkspce', images(2)));
      expect(a.endsWithClose).toBe(true);
      expect(a.texts[0]).toBe("WARNING  Could not find config module 'filterkspce' -- falling back to default config: invertcontrast");
      expect(imageCount(a)).toBe(2);
    });
  });
}

describe('mrd-server --idle-timeout and --max-sessions', () => {
  it('closes a silent connection with ERROR and CLOSE, and refuses a session beyond the limit with "server busy"', async () => {
    const server = await startServer(['--idle-timeout', '1', '--max-sessions', '1', '-S', tempDir('mrd-se-limits-')]);
    try {
      const silent = await talk(server.port, new Uint8Array(0), { timeoutMs: 10_000 });
      expect(silent.types).toEqual(['text', 'close']);
      expect(silent.texts[0]).toBe('ERROR    no data received for 1 s (idle timeout); closing the connection');
      expect(silent.ms).toBeGreaterThanOrEqual(900);
      const held = talk(server.port, sessionBytes('null', [], false), { timeoutMs: 10_000 });
      await new Promise((r) => setTimeout(r, 300));
      const busy = await talk(server.port, sessionBytes('null'));
      expect(busy.types).toEqual(['text', 'close']);
      expect(busy.texts[0]).toMatch(/^ERROR +server busy/);
      expect((await held).texts[0]).toMatch(/^ERROR +no data received for 1 s/);
      expect(server.log()).toMatch(/Server busy: 1 sessions are running \(--max-sessions 1\)/);
    } finally {
      await server.stop();
    }
    const bad = await startServer(['--max-sessions', '0']).catch((e: Error) => e);
    expect(String(bad)).toMatch(/mrd-server: error: argument --max-sessions: invalid value '0' \(expected an integer >= 1\)/);
    const badTimeout = await startServer(['--idle-timeout', '-1']).catch((e: Error) => e);
    expect(String(badTimeout)).toMatch(/mrd-server: error: argument --idle-timeout: invalid value '-1' \(expected a number >= 0\)/);
  }, 30_000);
});

describe('mrd-server under 200 concurrent sessions and fuzzed streams', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(['--max-sessions', '200', '-S', tempDir('mrd-se-conc-')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('200 concurrent sessions with slow-reading clients: every answer complete, none truncated', async () => {
    const input = sessionBytes('invertcontrast', images(16, 128));
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => talk(server.port, input, { readDelayMs: 1500 + (i % 10) * 100, halfClose: i % 2 === 0, timeoutMs: 110_000 })));
    const bad = answers.map((a, i) => ({ i, a })).filter(({ a }) => !a.endsWithClose || imageCount(a) !== 16 || a.texts.length > 1);
    expect(bad.map(({ i, a }) => `session ${i}: ${a.types.length} messages, ${a.leftover} stray bytes, ${a.texts.join(' | ')}`)).toEqual([]);
  }, 120_000);

  it('fuzz: every mutated or truncated stream gets an answer ending with CLOSE, and the server keeps serving', async () => {
    const base = sessionBytes('invertcontrast', images(4, 16));
    const rnd = mulberry32(1313);
    const cases: Uint8Array[] = [];
    for (let i = 0; i < 150; i++) {
      const b = new Uint8Array(base.slice(0, i % 3 === 0 ? Math.floor(rnd() * base.length) : base.length));
      const flips = 1 + Math.floor(rnd() * 4);
      for (let k = 0; k < flips && b.length; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      cases.push(b);
    }
    const failures: string[] = [];
    // A few at a time: the server's workers are reused from one session to the next.
    for (let i = 0; i < cases.length; i += 3) {
      const batch = await Promise.all(cases.slice(i, i + 3).map((c) => talk(server.port, c, { halfClose: true, timeoutMs: 30_000 })));
      batch.forEach((a, k) => {
        const n = i + k;
        const empty = cases[n]!.length === 0;
        if (!(a.endsWithClose || (empty && a.bytes === 0))) failures.push(`case ${n}: ${a.types.join(',')} + ${a.leftover} bytes${a.timedOut ? ' (timed out)' : ''}`);
      });
    }
    expect(failures).toEqual([]);
    expect((await talk(server.port, sessionBytes('null'))).types).toEqual(['close']);
  }, 120_000);
});
