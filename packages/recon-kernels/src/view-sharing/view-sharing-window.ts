/**
 * The sliding window of real-time view sharing, in image space, split over coils on the
 * numerics' worker pool: arms are gridded (Kaiser-Bessel, a Nufft plan's taps) into the current
 * block's oversampled grid; a completed block is transformed once (the plan's imageFromGrid) into
 * a block image that joins a running sum; a frame is that sum (plus the image of a block still
 * incomplete); the oldest block is later subtracted from the sum. By linearity the frame equals
 * the adjoint NUFFT of every arm in the window.
 *
 * Why: the frame path of a real-time recon (gridding of the last arm, the block's transforms) is
 * the latency budget; split by coil over the calling thread and the pool's threads it shrinks
 * with the cores. The coils of a step are handed out one at a time to whichever thread asks next
 * (../pool/shared-memory.ts, runClaimedWork): a pool thread that starts late because its core is
 * busy takes fewer coils or none, and the step never waits for it to be scheduled. Only the steps
 * that complete a block or form a frame are split: an arm in between is gridded on the calling
 * thread (a round trip to the pool per arm costs more than it saves). Every buffer (grid, block
 * images, sum, frame, arm data) is allocated once, on SharedArrayBuffers, so a frame allocates
 * next to nothing. Each coil's arithmetic is the single-thread one in the same order (same
 * float32 roundings), so the result does not depend on the thread count or on which thread took
 * a coil, bit for bit; with no pool the same step runs on the calling thread.
 *
 * A step carries the operations queued since the last one, run per coil in this order: subtract
 * the dropped block image from the sum; zero the grid; density-compensate the arm's raw samples
 * (a window made with density weights: the caller copies the readout into rawData, and each
 * coil is weighted by the thread that grids it, not serially before the step); grid the arm; complete the block;
 * form the frame with the incomplete block. The grid of a completed block is zeroed with the
 * next step (off the frame's latency). A block-completing step can be prepared ahead
 * (prepareBlockStep: its pool tasks posted in the idle time before its arm, waiting on a go cell),
 * so that neither the post nor the pool thread's start is on the frame's latency. Where the plan
 * allows it (natural grid layout, width 4) the grid and the arm's samples live in a shared
 * WebAssembly memory and every thread grids with the wasm kernel there (../nufft/grid-kernel.ts:
 * the JS gridding's bits at a fraction of its CPU); the sum, the frame and the first block images
 * live in its image slots, so that a block image's apodization and add into the sum, its later
 * subtraction and a frame's sum + incomplete block run there as well.
 */
import type { FftEngine } from '../fft/engine.js';
import { Nufft, type NufftTables } from '../nufft/nufft.js';
import { SharedGrid, type SharedGridLayout } from '../nufft/grid-kernel.js';
import type { ReconPool } from '../pool/pool.js';
import {
  awaitGo, cancelGo, newGoCell, newWorkClaims, releaseGo, runClaimedWork, sharedFloat32, splitRange, takeClaimedWork,
} from '../pool/shared-memory.js';

