/**
 * The phantom generator's worker pool: the numerics' pool (@mrd-tools/recon-kernels/pool) running
 * this package's worker script, `phantom-worker.js` -- beside the bundled tool (dist/cli.js), or,
 * from the sources, in packages/phantom-gen/dist (scripts/build.mjs builds both).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PoolRegistry, type ReconPool } from '@mrd-tools/recon-kernels/pool';

function phantomWorkerScript(): string {
  const candidates = [
    new URL('./phantom-worker.js', import.meta.url), // bundled: dist/cli.js -> dist/phantom-worker.js
    new URL('../../dist/phantom-worker.js', import.meta.url), // sources: src/readouts/pool.ts -> dist/
  ];
  for (const c of candidates) {
    if (c.protocol === 'file:' && existsSync(fileURLToPath(c))) return fileURLToPath(c);
  }
  throw new Error(`phantom worker script phantom-worker.js not found (looked for ${candidates.map((c) => c.pathname).join(', ')}); run node scripts/build.mjs`);
}

const phantomPools = new PoolRegistry(phantomWorkerScript);

/** The process's phantom pool for `threads` threads, or null for 1 (the single-thread path). */
export function phantomPool(threads: number): ReconPool | null {
  return phantomPools.get(threads);
}

/** Ends the phantom pools' threads. */
export async function closePhantomPools(): Promise<void> {
  await phantomPools.closeAll();
}
