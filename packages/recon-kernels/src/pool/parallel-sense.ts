/**
 * The multi-coil NUFFT SENSE operator (../mri/sense) on the worker pool, split over frames: each
 * worker rebuilds the operator once from its shared plans and maps (kept by id for the next
 * calls) and applies it to its run of frames, reading the shared input and writing its frames'
 * part of the shared output. Every frame is computed by the single-thread code and frames do not
 * mix, so the result is the same bits for any thread count.
 *
 * The synchronous methods run the operator here (one thread); the solvers call the `...Async`
 * ones, whose vectors should live on SharedArrayBuffers (others are copied for the call).
 */
import type { LinearOperator } from '../iterative/linear-operator.js';
import type { SenseNufftOperator, SenseShared } from '../mri/sense/sense-nufft.js';
import type { ReconPool } from './pool.js';
import type { SenseTask } from './tasks.js';
import { asShared, isShared, sharedFloat32, splitRange } from './shared-memory.js';

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
