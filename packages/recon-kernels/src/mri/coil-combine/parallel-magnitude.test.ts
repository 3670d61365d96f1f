import { afterAll, describe, expect, it, vi } from 'vitest';
import { closeReconPools, newWorkClaims, ReconPool, reconPool, sharedFloat32, workFinished } from '../../pool/index.js';
import { newGoCell, releaseGo } from '../../pool/shared-memory.js';
import { getFftEngine } from '../../fft/index.js';
import { Nufft } from '../../nufft/index.js';
import { SharedGrid } from '../../nufft/grid-kernel.js';
import { type ViewSharingStepTask } from '../../view-sharing/index.js';
import { combineWithMaps, combineWithMapsRange, rootSumOfSquares, rootSumOfSquaresRange } from './coil-combine.js';
import {
  cancelPreparedMagnitude, combineMagnitudeOnPool, INT16_CHUNK_ROWS, runMagnitudeCombineTask, type MagnitudeCombineTask, MAGNITUDE_CHUNK_PIXELS, MagnitudeInt16Frame, prepareMagnitudeOnPool, runPreparedMagnitude, warmMagnitudeCombine,
} from './parallel-magnitude.js';
import { heldPool, randomFloat32, signedRng } from '../../testing/index.js';
import { roundHalfEven } from '../../image/index.js';

afterAll(async () => {
  await closeReconPools();
});

/** Coil images [coil][npix] complex and maps on shared memory, filled from signedRng(seed) (the images first); rnd goes on from there. */
function sharedInputs(ncoils: number, npix: number, seed: number): { images: Float32Array; maps: Float64Array; rnd: () => number } {
  const images = sharedFloat32(2 * ncoils * npix);
  const maps = new Float64Array(new SharedArrayBuffer(16 * ncoils * npix));
  const rnd = signedRng(seed);
  for (let i = 0; i < images.length; i++) images[i] = rnd();
  for (let i = 0; i < maps.length; i++) maps[i] = rnd();
  return { images, maps, rnd };
}

/**
 * The int16 frame as the real-time module computed it in one pass on one thread (before the
 * pass was split): the maximum over all pixels, then the flipped layout scaled by maxVal / max,
 * rounded half to even, and the histogram over [0, maxVal] (null when a value fell outside).
 */
function int16Reference(mag: Float32Array, msize: number, maxVal: number): { data: Int16Array; scale: number; counts: Uint32Array | null } {
  let max = 0;
  for (let i = 0; i < mag.length; i++) if (mag[i] > max) max = mag[i];
  const scale = maxVal / max;
  const data = new Int16Array(msize * msize);
  const counts = new Uint32Array(maxVal + 1);
  let outside = false;
  for (let a = 0; a < msize; a++) {
    for (let b = 0; b < msize; b++) {
      const v = (data[b * msize + a] = roundHalfEven(mag[(msize - 1 - a) * msize + b] * scale));
      if (v >= 0 && v <= maxVal) counts[v]++;
      else outside = true;
    }
  }
  return { data, scale, counts: outside ? null : counts };
}

