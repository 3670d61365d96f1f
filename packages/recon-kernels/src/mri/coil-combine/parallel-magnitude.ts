/**
 * The magnitude coil combination of a frame (root sum of squares, or |sum_c conj(map_c) image_c|
 * with adaptive maps) on the numerics' worker pool, over chunks of pixels handed out to whichever
 * thread asks next (a pool thread whose core is busy takes fewer or none, and the frame never
 * waits for it to be scheduled): every pixel is computed by the single-thread code's arithmetic,
 * so the image is the same bits at any thread count. For a frame budget (the real-time spiral
 * view sharing): the combination is one of the frame path's larger costs after the transforms.
 *
 * With a `MagnitudeInt16Frame`, the same tasks go on to the frame's int16 pass (the reference's
 * flipped layout, scaled by maxVal / max, rounded half to even, and the histogram of the window's
 * percentiles): each combination chunk records its maximum, every thread waits for the last
 * chunk and takes the same maximum of the chunks' maxima (a maximum does not depend on the
 * order), then rows of the output are handed out the same way, each thread counting into a
 * histogram of its own (integer counts: their sum does not depend on who counted). So neither
 * the maximum pass nor the int16 pass is serial on the calling thread, and the data and counts
 * are the single-thread ones at any thread count. Arrays in the caller's SharedGrid: its kernel combines (the same bits).
 */
import type { ReconPool } from '../../pool/pool.js';
import {
  awaitGo, cancelGo, newGoCell, newWorkClaims, releaseGo, runClaimedWork, sharedFloat32, takeClaimedWork,
} from '../../pool/shared-memory.js';
import { roundHalfEvenFast } from '../../image/normalise.js';
import { SharedGrid } from '../../nufft/grid-kernel.js';
import { combineWithMapsRange, rootSumOfSquaresRange } from './coil-combine.js';

/** Pixels per chunk handed out (a 256^2 frame: 16 chunks). */
export const MAGNITUDE_CHUNK_PIXELS = 4096;

/**
 * Output columns (source rows) per chunk of the int16 pass (a 256^2 frame: 8 chunks): a chunk
 * writes runs of 32 int16 (64 bytes) of every output row, so two threads rarely write one cache line.
 */
export const INT16_CHUNK_ROWS = 32;

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
  /** when set (with claims), the frame's int16 pass follows in the same task (see the file header) */
  int16?: Int16PassTask | null;
  /** the arrays are views of this thread's SharedGrid (the caller checked) */
  inGridMemory?: boolean;
}

/** The int16 pass's part of a pool task: the session's buffers (MagnitudeInt16Frame), this frame's cells, the task's histogram slot. */
export interface Int16PassTask {
  msize: number;
  maxVal: number;
  chunkMax: Float64Array;
  data: Int16Array;
  counts: Uint32Array;
  /** this frame's cells (INT16_CELLS) */
  cells: Int32Array;
  /** the task's histogram: counts[slot * (maxVal + 1) ...]; 0 is the calling thread's */
  slot: number;
}

/** The cells of one frame's int16 pass: [0] next chunk, [1] chunks finished (claims), [2] aborted, [3] a value fell outside [0, maxVal], [4 + slot] the slot counted this frame. */
const CELL_ABORT = 2, CELL_OUTSIDE = 3, CELL_SLOTS = 4;

/**
 * The per-session buffers of the combination's int16 pass (on shared memory, allocated once):
 * the chunks' maxima, the int16 output and a histogram per thread. After
 * a combination with it: `data` (valid until the next frame), `scale` and `histogram()`.
 */
export class MagnitudeInt16Frame {
  readonly npix: number;
  /** [y = b][x = a] with x = msize - 1 - a of out's [a][b]: the reference's flipped layout, scaled to int16 */
  readonly data: Int16Array;
  readonly chunkMax: Float64Array;
  readonly counts: Uint32Array;
  private readonly total: Uint32Array;
  /** the last frame's cells */
  private cells: Int32Array | null = null;
  /** the last frame's scale (maxVal / its maximum) */
  scale = NaN;

