/**
 * The vector work of a TV-ADMM conjugate-gradient step (./tv-admm.ts) as kernels over a range of
 * the solver's float32 vectors, so that the worker pool can share it out while the calling
 * thread waits: the TV part of the normal equations fused into one pass, the x / r update and the
 * new search direction; per outer iteration the right-hand side, the CG start and the z / u
 * updates (soft thresholds). They are plain functions, not loops in the solver's generator, which
 * V8 runs unoptimised, and their inner loops small functions of their own over a row or a block
 * (V8 optimises those better than one function holding them all). Inner products are summed per block in float64 (pool/block-sums.ts),
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
 * out[f] += rho * (v[f] - v[f + prev] - (v[f + next] - v[f])) over floats [f, end): one term's
 * D^H D v with the float32 roundings of computing D v, then D^H of it (finiteDifference,
 * finiteDifferenceAdjoint), then adding rho times it.
 */
function tvNormalRow(rho: number, v: Float32Array, out: Float32Array, f: number, end: number, prev: number, next: number): void {
  const fr = Math.fround;
  for (; f < end; f++) {
    const x = v[f];
    out[f] += rho * fr(fr(x - v[f + prev]) - fr(v[f + next] - x));
  }
}

/** tvNormalRow, adding v[f] . out[f] (the stored float32) to acc in element order; returns acc. */
function tvNormalDotRow(rho: number, v: Float32Array, out: Float32Array, f: number, end: number, prev: number, next: number, acc: number): number {
  const fr = Math.fround;
  for (; f < end; f++) {
    const x = v[f];
    const o = fr(out[f] + rho * fr(fr(x - v[f + prev]) - fr(v[f + next] - x)));
    out[f] = o;
    acc += x * o;
  }
  return acc;
}

/**
 * One term's D^H D v added to out (times rho) over floats [f0, f1) (tvNormalRow), or with `dot`
 * also the sum of v . out over them, added to acc in element order (tvNormalDotRow); returns acc.
 */
function tvNormalTerm(axis: TvAxis, rho: number, v: Float32Array, out: Float32Array, f0: number, f1: number, dot: boolean, acc: number): number {
  const row = 2 * axis.stride, n = axis.n;
  const span = n * row;
  for (let f = f0; f < f1;) {
    const base = f - (f % span);
    const i = ((f - base) / row) | 0;
    const rowStart = base + i * row;
    const end = Math.min(f1, rowStart + row);
    const prev = (i === 0 ? base + (n - 1) * row : rowStart - row) - rowStart;
    const next = (i === n - 1 ? base : rowStart + row) - rowStart;
    if (dot) acc = tvNormalDotRow(rho, v, out, f, end, prev, next, acc);
    else tvNormalRow(rho, v, out, f, end, prev, next);
    f = end;
  }
  return acc;
}

/**
 * out[i] += rho * (D^H D v)[i] for every term, over floats [f0, f1): D the circular forward
 * difference along the term's axis. The float32 roundings are those of computing D v, then D^H of
 * it, then adding rho times it, term by term (finiteDifference, finiteDifferenceAdjoint).
 */
export function addTvNormalRange(axes: readonly TvAxis[], rho: number, v: Float32Array, out: Float32Array, f0: number, f1: number): void {
  for (let j = 0; j < axes.length; j++) tvNormalTerm(axes[j], rho, v, out, f0, f1, false, 0);
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
 * addTvNormalRange then the block sums of v . out, block by block; floats [f0, f1) in whole
 * blocks. The last term's pass sums the block's inner product as it stores out (the same
 * products added in the same order as dotBlocksRange after it: the same bits), so the block is
 * read once less. Without terms, the inner product alone.
 */
export function tvNormalDotRange(axes: readonly TvAxis[], rho: number, v: Float32Array, out: Float32Array, sums: Float64Array, f0: number, f1: number): void {
  const last = axes.length - 1;
  if (last < 0) {
    dotBlocksRange(v, out, sums, f0, f1);
    return;
  }
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    for (let j = 0; j < last; j++) tvNormalTerm(axes[j], rho, v, out, s, e, false, 0);
    sums[s / SUM_BLOCK] = tvNormalTerm(axes[last], rho, v, out, s, e, true, 0);
  }
}

/** x += a p, r -= a Ap over floats [s, e); returns the sum of r . r in element order. */
function cgUpdateBlock(x: Float32Array, r: Float32Array, p: Float32Array, Ap: Float32Array, a: number, s: number, e: number): number {
  let acc = 0;
  for (let i = s; i < e; i++) {
    x[i] += a * p[i];
    const ri = Math.fround(r[i] - a * Ap[i]); // the stored float32 (an assignment's value is the unrounded double)
    r[i] = ri;
    acc += ri * ri;
  }
  return acc;
}

