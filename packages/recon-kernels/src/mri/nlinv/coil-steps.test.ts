import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { signedRng } from '../../testing/index.js';
import { maskBox, nlinvCoilStep, normalDotFuses, type NlinvModel, type NlinvStepKind } from './coil-steps.js';
import { directionRange, normalDotRange } from './cg-vectors.js';
import { SUM_BLOCK, sumBlockCount } from '../../pool/block-sums.js';

function random64(n: number, seed: number): Float64Array {
  const next = signedRng(seed);
  return Float64Array.from({ length: n }, () => next());
}

/** A model on an n0 x n1 grid whose mask is non-zero in rows [3, 13) and columns [5, 21) only, not all ones there. */
function model(n0: number, n1: number, ncoils: number, box: boolean): NlinvModel {
  const npix = n0 * n1;
  const next = signedRng(7);
  const mask = new Float32Array(npix);
  for (let r = 3; r < 13; r++) for (let q = 5; q < 21; q++) mask[r * n1 + q] = (r + q) % 7 === 0 ? 0 : (r + q) % 5 === 0 ? 0.5 : 1;
  return {
    n0, n1, ncoils,
    W: Float32Array.from({ length: npix }, () => next() + 1),
    pattern: Float32Array.from({ length: npix }, () => next() + 1),
    mask, box: box ? maskBox(mask, n0, n1) : null, noncart: true,
    rho: random64(2 * npix, 1), coils: random64(2 * ncoils * npix, 2), dc: new Float64Array(2 * ncoils * npix), rhoTerms: new Float64Array(2 * ncoils * npix),
  };
}

describe('nlinv coil steps inside the mask box', () => {
  it('maskBox is the smallest box around the non-zero values', () => {
    const m = model(16, 24, 1, true);
    expect(m.box).toEqual([3, 13, 5, 21]);
    expect(maskBox(new Float32Array(12), 3, 4)).toEqual([0, 0, 0, 0]);
  });

  it('gives the whole-grid passes\' values for every step kind (the coil arrays where the mask reads them)', async () => {
    const fft = await getFftEngine();
    const n0 = 16, n1 = 24, nc = 3, npix = n0 * n1;
    const inside = (i: number): boolean => { const r = Math.floor(i / n1), q = i % n1; return r >= 3 && r < 13 && q >= 5 && q < 21; };
    for (const kind of ['forward', 'derivative', 'adjoint', 'coil-images'] as NlinvStepKind[]) {
      const full = model(n0, n1, nc, false), boxed = model(n0, n1, nc, true);
      const input = random64(kind === 'adjoint' ? 2 * nc * npix : 2 * (nc + 1) * npix, 3);
      const outLength = kind === 'adjoint' ? 2 * (nc + 1) * npix : 2 * nc * npix;
      const a = new Float64Array(outLength), b = new Float64Array(outLength);
      nlinvCoilStep(fft, full, kind, input, a, 0, nc);
      nlinvCoilStep(fft, boxed, kind, input, b, 0, nc);
      // the same values (a zero's sign aside: outside the box the old passes multiplied by a zero mask)
      let differ = 0;
      for (let i = 0; i < outLength; i++) if (a[i] !== b[i]) differ++;
      expect(differ, kind).toBe(0);
      for (const key of ['coils', 'dc', 'rhoTerms'] as const) {
        let d = 0;
        for (let c = 0; c < nc; c++) for (let i = 0; i < npix; i++) {
          if (!inside(i) && key !== 'rhoTerms') continue;
          const o = 2 * (c * npix + i);
          if (full[key][o] !== boxed[key][o] || full[key][o + 1] !== boxed[key][o + 1]) d++;
        }
        expect(d, `${kind} ${key}`).toBe(0);
      }
    }
  });
});

