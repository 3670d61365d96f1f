/**
 * Inner products that give the same bits at any thread count: a vector is cut into blocks of
 * SUM_BLOCK values, each block summed in float64 in element order (by whichever thread has it),
 * and the blocks' sums added in block order by the caller. Work is split between threads in
 * whole blocks only. Shared by the CG kernels of TV-ADMM (iterative/admm-vectors.ts) and of
 * nlinv (mri/nlinv/cg-vectors.ts).
 */
import { splitRange } from './shared-memory.js';

/** Values per inner-product block (the unit of work split between threads). */
export const SUM_BLOCK = 1 << 14;

/** Blocks of a vector of `length` values. */
export function sumBlockCount(length: number): number {
  return Math.ceil(length / SUM_BLOCK);
}

/** The blocks' sums added in block order. */
export function sumBlocksInOrder(sums: Float64Array): number {
  let s = 0;
  for (let i = 0; i < sums.length; i++) s += sums[i];
  return s;
}

/** [f0, f1) value ranges of whole blocks of a `length`-value vector, split into at most `parts`. */
export function blockAlignedRanges(length: number, parts: number): [number, number][] {
  return splitRange(sumBlockCount(length), parts).map(([b0, b1]) => [b0 * SUM_BLOCK, Math.min(length, b1 * SUM_BLOCK)]);
}
