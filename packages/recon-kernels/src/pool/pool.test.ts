import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { getFftEngine } from '../fft/index.js';
import { Nufft } from '../nufft/index.js';
import { checkThreads, closeReconPools, ReconPool, reconPool, reconPoolBeside, workerExecArgv } from './pool.js';
import { nufftAdjointParallel, nufftForwardParallel } from './parallel-nufft.js';
import { CENTRED_RSS_POOL_MIN_SAMPLES, centredIfft2RootSumOfSquaresAtPointsParallel, centredIfft2RootSumOfSquaresParallel } from './parallel-centred-fft.js';
import { centredIfft2RootSumOfSquares, centredIfft2RootSumOfSquaresAtPoints, centredIfft2RootSumOfSquaresCropped } from '../centred-fft/index.js';
import { newWorkClaims, runClaimedWork, sharedFloat32, splitRange, takeClaimedWork } from './shared-memory.js';
import { NUFFT_CLAIMS_STARTED, type NufftTask } from './tasks.js';
import { randomFloat32 as random, goldenAngleRadialFrames as frameCoords } from '../testing/index.js';

afterAll(async () => {
  await closeReconPools();
});

describe('worker pool: thread count', () => {
  it('threads 1 is no pool (the single-thread path); bad counts are errors naming the option', () => {
    expect(reconPool(1)).toBeNull();
    expect(checkThreads(undefined)).toBeGreaterThanOrEqual(1);
    expect(checkThreads(3)).toBe(3);
    for (const bad of [0, -1, 1.5, 257, '2', Number.NaN]) expect(() => checkThreads(bad, '--threads')).toThrow(/--threads must be a whole number from 1 to 256/);
  });

  it('a pool beside a caller that keeps working takes one thread less: none for 1, one thread for 2', () => {
    expect(reconPoolBeside(1)).toBeNull();
    expect(reconPoolBeside(2)?.threads).toBe(1);
    expect(reconPoolBeside(3)).toBe(reconPool(2));
  });

  it('splits ranges into near-equal contiguous runs', () => {
    expect(splitRange(8, 3)).toEqual([[0, 3], [3, 6], [6, 8]]);
    expect(splitRange(2, 4)).toEqual([[0, 1], [1, 2]]);
  });
});