describe('magnitude coil combination on the pool', () => {
  it('root sum of squares and combination with maps: the single-thread bits at 1, 2 and 3 threads', async () => {
    const ncoils = 5, npix = 37 * 41;
    const { images, maps } = sharedInputs(ncoils, npix, 7);
    const rss = rootSumOfSquares(images, ncoils, npix);
    const withMaps = combineWithMaps(images, maps, ncoils, npix);
    expect(rss).not.toEqual(withMaps);
    for (const threads of [1, 2, 3]) {
      const pool = reconPool(threads);
      expect(await combineMagnitudeOnPool(pool, images, null, ncoils, npix, sharedFloat32(npix))).toEqual(rss);
      expect(await combineMagnitudeOnPool(pool, images, maps, ncoils, npix, sharedFloat32(npix))).toEqual(withMaps);
    }
  });

  it('the warm-up (warmMagnitudeCombine, here and on each pool thread) runs on throw-away arrays: the combinations after it are the single-thread bits', async () => {
    const ncoils = 3, npix = 2 * MAGNITUDE_CHUNK_PIXELS + 17;
    const { images, maps } = sharedInputs(ncoils, npix, 5);
    const imagesCopy = images.slice(), mapsCopy = maps.slice();
    const rss = rootSumOfSquares(images, ncoils, npix);
    const withMaps = combineWithMaps(images, maps, ncoils, npix);
    for (const pool of [null, new ReconPool(1), new ReconPool(2, undefined, { immediateHandOut: true })]) {
      await warmMagnitudeCombine(pool, ncoils);
      expect(await combineMagnitudeOnPool(pool, images, null, ncoils, npix, sharedFloat32(npix))).toEqual(rss);
      expect(await combineMagnitudeOnPool(pool, images, maps, ncoils, npix, sharedFloat32(npix))).toEqual(withMaps);
      await pool?.close();
    }
    expect(images).toEqual(imagesCopy);
    expect(maps).toEqual(mapsCopy);
  });

  it('a combination prepared ahead (its tasks posted before the images are written) is the single-thread bits at 2 and 3 threads; a cancelled one writes nothing and holds no thread', async () => {
    const ncoils = 4, npix = 5 * MAGNITUDE_CHUNK_PIXELS + 77;
    const { images, maps, rnd } = sharedInputs(ncoils, npix, 13);
    const fill = (): void => { for (let i = 0; i < images.length; i++) images[i] = rnd(); };
    for (const threads of [2, 3]) {
      const pool = new ReconPool(threads - 1, undefined, { immediateHandOut: true });
      try {
        for (const m of [null, maps]) {
          const out = sharedFloat32(npix);
          const prepared = prepareMagnitudeOnPool(pool, images, m, ncoils, npix, out);
          await new Promise((r) => setTimeout(r, 50)); // (the pool's tasks now wait for the images)
          fill(); // written after the post: the tasks must read them only once run
          const expected = m === null ? rootSumOfSquares(images, ncoils, npix) : combineWithMaps(images, maps, ncoils, npix);
          expect(await runPreparedMagnitude(prepared)).toEqual(expected);
          // cancelled: nothing written, and a combination posted after it runs
          const untouched = sharedFloat32(npix);
          cancelPreparedMagnitude(prepareMagnitudeOnPool(pool, images, m, ncoils, npix, untouched));
          expect(await combineMagnitudeOnPool(pool, images, m, ncoils, npix, sharedFloat32(npix))).toEqual(expected);
          expect(untouched.every((v) => v === 0)).toBe(true);
        }
      } finally {
        await pool.close();
      }
    }
  });

  it('with the window\'s gridding memory (images in an image slot, maps in its maps, output its combined): its wasm kernel combines, the single-thread JS bits and int16 pass at 1, 2 and 3 threads, run and prepared', async () => {
    const fft = await getFftEngine();
    const ncoils = 5, msize = 72, npix = msize * msize, maxVal = 4095;
    const coord = new Float64Array(2 * 40);
    for (let i = 0; i < coord.length; i++) coord[i] = ((i * 37) % 60) - 30;
    const g = SharedGrid.create(Nufft.withEngine(fft, coord, [msize, msize]), ncoils, 40)!;
    const { images: src, maps: srcMaps } = sharedInputs(ncoils, npix, 23);
    for (let c = 0; c < ncoils; c++) src[2 * (c * npix + 11)] = -0;
    const images = g.images[0];
    images.set(src);
    g.maps.set(srcMaps);
    const bits = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    const spy = vi.spyOn(SharedGrid.prototype, 'combineRange');
    try {
      for (const m of [null, g.maps]) {
        const mag = m === null ? rootSumOfSquares(src, ncoils, npix) : combineWithMaps(src, srcMaps, ncoils, npix);
        const ref = int16Reference(mag, msize, maxVal);
        for (const threads of [1, 2, 3]) {
          const pool = threads === 1 ? null : new ReconPool(threads - 1, undefined, { immediateHandOut: true });
          try {
            const frame = new MagnitudeInt16Frame(msize, maxVal, threads);
            for (let round = 0; round < 2; round++) {
              g.combined.fill(0);
              spy.mockClear();
              if (pool !== null && round === 1) {
                const prepared = prepareMagnitudeOnPool(pool, images, m, ncoils, npix, g.combined, frame);
                await new Promise((r) => setTimeout(r, 20));
                await runPreparedMagnitude(prepared);
              } else await combineMagnitudeOnPool(pool, images, m, ncoils, npix, g.combined, frame);
              expect(bits(g.combined).equals(bits(mag))).toBe(true);
              expect(frame.scale).toBe(ref.scale);
              expect(frame.data).toEqual(ref.data);
              expect(frame.histogram()).toEqual(ref.counts);
              if (threads === 1) {
                expect(spy).toHaveBeenCalled();
                expect(spy.mock.results.every((r) => r.value === true)).toBe(true);
              }
            }
          } finally {
            await pool?.close();
          }
        }
      }
      // a pool thread's task: the arrays arrive as views on another buffer object (posted), and the task
      // says they are the memory's (the caller checked): the kernel combines there too
      const posted = structuredClone({ images, maps: g.maps, out: g.combined });
      expect(SharedGrid.holding(posted.out)).toBeNull();
      for (const m of [null, posted.maps]) {
        spy.mockClear();
        posted.out.fill(0);
        runMagnitudeCombineTask({ kind: 'magnitude-combine', images: posted.images, maps: m, ncoils, npix, out: posted.out, p0: 0, p1: npix, claims: newWorkClaims(), inGridMemory: true });
        expect(spy.mock.results.length).toBeGreaterThan(0);
        expect(spy.mock.results.every((r) => r.value === true)).toBe(true);
        const ref = m === null ? rootSumOfSquares(src, ncoils, npix) : combineWithMaps(src, srcMaps, ncoils, npix);
        expect(bits(g.combined).equals(bits(ref))).toBe(true);
      }
    } finally {
      spy.mockRestore();
    }
  }, 60000);

  it('SharedGrid.combineRange combines magnitudes (root sum of squares; conj(maps) x images) as the JS range kernels, bit for bit: any pixel range, images in its slots and maps in its maps; false, nothing written, for arrays elsewhere', async () => {
    const fft = await getFftEngine();
    for (const [n, ncoils] of [[32, 3], [64, 8], [16, 1]] as const) {
      const coord = new Float64Array(200);
      for (let i = 0; i < coord.length; i++) coord[i] = ((i * 37) % n) - n / 2;
      const plan = Nufft.withEngine(fft, coord, [n, n]);
      const g = SharedGrid.create(plan, ncoils, 100)!;
      const same = (x: Float32Array, y: Float32Array): boolean => Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
      const npix = n * n;
      const images = g.images[0], maps = g.maps, out = g.combined;
      let seed = 7;
      const rnd = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648 - 0.5; };
      for (let i = 0; i < images.length; i++) images[i] = i % 97 === 0 ? -0 : i % 89 === 0 ? 0 : rnd() * 10 ** Math.round(6 * rnd());
      for (let i = 0; i < maps.length; i++) maps[i] = i % 83 === 0 ? -0 : rnd();
      for (const withMaps of [false, true]) {
        for (const [a, b] of [[0, npix], [1, npix - 3], [5, 6], [npix - 1, npix], [7, 7]] as const) {
          const ref = new Float32Array(npix).fill(-1);
          if (withMaps) combineWithMapsRange(images, maps, ncoils, npix, ref, a, b);
          else rootSumOfSquaresRange(images, ncoils, npix, ref, a, b);
          out.fill(-1);
          expect(g.combineRange(images, withMaps ? maps : null, ncoils, npix, out, a, b)).toBe(true);
          expect(same(out, ref)).toBe(true);
        }
        const elsewhere = new Float32Array(new SharedArrayBuffer(4 * npix));
        expect(g.combineRange(images, withMaps ? maps : null, ncoils, npix, elsewhere, 0, npix)).toBe(false);
        expect(elsewhere.every((v) => v === 0)).toBe(true);
      }
      expect(g.combineRange(images, new Float64Array(maps.length), ncoils, npix, out, 0, npix)).toBe(false);
      expect(() => g.combineRange(images, maps, ncoils, npix, out, 0, npix + 1)).toThrow();
    }
  });

  it('on the pool, arrays not on shared memory are an error (a worker could not write them)', async () => {
    await expect(combineMagnitudeOnPool(reconPool(2), new Float32Array(8), null, 2, 2, new Float32Array(2))).rejects.toThrow(/SharedArrayBuffers/);
  });

  it('a frame with many chunks: the single-thread bits at 1-3 threads, and when the pool\'s thread is busy the calling thread does every chunk instead of waiting for it', async () => {
    const ncoils = 4, npix = 7 * MAGNITUDE_CHUNK_PIXELS + 123;
    const { images, maps } = sharedInputs(ncoils, npix, 11);
    const rss = rootSumOfSquares(images, ncoils, npix);
    const withMaps = combineWithMaps(images, maps, ncoils, npix);
    for (const threads of [1, 2, 3]) {
      expect(await combineMagnitudeOnPool(reconPool(threads), images, null, ncoils, npix, sharedFloat32(npix))).toEqual(rss);
      expect(await combineMagnitudeOnPool(reconPool(threads), images, maps, ncoils, npix, sharedFloat32(npix))).toEqual(withMaps);
    }
    // the bug: the pixels were split in fixed halves, and the frame waited for the pool's half however late its thread ran
    const held = heldPool((script) => new ReconPool(1, script));
    try {
      await held.hold();
      let bound: ReturnType<typeof setTimeout> | undefined;
      const waited = new Promise<never>((_, reject) => { bound = setTimeout(() => reject(new Error('the combination waited for the busy pool thread')), 20000); });
      try {
        expect(await Promise.race([combineMagnitudeOnPool(held.pool, images, maps, ncoils, npix, sharedFloat32(npix)), waited])).toEqual(withMaps);
        expect(await Promise.race([combineMagnitudeOnPool(held.pool, images, null, ncoils, npix, sharedFloat32(npix)), waited])).toEqual(rss);
      } finally {
        clearTimeout(bound);
      }
      await held.release(); // the queued tasks then find nothing left to take
    } finally {
      await held.close();
    }
  }, 60000);

  it('a step and a combination posted ahead to one thread: the step, released first, runs on it while the combination still waits', async () => {
    // the bug: a task posted ahead waited for its release in a blocking Atomics.wait; the thread
    // starts every task it has read up to its first await, the combination (no await before its
    // wait) then held the thread, and the step's coils were left to the calling thread
    const held = heldPool((script) => new ReconPool(1, script, { immediateHandOut: true }));
    const fft = await getFftEngine();
    const NC = 5, S = 200, N = 32;
    const coord = new Float64Array(2 * S).map((_, i) => ((i * 7919) % 997) / 997 * N - N / 2);
    const plan = Nufft.withEngine(fft, coord, [N, N]);
    try {
      await held.hold(); // (the two tasks below reach the thread together, when it is let go)
      const ip = 2 * NC * N * N;
      const claims = newWorkClaims(), go = newGoCell();
      const task: ViewSharingStepTask = {
        kind: 'view-sharing-step', tables: plan.tables(), c0: 0, c1: NC, claims, go, grid: sharedFloat32(NC * 2 * plan.gridSize), sum: sharedFloat32(ip),
        frame: sharedFloat32(ip), drop: null, zeroGrid: false, data: randomFloat32(2 * NC * S, 7), p0: 0, count: S, block: sharedFloat32(ip), partial: false,
      };
      const step = held.pool.runAll([task]);
      const combination = prepareMagnitudeOnPool(held.pool, sharedFloat32(ip), null, NC, N * N, sharedFloat32(N * N));
      await held.release();
      releaseGo(go); // the step only: this thread takes none of its coils
      const t0 = performance.now();
      while (!workFinished(claims, NC) && performance.now() - t0 < 10000) await new Promise((r) => setTimeout(r, 5));
      expect(workFinished(claims, NC)).toBe(true);
      cancelPreparedMagnitude(combination);
      await step;
    } finally {
      await held.close();
      plan.dispose();
    }
  }, 60000);

  it('the int16 pass after the combination (maxima per chunk, output rows and histograms per thread): the one-thread pass\'s data, scale and histogram at 1, 2 and 3 threads, run or prepared', async () => {
    // 150^2: 6 combination chunks (the last short), 5 int16 chunks (the last short); the maximum in the last chunk
    const ncoils = 3, msize = 150, npix = msize * msize, maxVal = 4095;
    expect(npix % MAGNITUDE_CHUNK_PIXELS).not.toBe(0);
    expect(msize % INT16_CHUNK_ROWS).not.toBe(0);
    const { images, maps } = sharedInputs(ncoils, npix, 17);
    for (let c = 0; c < ncoils; c++) images[2 * (c * npix + npix - 3)] = 9;
    for (const m of [null, maps]) {
      const mag = m === null ? rootSumOfSquares(images, ncoils, npix) : combineWithMaps(images, m, ncoils, npix);
      const ref = int16Reference(mag, msize, maxVal);
      expect(ref.counts).not.toBeNull();
      for (const threads of [1, 2, 3]) {
        const pool = threads === 1 ? null : new ReconPool(threads - 1, undefined, { immediateHandOut: true });
        try {
          const frame = new MagnitudeInt16Frame(msize, maxVal, threads);
          for (let round = 0; round < 3; round++) { // (the histograms reused from frame to frame)
            const out = sharedFloat32(npix);
            if (pool !== null && round === 2) {
              const prepared = prepareMagnitudeOnPool(pool, images, m, ncoils, npix, out, frame);
              await new Promise((r) => setTimeout(r, 20));
              await runPreparedMagnitude(prepared);
            } else await combineMagnitudeOnPool(pool, images, m, ncoils, npix, out, frame);
            expect(out).toEqual(mag);
            expect(frame.scale).toBe(ref.scale);
            expect(frame.data).toEqual(ref.data);
            expect(frame.histogram()).toEqual(ref.counts);
          }
          if (pool !== null) {
            // the pool's tasks alone (this thread takes nothing): their maxima, rows and histograms
            const out = sharedFloat32(npix), claims = newWorkClaims(), cells = frame.newCells();
            frame.data.fill(0);
            await pool.runAll(Array.from({ length: pool.threads }, (_, t) => ({
              kind: 'magnitude-combine', images, maps: m, ncoils, npix, out, p0: 0, p1: npix, claims, int16: frame.task(cells, t + 1),
            } satisfies MagnitudeCombineTask)));
            frame.finished(cells, NaN);
            expect(out).toEqual(mag);
            expect(frame.data).toEqual(ref.data);
            expect(frame.histogram()).toEqual(ref.counts);
          }
        } finally {
          await pool?.close();
        }
      }
    }
  }, 60000);

  it('the int16 pass: a frame of zeros has no histogram (its values are not in [0, maxVal]); with the pool\'s thread busy the calling thread does the whole pass', async () => {
    const ncoils = 2, msize = 96, npix = msize * msize, maxVal = 4095;
    const zeros = sharedFloat32(2 * ncoils * npix);
    const frame = new MagnitudeInt16Frame(msize, maxVal, 2);
    await combineMagnitudeOnPool(null, zeros, null, ncoils, npix, sharedFloat32(npix), frame);
    expect(frame.data).toEqual(int16Reference(new Float32Array(npix), msize, maxVal).data);
    expect(frame.histogram()).toBeNull();
    const { images } = sharedInputs(ncoils, npix, 19);
    const ref = int16Reference(rootSumOfSquares(images, ncoils, npix), msize, maxVal);
    const held = heldPool((script) => new ReconPool(1, script, { immediateHandOut: true }));
    try {
      await held.hold();
      await combineMagnitudeOnPool(held.pool, images, null, ncoils, npix, sharedFloat32(npix), frame);
      expect(frame.data).toEqual(ref.data);
      expect(frame.histogram()).toEqual(ref.counts);
      await held.release(); // (its task then finds nothing left and writes nothing)
      await new Promise((r) => setTimeout(r, 50));
      expect(frame.data).toEqual(ref.data);
    } finally {
      await held.close();
    }
  }, 60000);
});
