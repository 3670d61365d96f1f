/**
 * Opening the client's TCP connection as the reference: up to 5 attempts, one second apart,
 * each failure logged as a warning, then a clear error.
 */
import { connect, type Socket } from 'node:net';
import { logger } from '@mrd-tools/core/logging';

export class ConnectError extends Error {}

export async function connectWithRetries(host: string, port: number, attempts = 5, delayMs = 1000): Promise<Socket> {
  let lastError: Error | null = null;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      return await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port, noDelay: true });
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