/** One step of the window for coils [c0, c1) (see the file header for the order of the operations). */
export interface ViewSharingStepTask {
  kind: 'view-sharing-step';
  /** the plan's shared tables (a worker rebuilds the plan from them); null on the calling thread */
  tables: NufftTables | null;
  c0: number;
  c1: number;
  /** when set (a worker's task), the coils of [c0, c1) are taken one at a time from these claims (shared with the other threads) */
  claims?: Int32Array | null;
  /** when set (the warm-up's tasks), [0] is incremented once the task's work is done: the caller sees it without reading the pool's answer */
  done?: Int32Array | null;
  /** when set (a step posted ahead, prepareBlockStep), the task waits until this cell is released (or ends when it is cancelled) */
  go?: Int32Array | null;
  /**
   * when set, the window's gridding memory (../nufft/grid-kernel.ts): the thread grids with its
   * wasm kernel there, `grid` and `data` being that memory's (unless `scratch`)
   */
  sharedGrid?: SharedGridLayout | null;
  /** the warm-up's throw-away grid and data (not in sharedGrid's memory: the kernel is only instantiated) */
  scratch?: boolean;
  /** `block` and `sum` are sharedGrid's memory's: the block image's apodization and sum run there in wasm */
  blockInShared?: boolean;
  /** `drop` and `sum` are sharedGrid's memory's: the subtraction runs there in wasm */
  dropInShared?: boolean;
  /** [coil][osy][osx] complex: the current block's grid */
  grid: Float32Array;
  /** [coil][ny][nx] complex: the sum of the held block images */
  sum: Float32Array;
  /** [coil][ny][nx] complex: sum + image of the incomplete block (when `partial`) */
  frame: Float32Array;
  /** block image subtracted from the sum first, or null */
  drop: Float32Array | null;
  zeroGrid: boolean;
  /** [coil][count] complex samples of points [p0, p0 + count) gridded, or null */
  data: Float32Array | null;
  /** when set (and data), data's coils are first written from these raw samples times the density weights */
  raw?: DensityInput | null;
  p0: number;
  count: number;
  /** the completed block's image is written here and added to the sum (the grid is left as it is: zeroGrid on the next step), or null */
  block: Float32Array | null;
  partial: boolean;
}

/** A readout's raw samples and the density weights (a window made with them, see the file header). */
export interface DensityInput {
  /** [coil][samples] complex: the readout as it came (the caller copies it here) */
  data: Float32Array;
  samples: number;
  /** the samples before this one are dropped: sample preDiscard + s is point s of the arm */
  preDiscard: number;
  /** [count] the density weight of each point of the arm */
  w: Float64Array;
}

/**
 * Coils [c0, c1) of `out` ([coil][count] complex) = the raw samples after preDiscard times the
 * density weights (each product in float64, stored as float32).
 */
export function densityCompensate(raw: DensityInput, count: number, c0: number, c1: number, out: Float32Array): void {
  const { data, samples, preDiscard, w } = raw;
  for (let c = c0; c < c1; c++) {
    const src = 2 * (c * samples + preDiscard), dst = 2 * c * count;
    for (let s = 0; s < count; s++) {
      out[dst + 2 * s] = data[src + 2 * s] * w[s];
      out[dst + 2 * s + 1] = data[src + 2 * s + 1] * w[s];
    }
  }
}

/**
 * Runs a step with `plan` (the caller's, or one rebuilt from the task's tables in a worker); the
 * arm gridded by `shared`'s kernel when given (the task's grid and data are then its memory's).
 */
export function runViewSharingStep(plan: Nufft, task: ViewSharingStepTask, shared: SharedGrid | null = null): void {
  const { c0, c1, grid, sum, frame, drop, data, block, count } = task;
  const raw = task.raw ?? null;
  const n = c1 - c0;
  const gp = 2 * plan.osy * plan.osx;
  const ip = 2 * plan.ny * plan.nx;
  const g = grid.subarray(c0 * gp, c1 * gp);
  const s = sum.subarray(c0 * ip, c1 * ip);
  if (drop !== null) {
    const d = drop.subarray(c0 * ip, c1 * ip);
    if (shared !== null && task.dropInShared === true) shared.subtract(s, d);
    else subtractInPlace(s, d);
  }
  if (task.zeroGrid) g.fill(0);
  if (data !== null && raw !== null) densityCompensate(raw, count, c0, c1, data);
  if (data !== null) {
    if (shared !== null) shared.gridAdd(plan, c0, c1, task.p0);
    else plan.gridAdd(data.subarray(2 * c0 * count, 2 * c1 * count), n, g, task.p0, count, 1);
  }
  if (block !== null) {
    const b = block.subarray(c0 * ip, c1 * ip);
    // b, and s += b in the same pass (that pass by the wasm kernel when both are its memory's)
    plan.imageFromGrid(g, n, b, s, shared !== null && task.blockInShared === true ? shared : null);
  }
  if (task.partial) {
    const f = frame.subarray(c0 * ip, c1 * ip);
    plan.imageFromGrid(g, n, f);
    // the frame and the sum are the memory's image slots whenever a step has the memory
    if (shared !== null) shared.addInto(f, s);
    else for (let i = 0; i < f.length; i++) f[i] = s[i] + f[i];
  }
}

