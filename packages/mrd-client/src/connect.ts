/**
 * Opening the client's TCP connection as the reference: up to 5 attempts, one second apart,
 * each failure logged as a warning, then a clear error. `localhost` (the default address) is
 * not looked up: it is the loopback (RFC 6761), tried as 127.0.0.1 then ::1, which spares a
 * resolver round trip (15-30 ms of a session's start-up; numeric addresses never had one).
 */
import { connect, type LookupFunction, type Socket } from 'node:net';
import { logger } from '@mrd-tools/core/logging';

/** The loopback addresses `localhost` stands for, IPv4 first (the server's default is 127.0.0.1). */
const LOOPBACK = [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }] as const;

/** Whether `host` names the loopback by name (`localhost`, any case, with or without the root dot). */
export function isLocalhostName(host: string): boolean {
  return /^localhost\.?$/i.test(host);
}

/** A `lookup` for net.connect that answers `localhost` without the resolver. */
export const loopbackLookup: LookupFunction = (_hostname, options, callback) => {
  const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : options.family;
  const addrs = LOOPBACK.filter((a) => !family || a.family === family).map((a) => ({ ...a }));
  // (net.connect asks for all addresses when it may try several: autoSelectFamily)
  const cb = callback as unknown as (err: Error | null, address: string | { address: string; family: number }[], family?: number) => void;
  process.nextTick(() => (options.all ? cb(null, addrs) : cb(null, addrs[0]!.address, addrs[0]!.family)));
};

export class ConnectError extends Error {}

export async function connectWithRetries(host: string, port: number, attempts = 5, delayMs = 1000): Promise<Socket> {
  let lastError: Error | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port, noDelay: true, ...(isLocalhostName(host) ? { lookup: loopbackLookup } : {}) });
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
    } catch (err) {
      lastError = err as Error;
      logger.warning(`Failed to connect (${attempt}/${attempts}): ${lastError.message}`);
      if (attempt < attempts) await new Promise((r) => setTimeout(r, delayMs));
    }
  }
  throw new ConnectError(`cannot connect to MRD server at ${host}:${port} after ${attempts} attempts: ${lastError?.message ?? 'unknown error'}`);
}
