/**
 * The numerics' worker pool (piscina): `threads` worker threads, each with its own FFT engine,
 * running tasks on shared memory (the NUFFT's in ./tasks.ts, the SENSE operator's in
 * ../mri/sense/parallel-sense.ts; the worker script, ../mri/pool-worker, runs them all). `reconPool(threads)` gives the process's
 * pool for that many threads, or null for 1: the single-thread path, no pool at all.
 *
 * The worker script is `recon-worker.js`: beside the bundled tool (dist/cli.js and
 * dist/recon-worker.js, scripts/build.mjs), or, when running from the sources, the one built
 * into packages/recon-kernels/dist by the same script (`pnpm install` runs it).
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import type { PoolTaskBase } from './tasks.js';

/** The default thread count: the cores this process may use. */
export function defaultThreads(): number {
  return Math.max(1, availableParallelism());
}

/** Largest thread count accepted (a typo such as 1000 is an error, not 1000 threads). */
export const MAX_THREADS = 256;

/**
 * `threads` checked: a whole number 1..MAX_THREADS; undefined gives the default. Throws an error
 * naming `what` (the option or key) otherwise.
 */
export function checkThreads(threads: unknown, what = 'threads'): number {
  if (threads === undefined) return defaultThreads();
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new Error(`${what} must be a whole number from 1 to ${MAX_THREADS}, got ${JSON.stringify(threads)}`);
  }
  return threads;
}

/** Where the worker script is: the first of the candidates that exists. */
export function workerScript(): string {
  const candidates = [
    new URL('./recon-worker.js', import.meta.url), // bundled: dist/cli.js -> dist/recon-worker.js
    new URL('../../dist/recon-worker.js', import.meta.url), // sources: src/pool/pool.ts -> dist/
  ];
  for (const c of candidates) {
    if (c.protocol === 'file:' && existsSync(fileURLToPath(c))) return fileURLToPath(c);
  }
  throw new Error(`numerics worker script recon-worker.js not found (looked for ${candidates.map((c) => c.pathname).join(', ')}); run node scripts/build.mjs`);
}

export class ReconPool {
  /** made at the first task: a module that may use the pool costs no threads until it does */
  private piscina: Piscina | null = null;

  constructor(readonly threads: number) {}

  /** Runs the tasks on the pool; resolves when all are done (rejects with the first failure). */
  async runAll(tasks: readonly PoolTaskBase[]): Promise<void> {
    // idle workers are unref'd by piscina: a pool never keeps its process alive
    this.piscina ??= new Piscina({ filename: workerScript(), minThreads: this.threads, maxThreads: this.threads });
    const p = this.piscina;
    await Promise.all(tasks.map((t) => p.run(t)));
  }

  /** Ends the threads (pending tasks fail). */
  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = null;
    if (p !== null) await p.destroy();
  }
}

const pools = new Map<number, ReconPool>();

/**
 * The process's pool for `threads` threads (made on first use, kept), or null when threads is 1
 * (or less): the caller then runs its single-thread code.
 */
export function reconPool(threads: number): ReconPool | null {
  if (!(threads > 1)) return null;
  let p = pools.get(threads);
  if (p === undefined) {
    p = new ReconPool(threads);
    pools.set(threads, p);
  }
  return p;
}

/** Ends every pool of this process (tools call it before exiting; tests after their work). */
export async function closeReconPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close()));
}
