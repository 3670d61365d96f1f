import { afterAll, describe, expect, it } from 'vitest';
import { closeReconPools, reconPool } from '../pool/index.js';
import { randomFloat32 as random } from '../testing/index.js';
import {
  addTvNormalRange, admmRelaxedRange, admmRhsDotRange, admmShrinkGroups, admmShrinkLeadingGroupsRange, admmShrinkRange, cgDirectionRange, cgStartRange,
  cgUpdateRange, dotBlocksRange, hypot2, runAdmmGroupsOnPool, runAdmmVectorOnPool, tvNormalDotRange,
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

  // the outer iteration's steps as tv-admm.ts wrote them before they became kernels
  function plainRhs(z: Float32Array[], u: Float32Array[], xadj: Float32Array): Float32Array {
    const rhs = new Float32Array(len), tmp = new Float32Array(len), s = new Float32Array(len);
    [0, 1].forEach((axis, j) => {
      for (let i = 0; i < len; i++) tmp[i] = z[j][i] - u[j][i];
      finiteDifferenceAdjoint(shape, axis, tmp, s);
      for (let i = 0; i < len; i++) rhs[i] += s[i];
    });
    for (let i = 0; i < len; i++) rhs[i] = rho * rhs[i] + xadj[i];
    return rhs;
  }
  function plainShrink(axis: number, alpha: number, thr: number, x: Float32Array, z: Float32Array, u: Float32Array, group: ((e: number) => number) | null, groups: number): void {
    const tmp = new Float32Array(len), v = new Float32Array(len);
    finiteDifference(shape, axis, x, tmp);
    for (let i = 0; i < len; i++) v[i] = alpha * tmp[i] + (1 - alpha) * z[i] + u[i];
    if (group === null) {
      for (let i = 0; i < len; i += 2) {
        const m = Math.hypot(v[i], v[i + 1]);
        const k = m > thr ? (m - thr) / m : 0;
        z[i] = v[i] * k;
        z[i + 1] = v[i + 1] * k;
      }
    } else {
      const norms = new Float64Array(groups);
      for (let e = 0; e < len / 2; e++) norms[group(e)] += v[2 * e] ** 2 + v[2 * e + 1] ** 2;
      for (let g = 0; g < groups; g++) { const m = Math.sqrt(norms[g]); norms[g] = m > thr ? (m - thr) / m : 0; }
      for (let e = 0; e < len / 2; e++) { z[2 * e] = v[2 * e] * norms[group(e)]; z[2 * e + 1] = v[2 * e + 1] * norms[group(e)]; }
    }
    for (let i = 0; i < len; i++) u[i] = v[i] - z[i];
  }

  it('the outer iteration kernels (right-hand side, CG start, z / u updates) give the plain loops\' bits, here and on the pool (2 and 3 threads)', async () => {
    const z = [random(len, 21), random(len, 22)].map(shared32), u = [random(len, 23), random(len, 24)].map(shared32);
    const xadj = shared32(random(len, 25)), x = shared32(random(len, 26)), Ap = shared32(random(len, 27));
    const rhs0 = plainRhs(z, u, xadj);
    const expectedSums = new Float64Array(sumBlockCount(len));
    dotBlocksRange(rhs0, rhs0, expectedSums, 0, len);
    const rhs = shared32(new Float32Array(len)), sums = new Float64Array(new SharedArrayBuffer(8 * sumBlockCount(len)));
    admmRhsDotRange(axes, rho, z, u, xadj, rhs, sums, 0, len);
    expect(rhs).toEqual(rhs0);
    expect(sums).toEqual(expectedSums);
    const r = shared32(new Float32Array(len)), p = shared32(new Float32Array(len));
    cgStartRange(rhs, Ap, r, p, sums, 0, len);
    const r0 = new Float32Array(len);
    for (let i = 0; i < len; i++) r0[i] = rhs0[i] - Ap[i];
    dotBlocksRange(r0, r0, expectedSums, 0, len);
    expect(r).toEqual(r0);
    expect(p).toEqual(r0);
    expect(sums).toEqual(expectedSums);
    // thresholds: elementwise along axis 1; joint over the leading axes [0, 1] along axis 0; joint over axis 2 (general groups)
    const [alpha, thr] = [1.6, 0.4];
    const groupsLeading = shape[2] * shape[3];
    const za = z[0].slice(), ua = u[0].slice();
    plainShrink(1, alpha, thr, x, za, ua, null, 0);
    const zb = z[1].slice(), ub = u[1].slice();
    plainShrink(0, alpha, thr, x, zb, ub, (e) => e % groupsLeading, groupsLeading);
    const zc = z[0].slice(), uc = u[0].slice();
    const groupOf = (e: number): number => Math.floor(e / (shape[2] * shape[3])) * shape[3] + (e % shape[3]);
    plainShrink(1, alpha, thr, x, zc, uc, groupOf, shape[0] * shape[1] * shape[3]);
    {
      const z1 = z[0].slice(), u1 = u[0].slice();
      admmShrinkRange(axes[1], alpha, thr, x, z1, u1, 0, 777 * 2);
      admmShrinkRange(axes[1], alpha, thr, x, z1, u1, 777 * 2, len);
      expect(z1).toEqual(za);
      expect(u1).toEqual(ua);
      const z2 = z[1].slice(), u2 = u[1].slice(), v = new Float32Array(len), norms = new Float64Array(groupsLeading);
      admmShrinkLeadingGroupsRange(axes[0], alpha, thr, groupsLeading, x, z2, u2, v, norms, 0, 1000);
      admmShrinkLeadingGroupsRange(axes[0], alpha, thr, groupsLeading, x, z2, u2, v, norms, 1000, groupsLeading);
      expect(z2).toEqual(zb);
      expect(u2).toEqual(ub);
      const z3 = z[0].slice(), u3 = u[0].slice(), index = Int32Array.from({ length: len / 2 }, (_, e) => groupOf(e));
      admmRelaxedRange(axes[1], alpha, x, z3, u3, v, 0, len);
      admmShrinkGroups(thr, index, new Float64Array(shape[0] * shape[1] * shape[3]), v, z3, u3);
      expect(z3).toEqual(zc);
      expect(u3).toEqual(uc);
    }
    for (const threads of [2, 3]) {
      const pool = reconPool(threads)!;
      const rhsP = shared32(new Float32Array(len)), sumsP = new Float64Array(new SharedArrayBuffer(8 * sumBlockCount(len)));
      await runAdmmVectorOnPool(pool, len, { op: 'rhs-dot', axes, rho, z, u, xadj, rhs: rhsP, sums: sumsP });
      expect(rhsP).toEqual(rhs0);
      const rP = shared32(new Float32Array(len)), pP = shared32(new Float32Array(len));
      await runAdmmVectorOnPool(pool, len, { op: 'cg-start', rhs: rhsP, Ap, r: rP, p: pP, sums: sumsP });
      expect(rP).toEqual(r0);
      expect(pP).toEqual(r0);
      expect(sumsP).toEqual(expectedSums);
      const z1 = shared32(z[0]), u1 = shared32(u[0]);
      await runAdmmVectorOnPool(pool, len, { op: 'shrink', axis: axes[1], alpha, thr, x, z: z1, u: u1 });
      expect(z1).toEqual(za);
      expect(u1).toEqual(ua);
      const z2 = shared32(z[1]), u2 = shared32(u[1]), v = shared32(new Float32Array(len));
      await runAdmmGroupsOnPool(pool, { op: 'shrink-leading-groups', axis: axes[0], alpha, thr, groups: groupsLeading, x, z: z2, u: u2, v });
      expect(z2).toEqual(zb);
      expect(u2).toEqual(ub);
    }
  });

  // the TFD case: one term along the leading axis (frames), the fused last-term passes
  describe('one TV term (the temporal recon)', () => {
    const shape1 = [5, 80, 41];
    const len1 = 2 * shape1.reduce((a, b) => a * b, 1);
    const axis1 = [{ n: 5, stride: 80 * 41 }];
    const bytes = (a: Float32Array | Float64Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    /** random values with some exact zeros of both signs (the fused passes must keep the sign of a zero) */
    const withZeros = (seed: number): Float32Array => {
      const a = random(len1, seed);
      for (let i = 0; i < a.length; i += 7) a[i] = i % 2 === 0 ? 0 : -0;
      return a;
    };

    it('tvNormalDotRange is the term\'s pass then the block inner products, bit for bit, over any whole-block ranges', () => {
      expect(len1).toBeGreaterThan(2 * SUM_BLOCK);
      const v = withZeros(31), out0 = withZeros(32);
      const expected = out0.slice(), d = new Float32Array(len1), s = new Float32Array(len1);
      finiteDifference(shape1, 0, v, d);
      finiteDifferenceAdjoint(shape1, 0, d, s);
      for (let i = 0; i < len1; i++) expected[i] += rho * s[i];
      const expectedSums = new Float64Array(sumBlockCount(len1));
      dotBlocksRange(v, expected, expectedSums, 0, len1);
      const out = out0.slice(), sums = new Float64Array(sumBlockCount(len1));
      tvNormalDotRange(axis1, rho, v, out, sums, 0, SUM_BLOCK);
      tvNormalDotRange(axis1, rho, v, out, sums, SUM_BLOCK, len1);
      expect(bytes(out).equals(bytes(expected))).toBe(true);
      expect(bytes(sums).equals(bytes(expectedSums))).toBe(true);
      // no terms: the inner product alone
      const none = new Float64Array(sumBlockCount(len1));
      tvNormalDotRange([], rho, v, out0, none, 0, len1);
      dotBlocksRange(v, out0, expectedSums, 0, len1);
      expect(bytes(none).equals(bytes(expectedSums))).toBe(true);
    });

    it('admmRhsDotRange with one term (and with none) is the zero fill, the term\'s pass and the last pass, bit for bit', () => {
      const z = withZeros(33), u = z.slice(), xadj = withZeros(34);
      for (let i = 0; i < len1; i += 3) u[i] = random(1, 35 + i)[0]; // z - u: exact zeros (+0) and values
      // a region where the term's difference is -0 (z - u: -0 in odd frames, +0 in even ones) and xadj -0: rhs +0 there
      const frame = len1 / 5;
      for (let k = 0; k < 5; k++) for (let i = 100; i < 300; i++) { z[k * frame + i] = k % 2 ? -0 : 0; u[k * frame + i] = 0; xadj[k * frame + i] = -0; }
      const rhs0 = new Float32Array(len1), tmp = new Float32Array(len1), s = new Float32Array(len1);
      for (let i = 0; i < len1; i++) tmp[i] = z[i] - u[i];
      finiteDifferenceAdjoint(shape1, 0, tmp, s);
      for (let i = 0; i < len1; i++) rhs0[i] += s[i];
      for (let i = 0; i < len1; i++) rhs0[i] = rho * rhs0[i] + xadj[i];
      const expectedSums = new Float64Array(sumBlockCount(len1));
      dotBlocksRange(rhs0, rhs0, expectedSums, 0, len1);
      const rhs = withZeros(36), sums = new Float64Array(sumBlockCount(len1));
      admmRhsDotRange(axis1, rho, [z], [u], xadj, rhs, sums, 0, SUM_BLOCK);
      admmRhsDotRange(axis1, rho, [z], [u], xadj, rhs, sums, SUM_BLOCK, len1);
      expect(bytes(rhs).equals(bytes(rhs0))).toBe(true);
      expect(bytes(sums).equals(bytes(expectedSums))).toBe(true);
      const rhsNone = withZeros(37), plain = xadj.map((x) => rho * 0 + x);
      admmRhsDotRange([], rho, [], [], xadj, rhsNone, sums, 0, len1);
      dotBlocksRange(plain, plain, expectedSums, 0, len1);
      expect(bytes(rhsNone).equals(bytes(plain))).toBe(true);
      expect(bytes(sums).equals(bytes(expectedSums))).toBe(true);
    });
  });

  it('hypot2 is Math.hypot, the same double for every pair tried (float32 values, zeros, extremes, infinities, NaN)', () => {
    const specials = [0, -0, 1, -1, 2 ** -149, -(2 ** -149), 2 ** -126, 3.4028234663852886e38, -3.4028234663852886e38, Infinity, -Infinity, NaN, 0.1, 3];
    for (const a of specials) for (const b of specials) expect(Object.is(hypot2(a, b), Math.hypot(a, b))).toBe(true);
    const f = new Float32Array(2), w = new Uint32Array(f.buffer);
    const next = (() => { let s = 0x9e3779b9; return () => (s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x6d2b79f5) >>> 0); })();
    let differ = 0;
    for (let i = 0; i < 400_000; i++) {
      w[0] = next();
      w[1] = next();
      if (i % 3 === 0) f[1] = f[0] * (1 + (next() / 2 ** 32) * 1e-3); // nearly equal magnitudes
      if (i % 5 === 0) { f[0] = next() / 2 ** 32 - 0.5; f[1] = (next() / 2 ** 32 - 0.5) * 1e-3; } // the solver's range
      const h = Math.hypot(f[0], f[1]), g = hypot2(f[0], f[1]);
      if (!Object.is(h, g)) differ++;
    }
    expect(differ).toBe(0);
  });
});
