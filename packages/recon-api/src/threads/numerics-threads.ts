/**
 * How many threads a module's numerics may use: the server's --threads, which reaches every
 * session (worker thread or -m process, both inherit the environment) as MRD_TOOLS_THREADS, as
 * --config-dir reaches the recons through MRD_TOOLS_CONFIG_PATH. Not set: the cores this process
 * may use. 1 means the single-thread path (no worker pool).
 */
import { availableParallelism } from 'node:os';

/** The environment variable the server (and any tool) sets from its --threads. */
export const THREADS_ENV = 'MRD_TOOLS_THREADS';

/** Largest thread count accepted (the numerics' pool takes at most this many). */
export const MAX_NUMERICS_THREADS = 256;

/** The module's thread count (see the file header); a malformed variable is an error naming it. */
export function numericsThreads(env: NodeJS.ProcessEnv = process.env): number {
  const v = env[THREADS_ENV];
  if (v === undefined || v === '') return Math.max(1, availableParallelism());
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > MAX_NUMERICS_THREADS) throw new Error(`${THREADS_ENV} must be a whole number from 1 to ${MAX_NUMERICS_THREADS}, got ${JSON.stringify(v)}`);
  return n;
}

/** Sets the thread count for the numerics of this process and of the sessions and workers it starts. */
export function setNumericsThreads(threads: number, env: NodeJS.ProcessEnv = process.env): void {
  env[THREADS_ENV] = String(threads);
}
