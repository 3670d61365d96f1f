/**
 * The multi-coil NUFFT SENSE operator (./sense-nufft.ts) on the worker pool (../../pool), split over frames: each
 * worker rebuilds the operator once from its shared plans and maps (kept by id for the next
 * calls) and applies it to the frames it claims, one at a time from a shared counter (a thread
 * that gets less of its core takes fewer frames instead of holding the call up), reading the
 * shared input and writing its frames' part of the shared output. The Toeplitz spectra are kept
 * in shared memory, so a frame can go to either thread from call to call. Every frame is computed
 * by the single-thread code and frames do not mix, so the result is the same bits for any thread
 * count.
 *
 * `ParallelSenseNufftOperator.create` makes the frames' plans on the pool too (frames claimed one
 * at a time; the same tables as the constructor's), instead of all of them on the calling thread
 * while the pool waits.
 *
 * The synchronous methods run the operator here (one thread); the solvers call the `...Async`
 * ones, whose vectors should live on SharedArrayBuffers (others are copied for the call).
 *
 * solveTvAdmmOnWorker runs a whole TV-ADMM solve of the operator on one pool thread with the
 * single-thread code (the same bits as solveTvAdmm here), so that independent solves (the TFD
 * recon's chunks) run side by side without a synchronisation per CG step.
 */
import type { FftEngine } from '../../fft/engine.js';
import type { LinearOperator } from '../../iterative/linear-operator.js';
import type { ReconPool } from '../../pool/pool.js';
import { asShared, claimWork, isShared, newWorkClaims, sharedFloat32 } from '../../pool/shared-memory.js';
import { solveTvAdmm, tvAdmmNominalSteps, type TvAdmmOptions } from '../../iterative/tv-admm.js';
import type { NufftOptions } from '../../nufft/index.js';
import { SENSE_NUFFT_DEFAULTS, SenseNufftOperator, nufftOptionsOf, senseFramePlan, sharedCoords, sharedToeplitz, type SenseFramePlan, type SenseNufftOptions, type SenseShared } from './sense-nufft.js';

/**
 * The SENSE operator (`id` names it: a worker keeps the operator it rebuilt from `shared` for
 * the next tasks) applied to the frames claimed from `claims` (newWorkClaims: [0] the next frame)
 * until all are taken.
 */
export interface SenseTask {
  kind: 'sense-forward' | 'sense-adjoint' | 'sense-normal';
  id: string;
  shared: SenseShared;
  input: Float32Array;
  out: Float32Array;
  claims: Int32Array;
}

/** Operators rebuilt from shared parts in this (worker) thread, by id (a few: one solve uses one). */
const rebuilt = new Map<string, SenseNufftOperator>();
const KEEP = 4;

/** Runs a SENSE task with this thread's engine (in a worker). */
export function runSenseTask(fft: FftEngine, task: SenseTask): void {
  let op = rebuilt.get(task.id);
  if (op === undefined) {
    op = SenseNufftOperator.fromShared(fft, task.shared);
    if (rebuilt.size >= KEEP) rebuilt.delete(rebuilt.keys().next().value as string);
    rebuilt.set(task.id, op);
  }
  const frames = op.frames;
  const claim = (): number => claimWork(task.claims, frames);
  if (task.kind === 'sense-forward') op.forwardFrames(task.input, task.out, 0, 0, claim);
  else if (task.kind === 'sense-adjoint') op.adjointFrames(task.input, task.out, 0, 0, claim);
  else op.normalFrames(task.input, task.out, 0, 0, claim);
}

/** Plans of the frames claimed from `claims` (senseFramePlan), with their frame numbers. */
export interface SensePlanTask {
  kind: 'sense-plans';
  coords: Float64Array[];
  ny: number;
  nx: number;
  nufft: NufftOptions;
  claims: Int32Array;
}

/** Runs a plan task with this thread's engine (in a worker): the plans of the frames it claimed. */
export function runSensePlanTask(fft: FftEngine, task: SensePlanTask): { frame: number; plan: SenseFramePlan }[] {
  const done: { frame: number; plan: SenseFramePlan }[] = [];
  for (let f = claimWork(task.claims, task.coords.length); f >= 0; f = claimWork(task.claims, task.coords.length)) {
    done.push({ frame: f, plan: senseFramePlan(fft, task.coords[f], task.ny, task.nx, task.nufft) });
  }
  return done;
}

let nextId = 0;

export class ParallelSenseNufftOperator implements LinearOperator {
  readonly inputLength: number;
  readonly outputLength: number;
  private readonly id = `sense-${process.pid}-${nextId++}`;
  private sharedParts: SenseShared | null = null;

  constructor(private readonly pool: ReconPool, readonly local: SenseNufftOperator) {
    this.inputLength = local.inputLength;
    this.outputLength = local.outputLength;
  }

  get frames(): number {
    return this.local.frames;
  }

