/**
 * Reliability of mrd-server: in every hostile or broken case the server answers or closes the
 * connection cleanly, and keeps serving other sessions (checked after each case with a normal
 * session, and with sessions running at the same time).
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeStream, encodeMessages } from '@mrd-tools/core/stream';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { reference } from '@mrd-tools/core/testing';
import { compareMessageSequences, exchange, startServer, tempDir, type RunningServer } from './server-harness.js';

const HEADER = '<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"><experimentalConditions><H1resonanceFrequency_Hz>63500000</H1resonanceFrequency_Hz></experimentalConditions><encoding><encodedSpace><matrixSize><x>4</x><y>4</y><z>1</z></matrixSize><fieldOfView_mm><x>100</x><y>100</y><z>5</z></fieldOfView_mm></encodedSpace><reconSpace><matrixSize><x>4</x><y>4</y><z>1</z></matrixSize><fieldOfView_mm><x>100</x><y>100</y><z>5</z></fieldOfView_mm></reconSpace><trajectory>cartesian</trajectory></encoding></ismrmrdHeader>';

function session(config: string, extra: MrdMessage[] = [], close = true): Uint8Array {
  const msgs: MrdMessage[] = [{ type: 'config_file', name: config }, { type: 'header', xml: HEADER }, ...extra];
  if (close) msgs.push({ type: 'close' });
  return encodeMessages(msgs);
}

/** A normal session (config null: the server drains and answers CLOSE). */
async function expectHealthy(server: RunningServer): Promise<void> {
  const answer = decodeStream(await exchange(server.port, session('null')));
  expect(answer.map((m) => m.type)).toEqual(['close']);
}

const USER_MODULES = {
  'boom.ts': `
import { logger } from '@mrd-tools/core';
export async function process(connection: any): Promise<void> {
  for await (const msg of connection) {
    logger.info('boom module got ' + msg.type);
    if (msg.type === 'text' || msg.type === 'acquisition') throw new Error('kaboom from a user module');
  }
}
`,
  'echo.ts': `
import type { MrdConnection } from '@mrd-tools/core';
export async function process(connection: MrdConnection, config: unknown): Promise<void> {
  await connection.sendText('echo config ' + JSON.stringify(config));
  for await (const msg of connection) if (msg.type === 'text') await connection.sendText('echo ' + msg.text);
}
`,
  'slow.ts': `
import { existsSync } from 'node:fs';
export async function process(connection: any, config: unknown): Promise<void> {
  // A CPU-bound module: spins (never yielding) until the file named by its additional config (the
  // text after the header) exists, at most 60 s. It must not stall the other sessions: the test
  // creates the file only after another session has completed.
  const release = String(config);
  const end = Date.now() + 60_000;
  while (!existsSync(release) && Date.now() < end) { /* spin */ }
  for await (const _ of connection) { /* drain */ }
  await connection.sendText(existsSync(release) ? 'slow released' : 'slow timed out');
}
`,
};

