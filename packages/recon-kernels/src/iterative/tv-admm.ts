/**
 * Regularised least squares with total variation along chosen image axes, solved by ADMM:
 *
 *   minimise_x  1/2 ||A x - y||^2  +  sum_j lambda_j || D_j x ||_1
 *
 * where D_j is the circular finite difference along axis j (x[.., i+1, ..] - x[.., i, ..], the
 * last element differenced with the first) and ||.||_1 the sum of complex magnitudes. This is
 * the problem BART's `pics -m -R T:<bitmask>:0:<lambda>` solves (one `-R T` per axis), and the
 * iteration is BART 0.8's ADMM (src/iter/admm.c), written here from its description so that the
 * two agree iterate by iterate on the same operator:
 * - x starts at 0; z_j = u_j = 0;
 * - x update: conjugate gradients on (A^H A + rho sum_j D_j^H D_j) x = A^H y + rho sum_j D_j^H (z_j - u_j),
 *   warm-started from the previous x, at most `cgIterations` steps, stopping when the residual
 *   falls below cgTolerance * |rhs|;
 * - over-relaxation: v = alpha D_j x + (1 - alpha) z_j + u_j;
 * - z_j = soft-threshold(v, lambda_j / rho) on complex magnitudes (joint over the term's `joint`
 *   axes when given: group norms); u_j = v - z_j.
 * - stop: BART's admm() counts normal-operator applications of the CG steps and stops after the
 *   outer iteration where they exceed maxiter (so `pics -m -i 20` runs 3 outer iterations of 10 CG
 *   steps), with ABSTOL = RELTOL = 0 (no residual-based stop); `budget: "cg"` does the same.
 * Defaults as BART: rho 0.5, alpha 1.6, 10 CG steps, tolerance 1e-3.
 *
 * Used for the temporal (TFD) recon of rtspiral_bart_tvrecon (TV along frames) and for XD-GRASP
 * (separate TVs along the respiratory and cardiac bin axes). The operator is abstract
 * (./linear-operator.ts); the spiral recons plug in the multi-coil NUFFT SENSE model.
 * Vectors are float32 (as BART's) with float64 accumulation of inner products.
 */
import { applyNormal, type LinearOperator } from './linear-operator.js';
import { runSteps, runStepsCooperatively, type Steps } from '../progress/stepwise.js';
import type { ReconPool } from '../pool/pool.js';
import {
  admmRelaxedRange, admmRhsDotRange, admmShrinkGroups, admmShrinkLeadingGroupsRange, admmShrinkRange, cgDirectionRange, cgStartRange, cgUpdateRange,
  runAdmmGroupsOnPool, runAdmmVectorOnPool, tvNormalDotRange, type TvAxis,
} from './admm-vectors.js';
import { sumBlockCount, sumBlocksInOrder } from '../pool/block-sums.js';

export interface TvTerm {
  /** image axis (index into `shape`) the differences run along */
  axis: number;
  /** weight lambda_j of that TV term */
  lambda: number;
  /**
   * axes over which the soft threshold is joint (BART's jflags, the second field of
   * `-R T:<flags>:<jflags>:<lambda>`): the penalty is then lambda * sum over the other axes of
   * sqrt(sum over these axes of |D x|^2). Default none: lambda * sum |D x| elementwise.
   */
  joint?: readonly number[];
}

