/**
 * MrdServer's connection limits, in process (runner 'inline'): connections cost no session
 * before their config is complete; the idle timeout closes connections the server waits for in
 * vain (with an ERROR text and CLOSE) but never a session whose client has sent everything;
 * `maxSessions` answers "server busy" at once and counts it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMessages, MrdStreamDecoder } from '@mrd-tools/core/stream';
import type { MrdMessage } from '@mrd-tools/core/connection';
import { MrdServer, type ServerOptions } from './server.js';

const HEADER = '<?xml version="1.0"?><ismrmrdHeader xmlns="http://www.ismrm.org/ISMRMRD"></ismrmrdHeader>';

let servers: MrdServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close(100, 100)));
  servers = [];
});

async function start(o: Partial<ServerOptions>): Promise<{ server: MrdServer; port: number }> {
  const modules = mkdtempSync(join(tmpdir(), 'mrd-server-limits-'));
  writeFileSync(join(modules, 'sleepy.ts'), `
export async function process(connection: any): Promise<void> {
  for await (const _ of connection) { /* all input */ }
  await new Promise((r) => setTimeout(r, 900));
  await connection.sendText('sleepy done');
}
`);
  const server = new MrdServer({
    host: '127.0.0.1', port: 0, runner: 'inline', defaultConfig: 'null', savedata: false,
    savedataFolder: join(modules, 'saved'), modulesDirs: [modules], lingerMs: 200, ...o,
  });
  servers.push(server);
  return { server, port: await server.listen() };
}

interface Conn {
  sock: Socket;
  received(): MrdMessage[];
  closed: Promise<number>;
}

function open(port: number, bytes?: Uint8Array): Promise<Conn> {
  return new Promise((resolve) => {
    const sock = connect({ host: '127.0.0.1', port });
    const decoder = new MrdStreamDecoder();
    const got: MrdMessage[] = [];
    const t0 = Date.now();
    const closed = new Promise<number>((r) => sock.on('close', () => r(Date.now() - t0)));
    sock.on('data', (c) => decoder.push(c, got));
    sock.on('error', () => undefined);
    sock.on('connect', () => {
      if (bytes) sock.write(bytes);
      resolve({ sock, received: () => got, closed });
    });
  });
}

const config = (name: string) => encodeMessages([{ type: 'config_file', name }]);
const texts = (c: Conn) => c.received().filter((m) => m.type === 'text').map((m) => (m as { text: string }).text);

describe('MrdServer connection limits', () => {
  it('starts no session for connections that have not sent a complete config', async () => {
    const { server, port } = await start({ idleTimeoutMs: 0 });
    const partial = config('null').subarray(0, 500);
    const conns = await Promise.all(Array.from({ length: 20 }, (_, i) => open(port, i % 2 ? partial : undefined)));
    await new Promise((r) => setTimeout(r, 200));
    expect(server.openConnections).toBe(20);
    expect(server.activeSessions).toBe(0);
    // Completing the config starts the session.
    conns[1]!.sock.write(config('null').subarray(500));
    for (let t = 0; t < 100 && server.activeSessions === 0; t++) await new Promise((r) => setTimeout(r, 10));
    expect(server.activeSessions).toBe(1);
    for (const c of conns) c.sock.destroy();
  });

  it('closes idle connections with an ERROR text and CLOSE: before the config, inside a message, inside a session', async () => {
    const { port } = await start({ idleTimeoutMs: 400 });
    const silent = await open(port);
    const midMessage = await open(port, config('null').subarray(0, 100));
    const inSession = await open(port, encodeMessages([{ type: 'config_file', name: 'null' }, { type: 'header', xml: HEADER }]));
    for (const c of [silent, midMessage, inSession]) {
      const ms = await c.closed;
      expect(ms).toBeGreaterThanOrEqual(350);
      expect(ms).toBeLessThan(5000);
      expect(c.received().map((m) => m.type)).toEqual(['text', 'close']);
      expect(texts(c)[0]).toBe('ERROR    no data received for 0.4 s (idle timeout); closing the connection');
    }
  });

  it('never times out a session whose client has sent everything, however long the module works', async () => {
    const { port } = await start({ idleTimeoutMs: 300 });
    const c = await open(port, encodeMessages([{ type: 'config_file', name: 'sleepy' }, { type: 'header', xml: HEADER }, { type: 'close' }]));
    await c.closed;
    expect(texts(c)).toEqual(['sleepy done']);
    expect(c.received().at(-1)).toEqual({ type: 'close' });
  });

  it('answers "server busy" and CLOSE at once beyond maxSessions, and counts it', async () => {
    const { server, port } = await start({ idleTimeoutMs: 0, maxSessions: 2 });
    const running = await Promise.all([0, 1].map(() => open(port, encodeMessages([{ type: 'config_file', name: 'null' }, { type: 'header', xml: HEADER }]))));
    for (let t = 0; t < 100 && server.activeSessions < 2; t++) await new Promise((r) => setTimeout(r, 10));
    expect(server.activeSessions).toBe(2);
    const third = await open(port);
    const ms = await third.closed;
    expect(ms).toBeLessThan(3000);
    expect(third.received().map((m) => m.type)).toEqual(['text', 'close']);
    expect(texts(third)[0]).toMatch(/^ERROR +server busy: 2 sessions are running \(--max-sessions 2\); try again later$/);
    expect(server.busyRejections).toBe(1);
    // A session that ends frees its place.
    running[0]!.sock.end(encodeMessages([{ type: 'close' }]));
    await running[0]!.closed;
    for (let t = 0; t < 100 && server.activeSessions > 1; t++) await new Promise((r) => setTimeout(r, 10));
    const next = await open(port, encodeMessages([{ type: 'config_file', name: 'null' }, { type: 'header', xml: HEADER }, { type: 'close' }]));
    await next.closed;
    expect(next.received()).toEqual([{ type: 'close' }]);
    expect(server.busyRejections).toBe(1);
    running[1]!.sock.destroy();
  });
});