describe('NUFFT on the pool, over coils', () => {
  const [ncoils, n] = [5, 32];
  const coord = frameCoords(1, 24, 48, n)[0];

  for (const threads of [2, 3]) {
    it(`adjoint and forward with ${threads} threads give the single-thread bits`, async () => {
      const fft = await getFftEngine();
      const plan = Nufft.withEngine(fft, coord, [n, n]);
      const pool = reconPool(threads)!;
      const data = random(2 * ncoils * plan.npts, 7);
      const expected = plan.adjoint(data, ncoils);
      const got = await nufftAdjointParallel(pool, plan, data, ncoils);
      expect(got).toEqual(expected);
      // into a caller's shared output, in place
      const out = sharedFloat32(expected.length);
      expect(await nufftAdjointParallel(pool, plan, data, ncoils, out)).toBe(out);
      expect(out).toEqual(expected);
      const img = random(2 * ncoils * n * n, 9);
      expect(await nufftForwardParallel(pool, plan, img, ncoils)).toEqual(plan.forward(img, ncoils));
      plan.dispose();
    });
  }

  it('repeated calls, the thread count changing between them (a pool of one thread among them), give the single-thread bits every time', async () => {
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, coord, [n, n]);
    const data = random(2 * ncoils * plan.npts, 11);
    const img = random(2 * ncoils * n * n, 13);
    const expectedAdjoint = plan.adjoint(data, ncoils), expectedForward = plan.forward(img, ncoils);
    const sharedData = sharedFloat32(data.length);
    sharedData.set(data);
    const outA = sharedFloat32(expectedAdjoint.length), outF = sharedFloat32(expectedForward.length);
    for (const pool of [reconPool(2), reconPool(3), reconPoolBeside(2), reconPool(2), reconPool(3)]) {
      for (let r = 0; r < 2; r++) {
        outA.fill(Number.NaN);
        expect(await nufftAdjointParallel(pool, plan, sharedData, ncoils, outA)).toBe(outA);
        expect(outA).toEqual(expectedAdjoint);
        // unshared input and output: copied to shared memory and back
        expect(await nufftAdjointParallel(pool, plan, data, ncoils, new Float32Array(expectedAdjoint.length))).toEqual(expectedAdjoint);
        outF.fill(Number.NaN);
        expect(await nufftForwardParallel(pool, plan, img, ncoils, outF)).toBe(outF);
        expect(outF).toEqual(expectedForward);
      }
    }
    plan.dispose();
  });

  it('a call returns only once the pool tasks that began have answered (piscina frees a thread when its answer is read), not before', async () => {
    // a stand-in pool whose "thread" begins each task at once, takes no coil, and answers on a
    // later event-loop turn, as piscina's answer arrives; a loop of calls with no turn between
    // them would otherwise leave every real thread counted busy and the tasks queued
    let answered = 0, posted = 0;
    const fake = {
      threads: 2,
      runAll: async (tasks: readonly NufftTask[]): Promise<void> => {
        for (const t of tasks) {
          posted++;
          Atomics.add(t.claims!, NUFFT_CLAIMS_STARTED, 1);
        }
        await new Promise((r) => setImmediate(r));
        answered += tasks.length;
      },
    } as unknown as ReconPool;
    const fft = await getFftEngine();
    const plan = Nufft.withEngine(fft, coord, [n, n]);
    const data = random(2 * ncoils * plan.npts, 23);
    const expected = plan.adjoint(data, ncoils);
    for (let r = 1; r <= 3; r++) {
      expect(await nufftAdjointParallel(fake, plan, data, ncoils)).toEqual(expected);
      expect([posted, answered]).toEqual([r, r]);
    }
    plan.dispose();
  });

  it('the calling thread takes coils too: a call finishes, with the single-thread bits, while the pool\'s threads never start its tasks', async () => {
    // a worker script whose tasks never end: every coil must then be done here
    const dir = mkdtempSync(join(tmpdir(), 'nufft-pool-'));
    const script = join(dir, 'stuck-worker.mjs');
    writeFileSync(script, 'export default function () { return new Promise(() => {}); }\n');
    const pool = new ReconPool(2, () => script);
    try {
      const fft = await getFftEngine();
      const plan = Nufft.withEngine(fft, coord, [n, n]);
      const data = random(2 * ncoils * plan.npts, 17);
      const img = random(2 * ncoils * n * n, 19);
      expect(await nufftAdjointParallel(pool, plan, data, ncoils)).toEqual(plan.adjoint(data, ncoils));
      expect(await nufftForwardParallel(pool, plan, img, ncoils)).toEqual(plan.forward(img, ncoils));
      plan.dispose();
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});


describe('centred ifft2 + root sum of squares (simplefft) on the pool, over coils', () => {
  it('gives the single-thread image bits with 2 and 3 threads (coil sums in the same order); small data stays on this thread', async () => {
    const fft = await getFftEngine();
    const [coils, ny, nx] = [9, 250, 256];
    expect(coils * ny * nx).toBeGreaterThanOrEqual(CENTRED_RSS_POOL_MIN_SAMPLES);
    const k = random(2 * coils * ny * nx, 21);
    const expected = centredIfft2RootSumOfSquares(fft, k, coils, ny, nx, coils * ny * nx);
    for (const threads of [2, 3]) {
      expect(await centredIfft2RootSumOfSquaresParallel(fft, reconPool(threads), k, coils, ny, nx, coils * ny * nx)).toEqual(expected);
    }
    // a pool of one thread beside the caller: the whole image there
    const beside = reconPoolBeside(2)!;
    expect(beside.threads).toBe(1);
    const one = await centredIfft2RootSumOfSquaresParallel(fft, beside, k, coils, ny, nx, coils * ny * nx);
    expect(one).toEqual(expected);
    expect(one.buffer).toBeInstanceOf(ArrayBuffer);
    const shared = sharedFloat32(k.length);
    shared.set(k);
    expect(await centredIfft2RootSumOfSquaresParallel(fft, reconPool(2), shared, coils, ny, nx, coils * ny * nx)).toEqual(expected);
    const small = k.subarray(0, 2 * 2 * 16 * 16);
    expect(await centredIfft2RootSumOfSquaresParallel(fft, reconPool(2), small, 2, 16, 16)).toEqual(centredIfft2RootSumOfSquares(fft, small, 2, 16, 16));
  });
});

describe('centred ifft2 + root sum of squares of a window (invertcontrast\'s crop) on the pool', () => {
  it('gives the single-thread window\'s bits with a pool beside the caller and with 2 and 3 threads', async () => {
    const fft = await getFftEngine();
    const [coils, ny, nx] = [9, 128, 512];
    expect(coils * ny * nx).toBeGreaterThanOrEqual(CENTRED_RSS_POOL_MIN_SAMPLES);
    const k = sharedFloat32(2 * coils * ny * nx);
    k.set(random(k.length, 33));
    const scale = coils * ny * nx;
    for (const window of [{ y0: 0, y1: ny, x0: 128, x1: 384 }, { y0: 10, y1: 100, x0: 3, x1: 250 }]) {
      const expected = centredIfft2RootSumOfSquaresCropped(fft, k, coils, ny, nx, scale, window);
      expect(expected.length).toBe((window.y1 - window.y0) * (window.x1 - window.x0));
      for (const pool of [reconPoolBeside(2), reconPool(2), reconPool(3)]) {
        const got = await centredIfft2RootSumOfSquaresParallel(fft, pool, k, coils, ny, nx, scale, {}, window);
        expect(new Uint32Array(got.buffer)).toEqual(new Uint32Array(expected.buffer));
      }
    }
  });
});

describe('centred ifft2 + root sum of squares at a few pixels (invertcontrast\'s exact maximum) on the pool, over coils', () => {
  it('gives the single-thread float64 values bit for bit with 2 and 3 threads; unshared k-space stays on this thread', async () => {
    const [coils, ny, nx] = [7, 32, 48];
    const k = random(2 * coils * ny * nx, 5);
    const shared = sharedFloat32(k.length);
    shared.set(k);
    const points: [number, number][] = [[0, 0], [3, 17], [31, 47], [16, 24], [3, 5], [20, 17]];
    const expected = centredIfft2RootSumOfSquaresAtPoints(k, coils, ny, nx, 9, points);
    for (const pool of [reconPool(2), reconPool(3), reconPoolBeside(2)]) {
      const got = await centredIfft2RootSumOfSquaresAtPointsParallel(pool, shared, coils, ny, nx, 9, points);
      expect(got).toEqual(expected);
      // not merely close: the same float64 bits
      expect(new Float64Array(got).buffer).toEqual(new Float64Array(expected).buffer);
    }
    expect(await centredIfft2RootSumOfSquaresAtPointsParallel(reconPool(2), k, coils, ny, nx, 9, points)).toEqual(expected);
  });
});

describe('a step\'s work handed out to whichever thread asks first', () => {
  it('every item done once; returns without a pool task that took nothing; waits for an item a pool thread is doing; rethrows its failure', async () => {
    const done = new Int32Array(10);
    const claims = newWorkClaims();
    let release!: () => void;
    const never = new Promise<void>((r) => { release = r; }); // a pool task that has not started
    await runClaimedWork(claims, 10, (i) => { done[i]++; }, never);
    expect([...done]).toEqual(new Array(10).fill(1));
    release();
    // a "pool thread" holding item 0 (claimed before the caller starts) and finishing it later
    const c2 = newWorkClaims();
    const seen: number[] = [];
    let poolThread!: Promise<void>;
    const pool = new Promise<void>((resolve) => {
      poolThread = (async () => {
        const i = Atomics.add(c2, 0, 1); // claims item 0
        await new Promise((r) => setTimeout(r, 5));
        seen.push(i);
        Atomics.add(c2, 1, 1);
        Atomics.notify(c2, 1);
        takeClaimedWork(c2, 4, (k) => seen.push(k));
        resolve();
      })();
    });
    await runClaimedWork(c2, 4, (k) => seen.push(k), pool);
    await poolThread;
    expect([...seen].sort()).toEqual([0, 1, 2, 3]);
    const c3 = newWorkClaims();
    Atomics.add(c3, 0, 1); // item 0 taken by a thread that then fails
    await expect(runClaimedWork(c3, 3, () => undefined, Promise.reject(new Error('worker failed')))).rejects.toThrow('worker failed');
  });
});

describe('closing a pool with a task still running', () => {
  it('the late answer piscina reports as an error is ignored once closing; other errors are not', async () => {
    // seen in the view-sharing tests: a step's pool task that found nothing left to take still ran
    // when the pool was closed, answered after piscina had dropped it, and piscina emitted
    // "Unexpected message from Worker" with no listener: an uncaught exception
    const pool = new ReconPool(1);
    const p = pool.start();
    expect(() => p.emit('error', new Error('something else'))).toThrow('something else');
    const closing = pool.close();
    expect(() => p.emit('error', new Error('Unexpected message from Worker: { taskId: 375, result: undefined, error: null, time: null }'))).not.toThrow();
    expect(() => p.emit('error', new Error('something else'))).toThrow('something else');
    await closing;
  });
});

describe('immediate hand-out (a caller that keeps its thread busy, as a real-time frame path)', () => {
  /** Blocks this thread (no event-loop turn) until `count` items of `claims` are finished; bounded. */
  function waitFinishedHere(claims: Int32Array, count: number): void {
    const deadline = Date.now() + 60_000; // a bound, not a timing expectation
    for (let done = Atomics.load(claims, 1); done < count && Date.now() < deadline; done = Atomics.load(claims, 1)) Atomics.wait(claims, 1, done, 1000);
  }

  it('the next task reaches the thread before the caller has read its answer to the last one (piscina alone queues it)', async () => {
    const ncoils = 2, npix = 3 * 4096; // three chunks of the magnitude combination
    const images = sharedFloat32(2 * ncoils * npix);
    images.set(random(images.length, 5));
    const task = (claims: Int32Array) => ({ kind: 'magnitude-combine', images, maps: null, ncoils, npix, out: sharedFloat32(npix), p0: 0, p1: npix, claims });
    for (const immediateHandOut of [false, true]) {
      const pool = new ReconPool(1, undefined, { immediateHandOut });
      await pool.runAll([task(newWorkClaims())]); // thread started and its answer read
      // A: done by the pool's thread while this thread never returns to its event loop, so
      // that the thread's answer is not read (as a frame path that took arms without a turn)
      const a = newWorkClaims();
      const onA = pool.runAll([task(a)]);
      waitFinishedHere(a, 3);
      expect(Atomics.load(a, 1)).toBe(3);
      const b = newWorkClaims();
      const onB = pool.runAll([task(b)]);
      if (immediateHandOut) {
        // B is on the thread already: it takes every item while this thread still has not had a turn
        expect(pool.queued).toBe(0);
        waitFinishedHere(b, 3);
        expect(Atomics.load(b, 1)).toBe(3);
      } else {
        // the cause of frames whose coils all went to the calling thread: B waits in piscina's
        // queue until A's answer is read, i.e. until this thread's next event-loop turn
        expect(pool.queued).toBe(1);
        expect(Atomics.load(b, 0)).toBe(0);
      }
      await Promise.all([onA, onB]);
      expect(Atomics.load(b, 1)).toBe(3);
      await pool.close();
    }
  });
});

describe('ReconPool threads: how the worker module is loaded', () => {
  const requireEsm = (process.features as { require_module?: boolean }).require_module === true;

  /** The execArgv a pool thread sees (a worker script that answers with it). */
  async function threadExecArgv(): Promise<string[]> {
    const dir = mkdtempSync(join(tmpdir(), 'pool-argv-'));
    const script = join(dir, 'argv-worker.mjs');
    writeFileSync(script, 'export default function () { return process.execArgv; }\n');
    const pool = new ReconPool(1, () => script);
    try {
      return (await pool.runEach<string[]>([{ kind: 'argv' }]))[0]!;
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('where Node has require(esm), the threads run without it (piscina then imports the ES module: no require(esm) facade to fail when a thread ends mid-load), with the parent options', async () => {
    expect(workerExecArgv()).toEqual(requireEsm ? [...process.execArgv, '--no-experimental-require-module'] : undefined);
    const argv = await threadExecArgv();
    expect(argv.includes('--no-experimental-require-module')).toBe(requireEsm);
    for (const a of process.execArgv) expect(argv).toContain(a);
  });

  it('a parent option that Node refuses in a thread (a V8 flag): the pool is made without the option, the threads inherit as before, and it works', async () => {
    process.execArgv.push('--max-old-space-size=4096');
    try {
      // (a thread inherits the options the process started with, not this array's later entries)
      const argv = await threadExecArgv();
      expect(argv).not.toContain('--no-experimental-require-module');
    } finally {
      process.execArgv.pop();
    }
  });
});

