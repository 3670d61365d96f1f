/**
 * The vector work of a TV-ADMM conjugate-gradient step (./tv-admm.ts) as kernels over a range of
 * the solver's float32 vectors, so that the worker pool can share it out while the calling
 * thread waits: the TV part of the normal equations fused into one pass, the x / r update and the
 * new search direction; per outer iteration the right-hand side, the CG start and the z / u
 * updates (soft thresholds). They are plain functions, not loops in the solver's generator, which
 * V8 runs unoptimised. Inner products are summed per block in float64 (pool/block-sums.ts),
 * so the result is the same bits however the blocks are split between threads (and the
 * single-thread solve runs the same kernels over all blocks). On the pool the work is cut into
 * chunks of whole blocks (or groups) that the threads claim one at a time from a shared counter,
 * so a thread that gets less of its core takes fewer chunks instead of holding the step up.
 */
import type { ReconPool } from '../pool/pool.js';
import type { PoolTaskBase } from '../pool/tasks.js';
import { SUM_BLOCK } from '../pool/block-sums.js';
import { claimWork, newWorkClaims } from '../pool/shared-memory.js';


/** One TV term's axis as the kernels need it: the axis length and the complex stride along it. */
export interface TvAxis {
  n: number;
  stride: number;
}

/**
 * out[i] += rho * (D^H D v)[i] for every term, over floats [f0, f1): D the circular forward
 * difference along the term's axis. The float32 roundings are those of computing D v, then D^H of
 * it, then adding rho times it, term by term (finiteDifference, finiteDifferenceAdjoint).
 */
export function addTvNormalRange(axes: readonly TvAxis[], rho: number, v: Float32Array, out: Float32Array, f0: number, f1: number): void {
  const fr = Math.fround;
  for (const { n, stride } of axes) {
    const row = 2 * stride; // floats per index along the axis
    const span = n * row;
    for (let f = f0; f < f1;) {
      const base = f - (f % span);
      const i = ((f - base) / row) | 0;
      const rowStart = base + i * row;
      const end = Math.min(f1, rowStart + row);
      const prev = (i === 0 ? base + (n - 1) * row : rowStart - row) - rowStart;
      const next = (i === n - 1 ? base : rowStart + row) - rowStart;
      for (; f < end; f++) {
        const x = v[f];
        const s = fr(fr(x - v[f + prev]) - fr(v[f + next] - x));
        out[f] += rho * s;
      }
    }
  }
}

/** Block sums of a . b over floats [f0, f1) (whole blocks) into sums[block]. */
export function dotBlocksRange(a: Float32Array, b: Float32Array, sums: Float64Array, f0: number, f1: number): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    let acc = 0;
    for (let i = s; i < e; i++) acc += a[i] * b[i];
    sums[s / SUM_BLOCK] = acc;
  }
}

/**
 * addTvNormalRange then the block sums of v . out, block by block (the block still in the cache
 * for its inner product); floats [f0, f1) in whole blocks.
 */
export function tvNormalDotRange(axes: readonly TvAxis[], rho: number, v: Float32Array, out: Float32Array, sums: Float64Array, f0: number, f1: number): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    addTvNormalRange(axes, rho, v, out, s, e);
    dotBlocksRange(v, out, sums, s, e);
  }
}

/** x += a p, r -= a Ap over floats [f0, f1), and the block sums of r . r into sums. */
export function cgUpdateRange(x: Float32Array, r: Float32Array, p: Float32Array, Ap: Float32Array, a: number, sums: Float64Array, f0: number, f1: number): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    let acc = 0;
    for (let i = s; i < e; i++) {
      x[i] += a * p[i];
      const ri = Math.fround(r[i] - a * Ap[i]); // the stored float32 (an assignment's value is the unrounded double)
      r[i] = ri;
      acc += ri * ri;
    }
    sums[s / SUM_BLOCK] = acc;
  }
}

/** p = r + beta p over floats [f0, f1). */
export function cgDirectionRange(p: Float32Array, r: Float32Array, beta: number, f0: number, f1: number): void {
  for (let i = f0; i < f1; i++) p[i] = r[i] + beta * p[i];
}

/**
 * The offset from float f0's position to its neighbour along the axis (next: +1, else -1,
 * circular) for the run of floats [f, end) that share the same position along it; end returned.
 */