export interface TvAdmmOptions {
  /** image shape, C order (e.g. [frames, ny, nx] or [resp, card, ny, nx]); product = operator inputLength */
  shape: readonly number[];
  tv: readonly TvTerm[];
  /**
   * BART's -i: with `budget` "cg" (BART's ADMM, the default) the solve stops after the outer
   * iteration in which the total number of CG steps (normal-operator applications) exceeds it,
   * and never runs more than this many outer iterations; with "outer" it counts outer iterations.
   */
  iterations: number;
  budget?: 'cg' | 'outer';
  rho?: number;
  alpha?: number;
  cgIterations?: number;
  cgTolerance?: number;
  /** initial image (default zeros) */
  initial?: Float32Array;
  /** called after every outer iteration */
  onIteration?: (iteration: number, x: Float32Array) => void;
  /**
   * called after every CG step with the steps done and the steps the solve will take (nominal:
   * CG may stop an inner solve early, so the solve can end before `total`)
   */
  onProgress?: (done: number, total: number) => void;
  /**
   * The worker pool for the CG steps' vector work (./admm-vectors.ts: the TV part of the normal
   * equations, the x / r update, the search direction), used by the async solve when the
   * operator is pooled too; the same bits as without.
   */
  pool?: ReconPool | null;
}

function axisGeometry(shape: readonly number[], axis: number): { n: number; stride: number; outer: number } {
  if (!Number.isInteger(axis) || axis < 0 || axis >= shape.length) throw new Error(`TV: axis ${axis} outside an image of ${shape.length} dimensions`);
  let stride = 1;
  for (let a = axis + 1; a < shape.length; a++) stride *= shape[a];
  let outer = 1;
  for (let a = 0; a < axis; a++) outer *= shape[a];
  return { n: shape[axis], stride, outer };
}

/** out = D x along the axis: circular forward difference x[i+1] - x[i]. */
export function finiteDifference(shape: readonly number[], axis: number, x: Float32Array, out: Float32Array): void {
  const { n, stride, outer } = axisGeometry(shape, axis);
  for (let o = 0; o < outer; o++) {
    const base = o * n * stride;
    for (let i = 0; i < n; i++) {
      const a = 2 * (base + i * stride), b = 2 * (base + ((i + 1) % n) * stride);
      for (let k = 0; k < 2 * stride; k++) out[a + k] = x[b + k] - x[a + k];
    }
  }
}

/** out = D^H g along the axis: g[i-1] - g[i] (circular). */
export function finiteDifferenceAdjoint(shape: readonly number[], axis: number, g: Float32Array, out: Float32Array): void {
  const { n, stride, outer } = axisGeometry(shape, axis);
  for (let o = 0; o < outer; o++) {
    const base = o * n * stride;
    for (let i = 0; i < n; i++) {
      const a = 2 * (base + i * stride), p = 2 * (base + ((i + n - 1) % n) * stride);
      for (let k = 0; k < 2 * stride; k++) out[a + k] = g[p + k] - g[a + k];
    }
  }
}

/** For each element, the index of its group (the element's index with the joint axes' coordinates zeroed, compacted). */
function groupIndex(shape: readonly number[], joint: readonly number[]): { index: Int32Array; groups: number } | null {
  if (joint.length === 0) return null;
  for (const a of joint) axisGeometry(shape, a);
  const total = shape.reduce((a, b) => a * b, 1);
  const index = new Int32Array(total);
  const free = shape.map((_, a) => !joint.includes(a));
  let groups = 1;
  for (let a = 0; a < shape.length; a++) if (free[a]) groups *= shape[a];
  const coordinate = new Array<number>(shape.length).fill(0);
  for (let i = 0; i < total; i++) {
    let g = 0;
    for (let a = 0; a < shape.length; a++) if (free[a]) g = g * shape[a] + coordinate[a];
    index[i] = g;
    for (let a = shape.length - 1; a >= 0; a--) {
      if (++coordinate[a] < shape[a]) break;
      coordinate[a] = 0;
    }
  }
  return { index, groups };
}

/** Solves the TV-regularised problem; returns x (shape as given, complex interleaved). */
export function solveTvAdmm(op: LinearOperator, y: Float32Array, options: TvAdmmOptions): Float32Array {
  return runSteps(tvAdmmSteps(synchronousView(op), y, { ...options, pool: null }));
}