  /** `slots`: the threads that may take part (the calling thread and the pool's). */
  constructor(readonly msize: number, readonly maxVal: number, readonly slots: number) {
    this.npix = msize * msize;
    this.data = new Int16Array(new SharedArrayBuffer(2 * this.npix));
    this.chunkMax = new Float64Array(new SharedArrayBuffer(8 * chunkCount(this.npix)));
    this.counts = new Uint32Array(new SharedArrayBuffer(4 * slots * (maxVal + 1)));
    this.total = new Uint32Array(maxVal + 1);
  }

  /** New cells for a frame (its tasks' shared state). */
  newCells(): Int32Array {
    return new Int32Array(new SharedArrayBuffer(4 * (CELL_SLOTS + this.slots)));
  }

  /** Records the frame just done (its cells and scale), for histogram(). */
  finished(cells: Int32Array, scale: number): void {
    this.cells = cells;
    this.scale = scale;
  }

  /** The pool task's part for `slot`. */
  task(cells: Int32Array, slot: number): Int16PassTask {
    if (slot >= this.slots) throw new Error(`int16 pass: slot ${slot} of ${this.slots}`);
    return { msize: this.msize, maxVal: this.maxVal, chunkMax: this.chunkMax, data: this.data, counts: this.counts, cells, slot };
  }

  /**
   * The last frame's histogram of data over [0, maxVal] (the threads' counts summed; the array is
   * reused), or null when a value fell outside that range (e.g. a frame of zeros: count the data).
   */
  histogram(): Uint32Array | null {
    const cells = this.cells;
    if (cells === null) throw new Error('int16 pass: no frame yet');
    if (Atomics.load(cells, CELL_OUTSIDE) !== 0) return null;
    const m = this.maxVal + 1;
    const total = this.total;
    let first = true;
    for (let s = 0; s < this.slots; s++) {
      if (Atomics.load(cells, CELL_SLOTS + s) === 0) continue;
      const c = this.counts.subarray(s * m, (s + 1) * m);
      if (first) total.set(c);
      else for (let v = 0; v < m; v++) total[v] += c[v];
      first = false;
    }
    if (first) total.fill(0);
    return total;
  }
}

/** Runs a magnitude-combination task (here): its pixel range, or the chunks it claims (then, with `int16`, the int16 pass's rows it claims). */
export function runMagnitudeCombineTask(task: MagnitudeCombineTask): void {
  const { images, maps, ncoils, npix, out, p0, p1, claims } = task;
  const int16 = task.int16 ?? null;
  const known = task.inGridMemory === true;
  if (claims === undefined || claims === null) {
    combineRange(images, maps, ncoils, npix, out, p0, p1, known);
    return;
  }
  const chunks = chunkCount(p1 - p0);
  takeClaimedWork(claims, chunks, (k) => combineChunk(images, maps, ncoils, npix, out, int16?.chunkMax ?? null, k, p0, p1, known));
  if (int16 === null) return;
  // every chunk's maximum is needed: wait for the other threads' last chunks (short), unless the frame was aborted
  for (;;) {
    const done = Atomics.load(claims, 1);
    if (done >= chunks) break;
    if (Atomics.load(int16.cells, CELL_ABORT) !== 0) return;
    Atomics.wait(claims, 1, done, 20);
  }
  runInt16Rows(int16, out, int16Scale(int16.chunkMax, chunks, int16.maxVal));
}

/** The combination of pixels [a, b) into out. */
function combineRange(images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array, a: number, b: number, known = false): void {
  if (SharedGrid.holding(out, known)?.combineRange(images, maps, ncoils, npix, out, a, b, known) === true) return;
  if (maps === null) rootSumOfSquaresRange(images, ncoils, npix, out, a, b);
  else combineWithMapsRange(images, maps, ncoils, npix, out, a, b);
}