function axisRun(axis: TvAxis, f: number, f1: number, next: boolean): { end: number; offset: number } {
  const row = 2 * axis.stride, span = axis.n * row;
  const base = f - (f % span);
  const i = ((f - base) / row) | 0;
  const rowStart = base + i * row;
  const end = Math.min(f1, rowStart + row);
  const neighbour = next ? (i === axis.n - 1 ? base : rowStart + row) : (i === 0 ? base + (axis.n - 1) * row : rowStart - row);
  return { end, offset: neighbour - rowStart };
}

/**
 * rhs = rho sum_j D_j^H (z_j - u_j) + xadj over floats [f0, f1) (whole blocks), and the block
 * sums of rhs . rhs; the float32 roundings of computing z_j - u_j, its adjoint difference, the
 * sum over the terms from 0, then rho times it plus xadj.
 */
export function admmRhsDotRange(
  axes: readonly TvAxis[], rho: number, z: readonly Float32Array[], u: readonly Float32Array[], xadj: Float32Array, rhs: Float32Array, sums: Float64Array, f0: number, f1: number,
): void {
  const fr = Math.fround;
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    rhs.fill(0, s, e);
    for (let j = 0; j < axes.length; j++) {
      const zj = z[j], uj = u[j];
      for (let f = s; f < e;) {
        const { end, offset } = axisRun(axes[j], f, e, false);
        for (; f < end; f++) {
          const d = fr(fr(zj[f + offset] - uj[f + offset]) - fr(zj[f] - uj[f]));
          rhs[f] += d;
        }
      }
    }
    let acc = 0;
    for (let f = s; f < e; f++) {
      const v = fr(rho * rhs[f] + xadj[f]);
      rhs[f] = v;
      acc += v * v;
    }
    sums[s / SUM_BLOCK] = acc;
  }
}

/** r = rhs - Ap, p = r over floats [f0, f1) (whole blocks), and the block sums of r . r. */
export function cgStartRange(rhs: Float32Array, Ap: Float32Array, r: Float32Array, p: Float32Array, sums: Float64Array, f0: number, f1: number): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    let acc = 0;
    for (let i = s; i < e; i++) {
      const ri = Math.fround(rhs[i] - Ap[i]);
      r[i] = ri;
      p[i] = ri;
      acc += ri * ri;
    }
    sums[s / SUM_BLOCK] = acc;
  }
}

/** The soft threshold's factor for a magnitude m: (m - thr) / m above thr, else 0. */
function shrinkFactor(m: number, thr: number): number {
  return m > thr ? (m - thr) / m : 0;
}

/** Squared group norms [0, count) of `norms` replaced by their shrink factors. */
function groupShrinkFactors(norms: Float64Array, count: number, thr: number): void {
  for (let g = 0; g < count; g++) norms[g] = shrinkFactor(Math.sqrt(norms[g]), thr);
}

/**
 * One TV term's z and u update over floats [f0, f1) (an even range), thresholds elementwise:
 * v = alpha D x + (1 - alpha) z + u, z = soft-threshold(v, thr) on complex magnitudes, u = v - z,
 * with the float32 roundings of storing D x, v, z and u.
 */
export function admmShrinkRange(axis: TvAxis, alpha: number, thr: number, x: Float32Array, z: Float32Array, u: Float32Array, f0: number, f1: number): void {
  const fr = Math.fround;
  for (let f = f0; f < f1;) {
    const { end, offset } = axisRun(axis, f, f1, true);
    for (; f < end; f += 2) {
      const v0 = fr(alpha * fr(x[f + offset] - x[f]) + (1 - alpha) * z[f] + u[f]);
      const v1 = fr(alpha * fr(x[f + 1 + offset] - x[f + 1]) + (1 - alpha) * z[f + 1] + u[f + 1]);
      const k = shrinkFactor(Math.hypot(v0, v1), thr);
      const z0 = fr(v0 * k), z1 = fr(v1 * k);
      z[f] = z0;
      z[f + 1] = z1;
      u[f] = v0 - z0;
      u[f + 1] = v1 - z1;
    }
  }
}

