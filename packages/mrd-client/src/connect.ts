/**
 * Opening the client's TCP connection as the reference: up to 5 attempts, one second apart,
 * each failure logged as a warning, then a clear error. `localhost` (the default address) is
 * not looked up: it is the loopback (RFC 6761), tried as 127.0.0.1 then ::1, which spares a
 * resolver round trip (15-30 ms of a session's start-up). The addresses are given to
 * net.connect as numbers: a host name, even with a `lookup` of our own, goes through Node's
 * IPv6 address pattern first (isIP), 2-11 ms of a session's start-up.
 */
import { connect, type Socket } from 'node:net';
import { logger } from '@mrd-tools/core/logging';

/** The loopback addresses `localhost` stands for, IPv4 first (the server's default is 127.0.0.1). */
const LOOPBACK = ['127.0.0.1', '::1'] as const;

/** Whether `host` names the loopback by name (`localhost`, any case, with or without the root dot). */
export function isLocalhostName(host: string): boolean {
  return /^localhost\.?$/i.test(host);
}

/** The addresses to try for `host`, in order: the loopback's for `localhost`, else `host` itself (resolved by net.connect). */
export function connectAddresses(host: string): readonly string[] {
  return isLocalhostName(host) ? LOOPBACK : [host];
}

export class ConnectError extends Error {}

function connectOnce(host: string, port: number): Promise<Socket> {
  return new Promise<Socket>((resolve, reject) => {
    const s = connect({ host, port, noDelay: true });
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
    s.once('error', reject);
  });
}

/** One attempt: each address of `host` in turn; the error names every address that failed. */
async function connectAny(host: string, port: number): Promise<Socket> {
  const errors: Error[] = [];
  for (const address of connectAddresses(host)) {
    try {
      return await connectOnce(address, port);
    } catch (err) {
      errors.push(err as Error);
    }
  }
  if (errors.length === 1) throw errors[0]!;
  throw new Error(errors.map((e) => e.message).join('; '));
}

export async function connectWithRetries(host: string, port: number, attempts = 5, delayMs = 1000): Promise<Socket> {
  let lastError: Error | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await connectAny(host, port);
    } catch (err) {
      lastError = err as Error;
      logger.warning(`Failed to connect (${attempt}/${attempts}): ${lastError.message}`);
      if (attempt < attempts) await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw new ConnectError(`cannot connect to MRD server at ${host}:${port} after ${attempts} attempts: ${lastError?.message ?? 'unknown error'}`);
}
