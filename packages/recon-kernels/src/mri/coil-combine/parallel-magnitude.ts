/**
 * The magnitude coil combination of a frame (root sum of squares, or |sum_c conj(map_c) image_c|
 * with adaptive maps) on the numerics' worker pool, over chunks of pixels handed out to whichever
 * thread asks next (a pool thread whose core is busy takes fewer or none, and the frame never
 * waits for it to be scheduled): every pixel is computed by the single-thread code's arithmetic,
 * so the image is the same bits at any thread count. For a frame budget (the real-time spiral
 * view sharing): the combination is one of the frame path's larger costs after the transforms.
 */
import type { ReconPool } from '../../pool/pool.js';
import {
  awaitGo, cancelGo, newGoCell, newWorkClaims, releaseGo, runClaimedWork, sharedFloat32, takeClaimedWork,
} from '../../pool/shared-memory.js';

/** Pixels per chunk handed out (a 256^2 frame: 16 chunks). */
export const MAGNITUDE_CHUNK_PIXELS = 4096;
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
  /** when set (a worker's task), chunks of MAGNITUDE_CHUNK_PIXELS of [p0, p1) are taken one at a time from these claims */
  claims?: Int32Array | null;
  /** when set (a combination posted ahead, prepareMagnitudeOnPool), the task waits until this cell is released (or ends when it is cancelled) */
  go?: Int32Array | null;
}

/** Runs a magnitude-combination task (here): its pixel range, or the chunks it claims. */
export function runMagnitudeCombineTask(task: MagnitudeCombineTask): void {
  const { images, maps, ncoils, npix, out, p0, p1, claims } = task;
  const range = (a: number, b: number): void => {
    if (maps === null) rootSumOfSquaresRange(images, ncoils, npix, out, a, b);
    else combineWithMapsRange(images, maps, ncoils, npix, out, a, b);
  };
  if (claims === undefined || claims === null) range(p0, p1);
  else takeClaimedWork(claims, chunkCount(p1 - p0), (k) => range(p0 + k * MAGNITUDE_CHUNK_PIXELS, Math.min(p1, p0 + (k + 1) * MAGNITUDE_CHUNK_PIXELS)));
}

/** A pool thread's magnitude-combination task: runMagnitudeCombineTask, for one posted ahead (`go`) once released. */
export async function runMagnitudeCombineWorkerTask(task: MagnitudeCombineTask): Promise<void> {
  if (task.go !== undefined && task.go !== null && !(await awaitGo(task.go))) return;
  runMagnitudeCombineTask(task);
}

function chunkCount(pixels: number): number {
  return Math.ceil(pixels / MAGNITUDE_CHUNK_PIXELS);
}

/**
 * rootSumOfSquares (maps null) or combineWithMaps into `out`; with a pool, chunks of pixels go to
 * the calling thread and the pool's threads, whichever asks first (`images`, `maps` and `out`
 * must then live on SharedArrayBuffers). Returns out.
 */
export async function combineMagnitudeOnPool(
  pool: ReconPool | null, images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array,
): Promise<Float32Array> {
  const task = (p0: number, p1: number): MagnitudeCombineTask => ({ kind: 'magnitude-combine', images, maps, ncoils, npix, out, p0, p1 });
  if (pool === null) {
    if (images.length < 2 * ncoils * npix) throw new Error(`coil combination: ${images.length / 2} values for ${ncoils} coils x ${npix} pixels`);
    if (maps !== null && maps.length < 2 * ncoils * npix) throw new Error(`coil combination: ${maps.length / 2} map values for ${ncoils} coils x ${npix} pixels`);
    runMagnitudeCombineTask(task(0, npix));
    return out;
  }
  checkCombineArrays(images, maps, ncoils, npix, out);
  const claims = newWorkClaims();
  const onPool = pool.runAll(Array.from({ length: pool.threads }, () => ({ ...task(0, npix), claims })));
  await runClaimedWork(claims, chunkCount(npix), (k) => runMagnitudeCombineTask(task(k * MAGNITUDE_CHUNK_PIXELS, Math.min(npix, (k + 1) * MAGNITUDE_CHUNK_PIXELS))), onPool);
  return out;
}

/** A combination whose pool tasks are posted ahead and wait for its images (prepareMagnitudeOnPool). */
export interface PreparedMagnitudeCombine {
  readonly images: Float32Array;
  readonly maps: Float64Array | null;
  readonly out: Float32Array;
  readonly ncoils: number;
  readonly npix: number;
  readonly claims: Int32Array;
  readonly go: Int32Array;
  readonly onPool: Promise<void>;
}