/** The operator without its pooled (async) methods: a synchronous solve runs it on this thread. */
function synchronousView(op: LinearOperator): LinearOperator {
  if (op.normalAsync === undefined && op.adjointAsync === undefined) return op;
  return {
    inputLength: op.inputLength,
    outputLength: op.outputLength,
    forward: (x, out) => op.forward(x, out),
    adjoint: (y, out) => op.adjoint(y, out),
    normal: op.normal ? (x, out) => op.normal!(x, out) : undefined,
  };
}

/**
 * The same solve, letting the event loop run at most every `yieldEveryMs` (default 100) so
 * that progress reported from `onProgress` leaves while it runs (see ../progress/stepwise).
 */
export function solveTvAdmmAsync(op: LinearOperator, y: Float32Array, options: TvAdmmOptions & { yieldEveryMs?: number }): Promise<Float32Array> {
  return runStepsCooperatively(tvAdmmSteps(op, y, options), options.yieldEveryMs);
}

/** The CG steps of the solve counted in advance (see TvAdmmOptions.onProgress). */
export function tvAdmmNominalSteps(options: Pick<TvAdmmOptions, 'iterations' | 'budget' | 'cgIterations'>): number {
  const cgIter = options.cgIterations ?? 10;
  if ((options.budget ?? 'cg') === 'outer') return options.iterations * cgIter;
  return Math.min(options.iterations, Math.ceil((options.iterations + 1) / cgIter)) * cgIter;
}