describe("nlinv's 'normal' coil step", () => {
  it('is the derivative then the adjoint of its output, bit for bit (with and without the mask box, non-Cartesian and Cartesian)', async () => {
    const fft = await getFftEngine();
    const n0 = 16, n1 = 24, nc = 3, npix = n0 * n1;
    for (const box of [false, true]) for (const noncart of [true, false]) {
      const a = model(n0, n1, nc, box), b = model(n0, n1, nc, box);
      a.noncart = b.noncart = noncart;
      const cp = random64(2 * (nc + 1) * npix, 5);
      const tmp = new Float64Array(2 * nc * npix), outA = new Float64Array(cp.length), outB = new Float64Array(cp.length);
      nlinvCoilStep(fft, a, 'derivative', cp, tmp, 0, nc);
      nlinvCoilStep(fft, a, 'adjoint', tmp, outA, 0, nc);
      nlinvCoilStep(fft, b, 'normal', cp, outB, 1, 3);
      nlinvCoilStep(fft, b, 'normal', cp, outB, 0, 1);
      const same = (x: Float64Array, y: Float64Array): boolean => x.every((v, i) => Object.is(v, y[i]));
      expect(same(outA, outB), `box ${box}, noncart ${noncart}: out`).toBe(true);
      expect(same(a.rhoTerms, b.rhoTerms), 'rhoTerms').toBe(true);
      expect(same(a.dc, b.dc), 'dc').toBe(true);
    }
  });

  it('with a direction: the k parts of its coils updated as directionRange, then the same step, bit for bit', async () => {
    const fft = await getFftEngine();
    const n0 = 16, n1 = 24, nc = 3, npix = n0 * n1;
    for (const box of [false, true]) for (const noncart of [true, false]) {
      const a = model(n0, n1, nc, box), b = model(n0, n1, nc, box);
      a.noncart = b.noncart = noncart;
      const r = random64(2 * (nc + 1) * npix, 9);
      const cpA = random64(2 * (nc + 1) * npix, 5), cpB = cpA.slice();
      const outA = new Float64Array(cpA.length), outB = new Float64Array(cpA.length);
      directionRange(cpA, r, 0.625, 0, cpA.length);
      nlinvCoilStep(fft, a, 'normal', cpA, outA, 0, nc);
      // the image part by the caller, the coils' k parts by the steps (in two coil ranges)
      directionRange(cpB, r, 0.625, 0, 2 * npix);
      nlinvCoilStep(fft, b, 'normal', cpB, outB, 1, 3, { r, beta: 0.625 });
      nlinvCoilStep(fft, b, 'normal', cpB, outB, 0, 1, { r, beta: 0.625 });
      const same = (x: Float64Array, y: Float64Array): boolean => x.every((v, i) => Object.is(v, y[i]));
      expect(same(cpA, cpB), `box ${box}, noncart ${noncart}: direction`).toBe(true);
      expect(same(outA, outB), 'out').toBe(true);
      expect(same(a.rhoTerms, b.rhoTerms), 'rhoTerms').toBe(true);
    }
    expect(() => nlinvCoilStep(fft, model(n0, n1, nc, true), 'adjoint', new Float64Array(2 * nc * npix), new Float64Array(2 * (nc + 1) * npix), 0, nc, { r: new Float64Array(0), beta: 1 })).toThrow(/normal/);
  });

  it("with the inner product: normalDotRange's k-part values and block sums, bit for bit (the image part left to it)", async () => {
    const fft = await getFftEngine();
    // 2 x 64 x 128 values: whole blocks of 2^14; 3 coils (one step over coils 1-2, one over coil 0)
    const n0 = 64, n1 = 128, nc = 3, npix = n0 * n1, nx = 2 * (nc + 1) * npix;
    expect(normalDotFuses(npix)).toBe(true);
    expect(normalDotFuses(48 * 48)).toBe(false);
    for (const box of [false, true]) {
      const a = model(n0, n1, nc, box), b = model(n0, n1, nc, box);
      const cp = random64(nx, 5), alpha = 0.375;
      const outA = new Float64Array(nx), outB = new Float64Array(nx);
      const sumsA = new Float64Array(sumBlockCount(nx)), sumsB = new Float64Array(sumBlockCount(nx));
      nlinvCoilStep(fft, a, 'normal', cp, outA, 0, nc);
      normalDotRange(a.rhoTerms, nc, npix, alpha, cp, outA, sumsA, 0, nx);
      nlinvCoilStep(fft, b, 'normal', cp, outB, 1, 3, null, { alpha, sums: sumsB });
      nlinvCoilStep(fft, b, 'normal', cp, outB, 0, 1, null, { alpha, sums: sumsB });
      normalDotRange(b.rhoTerms, nc, npix, alpha, cp, outB, sumsB, 0, 2 * npix);
      const same = (x: Float64Array, y: Float64Array): boolean => x.every((v, i) => Object.is(v, y[i]));
      expect(same(outA, outB), `box ${box}: out`).toBe(true);
      expect(same(sumsA, sumsB), 'sums').toBe(true);
      expect(sumsB.length).toBe(nx / SUM_BLOCK);
    }
    const m = model(16, 24, nc, true);
    expect(() => nlinvCoilStep(fft, m, 'normal', new Float64Array(2 * (nc + 1) * 384), new Float64Array(2 * (nc + 1) * 384), 0, nc, null, { alpha: 1, sums: new Float64Array(1) })).toThrow(/whole blocks/);
  });
});
