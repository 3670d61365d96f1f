/**
 * The multi-coil NUFFT SENSE operator (./sense-nufft.ts) on the worker pool (../../pool), split over frames: each
 * worker rebuilds the operator once from its shared plans and maps (kept by id for the next
 * calls) and applies it to its run of frames, reading the shared input and writing its frames'
 * part of the shared output. Every frame is computed by the single-thread code and frames do not
 * mix, so the result is the same bits for any thread count.
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
import { asShared, isShared, sharedFloat32, splitRange } from '../../pool/shared-memory.js';
import { solveTvAdmm, tvAdmmNominalSteps, type TvAdmmOptions } from '../../iterative/tv-admm.js';
import { SenseNufftOperator, type SenseShared } from './sense-nufft.js';

/**
 * The SENSE operator (`id` names it: a worker keeps the operator it rebuilt from `shared` for
 * the next tasks) applied to frames [f0, f1).
 */
export interface SenseTask {
  kind: 'sense-forward' | 'sense-adjoint' | 'sense-normal';
  id: string;
  shared: SenseShared;
  input: Float32Array;
  out: Float32Array;
  f0: number;
  f1: number;
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
  if (task.kind === 'sense-forward') op.forwardFrames(task.input, task.out, task.f0, task.f1);
  else if (task.kind === 'sense-adjoint') op.adjointFrames(task.input, task.out, task.f0, task.f1);
  else op.normalFrames(task.input, task.out, task.f0, task.f1);
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
    const tasks: SenseTask[] = splitRange(this.local.frames, this.pool.threads).map(([f0, f1]) => ({ kind, id: this.id, shared, input: src, out: dst, f0, f1 }));
    await this.pool.runAll(tasks);
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