/** s[i] -= d[i] (float32), four a step: the loop's own overhead is most of a plain loop's time. */
function subtractInPlace(s: Float32Array, d: Float32Array): void {
  const n = s.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    s[i] -= d[i]; s[i + 1] -= d[i + 1]; s[i + 2] -= d[i + 2]; s[i + 3] -= d[i + 3];
  }
  for (; i < n; i++) s[i] -= d[i];
}

/** Runs a step with this thread's engine (in a worker): its coil range, or the coils it claims; a step posted ahead (`go`) once released. */
export async function runViewSharingTask(fft: FftEngine, task: ViewSharingStepTask): Promise<void> {
  if (task.tables === null) throw new Error('view sharing: a step for a worker without the plan\'s tables');
  if (task.go !== undefined && task.go !== null && !(await awaitGo(task.go))) return;
  const plan = Nufft.fromTables(fft, task.tables);
  const layout = task.sharedGrid ?? null;
  const kernel = layout === null ? null : SharedGrid.attach(layout, plan);
  const shared = task.scratch === true ? null : kernel;
  const claims = task.claims;
  if (claims === undefined || claims === null) {
    runViewSharingStep(plan, task, shared);
    if (task.done !== undefined && task.done !== null) Atomics.add(task.done, 0, 1);
    return;
  }
  takeClaimedWork(claims, task.c1 - task.c0, (i) => runViewSharingStep(plan, { ...task, c0: task.c0 + i, c1: task.c0 + i + 1 }, shared));
}

/** ViewSharingWindow's options. */
export interface ViewSharingWindowOptions {
  /**
   * false: the arms are gridded by the plan's JS code even where the wasm kernel applies
   * (../nufft/grid-kernel.ts: a natural-layout, width-4 plan; the same grid bits). Default true.
   */
  wasmGridding?: boolean;
}

/**
 * The window of one session: `ncoils` coils, arms of `armSamples` points of `plan`. With a pool
 * (of n threads) the coils of a split step go one at a time to the calling thread and the pool's
 * n threads, whichever asks first (`--threads 2`: this thread and a pool of one); without, the
 * whole step runs here.
 */
export class ViewSharingWindow {
  /** [coil][armSamples] complex: the caller writes an arm's (density-compensated) samples here before `addArm` (without density weights) */
  readonly armData: Float32Array;
  /** with density weights: the caller copies each readout ([coil][samples] complex) here before `addArm`, else null */
  readonly rawData: Float32Array | null;
  private readonly raw: DensityInput | null;
  /** the gridding memory with its wasm kernel (grid and armData live there), or null: the JS gridding */
  private readonly shared: SharedGrid | null;
  /** its image slots not yet used for a block image */
  private readonly freeSlots: Float32Array[];
  private readonly grid: Float32Array;
  private readonly sum: Float32Array;
  private readonly frameImages: Float32Array;
  /** block images held, oldest first */
  private readonly held: Float32Array[] = [];
  /** block images free for reuse */
  private readonly free: Float32Array[] = [];
  private pendingDrop: Float32Array | null = null;
  private pendingZero = false;
  private readonly tables: NufftTables | null;
  /** the pool takes the steps once its threads are warm (warmUp); until then they run here */
  private poolReady = false;
  /** [0]: the warm-up's tasks done (counted by the pool's threads: read without an event-loop turn), or null before warmUp */
  private warmDone: Int32Array | null = null;
  /** the warm-up's coil ranges, one per pool thread */
  private readonly ranges: [number, number][];
  private readonly imageLength: number;
  /** a block-completing step whose pool tasks are posted ahead and wait for its arm (prepareBlockStep) */
  private prepared: { p0: number; block: Float32Array; drop: Float32Array | null; zeroGrid: boolean; claims: Int32Array; go: Int32Array; onPool: Promise<void> } | null = null;

