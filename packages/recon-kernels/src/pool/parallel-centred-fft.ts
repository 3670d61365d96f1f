/**
 * Centred 2-D FFTs of many planes on the worker pool, split over planes (coils), in place on
 * shared memory: per plane the single-thread code, so the same bits (nlinv's and the coil maps'
 * per-coil transforms use it).
 *
 * The reference recons' centred 2-D inverse FFT + root sum of squares (simplefft) on the worker
 * pool, split over coils: each worker writes its coils' |image|^2 planes (float64) into shared
 * memory, a round of two coils per thread at a time, and this thread sums them in coil order,
 * exactly as the one-pass single-thread function does, so the image is the same bits. Worth it
 * from about half a million k-space samples (below, the task messages cost more than the
 * transform saves); smaller data runs here.
 */
import type { FftEngine } from '../fft/engine.js';
import {
  addPowerPlanes, centredFftn, centredIfft2RootSumOfSquaresAtPoints, centredIfft2RootSumOfSquaresCropped, rootSumOfSquaresFromSums, rootSumOfSquaresOfPowers,
  type CentredFftScale, type CropWindow,
} from '../centred-fft/centred-fft.js';
import type { ReconPool } from './pool.js';
import type { CentredRssTask } from './tasks.js';
import { isShared, splitRange } from './shared-memory.js';

/** centredFft2PlanesParallel: fewer complex samples than this (all planes) run on this thread. */
export const CENTRED_FFT_POOL_MIN_SAMPLES = 1 << 16;

/**
 * True when centredFft2PlanesParallel would use the pool for `count` planes of n0 x n1 (callers
 * then keep `data` on a SharedArrayBuffer).
 */
export function centredFft2UsesPool(pool: ReconPool | null, count: number, n0: number, n1: number): pool is ReconPool {
  return pool !== null && count >= 2 && count * n0 * n1 >= CENTRED_FFT_POOL_MIN_SAMPLES;
}

/**
 * centredFftn(engine, data, [count, n0, n1], [1, 2], inverse, scale) on the pool, split over the
 * planes, in place. `data` should live on a SharedArrayBuffer (else it is copied there and back);
 * small transforms and `pool` null run here.
 */
export async function centredFft2PlanesParallel(
  engine: FftEngine, pool: ReconPool | null, data: Float32Array, count: number, n0: number, n1: number, inverse: boolean, scale: CentredFftScale = 1,
): Promise<void> {
  const plane = 2 * n0 * n1;
  if (data.length < count * plane) throw new Error(`centred fft2: ${data.length / 2} complex values, ${count} x ${n0} x ${n1} needed`);
  if (!centredFft2UsesPool(pool, count, n0, n1)) {
    centredFftn(engine, data.subarray(0, count * plane), [count, n0, n1], [1, 2], inverse, scale);
    return;
  }
  const target = isShared(data) ? data : new Float32Array(new SharedArrayBuffer(4 * count * plane));
  if (target !== data) target.set(data.subarray(0, count * plane));
  await pool.runAll(splitRange(count, pool.threads).map(([c0, c1]) => ({ kind: 'centred-fft2', data: target, n0, n1, inverse, scale, c0, c1 })));
  if (target !== data) data.set(target);
}

/** Fewer complex samples than this (all coils) run on this thread. */
export const CENTRED_RSS_POOL_MIN_SAMPLES = 1 << 19;

/** Shared memory a caller keeps from call to call (fresh memory's first touch costs more than the transform's copies). */
export interface CentredRssScratch {
  power?: Float64Array;
}

/**
 * centredIfft2RootSumOfSquares(kspace [coils][ny][nx], scale) on the pool when there is one and
 * the data is big enough; `kspace` should live on a SharedArrayBuffer (else it is copied once).
 * `scratch` keeps the shared power planes for the next call. A pool of one thread (beside a
 * caller that keeps working: `reconPoolBeside`) runs the whole one-thread function there. With
 * `window`, that window of the image only ([y1 - y0][x1 - x0], centredIfft2RootSumOfSquaresCropped's bits).
 */