  /**
   * The operator of `new SenseNufftOperator(fft, coords, maps, ncoils, ny, nx, options)` (with
   * sharedHeapBlocks) on the pool, its frames' plans made by the pool's threads: the same plans,
   * so the same bits.
   */
  static async create(
    pool: ReconPool, fft: FftEngine, coords: readonly ArrayLike<number>[], maps: Float32Array, ncoils: number, ny: number, nx: number,
    options: SenseNufftOptions = SENSE_NUFFT_DEFAULTS,
  ): Promise<ParallelSenseNufftOperator> {
    const toeplitz = sharedToeplitz(coords, options);
    const frameCoords = toeplitz?.coords ?? sharedCoords(coords);
    const nufft = nufftOptionsOf(options);
    const claims = newWorkClaims();
    const threads = Math.min(pool.threads, coords.length);
    const parts = await pool.runEach<{ frame: number; plan: SenseFramePlan }[]>(
      Array.from({ length: threads }, (): SensePlanTask => ({ kind: 'sense-plans', coords: frameCoords, ny, nx, nufft, claims })),
    );
    const frames = new Array<SenseFramePlan>(coords.length);
    for (const part of parts) for (const { frame, plan } of part) frames[frame] = plan;
    const shared: SenseShared = { frames, maps: asShared(maps), ncoils, ny, nx, toeplitz };
    const op = new ParallelSenseNufftOperator(pool, SenseNufftOperator.fromShared(fft, shared));
    op.sharedParts = op.local.shared();
    return op;
  }

  forward(x: Float32Array, out: Float32Array): void {
    this.local.forward(x, out);
  }

  adjoint(y: Float32Array, out: Float32Array): void {
    this.local.adjoint(y, out);
  }

  normal(x: Float32Array, out: Float32Array): void {
    this.local.normal(x, out);
  }

  forwardAsync(x: Float32Array, out: Float32Array): Promise<void> {
    return this.run('sense-forward', x, out, 2 * this.outputLength);
  }

  adjointAsync(y: Float32Array, out: Float32Array): Promise<void> {
    return this.run('sense-adjoint', y, out, 2 * this.inputLength);
  }

  normalAsync(x: Float32Array, out: Float32Array): Promise<void> {
    return this.run('sense-normal', x, out, 2 * this.inputLength);
  }

  /** Frees the local plans' memory (the workers drop their copy when other operators come). */
  dispose(): void {
    this.local.dispose();
  }

  private async run(kind: SenseTask['kind'], input: Float32Array, out: Float32Array, outLength: number): Promise<void> {
    this.sharedParts ??= this.local.shared();
    const shared = this.sharedParts;
    const src = asShared(input);
    const dst = isShared(out) ? out : sharedFloat32(outLength);
    const claims = newWorkClaims();
    const threads = Math.min(this.pool.threads, this.local.frames);
    await this.pool.runAll(Array.from({ length: threads }, (): SenseTask => ({ kind, id: this.id, shared, input: src, out: dst, claims })));
    if (dst !== out) out.set(dst.subarray(0, outLength));
  }
}

/** The options of a solve on a worker: TvAdmmOptions without the callbacks and the pool. */
export type WorkerTvAdmmOptions = Omit<TvAdmmOptions, 'onIteration' | 'onProgress' | 'pool' | 'initial'>;

/** A whole TV-ADMM solve of the SENSE operator rebuilt from `shared`, on one worker thread. */
export interface SenseTvSolveTask {
  kind: 'sense-tv-solve';
  shared: SenseShared;
  y: Float32Array;
  options: WorkerTvAdmmOptions;
  /** the solution (shared, the operator's input length, complex) */
  out: Float32Array;
  /** [0]: CG steps done so far (for the caller's progress report) */
  progress: Int32Array;
}

/** Runs a solve task with this thread's engine (in a worker). */
export function runSenseTvSolveTask(fft: FftEngine, task: SenseTvSolveTask): void {
  const op = SenseNufftOperator.fromShared(fft, task.shared);
  try {
    const x = solveTvAdmm(op, task.y, { ...task.options, onProgress: (done) => { Atomics.store(task.progress, 0, done); } });
    task.out.set(x);
  } finally {
    op.dispose();
  }
}

/** How often the caller looks at a worker solve's progress (ms). */
const PROGRESS_POLL_MS = 200;

/**
 * solveTvAdmm(op, y, options) on one thread of the pool (see the file header): the same bits as
 * the single-thread solve. `onProgress` is called from this thread with the CG steps done and
 * the nominal total while it runs.
 */
export async function solveTvAdmmOnWorker(
  pool: ReconPool, op: SenseNufftOperator, y: Float32Array, options: WorkerTvAdmmOptions, onProgress?: (done: number, total: number) => void,
): Promise<Float32Array> {
  const out = sharedFloat32(2 * op.inputLength);
  const progress = new Int32Array(new SharedArrayBuffer(4));
  const total = tvAdmmNominalSteps(options);
  let seen = 0;
  const look = (): void => {
    const done = Atomics.load(progress, 0);
    if (done !== seen) {
      seen = done;
      onProgress?.(done, total);
    }
  };
  const timer = onProgress ? setInterval(look, PROGRESS_POLL_MS) : null;
  try {
    const task: SenseTvSolveTask = { kind: 'sense-tv-solve', shared: op.shared(), y: asShared(y), options: { ...options, tv: options.tv.map((t) => ({ ...t, joint: t.joint ? [...t.joint] : undefined })) }, out, progress };
    await pool.runAll([task]);
    if (onProgress) look();
  } finally {
    if (timer !== null) clearInterval(timer);
  }
  return out;
}

