import { afterAll, describe, expect, it } from 'vitest';
import { closeReconPools, reconPool } from '../pool/index.js';
import { randomFloat32 as random } from '../testing/index.js';
import {
  addTvNormalRange, cgDirectionRange, cgUpdateRange, dotBlocksRange, runAdmmVectorOnPool, tvNormalDotRange,
} from './admm-vectors.js';
import { SUM_BLOCK, sumBlockCount, sumBlocksInOrder } from '../pool/block-sums.js';
import { finiteDifference, finiteDifferenceAdjoint } from './tv-admm.js';

afterAll(async () => {
  await closeReconPools();
});

function shared32(a: Float32Array): Float32Array {
  const out = new Float32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

describe('TV-ADMM vector kernels', () => {
  // [resp, card, ny, nx]: two TV axes with different strides; 4 blocks and a partial one
  const shape = [3, 4, 80, 37];
  const len = 2 * shape.reduce((a, b) => a * b, 1);
  const axes = [{ n: 3, stride: 4 * 80 * 37 }, { n: 4, stride: 80 * 37 }];
  const rho = 0.5;

  it('the fused TV term is finiteDifference then its adjoint, added term by term, bit for bit, over any ranges', () => {
    expect(len).toBeGreaterThan(4 * SUM_BLOCK);
    const v = random(len, 1), out0 = random(len, 2);
    const expected = out0.slice();
    const d = new Float32Array(len), s = new Float32Array(len);
    for (const axis of [0, 1]) {
      finiteDifference(shape, axis, v, d);
      finiteDifferenceAdjoint(shape, axis, d, s);
      for (let i = 0; i < len; i++) expected[i] += rho * s[i];
    }
    const whole = out0.slice();
    addTvNormalRange(axes, rho, v, whole, 0, len);
    expect(whole).toEqual(expected);
    // odd cut points inside rows of both axes
    const pieces = out0.slice();
    const cuts = [0, 777, 40000, 40001, 70000, 70001, len];
    for (let i = 0; i + 1 < cuts.length; i++) addTvNormalRange(axes, rho, v, pieces, cuts[i], cuts[i + 1]);
    expect(pieces).toEqual(expected);
  });

  it('block dot products sum every element once (float64) and the CG updates are the plain loops', () => {
    const a = random(len, 3), b = random(len, 4);
    const sums = new Float64Array(sumBlockCount(len));
    dotBlocksRange(a, b, sums, 0, len);
    let plain = 0;
    for (let i = 0; i < len; i++) plain += a[i] * b[i];
    expect(Math.abs(sumBlocksInOrder(sums) - plain)).toBeLessThan(1e-9 * Math.abs(plain) + 1e-9);
    const x = random(len, 5), r = random(len, 6), p = random(len, 7), Ap = random(len, 8);
    const x1 = x.slice(), r1 = r.slice(), p1 = p.slice();
    for (let i = 0; i < len; i++) { x1[i] += 0.3 * p[i]; r1[i] -= 0.3 * Ap[i]; }
    cgUpdateRange(x, r, p, Ap, 0.3, sums, 0, len);
    expect(x).toEqual(x1);
    expect(r).toEqual(r1);
    const rr = new Float64Array(sumBlockCount(len));
    dotBlocksRange(r1, r1, rr, 0, len);
    expect(sums).toEqual(rr);
    for (let i = 0; i < len; i++) p1[i] = r1[i] + 0.7 * p1[i];
    cgDirectionRange(p, r, 0.7, 0, len);
    expect(p).toEqual(p1);
  });

  for (const threads of [2, 3]) {
    it(`on the pool with ${threads} threads: the single-thread bits`, async () => {
      const pool = reconPool(threads)!;
      const v = shared32(random(len, 9)), out = shared32(random(len, 10));
      const outLocal = out.slice(), out0 = out.slice();
      const sums = new Float64Array(new SharedArrayBuffer(8 * sumBlockCount(len))), sumsLocal = new Float64Array(sumBlockCount(len));
      await runAdmmVectorOnPool(pool, len, { op: 'tv-normal-dot', axes, rho, v, out, sums });
      tvNormalDotRange(axes, rho, v, outLocal, sumsLocal, 0, len);
      const check = out0, checkSums = new Float64Array(sumBlockCount(len));
      addTvNormalRange(axes, rho, v, check, 0, len);
      dotBlocksRange(v, check, checkSums, 0, len);
      expect(check).toEqual(outLocal);
      expect(checkSums).toEqual(sumsLocal);
      expect(out).toEqual(outLocal);
      expect(sums).toEqual(sumsLocal);
      const x = shared32(random(len, 11)), r = shared32(random(len, 12)), p = shared32(random(len, 13));
      const xl = x.slice(), rl = r.slice(), pl = p.slice();
      await runAdmmVectorOnPool(pool, len, { op: 'cg-update', x, r, p, Ap: out, a: 0.25, sums });
      cgUpdateRange(xl, rl, pl, outLocal, 0.25, sumsLocal, 0, len);
      expect(x).toEqual(xl);
      expect(r).toEqual(rl);
      expect(sums).toEqual(sumsLocal);
      await runAdmmVectorOnPool(pool, len, { op: 'cg-direction', p, r, beta: 0.6 });
      cgDirectionRange(pl, rl, 0.6, 0, len);
      expect(p).toEqual(pl);
    });
  }
});
