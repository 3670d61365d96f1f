/**
 * The magnitude coil combination of a frame (root sum of squares, or |sum_c conj(map_c) image_c|
 * with adaptive maps) on the numerics' worker pool, split over pixel ranges: every pixel is
 * computed by the single-thread code's arithmetic, so the image is the same bits at any thread
 * count. For a frame budget (the real-time spiral view sharing): the combination is one of the
 * frame path's larger costs after the transforms.
 */
import type { ReconPool } from '../../pool/pool.js';
import { splitRange } from '../../pool/shared-memory.js';
import { combineWithMapsRange, rootSumOfSquaresRange } from './coil-combine.js';

/** Pixels [p0, p1) of the magnitude combination of `images` ([coil][npix] complex) into `out` [npix]. */
export interface MagnitudeCombineTask {
  kind: 'magnitude-combine';
  images: Float32Array;
  /** adaptive maps ([coil][npix] complex), or null for the root sum of squares */
  maps: Float64Array | null;
  ncoils: number;
  npix: number;
  out: Float32Array;
  p0: number;
  p1: number;
}

/** Runs a magnitude-combination task (in a worker, or here). */
export function runMagnitudeCombineTask(task: MagnitudeCombineTask): void {
  const { images, maps, ncoils, npix, out, p0, p1 } = task;
  if (maps === null) rootSumOfSquaresRange(images, ncoils, npix, out, p0, p1);
  else combineWithMapsRange(images, maps, ncoils, npix, out, p0, p1);
}

/**
 * rootSumOfSquares (maps null) or combineWithMaps into `out`; with a pool (of n threads) split
 * into n + 1 pixel ranges, the first on the calling thread, the others on the pool (`images`,
 * `maps` and `out` must then live on SharedArrayBuffers). Returns out.
 */
export async function combineMagnitudeOnPool(
  pool: ReconPool | null, images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array,
): Promise<Float32Array> {
  if (images.length < 2 * ncoils * npix) throw new Error(`coil combination: ${images.length / 2} values for ${ncoils} coils x ${npix} pixels`);
  if (maps !== null && maps.length < 2 * ncoils * npix) throw new Error(`coil combination: ${maps.length / 2} map values for ${ncoils} coils x ${npix} pixels`);
  const task = (p0: number, p1: number): MagnitudeCombineTask => ({ kind: 'magnitude-combine', images, maps, ncoils, npix, out, p0, p1 });
  if (pool === null) {
    runMagnitudeCombineTask(task(0, npix));
    return out;
  }
  for (const a of [images, out, ...(maps === null ? [] : [maps])]) {
    if (!(a.buffer instanceof SharedArrayBuffer)) throw new Error('coil combination on the pool: images, maps and output must be on SharedArrayBuffers');
  }
  const [[p0, p1], ...others] = splitRange(npix, pool.threads + 1);
  const onPool = pool.runAll(others.map(([a, b]) => task(a, b)));
  try {
    runMagnitudeCombineTask(task(p0, p1)); // the first pixels here, meanwhile
  } finally {
    await onPool;
  }
  return out;
}