/**
 * Posts the pool's tasks of a combination ahead (for the idle time before a frame): they wait
 * off the CPU until `runPreparedMagnitude` (the images written) or `cancelPreparedMagnitude`.
 * The arrays as combineMagnitudeOnPool's (on SharedArrayBuffers). A pool thread runs its tasks in
 * the order posted: one that waits here holds any task posted after it until it is run or
 * cancelled.
 */
export function prepareMagnitudeOnPool(
  pool: ReconPool, images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array,
): PreparedMagnitudeCombine {
  checkCombineArrays(images, maps, ncoils, npix, out);
  const claims = newWorkClaims(), go = newGoCell();
  const onPool = pool.runAll(Array.from({ length: pool.threads }, () => ({ kind: 'magnitude-combine', images, maps, ncoils, npix, out, p0: 0, p1: npix, claims, go } satisfies MagnitudeCombineTask)));
  onPool.catch(() => undefined); // (a failure shows when it runs; a cancelled one's is not wanted)
  return { images, maps, out, ncoils, npix, claims, go, onPool };
}

/** Runs a prepared combination (this thread and the pool's waiting tasks take its chunks); returns its out. */
export async function runPreparedMagnitude(p: PreparedMagnitudeCombine): Promise<Float32Array> {
  const { images, maps, ncoils, npix, out } = p;
  releaseGo(p.go);
  await runClaimedWork(p.claims, chunkCount(npix), (k) => runMagnitudeCombineTask({
    kind: 'magnitude-combine', images, maps, ncoils, npix, out, p0: k * MAGNITUDE_CHUNK_PIXELS, p1: Math.min(npix, (k + 1) * MAGNITUDE_CHUNK_PIXELS),
  }), p.onPool);
  return out;
}

/** Cancels a prepared combination: its pool tasks end without touching anything. */
export function cancelPreparedMagnitude(p: PreparedMagnitudeCombine): void {
  cancelGo(p.go);
}

function checkCombineArrays(images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array): void {
  if (images.length < 2 * ncoils * npix) throw new Error(`coil combination: ${images.length / 2} values for ${ncoils} coils x ${npix} pixels`);
  if (maps !== null && maps.length < 2 * ncoils * npix) throw new Error(`coil combination: ${maps.length / 2} map values for ${ncoils} coils x ${npix} pixels`);
  for (const a of [images, out, ...(maps === null ? [] : [maps])]) {
    if (!(a.buffer instanceof SharedArrayBuffer)) throw new Error('coil combination on the pool: images, maps and output must be on SharedArrayBuffers');
  }
}

/** Calls of each kernel in warmMagnitudeCombine, per thread (the optimiser compiles a loop that ran long enough, then the function). */
const WARM_CALLS = 3;

/**
 * Compiles the combination's two kernels (root sum of squares; the combination with maps) on
 * this thread and on each of the pool's threads, on throw-away arrays of `ncoils` coils (two
 * chunks of pixels), so that the first frame that uses a kernel does not run it cold: in a fresh
 * thread the first frame's combination costs several times a later one, and the maps of a
 * real-time session arrive several frames in, when the frame budget already holds. Nothing is
 * written but the throw-away arrays; for the session's set-up, off the frame path.
 */
export async function warmMagnitudeCombine(pool: ReconPool | null, ncoils: number): Promise<void> {
  const npix = 2 * MAGNITUDE_CHUNK_PIXELS;
  const images = sharedFloat32(2 * ncoils * npix);
  const maps = new Float64Array(new SharedArrayBuffer(16 * ncoils * npix));
  for (let i = 0; i < images.length; i++) images[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < maps.length; i++) maps[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  const task = (m: Float64Array | null): MagnitudeCombineTask => ({ kind: 'magnitude-combine', images, maps: m, ncoils, npix, out: sharedFloat32(npix), p0: 0, p1: npix });
  const onPool = pool === null ? Promise.resolve() : (async () => {
    for (let k = 0; k < WARM_CALLS; k++) await pool.runAll(Array.from({ length: pool.threads }, () => [task(null), task(maps)]).flat());
  })();
  for (let k = 0; k < WARM_CALLS; k++) {
    runMagnitudeCombineTask(task(null));
    runMagnitudeCombineTask(task(maps));
  }
  await onPool;
}
