/**
 * The vector work of a TV-ADMM conjugate-gradient step (./tv-admm.ts) as kernels over a range of
 * the solver's float32 vectors, so that the worker pool can share it out while the calling
 * thread waits: the TV part of the normal equations fused into one pass, the x / r update and the
 * new search direction. Inner products are summed per block in float64 (pool/block-sums.ts),
 * so the result is the same bits however the blocks are split between threads (and the
 * single-thread solve runs the same kernels over all blocks).
 */
import type { ReconPool } from '../pool/pool.js';
import type { PoolTaskBase } from '../pool/tasks.js';
import { blockAlignedRanges, SUM_BLOCK } from '../pool/block-sums.js';


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
 * A CG step's vector work on floats [f0, f1) on the pool. 'tv-normal-dot': out += rho sum_j
 * D_j^H D_j v, then the block sums of v . out; 'cg-update': x += a p, r -= a Ap, the block sums
 * of r . r; 'cg-direction': p = r + beta p.
 */
export type AdmmVectorTask = PoolTaskBase & {
  kind: 'admm-vector';
  f0: number;
  f1: number;
} & (
  | { op: 'tv-normal-dot'; axes: TvAxis[]; rho: number; v: Float32Array; out: Float32Array; sums: Float64Array }
  | { op: 'cg-update'; x: Float32Array; r: Float32Array; p: Float32Array; Ap: Float32Array; a: number; sums: Float64Array }
  | { op: 'cg-direction'; p: Float32Array; r: Float32Array; beta: number }
);

/** Runs an ADMM vector task (in a worker). */
export function runAdmmVectorTask(t: AdmmVectorTask): void {
  if (t.op === 'tv-normal-dot') tvNormalDotRange(t.axes, t.rho, t.v, t.out, t.sums, t.f0, t.f1);
  else if (t.op === 'cg-update') cgUpdateRange(t.x, t.r, t.p, t.Ap, t.a, t.sums, t.f0, t.f1);
  else cgDirectionRange(t.p, t.r, t.beta, t.f0, t.f1);
}

type Distributive<T> = T extends unknown ? Omit<T, 'kind' | 'f0' | 'f1'> : never;

/** Splits a task over the pool's threads in whole blocks of `floats` and runs it. */
export function runAdmmVectorOnPool(pool: ReconPool, floats: number, task: Distributive<AdmmVectorTask>): Promise<void> {
  return pool.runAll(blockAlignedRanges(floats, pool.threads).map(([f0, f1]) => ({ ...task, kind: 'admm-vector', f0, f1 }) as AdmmVectorTask));
}
