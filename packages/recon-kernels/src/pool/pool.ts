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

/**
 * The threads' Node options: the parent's, and where Node loads ES modules with require()
 * (require(esm), Node 20.19+) `--no-experimental-require-module`. piscina loads the worker file
 * with require() first; through require(esm) a thread ended while the module loads can abort the
 * whole process (a failed check in Node's CreateRequiredModuleFacade: the test suite died so).
 * Without it require() refuses the ES module and piscina imports it, as on older Node.
 */
export function workerExecArgv(): string[] | undefined {
  if ((process.features as { require_module?: boolean }).require_module !== true) return undefined;
  return [...process.execArgv, '--no-experimental-require-module'];
}

/** How a pool's threads run. */
export interface ReconPoolOptions {
  /**
   * Nice increment of the pool's threads (0: as the caller; more: a lower priority, for
   * background work that should not take a core from a frame path). Applied per thread by
   * piscina (its optional @napi-rs/nice), and only where a thread's nice value is its own
   * (see backgroundNiceIncrement).
   */
  niceIncrement?: number;
  /**
   * true: a task goes to its thread at once, even when that thread's answers to earlier tasks
   * have not been read yet. piscina counts a task as running until its answer is read on the
   * caller's event loop, and by default holds a new task in its queue while the thread has one
   * (posting it only at that read). A caller that hands out claimed work and keeps working
   * synchronously (a real-time frame path: runClaimedWork returns when the items are done, not
   * when the pool's answer is read; arms that arrive late are taken without an event-loop turn)
   * would otherwise see its next step's task queued until its own thread had taken every item.
   * The worker still runs its tasks one after another (each one's work is synchronous).
   */
  immediateHandOut?: boolean;
}

/** piscina's tasks per thread for ReconPoolOptions.immediateHandOut: no limit in practice. */
const IMMEDIATE_TASKS_PER_THREAD = 2 ** 20;

/**
 * The nice increment of a background worker thread, without touching the rest of the process:
 * 10 on Linux (the nice value is per thread) and Windows (thread priority), 0 elsewhere (on
 * macOS nice() would lower the whole process). 10, not 19: against a thread at the caller's
 * priority on one core it gets ~10 % (CFS weights 110 vs 1024) and is preempted as soon as
 * that thread wakes, yet under a full machine it is not starved (19: ~1.5 % per busy process).
 */
export function backgroundNiceIncrement(platform: string = process.platform): number {
  return platform === 'linux' || platform === 'win32' ? 10 : 0;
}

export class ReconPool {
  /** made at the first task: a module that may use the pool costs no threads until it does */
  private piscina: Piscina | null = null;

  /** `script` finds the worker script (default: the numerics' recon-worker.js; a tool may run its own). */
  constructor(readonly threads: number, private readonly script: () => string = workerScript, private readonly options: ReconPoolOptions = {}) {}

  /** Starts the threads now (else at the first task), so that their start-up overlaps other work. */
  start(): Piscina {
    if (this.piscina === null) {
      // idle workers are unref'd by piscina: a pool never keeps its process alive
      const options = {
        filename: this.script(), minThreads: this.threads, maxThreads: this.threads, niceIncrement: this.options.niceIncrement ?? 0,
        concurrentTasksPerWorker: this.options.immediateHandOut === true ? IMMEDIATE_TASKS_PER_THREAD : 1,
      };
      let p: Piscina;
      try {
        p = new Piscina({ ...options, execArgv: workerExecArgv() });
      } catch (e) {
        // a parent option Node does not allow in a thread (a V8 flag): the threads inherit as before
        if ((e as NodeJS.ErrnoException).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw e;
        p = new Piscina(options);
      }
      // a task still running when the pool is closed answers after piscina dropped it ("Unexpected
      // message from Worker", emitted as an error): its result is not wanted, so that one is
      // ignored once closing; any other error stays uncaught, as without a listener
      p.on('error', (e: unknown) => {
        if (!(this.closing.has(p) && e instanceof Error && e.message.startsWith('Unexpected message from Worker'))) throw e;
      });
      this.piscina = p;
    }
    return this.piscina;
  }

  /** Tasks posted but held in the pool's queue (not yet handed to a thread). */
  get queued(): number {
    return this.piscina?.queueSize ?? 0;
  }

  /** pools being closed (a step's late pool task may still be running: see start) */
  private readonly closing = new WeakSet<Piscina>();

  /** Runs the tasks on the pool; resolves when all are done (rejects with the first failure). */
  async runAll(tasks: readonly PoolTaskBase[]): Promise<void> {
    await this.runEach(tasks);
  }

  /** Runs the tasks on the pool; resolves with their results in task order (rejects with the first failure). */
  async runEach<T>(tasks: readonly PoolTaskBase[]): Promise<T[]> {
    const p = this.start();
    return Promise.all(tasks.map((t) => p.run(t) as Promise<T>));
  }

  /** Ends the threads (pending tasks fail; a running one is dropped). */
  async close(): Promise<void> {
    const p = this.piscina;
    this.piscina = null;
    if (p === null) return;
    this.closing.add(p);
    await p.destroy();
  }
}

/**
 * The pools of one worker script in a process, one per thread count (made on first use, kept):
 * `get(threads)` is null when threads is 1 (or less), and the caller then runs its single-thread
 * code; `closeAll()` ends their threads (tools call it before exiting; tests after their work).
 */
export class PoolRegistry {
  private readonly pools = new Map<number, ReconPool>();

  constructor(private readonly script?: () => string) {}

  get(threads: number): ReconPool | null {
    if (!(threads > 1)) return null;
    let p = this.pools.get(threads);
    if (p === undefined) {
      p = new ReconPool(threads, this.script);
      this.pools.set(threads, p);
    }
    return p;
  }

  /**
   * The pool of exactly `workers` threads (1 included), for a caller that keeps working on its
   * own thread beside it (a pipeline: its thread is one of the threads it was given).
   */
  workers(workers: number): ReconPool {
    if (!Number.isInteger(workers) || workers < 1) throw new RangeError(`a pool needs a whole number of threads from 1, got ${workers}`);
    let p = this.pools.get(workers);
    if (p === undefined) {
      p = new ReconPool(workers, this.script);
      this.pools.set(workers, p);
    }
    return p;
  }

  async closeAll(): Promise<void> {
    const all = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(all.map((p) => p.close()));
  }
}

const numericsPools = new PoolRegistry();

/** The process's numerics pool for `threads` threads, or null for 1 (see PoolRegistry). */
export function reconPool(threads: number): ReconPool | null {
  return numericsPools.get(threads);
}

/**
 * The process's numerics pool for a caller whose own thread is one of `threads` and keeps
 * working beside the pool (a pipeline): `threads - 1` threads, or null for 1 (see PoolRegistry).
 */
export function reconPoolBeside(threads: number): ReconPool | null {
  return threads > 1 ? numericsPools.workers(threads - 1) : null;
}

/** Ends every numerics pool of this process (tools call it before exiting; tests after their work). */
export async function closeReconPools(): Promise<void> {
  await numericsPools.closeAll();
}