/** The maximum of out[a, b), 0 when none is above 0 (NaN never counts): the frame's maximum is the same over any split. */
function rangeMax(out: Float32Array, a: number, b: number): number {
  let max = 0;
  for (let i = a; i < b; i++) if (out[i] > max) max = out[i];
  return max;
}

/** maxVal / the frame's maximum (the chunks' maxima's, by rangeMax's rule). */
function int16Scale(chunkMax: Float64Array, chunks: number, maxVal: number): number {
  let max = 0;
  for (let k = 0; k < chunks; k++) if (chunkMax[k] > max) max = chunkMax[k];
  return maxVal / max;
}

/** The int16 pass's chunks of output columns this thread claims, counted into its own histogram (cleared at its first chunk). */
function runInt16Rows(p: Int16PassTask, mag: Float32Array, scale: number): void {
  takeClaimedWork(p.cells, int16Chunks(p.msize), int16Item(p, mag, scale));
}

function int16Chunks(msize: number): number {
  return Math.ceil(msize / INT16_CHUNK_ROWS);
}

/** One thread's int16 chunk k (the claims are the frame's cells); its histogram is cleared, and its slot marked, at its first chunk. */
function int16Item(p: Int16PassTask, mag: Float32Array, scale: number): (k: number) => void {
  const { msize, maxVal, data, cells, slot } = p;
  const m = maxVal + 1;
  const counts = p.counts.subarray(slot * m, (slot + 1) * m);
  let first = true;
  return (k) => {
    if (first) {
      counts.fill(0);
      Atomics.store(cells, CELL_SLOTS + slot, 1);
      first = false;
    }
    if (int16Rows(mag, msize, k * INT16_CHUNK_ROWS, Math.min(msize, (k + 1) * INT16_CHUNK_ROWS), scale, maxVal, data, counts)) Atomics.store(cells, CELL_OUTSIDE, 1);
  };
}

/**
 * Output columns [a0, a1) of the flipped int16 frame: data[b * msize + a] = round half to even
 * (mag[(msize - 1 - a) * msize + b] * scale), counted in `counts` when in [0, maxVal]; true when
 * a value was not.
 */
export function int16Rows(mag: Float32Array, msize: number, a0: number, a1: number, scale: number, maxVal: number, data: Int16Array, counts: Uint32Array): boolean {
  let outside = false;
  for (let a = a0; a < a1; a++) {
    const src = (msize - 1 - a) * msize;
    for (let b = 0, o = a; b < msize; b++, o += msize) {
      const v = (data[o] = roundHalfEvenFast(mag[src + b] * scale));
      if (v >= 0 && v <= maxVal) counts[v]++;
      else outside = true;
    }
  }
  return outside;
}

/** A pool thread's magnitude-combination task: runMagnitudeCombineTask, for one posted ahead (`go`) once released. */
export async function runMagnitudeCombineWorkerTask(task: MagnitudeCombineTask): Promise<void> {
  if (task.go !== undefined && task.go !== null && !(await awaitGo(task.go))) return;
  runMagnitudeCombineTask(task);
}

