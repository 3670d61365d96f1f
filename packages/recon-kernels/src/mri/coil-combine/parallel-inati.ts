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
 * sharing it with them (a frame's half waited up to ~30 ms behind it on 2 cores). A PauseGate
 * (../../pool) given with the task goes further: the estimate stops at its next checkpoint (per
 * coil of each pass, well under a millisecond of work once compiled) while the frame path holds the gate, and resumes when it
 * opens; only when the estimate runs changes, not its result.
 */
import type { FftEngine } from '../../fft/engine.js';
import { backgroundNiceIncrement, ReconPool, workerScript } from '../../pool/pool.js';
import { pauseCheckpoint, type PauseGate, type PauseGateCells } from '../../pool/pause-gate.js';
import { asShared } from '../../pool/shared-memory.js';
import { InatiScratch, inatiCoilMaps, type InatiOptions } from './coil-combine.js';

/** Inati maps of [coil][ny][nx] complex images into `maps` (same layout, Float64). */
export interface InatiMapsTask {
  kind: 'inati-maps';
  images: Float32Array;
  maps: Float64Array;
  ncoils: number;
  ny: number;
  nx: number;
  options: InatiOptions;
  /** a PauseGate's cells: the estimate waits at its checkpoints while the gate is held */
  gate?: PauseGateCells;
}

/**
 * A one-thread pool for background map estimates, its thread at a background priority where that
 * is per thread (Linux, Windows; see backgroundNiceIncrement). `script`: the worker script (default
 * the numerics' recon-worker.js).
 */
export function coilMapsPool(script: () => string = workerScript): ReconPool {
  return new ReconPool(1, script, { niceIncrement: backgroundNiceIncrement() });
}

/**
 * This thread's work arrays for Inati tasks: after the warm-up, the real estimate of the same
 * size allocates nothing (no garbage collection in the worker, whose concurrent marking runs on
 * the process's shared V8 threads, beside the frame threads). Kept while the thread lives
 * (~3 x the frame's size in float64).
 */
const threadScratch = new InatiScratch();

/** Runs an Inati task with this thread's engine (in a worker). */
export function runInatiMapsTask(fft: FftEngine, task: InatiMapsTask): void {
  const pause = task.gate !== undefined ? pauseCheckpoint(task.gate) : undefined;
  const { maps } = inatiCoilMaps(fft, task.images, task.ncoils, task.ny, task.nx, task.options, pause, threadScratch);
  task.maps.set(maps);
}

/**
 * inatiCoilMaps on the pool: resolves with the maps (on a SharedArrayBuffer). `images` is read
 * where it is when it lives on a SharedArrayBuffer, else copied now: the caller may reuse its
 * array as soon as this returns. With `gate`, the estimate pauses while the gate is held (see the
 * file header).
 */
export async function inatiCoilMapsOnPool(
  pool: ReconPool, images: Float32Array, ncoils: number, ny: number, nx: number, options: InatiOptions = {}, gate?: PauseGate,
): Promise<Float64Array> {
  if (images.length !== 2 * ncoils * ny * nx) throw new Error(`Inati coil maps: ${images.length / 2} values for ${ncoils} coils x ${ny} x ${nx}`);
  const task: InatiMapsTask = {
    kind: 'inati-maps', images: asShared(images), maps: new Float64Array(new SharedArrayBuffer(8 * images.length)), ncoils, ny, nx, options,
    ...(gate !== undefined ? { gate: gate.cells } : {}),
  };
  await pool.runAll([task]);
  return task.maps;
}

/**
 * Runs one estimate on a dummy frame of this shape (fixed pseudo-random values) on the pool and
 * drops it: the worker is then warm for the real one (see the file header). A pool of one thread
 * queues the real estimate behind it.
 */
export async function warmInatiOnPool(pool: ReconPool, ncoils: number, ny: number, nx: number, options: InatiOptions = {}, gate?: PauseGate): Promise<void> {
  const images = new Float32Array(new SharedArrayBuffer(8 * ncoils * ny * nx));
  let x = 1;
  for (let i = 0; i < images.length; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    images[i] = x / 4294967296 - 0.5;
  }
  await inatiCoilMapsOnPool(pool, images, ncoils, ny, nx, options, gate);
}
