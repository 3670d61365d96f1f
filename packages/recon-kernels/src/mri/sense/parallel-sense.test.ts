import { afterAll, describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { closeReconPools, reconPool, sharedFloat32 } from '../../pool/index.js';
import { solveTvAdmm, solveTvAdmmAsync } from '../../iterative/index.js';
import { SUM_BLOCK } from '../../pool/block-sums.js';
import { SENSE_NUFFT_DEFAULTS, SenseNufftOperator } from './sense-nufft.js';
import { ParallelSenseNufftOperator, runSenseTask, solveTvAdmmOnWorker } from './parallel-sense.js';
import { newWorkClaims } from '../../pool/shared-memory.js';
import { randomFloat32 as random, goldenAngleRadialFrames as frameCoords } from '../../testing/index.js';

afterAll(async () => {
  await closeReconPools();
});

/**
 * The pooled operator's forward, adjoint and normal give the single-thread operator's bits: the
 * forward into a plain or a shared array, the normal `normalRuns` times (the output zeroed before
 * each run after the first, so a run that wrote nothing would show).
 */
async function expectSingleThreadBits(
  single: SenseNufftOperator, op: ParallelSenseNufftOperator, x: Float32Array, y: Float32Array,
  { sharedForward = false, normalRuns = 1 } = {},
): Promise<void> {
  const a = new Float32Array(2 * single.outputLength);
  const b = sharedForward ? sharedFloat32(2 * single.outputLength) : new Float32Array(2 * single.outputLength);
  single.forward(x, a);
  await op.forwardAsync(x, b);
  expect(b).toEqual(a);
  const c = new Float32Array(2 * single.inputLength), d = sharedFloat32(2 * single.inputLength);
  single.adjoint(y, c);
  await op.adjointAsync(y, d);
  expect(d).toEqual(c);
  single.normal(x, c);
  for (let k = 0; k < normalRuns; k++) {
    if (k > 0) d.fill(0);
    await op.normalAsync(x, d);
    expect(d).toEqual(c);
  }
}

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
    await expectSingleThreadBits(single, op, random(2 * single.inputLength, 5), random(2 * single.outputLength, 6));
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

describe('the SENSE operator made on the pool, frames claimed one at a time, spectra shared', () => {
  const [frames, ncoils, n] = [7, 2, 24];
  const coords = frameCoords(frames, 5, 32, n);
  const maps = random(2 * ncoils * n * n, 31);
  coords[4].set(coords[4].subarray(0, 64), 64); // repeated positions in one frame

  for (const threads of [2, 3]) {
    for (const toeplitz of [false, true]) {
      it(`create() on ${threads} threads (${toeplitz ? 'Toeplitz' : 'NUFFT pair'}): the constructor's plans and the single-thread bits`, async () => {
        const fft = await getFftEngine();
        const options = { ...SENSE_NUFFT_DEFAULTS, toeplitz };
        const single = new SenseNufftOperator(fft, coords, maps, ncoils, n, n, options);
        const op = await ParallelSenseNufftOperator.create(reconPool(threads)!, fft, coords, maps, ncoils, n, n, { ...options, sharedHeapBlocks: true });
        const mine = op.local.shared().frames, theirs = single.shared().frames;
        expect(mine.length).toBe(frames);
        for (let f = 0; f < frames; f++) {
          expect(mine[f].points).toBe(theirs[f].points);
          expect(mine[f].repeatIndex).toEqual(theirs[f].repeatIndex);
          expect(mine[f].multiplicity).toEqual(theirs[f].multiplicity);
          for (const key of ['rowOff', 'col', 'wy', 'wx', 'wide', 'apodY', 'apodX'] as const) expect(mine[f].tables[key]).toEqual(theirs[f].tables[key]);
        }
        expect(mine[4].repeatIndex).not.toBeNull();
        // the normal operator twice: the second call's frames may go to other threads than the first's (spectra shared)
        await expectSingleThreadBits(single, op, random(2 * single.inputLength, 32), random(2 * single.outputLength, 33), { sharedForward: true, normalRuns: 2 });
        single.dispose();
        op.dispose();
      });
    }
  }

  it('the pruned Toeplitz operator (192 x 192) on 2 threads, spectra shared: their layout kept, the single-thread bits', async () => {
    const fft = await getFftEngine();
    const [fr, nc, nn] = [3, 2, 192];
    const c = frameCoords(fr, 4, 96, nn), m = random(2 * nc * nn * nn, 41);
    const options = { ...SENSE_NUFFT_DEFAULTS, toeplitz: true };
    const single = new SenseNufftOperator(fft, c, m, nc, nn, nn, options);
    const op = await ParallelSenseNufftOperator.create(reconPool(2)!, fft, c, m, nc, nn, nn, { ...options, sharedHeapBlocks: true });
    await expectSingleThreadBits(single, op, random(2 * single.inputLength, 42), random(2 * single.outputLength, 43), { sharedForward: true, normalRuns: 2 });
    // every frame's spectrum in the shared block, marked 'pruned' (the third layout)
    const shared = op.local.shared();
    expect(Array.from(shared.toeplitz!.spectra!.state)).toEqual([3, 3, 3]);
    // another operator of the same parts (a "thread" that computed none) reads them as 'pruned'
    const x = random(2 * single.inputLength, 44), expected = new Float32Array(x.length);
    single.normal(x, expected);
    const input = sharedFloat32(x.length), out = sharedFloat32(x.length);
    input.set(x);
    runSenseTask(fft, { kind: 'sense-normal', id: 'pruned-shared', shared, input, out, claims: newWorkClaims() });
    expect(out.every((v, i) => Object.is(v, expected[i]))).toBe(true); // (a failing toEqual would diff 442 k floats)
    single.dispose();
    op.dispose();
  }, 120_000);

  it('a worker takes only the frames it claims, and uses the spectra another thread put in the shared block', async () => {
    const fft = await getFftEngine();
    const options = { ...SENSE_NUFFT_DEFAULTS, toeplitz: true };
    const single = new SenseNufftOperator(fft, coords, maps, ncoils, n, n, options);
    const x = random(2 * single.inputLength, 34);
    const expected = new Float32Array(2 * single.inputLength);
    single.normal(x, expected);
    const shared = new SenseNufftOperator(fft, coords, maps, ncoils, n, n, { ...options, sharedHeapBlocks: true }).shared();
    const input = sharedFloat32(x.length);
    input.set(x);
    // "thread" A: all frames claimed; their spectra land in the shared block
    const outA = sharedFloat32(x.length);
    runSenseTask(fft, { kind: 'sense-normal', id: 'claims-test-a', shared, input, out: outA, claims: newWorkClaims() });
    expect(outA).toEqual(expected);
    const { state, values } = shared.toeplitz!.spectra!;
    expect(state[0]).not.toBe(0);
    expect(Array.from(state).every((v) => v === state[0])).toBe(true);
    // "thread" B (another operator of the same parts): the frames from 3 on only, their spectra read
    // from the block (frame 3's zeroed there, so its image is zero; the others as the single thread's)
    const size = 4 * n * n, img = 2 * n * n;
    values.fill(0, 3 * size, 4 * size);
    const outB = sharedFloat32(x.length), claimsB = newWorkClaims();
    claimsB[0] = 3;
    runSenseTask(fft, { kind: 'sense-normal', id: 'claims-test-b', shared, input, out: outB, claims: claimsB });
    expect(outB.subarray(0, 4 * img).every((v) => v === 0)).toBe(true);
    expect(outB.subarray(4 * img)).toEqual(expected.subarray(4 * img));
    expect(Atomics.load(claimsB, 0)).toBeGreaterThanOrEqual(frames);
    single.dispose();
  });
});

function asSharedCopy(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
