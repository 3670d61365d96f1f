/**
 * The NUFFT on the worker pool, split over coils: each worker runs the plan (rebuilt from its
 * shared tables, no recomputation) on its coils' planes of the shared data and writes its
 * coils' planes of the shared output. Per coil the computation is the single-thread one, so the
 * result is the same bits. With no pool (threads 1) the plan runs here.
 */
import type { Nufft, NufftTables } from '../nufft/nufft.js';
import type { ReconPool } from './pool.js';
import { asShared, isShared, sharedFloat32, splitRange } from './shared-memory.js';

/** A plan's shared tables, made once per plan. */
const tableCache = new WeakMap<Nufft, NufftTables>();
function tablesOf(plan: Nufft): NufftTables {
  let t = tableCache.get(plan);
  if (t === undefined) {
    t = plan.tables();
    tableCache.set(plan, t);
  }
  return t;
}

/**
 * plan.adjoint(data, ncoils) on the pool. `data` and `out` on SharedArrayBuffers are used in
 * place (others are copied once); returns out.
 */
export async function nufftAdjointParallel(pool: ReconPool | null, plan: Nufft, data: Float32Array, ncoils: number, out?: Float32Array): Promise<Float32Array> {
  const planeOut = 2 * plan.ny * plan.nx;
  if (pool === null || ncoils < 2) return plan.adjoint(data, ncoils, out ?? new Float32Array(ncoils * planeOut));
  if (data.length < 2 * ncoils * plan.npts) throw new Error(`NUFFT adjoint: ${data.length / 2} values for ${ncoils} coils x ${plan.npts} points`);
  const target = out !== undefined && isShared(out) ? out : sharedFloat32(ncoils * planeOut);
  const input = asShared(data);
  const tables = tablesOf(plan);
  await pool.runAll(splitRange(ncoils, pool.threads).map(([c0, c1]) => ({ kind: 'nufft-adjoint' as const, tables, data: input, out: target, c0, c1 })));
  if (out !== undefined && out !== target) {
    out.set(target.subarray(0, ncoils * planeOut));
    return out;
  }
  return target;
}

/** plan.forward(image, ncoils) on the pool (see nufftAdjointParallel). */
export async function nufftForwardParallel(pool: ReconPool | null, plan: Nufft, image: Float32Array, ncoils: number, out?: Float32Array): Promise<Float32Array> {
  const planeOut = 2 * plan.npts;
  if (pool === null || ncoils < 2) return plan.forward(image, ncoils, out ?? new Float32Array(ncoils * planeOut));
  if (image.length < 2 * ncoils * plan.ny * plan.nx) throw new Error(`NUFFT forward: image has ${image.length / 2} values for ${ncoils} x ${plan.ny} x ${plan.nx}`);
  const target = out !== undefined && isShared(out) ? out : sharedFloat32(ncoils * planeOut);
  const input = asShared(image);
  const tables = tablesOf(plan);
  await pool.runAll(splitRange(ncoils, pool.threads).map(([c0, c1]) => ({ kind: 'nufft-forward' as const, tables, image: input, out: target, c0, c1 })));
  if (out !== undefined && out !== target) {
    out.set(target.subarray(0, ncoils * planeOut));
    return out;
  }
  return target;
}
