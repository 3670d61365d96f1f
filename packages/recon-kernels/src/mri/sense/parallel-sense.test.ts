import { afterAll, describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { closeReconPools, reconPool, sharedFloat32 } from '../../pool/index.js';
import { solveTvAdmm, solveTvAdmmAsync } from '../../iterative/index.js';
import { SUM_BLOCK } from '../../pool/block-sums.js';
import { SENSE_NUFFT_DEFAULTS, SenseNufftOperator } from './sense-nufft.js';
import { ParallelSenseNufftOperator, solveTvAdmmOnWorker } from './parallel-sense.js';
import { randomFloat32 as random, goldenAngleRadialFrames as frameCoords } from '../../testing/index.js';

afterAll(async () => {
  await closeReconPools();
});

describe('SENSE operator and TV-ADMM on the pool, over frames', () => {
  const [frames, ncoils, n] = [5, 3, 24];
  const coords = frameCoords(frames, 6, 32, n);
  const maps = random(2 * ncoils * n * n, 3);
  // one frame repeats an arm (the repeated-positions path)
  coords[2].set(coords[2].subarray(0, 64), 64);

  it('forward, adjoint and normal with 2 threads give the single-thread bits', async () => {
    const fft = await getFftEngine();
    const single = new SenseNufftOperator(fft, coords, maps, ncoils, n, n);
    const op = new ParallelSenseNufftOperator(reconPool(2)!, new SenseNufftOperator(fft, coords, maps, ncoils, n, n));
    const x = random(2 * single.inputLength, 5);
    const y = random(2 * single.outputLength, 6);
    const a = new Float32Array(2 * single.outputLength), b = new Float32Array(2 * single.outputLength);
    single.forward(x, a);
    await op.forwardAsync(x, b);
    expect(b).toEqual(a);
    const c = new Float32Array(2 * single.inputLength), d = sharedFloat32(2 * single.inputLength);
    single.adjoint(y, c);
    await op.adjointAsync(y, d);
    expect(d).toEqual(c);
    single.normal(x, c);
    await op.normalAsync(x, d);
    expect(d).toEqual(c);
    single.dispose();
    op.dispose();
  });

  for (const threads of [2, 3]) {
    it(`a TV-ADMM solve (TV along frames) with ${threads} threads gives the single-thread bits`, async () => {
      const fft = await getFftEngine();
      const single = new SenseNufftOperator(fft, coords, maps, ncoils, n, n);
      const y = random(2 * single.outputLength, 11);
      const options = { shape: [frames, n, n], tv: [{ axis: 0, lambda: 0.01 }], iterations: 12 };
      const expected = solveTvAdmm(single, y, options);
      const op = new ParallelSenseNufftOperator(reconPool(threads)!, new SenseNufftOperator(fft, coords, maps, ncoils, n, n));
      let steps = 0;
      const got = await solveTvAdmmAsync(op, y, { ...options, onProgress: () => steps++, pool: reconPool(threads) });
      expect(steps).toBeGreaterThan(0);
      expect(got).toEqual(expected);
      // the synchronous solve runs the pooled operator on this thread
      expect(solveTvAdmm(op, y, options)).toEqual(expected);
      single.dispose();
      op.dispose();
    });

    it(`the Toeplitz normal operator and its TV-ADMM solve with ${threads} threads give the single-thread bits`, async () => {
      const fft = await getFftEngine();
      const options0 = { ...SENSE_NUFFT_DEFAULTS, toeplitz: true };
      const single = new SenseNufftOperator(fft, coords, maps, ncoils, n, n, options0);
      const x = random(2 * single.inputLength, 5);
      const a = new Float32Array(2 * single.inputLength);
      single.normal(x, a);
      const op = new ParallelSenseNufftOperator(reconPool(threads)!, new SenseNufftOperator(fft, coords, maps, ncoils, n, n, { ...options0, sharedHeapBlocks: true }));
      const b = new Float32Array(new SharedArrayBuffer(4 * a.length));
      await op.normalAsync(asSharedCopy(x), b);
      expect(b).toEqual(a);
      const y = random(2 * single.outputLength, 11);
      const options = { shape: [frames, n, n], tv: [{ axis: 0, lambda: 0.01, joint: [0] }], iterations: 12 };
      const expected = solveTvAdmm(single, y, options);
      expect(await solveTvAdmmAsync(op, y, { ...options, pool: reconPool(threads) })).toEqual(expected);
      single.dispose();
      op.dispose();
    });

    it(`a Toeplitz TV-ADMM solve whose CG vectors span several blocks, vector work on the pool (${threads} threads): the single-thread bits`, async () => {
      const fft = await getFftEngine();
      const [f2, n2, nc2] = [6, 64, 2];
      const c2 = frameCoords(f2, 8, 96, n2);
      const m2 = random(2 * nc2 * n2 * n2, 21);
      const options0 = { ...SENSE_NUFFT_DEFAULTS, toeplitz: true };
      const single = new SenseNufftOperator(fft, c2, m2, nc2, n2, n2, options0);
      expect(2 * single.inputLength).toBeGreaterThan(2 * SUM_BLOCK);
      const y = random(2 * single.outputLength, 22);
      const options = { shape: [f2, n2, n2], tv: [{ axis: 0, lambda: 0.01, joint: [0] }], iterations: 12 };
      const expected = solveTvAdmm(single, y, options);
      const op = new ParallelSenseNufftOperator(reconPool(threads)!, new SenseNufftOperator(fft, c2, m2, nc2, n2, n2, { ...options0, sharedHeapBlocks: true }));
      expect(await solveTvAdmmAsync(op, y, { ...options, pool: reconPool(threads) })).toEqual(expected);
      // the whole solve on one pool thread, two side by side: the single-thread bits, progress to the last step
      const seen: number[][] = [[], []];
      const [w0, w1] = await Promise.all([0, 1].map((i) => solveTvAdmmOnWorker(reconPool(threads)!, op.local, y, options, (d, t) => { seen[i].push(d, t); })));
      expect(w0).toEqual(expected);
      expect(w1).toEqual(expected);
      for (const s of seen) expect(s.slice(-2)).toEqual([20, 20]);
      single.dispose();
      op.dispose();
    });
  }
});

function asSharedCopy(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
