/**
 * The client's connection: `localhost` (the default address) reaches the loopback without a
 * resolver lookup (it cost 15-30 ms of every session's start-up) and without Node's host-name
 * pattern (net.isIPv6, 2-11 ms).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import dns from 'node:dns';
import net, { createServer, type Server } from 'node:net';
import { connectAddresses, connectWithRetries, isLocalhostName } from './connect.js';

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

  it('gives net.connect the loopback as numbers for localhost', async () => {
    const port = await listen();
    const hosts: unknown[] = [];
    const real = net.Socket.prototype.connect;
    vi.spyOn(net.Socket.prototype, 'connect').mockImplementation(function (this: net.Socket, ...args: unknown[]) {
      // net.connect passes its normalized arguments ([options, callback]) on
      const options = (Array.isArray(args[0]) ? args[0][0] : args[0]) as { host?: string };
      hosts.push(options.host);
      return (real as (...a: unknown[]) => net.Socket).apply(this, args);
    });
    const s = await connectWithRetries('localhost', port, 1, 0);
    s.destroy();
    expect(hosts).toEqual(['127.0.0.1']);
  });

  it('tries ::1 when 127.0.0.1 refuses, and names both addresses when neither answers', async () => {
    const probe = createServer();
    const port = await new Promise<number>((r) => probe.listen(0, '127.0.0.1', () => r((probe.address() as { port: number }).port)));
    await new Promise<void>((r) => probe.close(() => r()));
    const err = await connectWithRetries('localhost', port, 1, 0).then(() => null, (e: Error) => e);
    expect(err?.message).toMatch(new RegExp(`localhost:${port} after 1 attempts: .*127\\.0\\.0\\.1:${port}.*; .*::1`));
  });

  it('still resolves other names', async () => {
    const port = await listen();
    const lookup = vi.spyOn(dns, 'lookup');
    // a name that is not "localhost" goes through the resolver (it may or may not resolve here)
    await connectWithRetries('localhost.localdomain', port, 1, 0).then((s) => s.destroy(), () => undefined);
    expect(lookup).toHaveBeenCalled();
  });
});

describe('connectAddresses', () => {
  it('answers the loopback for localhost, IPv4 first, and other hosts as given', () => {
    expect(connectAddresses('localhost')).toEqual(['127.0.0.1', '::1']);
    expect(connectAddresses('LOCALHOST.')).toEqual(['127.0.0.1', '::1']);
    expect(connectAddresses('localhost.localdomain')).toEqual(['localhost.localdomain']);
    expect(connectAddresses('127.0.0.1')).toEqual(['127.0.0.1']);
  });
  it('knows localhost by name only', () => {
    expect(isLocalhostName('localhost')).toBe(true);
    expect(isLocalhostName('LOCALHOST.')).toBe(true);
    expect(isLocalhostName('localhost.localdomain')).toBe(false);
    expect(isLocalhostName('127.0.0.1')).toBe(false);
    expect(isLocalhostName('mylocalhost')).toBe(false);
  });
});
