/**
 * A numerics pool whose threads a test can hold busy (standing for a core taken by other work)
 * and ask for their nice value: the numerics' worker script wrapped with two test tasks, written
 * to a temporary folder. Needs the built recon-worker.js (as every pool test).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ReconPool, workerScript } from '../pool/pool.js';

/** The wrapper's script: `test-hold` waits until flag[0] is set (flag[1] counts holds started); `test-priority` writes os.getPriority() to out[0]. */
function wrapperSource(): string {
  return `import os from 'node:os';
import run from ${JSON.stringify(pathToFileURL(workerScript()).href)};
export default async function (task) {
  if (task.kind === 'test-hold') {
    Atomics.add(task.flag, 1, 1);
    while (Atomics.load(task.flag, 0) === 0) Atomics.wait(task.flag, 0, 0, 1000);
    return;
  }
  if (task.kind === 'test-priority') { task.out[0] = os.getPriority(); return; }
  return run(task);
}
`;
}

export interface HeldPool {
  /** the pool made by `make` (its script is the wrapper) */
  pool: ReconPool;
  /** occupies every thread of the pool until release(); resolves once all are held */
  hold(): Promise<void>;
  /** lets the held threads go; resolves when their hold tasks ended */
  release(): Promise<void>;
  /** the nice value of a pool thread */
  priority(): Promise<number>;
  /** ends the pool and removes the script */
  close(): Promise<void>;
}

/** `make(script)` builds the pool (e.g. `(s) => new ReconPool(1, s)`) on the wrapper script. */
export function heldPool(make: (script: () => string) => ReconPool): HeldPool {
  const dir = mkdtempSync(join(tmpdir(), 'mrd-held-pool-'));
  const file = join(dir, 'held-worker.mjs');
  writeFileSync(file, wrapperSource());
  const pool = make(() => file);
  const flag = new Int32Array(new SharedArrayBuffer(8));
  let holding: Promise<void> | undefined;
  return {
    pool,
    async hold() {
      Atomics.store(flag, 0, 0);
      Atomics.store(flag, 1, 0);
      const task = { kind: 'test-hold', flag };
      holding = pool.runAll(Array.from({ length: pool.threads }, () => task));
      for (let i = 0; i < 20000 && Atomics.load(flag, 1) < pool.threads; i++) await new Promise((r) => setTimeout(r, 1));
      if (Atomics.load(flag, 1) < pool.threads) throw new Error('held pool: the threads did not take the hold');
    },
    async release() {
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await holding;
    },
    async priority() {
      const out = new Int32Array(new SharedArrayBuffer(4));
      const task = { kind: 'test-priority', out };
      await pool.runAll([task]);
      return out[0];
    },
    async close() {
      holding?.catch(() => undefined); // a hold still running fails with the pool
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