/** The solve as steps: yields after every CG step; returns x. */
export function* tvAdmmSteps(op: LinearOperator, y: Float32Array, options: TvAdmmOptions): Steps<Float32Array> {
  const N = op.inputLength;
  const size = options.shape.reduce((a, b) => a * b, 1);
  if (size !== N) throw new Error(`TV ADMM: image shape ${options.shape.join('x')} has ${size} values, the operator takes ${N}`);
  if (y.length !== 2 * op.outputLength) throw new Error(`TV ADMM: ${y.length / 2} data values, the operator gives ${op.outputLength}`);
  const rho = options.rho ?? 0.5, alpha = options.alpha ?? 1.6;
  const cgIter = options.cgIterations ?? 10, cgTol = options.cgTolerance ?? 1e-3;
  const terms = options.tv;
  for (const t of terms) axisGeometry(options.shape, t.axis);
  const len = 2 * N;
  // an operator on the worker pool reads and writes the solver's vectors in shared memory
  const pooled = op.normalAsync !== undefined && op.adjointAsync !== undefined;
  const vector = (n: number): Float32Array => (pooled ? new Float32Array(new SharedArrayBuffer(4 * n)) : new Float32Array(n));
  const x = vector(len);
  if (options.initial) x.set(options.initial);
  const xadj = vector(len);
  if (pooled) yield op.adjointAsync!(y, xadj);
  else op.adjoint(y, xadj);
  const z = terms.map(() => vector(len));
  const u = terms.map(() => vector(len));
  const rhs = vector(len);
  const r = vector(len), p = vector(len), Ap = vector(len);
  const scratch = op.normal ? undefined : new Float32Array(2 * op.outputLength);
  // per term: null (elementwise threshold), the number of groups when the joint axes are the
  // leading ones (split over groups), or the group index of other joint axes (on this thread)
  const grouping = terms.map((t) => {
    const joint = [...new Set(t.joint ?? [])].sort((a, b) => a - b);
    if (joint.length === 0) return null;
    if (joint.every((a, i) => a === i)) return options.shape.slice(joint.length).reduce((a, b) => a * b, 1);
    return groupIndex(options.shape, joint);
  });
  const v = vector(len);
  const norms = new Float64Array(grouping.reduce<number>((m, g) => Math.max(m, g === null ? 0 : typeof g === 'number' ? g : g.groups), 0));
  const axes: TvAxis[] = terms.map((t) => {
    const g = axisGeometry(options.shape, t.axis);
    return { n: g.n, stride: g.stride };
  });
  // the vector work on the pool too when the operator is there (the same kernels)
  const vpool = pooled && options.pool && options.pool.threads > 1 ? options.pool : null;
  const sums = vpool ? new Float64Array(new SharedArrayBuffer(8 * sumBlockCount(len))) : new Float64Array(sumBlockCount(len));

  // out = (A^H A + rho sum_j D_j^H D_j) v; returns v . out (block sums); with a pooled operator A^H A runs on the pool (yielded)
  function* normalEq(v: Float32Array, out: Float32Array): Generator<Promise<unknown>, number, void> {
    if (pooled) yield op.normalAsync!(v, out);
    else applyNormal(op, v, out, scratch);
    if (vpool) yield runAdmmVectorOnPool(vpool, len, { op: 'tv-normal-dot', axes, rho, v, out, sums });
    else tvNormalDotRange(axes, rho, v, out, sums, 0, len);
    return sumBlocksInOrder(sums);
  }

  const budget = options.budget ?? 'cg';
  const nominal = tvAdmmNominalSteps(options);
  let cgSteps = 0;
  for (let it = 0; it < options.iterations; it++) {
    // rhs = A^H y + rho sum_j D_j^H (z_j - u_j)
    if (vpool) yield runAdmmVectorOnPool(vpool, len, { op: 'rhs-dot', axes, rho, z, u, xadj, rhs, sums });
    else admmRhsDotRange(axes, rho, z, u, xadj, rhs, sums, 0, len);
    // conjugate gradients from the current x
    const rhsNorm = Math.sqrt(sumBlocksInOrder(sums));
    const eps = cgTol * rhsNorm;
    if (rhsNorm > 0) {
      yield* normalEq(x, Ap);
      if (vpool) yield runAdmmVectorOnPool(vpool, len, { op: 'cg-start', rhs, Ap, r, p, sums });
      else cgStartRange(rhs, Ap, r, p, sums, 0, len);
      let rsold = sumBlocksInOrder(sums);
      if (rsold > 0) {
        for (let k = 0; k < cgIter; k++) {
          const pAp = yield* normalEq(p, Ap);
          cgSteps++;
          if (pAp === 0) break;
          const a = rsold / pAp;
          if (vpool) yield runAdmmVectorOnPool(vpool, len, { op: 'cg-update', x, r, p, Ap, a, sums });
          else cgUpdateRange(x, r, p, Ap, a, sums, 0, len);
          const rsnew = sumBlocksInOrder(sums);
          const beta = rsnew / rsold;
          rsold = rsnew;
          options.onProgress?.(cgSteps, nominal);
          yield;
          if (rsnew <= eps * eps) break;
          if (vpool) yield runAdmmVectorOnPool(vpool, len, { op: 'cg-direction', p, r, beta });
          else cgDirectionRange(p, r, beta, 0, len);
        }
      }
    }
    // z and u updates
    for (let j = 0; j < terms.length; j++) {
      const thr = terms[j].lambda / rho, grp = grouping[j], axis = axes[j];
      if (grp === null) {
        if (vpool) yield runAdmmVectorOnPool(vpool, len, { op: 'shrink', axis, alpha, thr, x, z: z[j], u: u[j] });
        else admmShrinkRange(axis, alpha, thr, x, z[j], u[j], 0, len);
      } else if (typeof grp === 'number') {
        if (vpool) yield runAdmmGroupsOnPool(vpool, { op: 'shrink-leading-groups', axis, alpha, thr, groups: grp, x, z: z[j], u: u[j], v });
        else admmShrinkLeadingGroupsRange(axis, alpha, thr, grp, x, z[j], u[j], v, norms, 0, grp);
      } else {
        admmRelaxedRange(axis, alpha, x, z[j], u[j], v, 0, len);
        admmShrinkGroups(thr, grp.index, norms.subarray(0, grp.groups), v, z[j], u[j]);
      }
    }
    options.onIteration?.(it + 1, x);
    if (budget === 'cg' && cgSteps > options.iterations) break;
  }
  return x;
}
