import { afterAll, describe, expect, it } from 'vitest';
import { closeReconPools, reconPool } from '../../pool/index.js';
import { signedRng } from '../../testing/index.js';
import {
  directionRange, normalDotRange, runNlinvVectorOnPool, stepRange, sumCoilTermsRange,
} from './cg-vectors.js';
import { SUM_BLOCK, sumBlockCount, sumBlocksInOrder } from '../../pool/block-sums.js';

afterAll(async () => {
  await closeReconPools();
});

function random(n: number, seed: number, shared = false): Float64Array {
  const r = signedRng(seed);
  const a = shared ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = r();
  return a;
}

describe('nlinv CG vector kernels', () => {
  // [rho | k_0 .. k_{nc-1}] with 3 coils on a 90 x 102 grid: several blocks, the image part crossing a block edge
  const [ncoils, npix] = [3, 90 * 102];
  const nx = 2 * npix * (1 + ncoils);

  it('are the plain loops: coil terms summed in coil order, the regularisation term, the step, the direction', () => {
    expect(nx).toBeGreaterThan(2 * SUM_BLOCK);
    const terms = random(2 * ncoils * npix, 1), p = random(nx, 2), out = random(nx, 3);
    const expected = out.slice();
    for (let i = 0; i < 2 * npix; i++) {
      let s = 0;
      for (let c = 0; c < ncoils; c++) s += terms[c * 2 * npix + i];
      expected[i] = s;
    }
    const img = expected.slice(0, 2 * npix);
    for (let i = 0; i < nx; i++) expected[i] += 0.25 * p[i];
    const sums = new Float64Array(sumBlockCount(nx));
    normalDotRange(terms, ncoils, npix, 0.25, p, out, sums, 0, nx);
    expect(out).toEqual(expected);
    let plain = 0;
    for (let i = 0; i < nx; i++) plain += p[i] * expected[i];
    expect(Math.abs(sumBlocksInOrder(sums) - plain)).toBeLessThan(1e-12 * Math.abs(plain) + 1e-9);
    const part = new Float64Array(2 * npix);
    sumCoilTermsRange(terms, ncoils, npix, part, 0, 1000);
    sumCoilTermsRange(terms, ncoils, npix, part, 1000, nx);
    expect(part).toEqual(img);
    const h = random(nx, 4), r = random(nx, 5), q = random(nx, 6);
    const h1 = h.slice(), r1 = r.slice();
    for (let i = 0; i < nx; i++) { h1[i] += 0.5 * p[i]; r1[i] -= 0.5 * q[i]; }
    stepRange(h, r, p, q, 0.5, sums, 0, nx);
    expect(h).toEqual(h1);
    expect(r).toEqual(r1);
    let rr = 0;
    for (let i = 0; i < nx; i++) rr += r1[i] * r1[i];
    expect(Math.abs(sumBlocksInOrder(sums) - rr)).toBeLessThan(1e-12 * rr);
    const p1 = p.slice();
    for (let i = 0; i < nx; i++) p1[i] = r1[i] + 0.75 * p1[i];
    directionRange(p, r, 0.75, 0, nx);
    expect(p).toEqual(p1);
  });

  it("with the mask box: the terms outside it not read (taken as the zeros a step leaves there), the same bits as summing them", async () => {
    // the 90 x 102 grid's rows [10, 70) and columns [17, 81)
    const n1 = 102, box = [10, 70, 17, 81] as const, inBox = [n1, ...box] as const;
    const inside = (i: number): boolean => { const px = i >> 1, r = Math.floor(px / n1), q = px % n1; return r >= box[0] && r < box[1] && q >= box[2] && q < box[3]; };
    const terms = random(2 * ncoils * npix, 12, true), zeroed = terms.slice();
    for (let c = 0; c < ncoils; c++) for (let i = 0; i < 2 * npix; i++) if (!inside(i)) { terms[c * 2 * npix + i] = NaN; zeroed[c * 2 * npix + i] = 0; }
    const p = random(nx, 13, true), out = random(nx, 14, true), outPlain = out.slice();
    const sums = new Float64Array(new SharedArrayBuffer(8 * sumBlockCount(nx))), sumsPlain = new Float64Array(sumBlockCount(nx));
    normalDotRange(zeroed, ncoils, npix, 0.3, p, outPlain, sumsPlain, 0, nx);
    const same = (x: Float64Array, y: Float64Array): boolean => x.every((v, i) => Object.is(v, y[i]));
    const outHere = out.slice(), sumsHere = new Float64Array(sums.length);
    normalDotRange(terms, ncoils, npix, 0.3, p, outHere, sumsHere, 0, nx, inBox);
    expect(same(outHere, outPlain), 'out').toBe(true);
    expect(same(sumsHere, sumsPlain), 'sums').toBe(true);
    await runNlinvVectorOnPool(reconPool(3)!, nx, { op: 'normal-dot', terms, ncoils, npix, alpha: 0.3, p, out, sums, inBox: inBox });
    expect(same(out, outPlain), 'out on the pool').toBe(true);
    expect(same(sums, sumsPlain), 'sums on the pool').toBe(true);
    // ranges that start and end inside rows and inside the box
    const part = new Float64Array(2 * npix), plain = new Float64Array(2 * npix);
    sumCoilTermsRange(zeroed, ncoils, npix, plain, 0, nx);
    for (const [f0, f1] of [[0, 2 * (15 * n1 + 20) + 1], [2 * (15 * n1 + 20) + 1, 2 * (40 * n1 + 90)], [2 * (40 * n1 + 90), nx]]) sumCoilTermsRange(terms, ncoils, npix, part, f0, f1, inBox);
    expect(same(part, plain), 'split ranges').toBe(true);
  });

  for (const threads of [2, 3]) {
    it(`on the pool with ${threads} threads: the single-thread bits`, async () => {
      const pool = reconPool(threads)!;
      const terms = random(2 * ncoils * npix, 7, true), p = random(nx, 8, true), out = random(nx, 9, true);
      const sums = new Float64Array(new SharedArrayBuffer(8 * sumBlockCount(nx)));
      const pl = p.slice(), outl = out.slice(), sumsl = new Float64Array(sumBlockCount(nx));
      await runNlinvVectorOnPool(pool, nx, { op: 'normal-dot', terms, ncoils, npix, alpha: 0.3, p, out, sums, inBox: null });
      normalDotRange(terms, ncoils, npix, 0.3, pl, outl, sumsl, 0, nx);
      expect(out).toEqual(outl);
      expect(sums).toEqual(sumsl);
      const h = random(nx, 10, true), r = random(nx, 11, true);
      const hl = h.slice(), rl = r.slice();
      await runNlinvVectorOnPool(pool, nx, { op: 'step', h, r, p, q: out, a: 0.4, sums });
      stepRange(hl, rl, pl, outl, 0.4, sumsl, 0, nx);
      expect(h).toEqual(hl);
      expect(r).toEqual(rl);
      expect(sums).toEqual(sumsl);
    });
  }
});