  /**
   * `density`: the readouts' samples (preDiscard + armSamples at least) and the density weights
   * (armSamples): the caller then copies each readout into rawData, and the steps weight it.
   */
  constructor(
    private readonly plan: Nufft, readonly ncoils: number, readonly armSamples: number, private readonly pool: ReconPool | null,
    density?: { samples: number; preDiscard: number; w: ArrayLike<number> },
    options: ViewSharingWindowOptions = {},
  ) {
    this.imageLength = 2 * ncoils * plan.ny * plan.nx;
    this.shared = options.wasmGridding === false ? null : SharedGrid.create(plan, ncoils, armSamples);
    this.armData = this.shared?.data ?? sharedFloat32(2 * ncoils * armSamples);
    if (density !== undefined) {
      if (density.samples < density.preDiscard + armSamples) throw new Error(`view sharing: readouts of ${density.samples} samples for ${density.preDiscard} dropped + ${armSamples}`);
      if (density.w.length < armSamples) throw new Error(`view sharing: ${density.w.length} density weights for ${armSamples} points`);
      const w = new Float64Array(new SharedArrayBuffer(8 * armSamples));
      for (let s = 0; s < armSamples; s++) w[s] = density.w[s];
      this.rawData = sharedFloat32(2 * ncoils * density.samples);
      this.raw = { data: this.rawData, samples: density.samples, preDiscard: density.preDiscard, w };
    } else {
      this.rawData = null;
      this.raw = null;
    }
    this.grid = this.shared?.grid ?? sharedFloat32(ncoils * 2 * plan.gridSize);
    // the sum, the frame and the block images in the gridding memory's image slots while there are any
    const slots = this.shared?.images ?? [];
    this.sum = slots[0] ?? sharedFloat32(this.imageLength);
    this.frameImages = slots[1] ?? sharedFloat32(this.imageLength);
    this.freeSlots = slots.slice(2);
    const parallel = pool !== null && ncoils > 1;
    this.tables = parallel ? plan.tables() : null;
    this.ranges = parallel ? splitRange(ncoils, pool.threads + 1).slice(1) : [];
  }

  /** A block image: a free one, else a new one (in the gridding memory's image slots while there are any). */
  private newBlock(): Float32Array {
    return this.free.pop() ?? this.freeSlots.pop() ?? sharedFloat32(this.imageLength);
  }

  /**
   * True when the block image is in the gridding memory, where the kernel then apodizes and sums,
   * or subtracts: the sum and the frame always are there when there is such a memory (its slots
   * 0 and 1), the block images while slots are free.
   */
  private inSharedMemory(image: Float32Array | null): boolean {
    return image !== null && this.shared !== null && this.shared.holds(image);
  }

  /** The array `frame(withIncompleteBlock)` returns (the same one at every frame): for work on the frame prepared ahead. */
  frameArray(withIncompleteBlock: boolean): Float32Array {
    return withIncompleteBlock ? this.frameImages : this.sum;
  }

  /** The gridding memory (the sum is in it), or null. */
  get gridMemory(): SharedGrid | null {
    return this.shared;
  }

  /** Block images held in the sum. */
  get heldBlocks(): number {
    return this.held.length;
  }