describe('mrd-server reliability', () => {
  let server: RunningServer;
  let root: string;
  let modules: string;
  beforeAll(async () => {
    root = tempDir('mrd-server-rel-');
    modules = join(root, 'a', 'b', 'modules');
    mkdirSync(modules, { recursive: true });
    for (const [name, text] of Object.entries(USER_MODULES)) writeFileSync(join(modules, name), text);
    // A module OUTSIDE the modules folder that a path-like config name would reach.
    writeFileSync(join(root, 'a', 'x.ts'), `export async function process(c: any) { await c.sendText('PWNED'); }`);
    writeFileSync(join(root, 'x.ts'), `export async function process(c: any) { await c.sendText('PWNED'); }`);
    server = await startServer(['-d', 'null', '--modules-dir', modules, '-S', join(root, 'saved')]);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs a TypeScript user module with the server core instance', async () => {
    const answer = decodeStream(await exchange(server.port, session('echo', [{ type: 'text', text: 'hello' }, { type: 'text', text: 'again' }])));
    expect(answer).toEqual([
      { type: 'text', text: 'echo config "hello"' },
      { type: 'text', text: 'echo again' },
      { type: 'close' },
    ]);
  });

  it('turns a module exception into an ERROR text then CLOSE, and keeps serving', async () => {
    const answer = decodeStream(await exchange(server.port, session('boom', [{ type: 'text', text: '{"x": 1}' }, { type: 'text', text: 'go' }])));
    expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
    const text = (answer[0] as { text: string }).text;
    expect(text.startsWith('ERROR    ')).toBe(true);
    expect(text).toContain('kaboom from a user module');
    await expectHealthy(server);
  });

  for (const name of ['../../x', '../x', '/tmp/x', 'x.ts', '..\\\\x', 'a b']) {
    it(`never treats config name ${JSON.stringify(name)} as a path (falls back to the default)`, async () => {
      const before = server.log().length;
      const answer = decodeStream(await exchange(server.port, session(name)));
      expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
      expect((answer[0] as { text: string }).text).toMatch(/^WARNING +Could not find config module .* falling back to default config: null$/);
      expect(JSON.stringify(answer)).not.toContain('PWNED');
      const fallback = /Could not find config module .* falling back to default config: null/;
      expect(await server.logMatching(fallback, before)).toMatch(fallback);
    });
  }

  it('refuses a path-like customconfig in the JSON additional config too', async () => {
    const json = JSON.stringify({ parameters: { config: 'echo', customconfig: '../../x' } });
    const answer = decodeStream(await exchange(server.port, session('null', [{ type: 'text', text: json }])));
    expect(JSON.stringify(answer)).not.toContain('PWNED');
    expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
    expect((answer[0] as { text: string }).text).toMatch(/^WARNING +Could not find config module '\.\.\/\.\.\/x' -- falling back to default config: null$/);
  });

  it('answers garbage bytes with an ERROR and closes', async () => {
    const garbage = new Uint8Array(4096);
    for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 7919 + 13) & 0xff;
    garbage[0] = 0xff;
    garbage[1] = 0xee;
    const answer = decodeStream(await exchange(server.port, garbage));
    expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
    expect((answer[0] as { text: string }).text).toMatch(/^ERROR +protocol error/);
    await expectHealthy(server);
  });

  it('answers a hostile length field without allocating it', async () => {
    const head = session('null', [], false);
    const hostile = new Uint8Array(head.length + 6 + 16);
    hostile.set(head);
    const dv = new DataView(hostile.buffer);
    dv.setUint16(head.length, 5, true); // TEXT
    dv.setUint32(head.length + 2, 0xfffffff0, true); // 4 GB
    const answer = decodeStream(await exchange(server.port, hostile));
    expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
    expect((answer[0] as { text: string }).text).toMatch(/protocol error/);
    await expectHealthy(server);
  });

  it('answers an unknown message id with an ERROR and closes', async () => {
    const head = session('null', [], false);
    const bytes = new Uint8Array(head.length + 8);
    bytes.set(head);
    new DataView(bytes.buffer).setUint16(head.length, 999, true);
    const answer = decodeStream(await exchange(server.port, bytes));
    expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
    expect((answer[0] as { text: string }).text).toMatch(/protocol error.*999/);
    await expectHealthy(server);
  });

  it('ends cleanly a connection closed before any data (no answer), or before the header (CLOSE)', async () => {
    const before = server.log().length;
    expect((await exchange(server.port, new Uint8Array(0), { endAfterWrite: true })).length).toBe(0);
    expect(decodeStream(await exchange(server.port, encodeMessages([{ type: 'config_file', name: 'null' }]), { endAfterWrite: true }))).toEqual([{ type: 'close' }]);
    const want = ['Connection closed without any data received', 'Connection closed without an MRD header received'];
    for (let t = 0; t < 100 && !want.every((w) => server.log().slice(before).includes(w)); t++) await new Promise((r) => setTimeout(r, 50));
    const log = server.log().slice(before);
    for (const w of want) expect(log).toContain(w);
    await expectHealthy(server);
  });

  it('keeps the other sessions\' I/O going while a CPU-heavy module runs', async () => {
    // No timing: the slow module spins until this file exists, and the file is written only once
    // another session has completed -- with a stalled server the slow session times out instead.
    const release = join(root, 'release-slow');
    const slow = exchange(server.port, session('slow', [{ type: 'text', text: release }]), { timeoutMs: 90_000 });
    await new Promise((r) => setTimeout(r, 200));
    await expectHealthy(server);
    writeFileSync(release, '');
    const answer = decodeStream(await slow);
    expect(answer.map((m) => m.type)).toEqual(['text', 'close']);
    expect(answer[0]).toMatchObject({ type: 'text', text: 'slow released' });
  });
});

describe('mrd-server under concurrent and broken clients', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(['--max-sessions', '32', '-S', tempDir('mrd-server-conc-')]);
  });
  afterAll(async () => {
    await server?.stop();
  });
  const input = () => readFileSync(reference('streams/invertcontrast_m64.client-to-server.bin'));
  const expected = () => decodeStream(readFileSync(reference('streams/invertcontrast_m64.server-to-client.bin')));

  it('serves 16 clients at once, every result correct', async () => {
    const answers = await Promise.all(Array.from({ length: 16 }, () => exchange(server.port, input(), { timeoutMs: 90_000 })));
    for (const a of answers) expect(compareMessageSequences(decodeStream(a), expected())).toEqual([]);
  }, 120_000);

  it('survives a client killed mid-stream and serves the next one', async () => {
    const bytes = input();
    await new Promise<void>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: server.port }, () => {
        s.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
          s.destroy();
          resolve();
        });
      });
      s.on('error', () => resolve());
    });
    const answer = await exchange(server.port, input());
    expect(compareMessageSequences(decodeStream(answer), expected())).toEqual([]);
    expect(server.proc.exitCode).toBeNull();
  });
});

describe('mrd-server -m (a process per session) gives the reference results', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startServer(['-m', '-S', tempDir('mrd-server-m-')]);
  });
  afterAll(async () => {
    await server?.stop();
  });
  it('serves 4 clients at once, every result correct', async () => {
    const input = readFileSync(reference('streams/invertcontrast_m64.client-to-server.bin'));
    const expected = decodeStream(readFileSync(reference('streams/invertcontrast_m64.server-to-client.bin')));
    const answers = await Promise.all(Array.from({ length: 4 }, () => exchange(server.port, input, { timeoutMs: 90_000 })));
    for (const a of answers) expect(compareMessageSequences(decodeStream(a), expected)).toEqual([]);
  }, 120_000);
});
