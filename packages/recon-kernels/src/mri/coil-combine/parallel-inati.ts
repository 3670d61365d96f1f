/**
 * Inati's adaptive coil maps (./coil-combine.ts) computed on the numerics' worker pool
 * (../../pool), so that a caller with a frame budget (the real-time spiral view sharing) keeps
 * working while another core estimates the maps. The worker runs inatiCoilMaps itself on the
 * shared coil images and writes the maps into a shared array: the maps are the same bits as the
 * single-thread call's.
 *
 * The first estimate of a fresh worker thread costs several times a later one (measured 3-4x at
 * 8 coils x 256^2: compilation of the loops, the FFT plans, the heap growing to the size of the
 * work); warmInatiOnPool pays that on a dummy frame beforehand.
 *
 * coilMapsPool is the estimate's own thread at a background priority: the estimate (and its
 * warm-up, ~1 s of CPU) then yields a core to the frame threads whenever they run, instead of
 * sharing it with them (a frame's half waited up to ~30 ms behind it on 2 cores).
 */
import type { FftEngine } from '../../fft/engine.js';
import { backgroundNiceIncrement, ReconPool, workerScript } from '../../pool/pool.js';
import { asShared } from '../../pool/shared-memory.js';
import { inatiCoilMaps, type InatiOptions } from './coil-combine.js';

/** Inati maps of [coil][ny][nx] complex images into `maps` (same layout, Float64). */
export interface InatiMapsTask {
  kind: 'inati-maps';
  images: Float32Array;
  maps: Float64Array;
  ncoils: number;
  ny: number;
  nx: number;
  options: InatiOptions;
}

/**
 * A one-thread pool for background map estimates, its thread at a background priority where that
 * is per thread (Linux, Windows; see backgroundNiceIncrement). `script`: the worker script (default
 * the numerics' recon-worker.js).
 */
export function coilMapsPool(script: () => string = workerScript): ReconPool {
  return new ReconPool(1, script, { niceIncrement: backgroundNiceIncrement() });
}

/** Runs an Inati task with this thread's engine (in a worker). */
export function runInatiMapsTask(fft: FftEngine, task: InatiMapsTask): void {
  const { maps } = inatiCoilMaps(fft, task.images, task.ncoils, task.ny, task.nx, task.options);
  task.maps.set(maps);
}

/**
 * inatiCoilMaps on the pool: resolves with the maps (on a SharedArrayBuffer). `images` is read
 * where it is when it lives on a SharedArrayBuffer, else copied now: the caller may reuse its
 * array as soon as this returns.
 */
export async function inatiCoilMapsOnPool(
  pool: ReconPool, images: Float32Array, ncoils: number, ny: number, nx: number, options: InatiOptions = {},
): Promise<Float64Array> {
  if (images.length !== 2 * ncoils * ny * nx) throw new Error(`Inati coil maps: ${images.length / 2} values for ${ncoils} coils x ${ny} x ${nx}`);
  const task: InatiMapsTask = {
    kind: 'inati-maps', images: asShared(images), maps: new Float64Array(new SharedArrayBuffer(8 * images.length)), ncoils, ny, nx, options,
  };
  await pool.runAll([task]);
  return task.maps;
}

/**
 * Runs one estimate on a dummy frame of this shape (fixed pseudo-random values) on the pool and
 * drops it: the worker is then warm for the real one (see the file header). A pool of one thread
 * queues the real estimate behind it.
 */
export async function warmInatiOnPool(pool: ReconPool, ncoils: number, ny: number, nx: number, options: InatiOptions = {}): Promise<void> {
  const images = new Float32Array(new SharedArrayBuffer(8 * ncoils * ny * nx));
  let x = 1;
  for (let i = 0; i < images.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    images[i] = x / 4294967296 - 0.5;
  }
  await inatiCoilMapsOnPool(pool, images, ncoils, ny, nx, options);
}