  /**
   * Starts the pool's threads and compiles their step on a throw-away window (the result is
   * dropped); the steps go to the pool once this resolves, and run on the calling thread until
   * then (the same bits: per coil the same arithmetic), so arms are never held up by a thread
   * starting. A failed warm-up leaves the steps here.
   */
  async warmUp(): Promise<void> {
    if (this.tables === null || this.pool === null) return;
    const scratch = (n: number): Float32Array => sharedFloat32(n);
    const ip = this.imageLength;
    const grid = scratch(this.grid.length), sum = scratch(ip), frame = scratch(ip), block = scratch(ip);
    const done = (this.warmDone = new Int32Array(new SharedArrayBuffer(4)));
    await this.pool.runAll(this.ranges.map(([c0, c1]) => ({
      kind: 'view-sharing-step', tables: this.tables, c0, c1, done, sharedGrid: this.shared?.layout ?? null, scratch: true, grid, sum, frame, drop: null, zeroGrid: false,
      data: this.armData.length > 0 ? scratch(this.armData.length) : null, p0: 0, count: this.armSamples, block, partial: true,
      raw: this.raw === null ? null : { ...this.raw, data: scratch(this.raw.data.length) },
    } satisfies ViewSharingStepTask)));
    this.poolReady = true;
  }

  /**
   * True when the steps run on the pool (warm), false when on the calling thread. Read off the
   * threads' own count of the warm-up's tasks done, not only off warmUp's promise: a caller that
   * is behind takes its arms without an event-loop turn (the pool's answers unread), and would
   * otherwise keep every step on its own thread for as long as it stays behind.
   */
  get onPool(): boolean {
    if (!this.poolReady && this.warmDone !== null && Atomics.load(this.warmDone, 0) >= this.ranges.length) this.poolReady = true;
    return this.poolReady;
  }

  /**
   * Grids armData as points [p0, p0 + armSamples) into the block; with `completesBlock` the block
   * is then transformed and joins the sum (its grid is zeroed with the next step).
   */
  async addArm(p0: number, completesBlock: boolean): Promise<void> {
    const ready = this.prepared;
    this.prepared = null;
    if (ready !== null && completesBlock && ready.p0 === p0 && ready.drop === this.pendingDrop && ready.zeroGrid === this.pendingZero) {
      // the step prepared for this arm: its pool tasks are there, waiting for armData
      this.pendingDrop = null;
      this.pendingZero = false;
      this.held.push(ready.block);
      const task = (c0: number, c1: number): ViewSharingStepTask => ({
        kind: 'view-sharing-step', tables: null, c0, c1, sharedGrid: null, blockInShared: this.inSharedMemory(ready.block), dropInShared: this.inSharedMemory(ready.drop), grid: this.grid, sum: this.sum, frame: this.frameImages, drop: ready.drop, zeroGrid: ready.zeroGrid,
        data: this.armData, raw: this.raw, p0, count: this.armSamples, block: ready.block, partial: false,
      });
      releaseGo(ready.go);
      await runClaimedWork(ready.claims, this.ncoils, (c) => runViewSharingStep(this.plan, task(c, c + 1), this.shared), ready.onPool);
      this.pendingZero = true;
      return;
    }
    if (ready !== null) this.dropPrepared(ready);
    let block: Float32Array | null = null;
    if (completesBlock) {
      block = this.newBlock();
      this.held.push(block);
    }
    await this.step({ data: this.armData, raw: this.raw, p0, count: this.armSamples, block, partial: false }, completesBlock);
    if (completesBlock) this.pendingZero = true;
  }

  /**
   * Posts the pool's tasks of the next arm's step ahead, when that arm is to be `addArm(p0, true)`
   * (it completes a block: a split step on the frame path): they wait for it off the CPU, so that
   * neither the post (this thread's time, docs/numerics.md) nor the pool thread's start is on the
   * frame's latency. For the idle time before that arm arrives. A prepared step that the next
   * call does not match (another p0, an arm that does not complete a block, a frame or shift
   * between) is cancelled, and the call runs as without it. No-op until the pool is warm.
   */
  prepareBlockStep(p0: number): void {
    if (this.prepared !== null) this.dropPrepared(this.prepared);
    this.prepared = null;
    if (this.tables === null || this.pool === null || !this.onPool) return;
    this.shared?.prepare(p0); // (the arm's tap records, before the tasks that grid it are posted)
    const block = this.newBlock();
    const claims = newWorkClaims(), go = newGoCell();
    const drop = this.pendingDrop, zeroGrid = this.pendingZero;
    const onPool = this.pool.runAll(this.ranges.map(() => ({
      kind: 'view-sharing-step', tables: this.tables, c0: 0, c1: this.ncoils, claims, go, sharedGrid: this.shared?.layout ?? null, blockInShared: this.inSharedMemory(block), dropInShared: this.inSharedMemory(drop), grid: this.grid, sum: this.sum, frame: this.frameImages, drop, zeroGrid,
      data: this.armData, raw: this.raw, p0, count: this.armSamples, block, partial: false,
    } satisfies ViewSharingStepTask)));
    onPool.catch(() => undefined); // (a failure shows when the step runs; a cancelled step's is not wanted)
    this.prepared = { p0, block, drop, zeroGrid, claims, go, onPool };
  }