/** v = alpha D x + (1 - alpha) z + u over floats [f0, f1) (float32, as admmShrinkRange forms it). */
export function admmRelaxedRange(axis: TvAxis, alpha: number, x: Float32Array, z: Float32Array, u: Float32Array, v: Float32Array, f0: number, f1: number): void {
  const fr = Math.fround;
  for (let f = f0; f < f1;) {
    const { end, offset } = axisRun(axis, f, f1, true);
    for (; f < end; f++) v[f] = alpha * fr(x[f + offset] - x[f]) + (1 - alpha) * z[f] + u[f];
  }
}

/**
 * One TV term's z and u update with the threshold joint over groups of elements (group norms):
 * group g holds the complex elements e with index[e] = g, its squared norm summed in float64 in
 * element order. v from admmRelaxedRange over the whole vector; `norms` (groups long) is scratch.
 */
export function admmShrinkGroups(thr: number, index: Int32Array, norms: Float64Array, v: Float32Array, z: Float32Array, u: Float32Array): void {
  norms.fill(0);
  const N = index.length;
  for (let e = 0; e < N; e++) norms[index[e]] += v[2 * e] ** 2 + v[2 * e + 1] ** 2;
  groupShrinkFactors(norms, norms.length, thr);
  for (let e = 0; e < N; e++) {
    const k = norms[index[e]];
    const z0 = Math.fround(v[2 * e] * k), z1 = Math.fround(v[2 * e + 1] * k);
    z[2 * e] = z0;
    z[2 * e + 1] = z1;
    u[2 * e] = v[2 * e] - z0;
    u[2 * e + 1] = v[2 * e + 1] - z1;
  }
}

/**
 * admmShrinkGroups when the joint axes are the leading ones: group g (of `groups`, the product
 * of the other axes' lengths) holds the elements e = k groups + g, k ascending; groups [g0, g1)
 * here (each group's norm in the same order, so any split gives the same bits). v is computed
 * here too (admmRelaxedRange's values); norms is scratch of at least g1 - g0.
 */
export function admmShrinkLeadingGroupsRange(
  axis: TvAxis, alpha: number, thr: number, groups: number, x: Float32Array, z: Float32Array, u: Float32Array, v: Float32Array, norms: Float64Array, g0: number, g1: number,
): void {
  const outer = x.length / (2 * groups);
  norms.fill(0, 0, g1 - g0);
  for (let k = 0; k < outer; k++) {
    const f0 = 2 * (k * groups + g0), f1 = 2 * (k * groups + g1);
    admmRelaxedRange(axis, alpha, x, z, u, v, f0, f1);
    for (let f = f0, g = 0; f < f1; f += 2, g++) norms[g] += v[f] ** 2 + v[f + 1] ** 2;
  }
  groupShrinkFactors(norms, g1 - g0, thr);
  for (let k = 0; k < outer; k++) {
    for (let f = 2 * (k * groups + g0), g = 0; g < g1 - g0; f += 2, g++) {
      const c = norms[g];
      const z0 = Math.fround(v[f] * c), z1 = Math.fround(v[f + 1] * c);
      z[f] = z0;
      z[f + 1] = z1;
      u[f] = v[f] - z0;
      u[f + 1] = v[f + 1] - z1;
    }
  }
}

/**
 * TV-ADMM vector work on the pool, on the chunks [i chunk, min(count, (i + 1) chunk)) of floats
 * (groups for 'shrink-leading-groups') whose i the thread claims from `claims` until all
 * ceil(count / chunk) are taken. 'tv-normal-dot': out += rho sum_j
 * D_j^H D_j v, then the block sums of v . out; 'cg-update': x += a p, r -= a Ap, the block sums
 * of r . r; 'cg-direction': p = r + beta p; per outer iteration 'rhs-dot' (admmRhsDotRange),
 * 'cg-start' (cgStartRange), 'shrink' (admmShrinkRange) and 'shrink-leading-groups' (over groups).
 */
