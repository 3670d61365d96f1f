/**
 * The NUFFT on the worker pool, over coils: each coil goes to whichever thread takes it first --
 * the calling thread and `pool.threads - 1` of the pool's threads (so `pool.threads` threads
 * work in all, as many as the pool has), each running the plan (a worker's rebuilt from the
 * plan's shared tables, no recomputation) on that coil's plane of the shared data and writing
 * that coil's plane of the shared output. A thread that starts late or runs slowly (its core
 * shared) takes fewer coils instead of holding the call up. Per coil the computation is the
 * single-thread one, so the result is the same bits whoever does which coil. A pool of one
 * thread (beside a caller that keeps working: reconPoolBeside) does every coil there; with no
 * pool (threads 1) the plan runs here.
 */
import type { Nufft, NufftTables } from '../nufft/nufft.js';
import type { ReconPool } from './pool.js';
import { asShared, isShared, runClaimedWork, sharedFloat32 } from './shared-memory.js';
import { NUFFT_CLAIMS_STARTED, type NufftTask } from './tasks.js';

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
 * Runs `task` (all ncoils coils) on the pool: a pool of one thread takes them all; else
 * pool.threads - 1 tasks and this thread (`here(c)` does coil c) claim coils one at a time.
 * Returns when every coil is done, and when the pool tasks that began to claim have answered
 * (at once: they have nothing left to take). Their answers must be read before
 * the next call: piscina counts a thread busy until its answer is read on this thread's event
 * loop, so a caller that calls again without an event-loop turn (a loop of calls with
 * synchronous work between them) would find every thread busy and its tasks queued, and do
 * every coil alone. When a task has not begun (its thread starting up, or woken late), none is
 * waited for; it finds nothing left and ends by itself.
 */
async function runOverCoils(pool: ReconPool, task: NufftTask, ncoils: number, here: (c: number) => void): Promise<void> {
  if (pool.threads === 1) {
    await pool.runAll([task]);
    return;
  }
  const helpers = pool.threads - 1;
  const claims = new Int32Array(new SharedArrayBuffer(4 * (NUFFT_CLAIMS_STARTED + 1)));
  const onPool = pool.runAll(Array.from({ length: helpers }, () => ({ ...task, claims })));
  await runClaimedWork(claims, ncoils, here, onPool);
  if (Atomics.load(claims, NUFFT_CLAIMS_STARTED) === helpers) await onPool;
}

/**
 * plan.adjoint(data, ncoils) on the pool. `data` and `out` on SharedArrayBuffers are used in
 * place (others are copied once); returns out.
 */
export async function nufftAdjointParallel(pool: ReconPool | null, plan: Nufft, data: Float32Array, ncoils: number, out?: Float32Array): Promise<Float32Array> {
  const planeOut = 2 * plan.ny * plan.nx, planeIn = 2 * plan.npts;
  if (pool === null || ncoils < 2) return plan.adjoint(data, ncoils, out ?? new Float32Array(ncoils * planeOut));
  if (data.length < ncoils * planeIn) throw new Error(`NUFFT adjoint: ${data.length / 2} values for ${ncoils} coils x ${plan.npts} points`);
  const target = out !== undefined && isShared(out) ? out : sharedFloat32(ncoils * planeOut);
  const input = asShared(data);
  const task: NufftTask = { kind: 'nufft-adjoint', tables: tablesOf(plan), data: input, out: target, c0: 0, c1: ncoils };
  await runOverCoils(pool, task, ncoils, (c) => {
    plan.adjoint(input.subarray(c * planeIn, (c + 1) * planeIn), 1, target.subarray(c * planeOut, (c + 1) * planeOut));
  });
  if (out !== undefined && out !== target) {
    out.set(target.subarray(0, ncoils * planeOut));
    return out;
  }
  return target;
}

/** plan.forward(image, ncoils) on the pool (see nufftAdjointParallel). */
export async function nufftForwardParallel(pool: ReconPool | null, plan: Nufft, image: Float32Array, ncoils: number, out?: Float32Array): Promise<Float32Array> {
  const planeOut = 2 * plan.npts, planeIn = 2 * plan.ny * plan.nx;
  if (pool === null || ncoils < 2) return plan.forward(image, ncoils, out ?? new Float32Array(ncoils * planeOut));
  if (image.length < ncoils * planeIn) throw new Error(`NUFFT forward: image has ${image.length / 2} values for ${ncoils} x ${plan.ny} x ${plan.nx}`);
  const target = out !== undefined && isShared(out) ? out : sharedFloat32(ncoils * planeOut);
  const input = asShared(image);
  const task: NufftTask = { kind: 'nufft-forward', tables: tablesOf(plan), image: input, out: target, c0: 0, c1: ncoils };
  await runOverCoils(pool, task, ncoils, (c) => {
    plan.forward(input.subarray(c * planeIn, (c + 1) * planeIn), 1, target.subarray(c * planeOut, (c + 1) * planeOut));
  });
  if (out !== undefined && out !== target) {
    out.set(target.subarray(0, ncoils * planeOut));
    return out;
  }
  return target;
}