  /** Cancels a prepared step (its pool tasks end without touching anything); its block image goes back to the free list. */
  private dropPrepared(p: NonNullable<ViewSharingWindow['prepared']>): void {
    cancelGo(p.go);
    this.free.push(p.block);
  }

  /** Cancels a prepared step, if any (the session ends: no pool task is left waiting). */
  cancelPrepared(): void {
    if (this.prepared !== null) this.dropPrepared(this.prepared);
    this.prepared = null;
  }

  /** The frame's coil images [coil][ny][nx]: the sum, plus the incomplete block's image when `withIncompleteBlock`. Valid until the next call. */
  async frame(withIncompleteBlock: boolean): Promise<Float32Array> {
    if (!withIncompleteBlock && this.pendingDrop === null) return this.sum; // (a grid zeroing pending does not touch the sum)
    await this.step({ data: null, p0: 0, count: 0, block: null, partial: withIncompleteBlock }, withIncompleteBlock);
    return withIncompleteBlock ? this.frameImages : this.sum;
  }

  /**
   * Shifts the oldest block out of the sum, or, with no complete block held, every arm gridded
   * (the grid is zeroed). Done with the next step (off the caller's frame path).
   */
  shiftOut(): void {
    this.cancelPrepared(); // (its pending operations would no longer be this step's)
    const oldest = this.held.shift();
    if (oldest !== undefined) {
      if (this.pendingDrop !== null) throw new Error('view sharing: two blocks shifted out in one step');
      this.pendingDrop = oldest;
      this.free.push(oldest);
    } else this.pendingZero = true;
  }

  /** Runs the queued operations and `op`; split over the pool when `split` (and the pool is warm), else here. */
  private async step(op: { data: Float32Array | null; raw?: DensityInput | null; p0: number; count: number; block: Float32Array | null; partial: boolean }, split: boolean): Promise<void> {
    this.cancelPrepared(); // (a prepared step's tasks would hold the pool's threads ahead of this one's)
    const drop = this.pendingDrop, zeroGrid = this.pendingZero;
    this.pendingDrop = null;
    this.pendingZero = false;
    const task = (c0: number, c1: number, tables: NufftTables | null): ViewSharingStepTask => ({
      kind: 'view-sharing-step', tables, c0, c1, sharedGrid: tables === null ? null : this.shared?.layout ?? null, blockInShared: this.inSharedMemory(op.block), dropInShared: this.inSharedMemory(drop),
      grid: this.grid, sum: this.sum, frame: this.frameImages, drop, zeroGrid, ...op,
    });
    if (!split || this.tables === null || this.pool === null || !this.onPool) {
      runViewSharingStep(this.plan, task(0, this.ncoils, null), this.shared);
      return;
    }
    // every coil to whichever thread takes it first: this one and the pool's (one task per thread)
    if (op.data !== null) this.shared?.prepare(op.p0); // (the arm's tap records, before the tasks that grid it are posted)
    const claims = newWorkClaims();
    const n = this.ncoils;
    const onPool = this.pool.runAll(this.ranges.map(() => ({ ...task(0, n, this.tables), claims })));
    await runClaimedWork(claims, n, (c) => runViewSharingStep(this.plan, task(c, c + 1, null), this.shared), onPool);
  }
}
