/**
 * The messages between the numerics and their worker pool: each task names a kernel and carries
 * typed arrays on SharedArrayBuffers (read and written in place, never copied) and the range of
 * coils or frames it does. A worker computes exactly what the single-thread code computes for
 * that range, with the same code, so results do not depend on the number of threads.
 */
import type { NufftTables } from '../nufft/nufft.js';
import type { SenseShared } from '../mri/sense/sense-nufft.js';

/** NUFFT adjoint (type 1) of coils [c0, c1): data [coil][npts] -> out [coil][ny][nx]. */
export interface NufftAdjointTask {
  kind: 'nufft-adjoint';
  tables: NufftTables;
  data: Float32Array;
  out: Float32Array;
  c0: number;
  c1: number;
}

/** NUFFT forward (type 2) of coils [c0, c1): image [coil][ny][nx] -> out [coil][npts]. */
export interface NufftForwardTask {
  kind: 'nufft-forward';
  tables: NufftTables;
  image: Float32Array;
  out: Float32Array;
  c0: number;
  c1: number;
}

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

export type PoolTask = NufftAdjointTask | NufftForwardTask | SenseTask;
