import { afterAll, describe, expect, it, vi } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { Nufft } from '../../nufft/index.js';
import { centredFftn } from '../../centred-fft/index.js';
import { CENTRED_FFT_POOL_MIN_SAMPLES, centredFft2PlanesParallel, closeReconPools, ReconPool, reconPool, sharedFloat32 } from '../../pool/index.js';
import { runStepsCooperatively } from '../../progress/stepwise.js';
import { syntheticCoilObject } from '../../testing/synthetic-coil-object.js';
import { nlinv, nlinvSteps } from './nlinv.js';
import { nlinvNonCartesian, nlinvNonCartesianAsync } from './noncartesian.js';

afterAll(async () => {
  await closeReconPools();
});

/** Tasks sent to any pool while `f` runs (so a test knows the pool did the work). */
async function poolTasks<T>(f: () => Promise<T>): Promise<[T, number]> {
  const spy = vi.spyOn(ReconPool.prototype, 'runAll');
  try {
    const r = await f();
    return [r, spy.mock.calls.reduce((s, c) => s + c[0].length, 0)];
  } finally {
    spy.mockRestore();
  }
}

/** The coil images of the synthetic object: [coil][n][n] complex. */
function coilImages(n: number, nc: number): Float32Array {
  const npix = n * n;
  const { rho, maps } = syntheticCoilObject(n, nc);
  const img = new Float32Array(2 * nc * npix);
  for (let c = 0; c < nc; c++) for (let p = 0; p < npix; p++) {
    img[2 * (c * npix + p)] = rho[2 * p] * maps[2 * (c * npix + p)];
    img[2 * (c * npix + p) + 1] = rho[2 * p] * maps[2 * (c * npix + p) + 1];
  }
  return img;
}

describe('centred 2-D FFT of many planes on the pool, over planes', () => {
  it('gives the single-thread bits, forward and inverse, shared in place or copied', async () => {
    const fft = await getFftEngine();
    const [count, n0, n1] = [7, 96, 100];
    expect(count * n0 * n1).toBeGreaterThanOrEqual(CENTRED_FFT_POOL_MIN_SAMPLES);
    const a = Float32Array.from({ length: 2 * count * n0 * n1 }, (_, i) => Math.sin(i * 0.731) + Math.cos(i * 0.017));
    for (const inverse of [false, true]) {
      const expected = a.slice();
      centredFftn(fft, expected, [count, n0, n1], [1, 2], inverse, 'ortho');
      for (const threads of [2, 3]) {
        const plain = a.slice();
        await centredFft2PlanesParallel(fft, reconPool(threads), plain, count, n0, n1, inverse, 'ortho');
        expect(plain).toEqual(expected);
        const shared = sharedFloat32(a.length);
        shared.set(a);
        await centredFft2PlanesParallel(fft, reconPool(threads), shared, count, n0, n1, inverse, 'ortho');
        expect(shared).toEqual(expected);
      }
    }
  });
});

describe('nlinv with its per-coil FFTs on the pool', () => {
  it('Cartesian: the same sensitivities and image bits with 2 and 3 threads as on one', async () => {
    const fft = await getFftEngine();
    const n = 96, nc = 8, npix = n * n;
    expect(nc * npix).toBeGreaterThanOrEqual(CENTRED_FFT_POOL_MIN_SAMPLES); // large enough for the pool
    const y = coilImages(n, nc);
    centredFftn(fft, y, [nc, n, n], [1, 2], false, 'ortho');
    const pattern = new Float32Array(npix);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) pattern[i * n + j] = i % 2 === 0 || Math.abs(i - n / 2) < 8 ? 1 : 0;
    for (let p = 0; p < npix; p++) for (let c = 0; c < nc; c++) { y[2 * (c * npix + p)] *= pattern[p]; y[2 * (c * npix + p) + 1] *= pattern[p]; }
    const options = { iterations: 3, cgIterations: 12 };
    const single = nlinv(fft, y, pattern, nc, n, n, options);
    for (const threads of [2, 3]) {
      const [pooled, tasks] = await poolTasks(() => runStepsCooperatively(nlinvSteps(fft, y, pattern, nc, n, n, { ...options, pool: reconPool(threads) }), 0));
      expect(tasks).toBeGreaterThan(10);
      expect(pooled.sens).toEqual(single.sens);
      expect(pooled.image).toEqual(single.image);
      expect(pooled.scaling).toBe(single.scaling);
    }
    // the synchronous runner cannot wait for the pool: it says so instead of computing something else
    expect(() => nlinv(fft, y, pattern, nc, n, n, { ...options, pool: reconPool(2) })).toThrow(/worker pool/);
  }, 60_000);

  it('non-Cartesian: gridding, FFTs and nlinv on the pool give the single-thread bits', async () => {
    const fft = await getFftEngine();
    const n = 48, nc = 8, spokes = 60, samples = 2 * n;
    const coord = new Float64Array(2 * spokes * samples);
    for (let s = 0; s < spokes; s++) for (let k = 0; k < samples; k++) {
      const r = ((k - samples / 2) / samples) * (n - 0.5), t = (Math.PI * s) / spokes;
      coord[2 * (s * samples + k)] = r * Math.cos(t);
      coord[2 * (s * samples + k) + 1] = r * Math.sin(t);
    }
    const plan = Nufft.withEngine(fft, coord, [n, n]);
    const ksp = plan.forward(coilImages(n, nc), nc);
    plan.dispose();
    const weights = new Float32Array(spokes * samples).fill(1);
    // the doubled grid, 96 x 96 x 8 coils, is above the pool's threshold
    expect(nc * (2 * n) ** 2).toBeGreaterThanOrEqual(CENTRED_FFT_POOL_MIN_SAMPLES);
    const options = { iterations: 3, cgIterations: 12 };
    const single = nlinvNonCartesian(fft, coord, ksp, weights, nc, options);
    const [pooled, tasks] = await poolTasks(() => nlinvNonCartesianAsync(fft, coord, ksp, weights, nc, { ...options, pool: reconPool(2), yieldEveryMs: 0 }));
    expect(tasks).toBeGreaterThan(10);
    expect(pooled.shape).toEqual(single.shape);
    expect(pooled.sens).toEqual(single.sens);
    expect(pooled.image).toEqual(single.image);
  }, 60_000);
});
