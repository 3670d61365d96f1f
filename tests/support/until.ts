/**
 * Polling in end-to-end tests: `until` asks `fn` every `every` ms until it answers something
 * truthy and returns that answer, or fails naming what it waited for once `ms` have passed
 * (tests never wait without a bound).
 */
import { setTimeout as sleep } from 'node:timers/promises';

export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  ms = 15_000,
  every = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}