function inGridMemory(images: Float32Array, maps: Float64Array | null, out: Float32Array): boolean {
  const k = SharedGrid.holding(out);
  return k !== null && k.holds(images) && (maps === null || k.holds(maps));
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
  int16: MagnitudeInt16Frame | null = null,
): Promise<Float32Array> {
  checkInt16(int16, npix, pool);
  if (pool === null) {
    if (images.length < 2 * ncoils * npix) throw new Error(`coil combination: ${images.length / 2} values for ${ncoils} coils x ${npix} pixels`);
    if (maps !== null && maps.length < 2 * ncoils * npix) throw new Error(`coil combination: ${maps.length / 2} map values for ${ncoils} coils x ${npix} pixels`);
    if (int16 === null) {
      combineRange(images, maps, ncoils, npix, out, 0, npix);
      return out;
    }
    // (the same chunks and rows as on the pool, all here)
    const chunks = chunkCount(npix);
    for (let k = 0; k < chunks; k++) combineChunk(images, maps, ncoils, npix, out, int16.chunkMax, k);
    const cells = int16.newCells();
    const scale = int16Scale(int16.chunkMax, chunks, int16.maxVal);
    const item = int16Item(int16.task(cells, 0), out, scale);
    for (let k = 0, n = int16Chunks(int16.msize); k < n; k++) item(k);
    int16.finished(cells, scale);
    return out;
  }
  checkCombineArrays(images, maps, ncoils, npix, out);
  const claims = newWorkClaims();
  const cells = int16?.newCells() ?? null;
  const onPool = pool.runAll(Array.from({ length: pool.threads }, (_, t) => ({
    kind: 'magnitude-combine', images, maps, ncoils, npix, out, p0: 0, p1: npix, claims, int16: int16 === null || cells === null ? null : int16.task(cells, t + 1),
    inGridMemory: inGridMemory(images, maps, out),
  } satisfies MagnitudeCombineTask)));
  return runCombineHere(images, maps, ncoils, npix, out, claims, onPool, int16, cells);
}

/** Chunk k of pixels [p0, p1) combined into out, its maximum into chunkMax[k] when given. */
function combineChunk(
  images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array, chunkMax: Float64Array | null, k: number,
  p0 = 0, p1 = npix, known = false,
): void {
  const a = p0 + k * MAGNITUDE_CHUNK_PIXELS, b = Math.min(p1, p0 + (k + 1) * MAGNITUDE_CHUNK_PIXELS);
  combineRange(images, maps, ncoils, npix, out, a, b, known);
  if (chunkMax !== null) chunkMax[k] = rangeMax(out, a, b);
}

/**
 * This thread's share of a combination on the pool (the chunks it claims beside the pool's
 * tasks over `claims`), then with `int16` the int16 pass's rows (slot 0). A failure here aborts
 * the frame, so that no pool task waits for a chunk that will not be finished.
 */
async function runCombineHere(
  images: Float32Array, maps: Float64Array | null, ncoils: number, npix: number, out: Float32Array, claims: Int32Array, onPool: Promise<unknown>,
  int16: MagnitudeInt16Frame | null, cells: Int32Array | null,
): Promise<Float32Array> {
  const chunks = chunkCount(npix);
  if (int16 === null || cells === null) {
    await runClaimedWork(claims, chunks, (k) => combineChunk(images, maps, ncoils, npix, out, null, k), onPool);
    return out;
  }
  await runClaimedWork(claims, chunks, (k) => {
    try {
      combineChunk(images, maps, ncoils, npix, out, int16.chunkMax, k);
    } catch (e) {
      Atomics.store(cells, CELL_ABORT, 1);
      Atomics.notify(claims, 1);
      throw e;
    }
  }, onPool);
  const scale = int16Scale(int16.chunkMax, chunks, int16.maxVal);
  await runClaimedWork(cells, int16Chunks(int16.msize), int16Item(int16.task(cells, 0), out, scale), onPool);
  int16.finished(cells, scale);
  return out;
}