export type AdmmVectorTask = PoolTaskBase & {
  kind: 'admm-vector';
  claims: Int32Array;
  chunk: number;
  count: number;
} & (
  | { op: 'tv-normal-dot'; axes: TvAxis[]; rho: number; v: Float32Array; out: Float32Array; sums: Float64Array }
  | { op: 'cg-update'; x: Float32Array; r: Float32Array; p: Float32Array; Ap: Float32Array; a: number; sums: Float64Array }
  | { op: 'cg-direction'; p: Float32Array; r: Float32Array; beta: number }
  | { op: 'rhs-dot'; axes: TvAxis[]; rho: number; z: Float32Array[]; u: Float32Array[]; xadj: Float32Array; rhs: Float32Array; sums: Float64Array }
  | { op: 'cg-start'; rhs: Float32Array; Ap: Float32Array; r: Float32Array; p: Float32Array; sums: Float64Array }
  | { op: 'shrink'; axis: TvAxis; alpha: number; thr: number; x: Float32Array; z: Float32Array; u: Float32Array }
  /** chunks of groups (admmShrinkLeadingGroupsRange), count = groups */
  | { op: 'shrink-leading-groups'; axis: TvAxis; alpha: number; thr: number; groups: number; x: Float32Array; z: Float32Array; u: Float32Array; v: Float32Array }
);

/** A worker's group-norm scratch (grown on demand). */
let groupNorms = new Float64Array(0);

/** Runs an ADMM vector task (in a worker): its kernel on each chunk it claims. */
export function runAdmmVectorTask(t: AdmmVectorTask): void {
  const chunks = Math.ceil(t.count / t.chunk);
  for (let i = claimWork(t.claims, chunks); i >= 0; i = claimWork(t.claims, chunks)) {
    admmVectorRange(t, i * t.chunk, Math.min(t.count, (i + 1) * t.chunk));
  }
}

function admmVectorRange(t: AdmmVectorTask, f0: number, f1: number): void {
  switch (t.op) {
    case 'tv-normal-dot': tvNormalDotRange(t.axes, t.rho, t.v, t.out, t.sums, f0, f1); break;
    case 'cg-update': cgUpdateRange(t.x, t.r, t.p, t.Ap, t.a, t.sums, f0, f1); break;
    case 'cg-direction': cgDirectionRange(t.p, t.r, t.beta, f0, f1); break;
    case 'rhs-dot': admmRhsDotRange(t.axes, t.rho, t.z, t.u, t.xadj, t.rhs, t.sums, f0, f1); break;
    case 'cg-start': cgStartRange(t.rhs, t.Ap, t.r, t.p, t.sums, f0, f1); break;
    case 'shrink': admmShrinkRange(t.axis, t.alpha, t.thr, t.x, t.z, t.u, f0, f1); break;
    case 'shrink-leading-groups':
      if (groupNorms.length < f1 - f0) groupNorms = new Float64Array(f1 - f0);
      admmShrinkLeadingGroupsRange(t.axis, t.alpha, t.thr, t.groups, t.x, t.z, t.u, t.v, groupNorms, f0, f1);
      break;
  }
}

type Distributive<T> = T extends unknown ? Omit<T, 'kind' | 'claims' | 'chunk' | 'count'> : never;

/** Chunks per thread a step is cut into (the most a thread can be left waiting is about one chunk). */
const CHUNKS_PER_THREAD = 16;

/** One task per thread over `count` units claimed in chunks of whole `unit`s (at least one unit each). */
function runChunked(pool: ReconPool, count: number, unit: number, task: Distributive<AdmmVectorTask>): Promise<void> {
  const units = Math.ceil(count / unit);
  const chunk = unit * Math.max(1, Math.ceil(units / (CHUNKS_PER_THREAD * pool.threads)));
  const claims = newWorkClaims();
  const threads = Math.min(pool.threads, Math.ceil(count / chunk));
  return pool.runAll(Array.from({ length: threads }, () => ({ ...task, kind: 'admm-vector', claims, chunk, count }) as AdmmVectorTask));
}

/** Runs a task over `floats` floats on the pool, in chunks of whole blocks. */
export function runAdmmVectorOnPool(pool: ReconPool, floats: number, task: Distributive<AdmmVectorTask>): Promise<void> {
  return runChunked(pool, floats, SUM_BLOCK, task);
}

/** A 'shrink-leading-groups' task on the pool, in chunks of groups. */
export function runAdmmGroupsOnPool(pool: ReconPool, task: Distributive<Extract<AdmmVectorTask, { op: 'shrink-leading-groups' }>>): Promise<void> {
  return runChunked(pool, task.groups, 1, task);
}