export async function centredIfft2RootSumOfSquaresParallel(
  engine: FftEngine, pool: ReconPool | null, kspace: Float32Array, coils: number, ny: number, nx: number, scale = 1,
  scratch?: CentredRssScratch, window: CropWindow = { y0: 0, y1: ny, x0: 0, x1: nx },
): Promise<Float32Array> {
  const n = ny * nx;
  const outLength = (window.y1 - window.y0) * (window.x1 - window.x0);
  if (kspace.length < 2 * coils * n) throw new Error(`centred ifft2: ${kspace.length / 2} complex values, ${coils} x ${ny} x ${nx} needed`);
  if (pool === null || coils < 2 || coils * n < CENTRED_RSS_POOL_MIN_SAMPLES) return centredIfft2RootSumOfSquaresCropped(engine, kspace, coils, ny, nx, scale, window);
  let shared = kspace;
  if (!isShared(kspace)) {
    shared = new Float32Array(new SharedArrayBuffer(8 * coils * n));
    shared.set(kspace.subarray(0, 2 * coils * n));
  }
  if (pool.threads === 1) {
    // one thread beside the caller (a pipeline): the whole one-thread function there
    const out = new Float32Array(new SharedArrayBuffer(4 * outLength));
    const task: CentredRssTask = { kind: 'centred-rss', kspace: shared, out, coils, ny, nx, scale, window };
    await pool.runAll([task]);
    return out.slice();
  }
  // Rounds of two coils per thread: the power planes of one round at a time (a few MB of shared
  // memory instead of one float64 plane per coil), added to the sums in coil order.
  const round = Math.min(coils, 2 * pool.threads);
  let power = scratch?.power;
  if (power === undefined || power.length < round * n) {
    power = new Float64Array(new SharedArrayBuffer(8 * round * n));
    if (scratch) scratch.power = power;
  }
  const acc = new Float64Array(n);
  for (let r0 = 0; r0 < coils; r0 += round) {
    const r1 = Math.min(coils, r0 + round);
    await pool.runAll(splitRange(r1 - r0, pool.threads).map(([a, b]) => ({ kind: 'centred-power', kspace: shared, power, ny, nx, c0: r0 + a, c1: r0 + b, p0: r0, window })));
    addPowerPlanes(acc, power, r1 - r0, n, window, nx);
  }
  return rootSumOfSquaresFromSums(acc, ny, nx, scale, undefined, window);
}

/**
 * centredIfft2RootSumOfSquaresAtPoints on the pool, split over coils (each worker the float64
 * powers of its coils at the points, summed here in coil order: the same values bit for bit);
 * `kspace` must live on a SharedArrayBuffer for the pool to be used, else (or with no pool, or
 * one coil) it runs here (on `engine`'s SIMD kernel when given).
 */
export async function centredIfft2RootSumOfSquaresAtPointsParallel(
  pool: ReconPool | null, kspace: Float32Array, coils: number, ny: number, nx: number, scale: number, points: readonly (readonly [number, number])[],
  engine: FftEngine | null = null,
): Promise<number[]> {
  if (pool === null || coils < 2 || points.length === 0 || !isShared(kspace)) return centredIfft2RootSumOfSquaresAtPoints(kspace, coils, ny, nx, scale, points, engine);
  const out = new Float64Array(new SharedArrayBuffer(8 * coils * points.length));
  const flat = new Int32Array(new SharedArrayBuffer(8 * points.length));
  points.forEach(([y, x], i) => { flat[2 * i] = y; flat[2 * i + 1] = x; });
  await pool.runAll(splitRange(coils, pool.threads).map(([c0, c1]) => ({ kind: 'centred-point-powers', kspace, out, points: flat, ny, nx, c0, c1, p0: 0 })));
  return rootSumOfSquaresOfPowers(out, coils, points.length, ny, nx, scale);
}
