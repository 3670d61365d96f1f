/**
 * The coil maps from arms (./coil-maps.ts) on the worker pool (../../pool), split over coils: the
 * adjoint NUFFT of the coils and the Sobolev low-pass (forward FFT, weight, inverse FFT per coil)
 * run on the workers on shared memory; the per-angle sums and the unit-RSS normalisation (a sum
 * over coils per pixel, in coil order) stay on this thread. Every coil is computed by the
 * single-thread code, so the maps are the same bits for any thread count. Inati's method couples
 * the coils in every step and runs here.
 */
import type { FftEngine } from '../../fft/index.js';
import { Nufft } from '../../nufft/index.js';
import type { ReconPool } from '../../pool/pool.js';
import { nufftAdjointParallel } from '../../pool/parallel-nufft.js';
import { asShared, sharedFloat32, splitRange } from '../../pool/shared-memory.js';
import { coilMapsFromArms, inatiMaps, sobolevLowpass, sumArmsPerAngle, unitRss, type ArmSamples, type CoilMapOptions } from './coil-maps.js';

/** The Sobolev low-pass of coils [c0, c1) of `images` [coil][n][n], in place. */
export interface SobolevTask {
  kind: 'sobolev-lowpass';
  images: Float32Array;
  n: number;
  a: number;
  l: number;
  c0: number;
  c1: number;
}

/** Runs a Sobolev low-pass task with this thread's engine (in a worker). */
export function runSobolevTask(fft: FftEngine, task: SobolevTask): void {
  const plane = 2 * task.n * task.n;
  sobolevLowpass(fft, task.images.subarray(task.c0 * plane, task.c1 * plane), task.c1 - task.c0, task.n, task.a, task.l);
}

/** sobolevLowpass on the pool (in place; `images` should be shared, else it is copied there and back). */
export async function sobolevLowpassParallel(fft: FftEngine, pool: ReconPool | null, images: Float32Array, ncoils: number, n: number, a: number, l: number): Promise<Float32Array> {
  if (pool === null || ncoils < 2) return sobolevLowpass(fft, images, ncoils, n, a, l);
  const target = asShared(images);
  await pool.runAll(splitRange(ncoils, pool.threads).map(([c0, c1]): SobolevTask => ({ kind: 'sobolev-lowpass', images: target, n, a, l, c0, c1 })));
  if (target !== images) images.set(target);
  return images;
}

/** coilMapsFromArms with the per-coil work on `pool` (null: all on this thread, the same bits). */
export async function coilMapsFromArmsAsync(
  fft: FftEngine, pool: ReconPool | null, arms: readonly ArmSamples[], uniqueCoord: Float64Array, samples: number, w: ArrayLike<number>, ncoils: number, n: number,
  options: CoilMapOptions = {},
): Promise<Float32Array> {
  if (pool === null || ncoils < 2) return coilMapsFromArms(fft, arms, uniqueCoord, samples, w, ncoils, n, options);
  const nUnique = uniqueCoord.length / (2 * samples);
  const sum = sumArmsPerAngle(arms, uniqueCoord, samples, w, ncoils, sharedFloat32(2 * ncoils * nUnique * samples));
  const plan = Nufft.withEngine(fft, uniqueCoord, [n, n]);
  let images: Float32Array;
  try {
    images = await nufftAdjointParallel(pool, plan, sum, ncoils, sharedFloat32(2 * ncoils * n * n));
  } finally {
    plan.dispose();
  }
  const maps = options.method === 'inati'
    ? inatiMaps(fft, images, ncoils, n)
    : await sobolevLowpassParallel(fft, pool, images, ncoils, n, options.sobolevA ?? 32, options.sobolevL ?? 16);
  return unitRss(maps, ncoils, n);
}