function checkInt16(int16: MagnitudeInt16Frame | null, npix: number, pool: ReconPool | null): void {
  if (int16 === null) return;
  if (int16.npix !== npix) throw new Error(`int16 pass: ${int16.npix} pixels for a frame of ${npix}`);
  if (int16.slots < (pool?.threads ?? 0) + 1) throw new Error(`int16 pass: ${int16.slots} histogram slots for ${(pool?.threads ?? 0) + 1} threads`);
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
  readonly int16: MagnitudeInt16Frame | null;
  readonly cells: Int32Array | null;
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
  int16: MagnitudeInt16Frame | null = null,
): PreparedMagnitudeCombine {
  checkCombineArrays(images, maps, ncoils, npix, out);
  checkInt16(int16, npix, pool);
  const claims = newWorkClaims(), go = newGoCell();
  const cells = int16?.newCells() ?? null;
  const onPool = pool.runAll(Array.from({ length: pool.threads }, (_, t) => ({
    kind: 'magnitude-combine', images, maps, ncoils, npix, out, p0: 0, p1: npix, claims, go, int16: int16 === null || cells === null ? null : int16.task(cells, t + 1),
    inGridMemory: inGridMemory(images, maps, out),
  } satisfies MagnitudeCombineTask)));
  onPool.catch(() => undefined); // (a failure shows when it runs; a cancelled one's is not wanted)
  return { images, maps, out, ncoils, npix, claims, go, onPool, int16, cells };
}

/** Runs a prepared combination (this thread and the pool's waiting tasks take its chunks, then its int16 pass's rows); returns its out. */
export async function runPreparedMagnitude(p: PreparedMagnitudeCombine): Promise<Float32Array> {
  releaseGo(p.go);
  return runCombineHere(p.images, p.maps, p.ncoils, p.npix, p.out, p.claims, p.onPool, p.int16, p.cells);
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
 * Compiles the combination's two kernels (root sum of squares; the combination with maps), and
 * the int16 pass after them (histograms over [0, maxVal]), on this thread and on each of the
 * pool's threads, on throw-away arrays of `ncoils` coils (two chunks of pixels; a 64^2 frame for
 * the int16 pass), so that the first frame that uses a kernel does not run it cold: in a fresh
 * thread the first frame's combination costs several times a later one, and the maps of a
 * real-time session arrive several frames in, when the frame budget already holds. Nothing is
 * written but the throw-away arrays; for the session's set-up, off the frame path.
 */
export async function warmMagnitudeCombine(pool: ReconPool | null, ncoils: number, maxVal = 4095): Promise<void> {
  const npix = 2 * MAGNITUDE_CHUNK_PIXELS;
  const images = sharedFloat32(2 * ncoils * npix);
  const maps = new Float64Array(new SharedArrayBuffer(16 * ncoils * npix));
  for (let i = 0; i < images.length; i++) images[i] = ((i * 7919) % 1000) / 1000 - 0.5;
  for (let i = 0; i < maps.length; i++) maps[i] = ((i * 104729) % 1000) / 1000 - 0.5;
  const task = (m: Float64Array | null): MagnitudeCombineTask => ({ kind: 'magnitude-combine', images, maps: m, ncoils, npix, out: sharedFloat32(npix), p0: 0, p1: npix });
  // the int16 pass: a frame of 64^2 (its chunks taken by the pool's threads alone, or here)
  const msize = 64, small = msize * msize;
  const int16Tasks = (m: Float64Array | null, int16: MagnitudeInt16Frame, threads: number): MagnitudeCombineTask[] => {
    const claims = newWorkClaims(), cells = int16.newCells();
    return Array.from({ length: threads }, (_, t) => ({ ...task(m), npix: small, p1: small, claims, int16: int16.task(cells, t + 1) }));
  };
  const onPool = pool === null ? Promise.resolve() : (async () => {
    const int16 = new MagnitudeInt16Frame(msize, maxVal, pool.threads + 1);
    for (let k = 0; k < WARM_CALLS; k++) {
      await pool.runAll(Array.from({ length: pool.threads }, () => [task(null), task(maps)]).flat());
      for (const m of [null, maps]) await pool.runAll(int16Tasks(m, int16, pool.threads));
    }
  })();
  const here = new MagnitudeInt16Frame(msize, maxVal, 1);
  for (let k = 0; k < WARM_CALLS; k++) {
    runMagnitudeCombineTask(task(null));
    runMagnitudeCombineTask(task(maps));
    for (const m of [null, maps]) await combineMagnitudeOnPool(null, images, m, ncoils, small, sharedFloat32(small), here);
  }
  await onPool;
}
