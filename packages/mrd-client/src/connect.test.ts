/**
 * The client's connection: `localhost` (the default address) reaches the loopback without a
 * resolver lookup (it cost 15-30 ms of every session's start-up).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import dns from 'node:dns';
import { createServer, type Server } from 'node:net';
import { connectWithRetries, isLocalhostName, loopbackLookup } from './connect.js';

let server: Server | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = null;
});

function listen(): Promise<number> {
  return new Promise((resolve) => {
    server = createServer((s) => s.end()).listen(0, '127.0.0.1', () => {
      const a = server!.address();
      resolve(typeof a === 'object' && a ? a.port : 0);
    });
  });
}

describe('connectWithRetries', () => {
  it('connects to localhost without asking the resolver', async () => {
    const port = await listen();
    const lookup = vi.spyOn(dns, 'lookup');
    for (const host of ['localhost', 'LocalHost', 'localhost.']) {
      const s = await connectWithRetries(host, port, 1, 0);
      expect(s.remoteAddress).toBe('127.0.0.1');
      s.destroy();
    }
    expect(lookup).not.toHaveBeenCalled();
  });

  it('still resolves other names', async () => {
    const port = await listen();
    const lookup = vi.spyOn(dns, 'lookup');
    // a name that is not "localhost" goes through the resolver (it may or may not resolve here)
    await connectWithRetries('localhost.localdomain', port, 1, 0).then((s) => s.destroy(), () => undefined);
    expect(lookup).toHaveBeenCalled();
  });
});

describe('loopbackLookup', () => {
  const ask = (options: { all?: boolean; family?: number }) => new Promise<unknown>((resolve, reject) => {
    loopbackLookup('localhost', options as never, ((err: Error | null, address: unknown, family?: number) => (err ? reject(err) : resolve(options.all ? address : { address, family }))) as never);
  });
  it('answers IPv4 first, both families when all are asked for, one family when told', async () => {
    expect(await ask({})).toEqual({ address: '127.0.0.1', family: 4 });
    expect(await ask({ all: true })).toEqual([{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    expect(await ask({ all: true, family: 6 })).toEqual([{ address: '::1', family: 6 }]);
    expect(await ask({ family: 6 })).toEqual({ address: '::1', family: 6 });
  });
  it('knows localhost by name only', () => {
    expect(isLocalhostName('localhost')).toBe(true);
    expect(isLocalhostName('LOCALHOST.')).toBe(true);
    expect(isLocalhostName('localhost.localdomain')).toBe(false);
    expect(isLocalhostName('127.0.0.1')).toBe(false);
    expect(isLocalhostName('mylocalhost')).toBe(false);
  });
});