/** x += a p, r -= a Ap over floats [f0, f1), and the block sums of r . r into sums. */
export function cgUpdateRange(x: Float32Array, r: Float32Array, p: Float32Array, Ap: Float32Array, a: number, sums: Float64Array, f0: number, f1: number): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) sums[s / SUM_BLOCK] = cgUpdateBlock(x, r, p, Ap, a, s, Math.min(f1, s + SUM_BLOCK));
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
 * rhs[f] = (first ? 0 : rhs[f]) + (z - u)[f + offset] - (z - u)[f] over floats [f, end) (float32
 * roundings of z - u, their difference and the sum).
 */
function rhsTermRow(z: Float32Array, u: Float32Array, rhs: Float32Array, f: number, end: number, offset: number, first: boolean): void {
  const fr = Math.fround;
  for (; f < end; f++) {
    const d = fr(fr(z[f + offset] - u[f + offset]) - fr(z[f] - u[f]));
    rhs[f] = (first ? 0 : rhs[f]) + d;
  }
}

/**
 * A single term's rhsTermRow from 0, then rhs[f] = rho rhs[f] + xadj[f] (float32), adding its
 * square to acc in element order; returns acc.
 */
function rhsOnlyTermRow(rho: number, z: Float32Array, u: Float32Array, xadj: Float32Array, rhs: Float32Array, f: number, end: number, offset: number, acc: number): number {
  const fr = Math.fround;
  for (; f < end; f++) {
    const d = fr(fr(z[f + offset] - u[f + offset]) - fr(z[f] - u[f]));
    const v = fr(rho * (0 + d) + xadj[f]);
    rhs[f] = v;
    acc += v * v;
  }
  return acc;
}

/** rhsOnlyTermRow for the last of several terms (the others' sum in rhs). */
function rhsAddedTermRow(rho: number, z: Float32Array, u: Float32Array, xadj: Float32Array, rhs: Float32Array, f: number, end: number, offset: number, acc: number): number {
  const fr = Math.fround;
  for (; f < end; f++) {
    const d = fr(fr(z[f + offset] - u[f + offset]) - fr(z[f] - u[f]));
    const v = fr(rho * fr(rhs[f] + d) + xadj[f]);
    rhs[f] = v;
    acc += v * v;
  }
  return acc;
}

/**
 * rhs = rho sum_j D_j^H (z_j - u_j) + xadj over floats [f0, f1) (whole blocks), and the block
 * sums of rhs . rhs; the float32 roundings of computing z_j - u_j, its adjoint difference, the
 * sum over the terms from 0, then rho times it plus xadj. The first term's pass stores its sum
 * from 0 (no zero fill) and the last one's finishes each value and sums the block's squares (the
 * same values and order as a fill, a pass per term and a last pass: the same bits).
 */
