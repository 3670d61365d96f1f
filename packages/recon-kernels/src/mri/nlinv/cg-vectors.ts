/**
 * The vector work of nlinv's inner conjugate gradients (./nlinv.ts) as kernels over a range of
 * its float64 vectors, so that the worker pool shares it out while the calling thread waits: the
 * adjoint's image part (the per-coil terms summed in coil order), the regularisation term with
 * the step's inner product, the h / r update with |r|^2, and the new direction (on the pool the
 * direction's k parts are updated in the next 'normal' coil step's first pass, ./coil-steps.ts,
 * and its image part by the calling thread with directionRange). Inner products
 * are summed per block (pool/block-sums.ts), so the result is the same bits at any thread count
 * (the single-thread solve runs the same kernels over all blocks).
 */
import type { ReconPool } from '../../pool/pool.js';
import { blockAlignedRanges, SUM_BLOCK } from '../../pool/block-sums.js';


/** The grid's n1 and mask box (coil-steps.ts): the coil terms are +0 outside it. */
export type TermsBox = readonly [n1: number, r0: number, r1: number, q0: number, q1: number];

/**
 * Over values [f0, f1): the image part (values below 2 npix) of the adjoint, out = sum over coils
 * of terms [coil][2 npix], in coil order; then out += alpha p and the block sums of p . out.
 */
export function normalDotRange(
  terms: Float64Array, ncoils: number, npix: number, alpha: number, p: Float64Array, out: Float64Array, sums: Float64Array, f0: number, f1: number,
  inBox: TermsBox | null = null,
): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    sumCoilTermsRange(terms, ncoils, npix, out, s, e, inBox);
    let dot = 0;
    for (let i = s; i < e; i++) {
      const v = (out[i] += alpha * p[i]);
      dot += p[i] * v;
    }
    sums[s / SUM_BLOCK] = dot;
  }
}

/**
 * out[i] = sum over coils of terms [coil][2 npix] at i, in coil order, for i in [f0, f1) below 2 npix;
 * outside `inBox` 0 without reading the terms (their sum from 0 is that +0: the same bits).
 */
export function sumCoilTermsRange(terms: Float64Array, ncoils: number, npix: number, out: Float64Array, f0: number, f1: number, inBox: TermsBox | null = null): void {
  const img = 2 * npix, [n1, r0, r1, q0, q1] = inBox ?? [npix, 0, 1, 0, npix];
  // the pixel's row r and column q
  let r = Math.floor((f0 >> 1) / n1), q = (f0 >> 1) - r * n1;
  for (let i = f0, ie = Math.min(f1, img); i < ie; i++) {
    let acc = 0;
    if (r >= r0 && r < r1 && q >= q0 && q < q1) for (let c = 0, k = i; c < ncoils; c++, k += img) acc += terms[k];
    out[i] = acc;
    if (i & 1 && ++q === n1) {
      q = 0;
      r++;
    }
  }
}

/** h += a p, r -= a q over values [f0, f1), and the block sums of r . r. */
export function stepRange(h: Float64Array, r: Float64Array, p: Float64Array, q: Float64Array, a: number, sums: Float64Array, f0: number, f1: number): void {
  for (let s = f0; s < f1; s += SUM_BLOCK) {
    const e = Math.min(f1, s + SUM_BLOCK);
    let dot = 0;
    for (let i = s; i < e; i++) {
      h[i] += a * p[i];
      const ri = (r[i] -= a * q[i]); // float64: the assignment's value is the stored value
      dot += ri * ri;
    }
    sums[s / SUM_BLOCK] = dot;
  }
}

/** p = r + beta p over values [f0, f1) (nlinv.ts: the image part; coil-steps.ts's weighInDirection the k parts, the same expression). */
export function directionRange(p: Float64Array, r: Float64Array, beta: number, f0: number, f1: number): void {
  for (let i = f0; i < f1; i++) p[i] = r[i] + beta * p[i];
}

/** One of the kernels on values [f0, f1) of the shared vectors (a worker's share). */
export type NlinvVectorTask = { kind: 'nlinv-vector'; f0: number; f1: number } & (
  | { op: 'normal-dot'; terms: Float64Array; ncoils: number; npix: number; alpha: number; p: Float64Array; out: Float64Array; sums: Float64Array; inBox: TermsBox | null }
  | { op: 'step'; h: Float64Array; r: Float64Array; p: Float64Array; q: Float64Array; a: number; sums: Float64Array }
);

/** Runs an nlinv vector task (in a worker). */
export function runNlinvVectorTask(t: NlinvVectorTask): void {
  if (t.op === 'normal-dot') normalDotRange(t.terms, t.ncoils, t.npix, t.alpha, t.p, t.out, t.sums, t.f0, t.f1, t.inBox);
  else stepRange(t.h, t.r, t.p, t.q, t.a, t.sums, t.f0, t.f1);
}

type Distributive<T> = T extends unknown ? Omit<T, 'kind' | 'f0' | 'f1'> : never;

/** Splits a kernel over the pool's threads in whole blocks of a `length`-value vector and runs it. */
export function runNlinvVectorOnPool(pool: ReconPool, length: number, task: Distributive<NlinvVectorTask>): Promise<void> {
  return pool.runAll(blockAlignedRanges(length, pool.threads).map(([f0, f1]) => ({ ...task, kind: 'nlinv-vector', f0, f1 }) as NlinvVectorTask));
}