export function admmRhsDotRange(
  axes: readonly TvAxis[], rho: number, z: readonly Float32Array[], u: readonly Float32Array[], xadj: Float32Array, rhs: Float32Array, sums: Float64Array, f0: number, f1: number,
): void {
  const fr = Math.fround, last = axes.length - 1;
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    let acc = 0;
    if (last < 0) {
      for (let f = s; f < e; f++) {
        const v = fr(rho * 0 + xadj[f]);
        rhs[f] = v;
        acc += v * v;
      }
    }
    for (let j = 0; j <= last; j++) {
      const zj = z[j], uj = u[j];
      for (let f = s; f < e;) {
        const { end, offset } = axisRun(axes[j], f, e, false);
        if (j < last) rhsTermRow(zj, uj, rhs, f, end, offset, j === 0);
        else if (j === 0) acc = rhsOnlyTermRow(rho, zj, uj, xadj, rhs, f, end, offset, acc);
        else acc = rhsAddedTermRow(rho, zj, uj, xadj, rhs, f, end, offset, acc);
        f = end;
      }
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
 * Math.hypot(a, b) as V8 computes it (builtins/math.tq: both scaled by the larger magnitude, the
 * squares summed, the root scaled back; Infinity before NaN), the same value for every pair of
 * numbers, inline: the builtin is a call per complex element, which was most of the shrink's time.
 */
export function hypot2(a: number, b: number): number {
  a = Math.abs(a);
  b = Math.abs(b);
  if (a === Infinity || b === Infinity) return Infinity;
  const max = a > b ? a : b;
  if (max === 0) return a + b; // 0, or NaN for (NaN, 0)
  // the larger one over itself is 1 exactly (a NaN goes through q), and 1 + q^2 = q^2 + 1
  const q = (a > b ? b : a) / max;
  return Math.sqrt(1 + q * q) * max;
}

/** admmShrinkRange over floats [f, end) (even) whose neighbours along the axis are at + offset. */
function shrinkRow(alpha: number, thr: number, x: Float32Array, z: Float32Array, u: Float32Array, f: number, end: number, offset: number): void {
  const fr = Math.fround, keep = 1 - alpha;
  for (; f < end; f += 2) {
    const v0 = fr(alpha * fr(x[f + offset] - x[f]) + keep * z[f] + u[f]);
    const v1 = fr(alpha * fr(x[f + 1 + offset] - x[f + 1]) + keep * z[f + 1] + u[f + 1]);
    const k = shrinkFactor(hypot2(v0, v1), thr);
    const z0 = fr(v0 * k), z1 = fr(v1 * k);
    z[f] = z0;
    z[f + 1] = z1;
    u[f] = v0 - z0;
    u[f + 1] = v1 - z1;
  }
}

/**
 * One TV term's z and u update over floats [f0, f1) (an even range), thresholds elementwise:
 * v = alpha D x + (1 - alpha) z + u, z = soft-threshold(v, thr) on complex magnitudes (|v| as
 * Math.hypot gives it), u = v - z, with the float32 roundings of storing D x, v, z and u.
 */
export function admmShrinkRange(axis: TvAxis, alpha: number, thr: number, x: Float32Array, z: Float32Array, u: Float32Array, f0: number, f1: number): void {
  for (let f = f0; f < f1;) {
    const { end, offset } = axisRun(axis, f, f1, true);
    shrinkRow(alpha, thr, x, z, u, f, end, offset);
    f = end;
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
 * admmRelaxedRange over floats [f, end) (even) whose neighbours along the axis are at + offset,
 * adding each complex value's squared magnitude (of the stored float32 values) to norms[g], g
 * counting up from `g`; returns the next g.
 */
function relaxedNormsRow(alpha: number, x: Float32Array, z: Float32Array, u: Float32Array, v: Float32Array, norms: Float64Array, f: number, end: number, offset: number, g: number): number {
  const fr = Math.fround, keep = 1 - alpha;
  for (; f < end; f += 2, g++) {
    const v0 = fr(alpha * fr(x[f + offset] - x[f]) + keep * z[f] + u[f]);
    const v1 = fr(alpha * fr(x[f + 1 + offset] - x[f + 1]) + keep * z[f + 1] + u[f + 1]);
    v[f] = v0;
    v[f + 1] = v1;
    norms[g] += v0 * v0 + v1 * v1; // x * x is x ** 2 exactly for a float32 x
  }
  return g;
}

/** z = v c, u = v - z for the `count` complex values from float f, c = factors[g] for the g-th. */
function scaleGroupsRow(factors: Float64Array, v: Float32Array, z: Float32Array, u: Float32Array, f: number, count: number): void {
  const fr = Math.fround;
  for (let g = 0; g < count; g++, f += 2) {
    const c = factors[g], v0 = v[f], v1 = v[f + 1];
    const z0 = fr(v0 * c), z1 = fr(v1 * c);
    z[f] = z0;
    z[f + 1] = z1;
    u[f] = v0 - z0;
    u[f + 1] = v1 - z1;
  }
}

/**
 * admmShrinkGroups when the joint axes are the leading ones: group g (of `groups`, the product
 * of the other axes' lengths) holds the elements e = k groups + g, k ascending; groups [g0, g1)
 * here (each group's norm in the same order, so any split gives the same bits). v is computed
 * here too (admmRelaxedRange's values, in the pass that sums the norms); norms is scratch of at
 * least g1 - g0.
 */
export function admmShrinkLeadingGroupsRange(
  axis: TvAxis, alpha: number, thr: number, groups: number, x: Float32Array, z: Float32Array, u: Float32Array, v: Float32Array, norms: Float64Array, g0: number, g1: number,
): void {
  const outer = x.length / (2 * groups);
  norms.fill(0, 0, g1 - g0);
  for (let k = 0; k < outer; k++) {
    const f1 = 2 * (k * groups + g1);
    for (let f = 2 * (k * groups + g0), g = 0; f < f1;) {
      const { end, offset } = axisRun(axis, f, f1, true);
      g = relaxedNormsRow(alpha, x, z, u, v, norms, f, end, offset, g);
      f = end;
    }
  }
  groupShrinkFactors(norms, g1 - g0, thr);
  for (let k = 0; k < outer; k++) scaleGroupsRow(norms, v, z, u, 2 * (k * groups + g0), g1 - g0);
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
