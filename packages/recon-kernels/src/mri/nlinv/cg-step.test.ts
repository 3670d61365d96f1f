import { afterAll, describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { closeReconPools, reconPool } from '../../pool/index.js';
import { signedRng } from '../../testing/index.js';
import { maskBox, nlinvCoilStep, normalDotFuses, type NlinvModel } from './coil-steps.js';
import { directionRange, normalDotRange, stepRange, type TermsBox } from './cg-vectors.js';
import { newCgStepClaims, runNlinvCgStepTask, type NlinvCgStepTask } from './cg-step.js';
import { sumBlockCount, sumBlocksInOrder } from '../../pool/block-sums.js';

afterAll(async () => {
  await closeReconPools();
});

function shared64(n: number, seed: number | null): Float64Array {
  const a = new Float64Array(new SharedArrayBuffer(8 * n));
  if (seed !== null) {
    const next = signedRng(seed);
    for (let i = 0; i < n; i++) a[i] = next();
  }
  return a;
}

/** A model on shared memory; with `box` the mask is non-zero in a box of the grid only. */
function model(n0: number, n1: number, ncoils: number, box: boolean): NlinvModel {
  const npix = n0 * n1, next = signedRng(7);
  const f32 = (f: (i: number) => number): Float32Array => {
    const a = new Float32Array(new SharedArrayBuffer(4 * npix));
    for (let i = 0; i < npix; i++) a[i] = f(i);
    return a;
  };
  const mask = box ? f32((i) => { const r = Math.floor(i / n1), q = i % n1; return r >= 3 && r < n0 - 5 && q >= 6 && q < n1 - 2 ? ((r + q) % 5 === 0 ? 0.5 : 1) : 0; }) : null;
  return {
    n0, n1, ncoils, W: f32(() => next() + 1), pattern: f32(() => next() + 1), mask, box: mask === null ? null : maskBox(mask, n0, n1), noncart: true,
    rho: shared64(2 * npix, 1), coils: shared64(2 * ncoils * npix, 2), dc: shared64(2 * ncoils * npix, null), rhoTerms: shared64(2 * ncoils * npix, null),
  };
}

/** A CG step's task on fresh arrays (seeded: two calls give equal inputs). */
function stepTask(n0: number, n1: number, nc: number, box: boolean, beta: number | null): NlinvCgStepTask {
  const m = model(n0, n1, nc, box), npix = n0 * n1, nx = 2 * (nc + 1) * npix;
  const inBox: TermsBox | null = m.box ? [n1, ...m.box] : null;
  return {
    kind: 'nlinv-cg-step', model: m, h: shared64(nx, 11), r: shared64(nx, 12), p: shared64(nx, 13), q: shared64(nx, 14), beta, alpha: 0.375, rsold: 2.5,
    dotSums: shared64(sumBlockCount(nx), null), stepSums: shared64(sumBlockCount(nx), null), dotEnd: normalDotFuses(npix) ? 2 * npix : nx, inBox, claims: newCgStepClaims(),
  };
}

/** The CG step as the single-thread loop did it before: direction, 'normal' over all coils, normal-dot, step. */
async function plainStep(t: NlinvCgStepTask): Promise<void> {
  const fft = await getFftEngine();
  const { model: m, h, r, p, q, beta, alpha, rsold, dotSums, stepSums, dotEnd, inBox } = t;
  const npix = m.n0 * m.n1, nx = p.length;
  if (beta !== null) directionRange(p, r, beta, 0, 2 * npix);
  nlinvCoilStep(fft, m, 'normal', p, q, 0, m.ncoils, beta === null ? null : { r, beta }, dotEnd < nx ? { alpha, sums: dotSums } : null);
  normalDotRange(m.rhoTerms, m.ncoils, npix, alpha, p, q, dotSums, 0, dotEnd, inBox);
  const pAp = sumBlocksInOrder(dotSums);
  if (pAp !== 0) stepRange(h, r, p, q, rsold / pAp, stepSums, 0, nx);
}

const same = (x: Float64Array, y: Float64Array): boolean => x.length === y.length && x.every((v, i) => Object.is(v, y[i]));
const arrays = (t: NlinvCgStepTask): Record<string, Float64Array> => ({
  h: t.h, r: t.r, p: t.p, q: t.q, dotSums: t.dotSums, stepSums: t.stepSums, rhoTerms: t.model.rhoTerms, dc: t.model.dc,
});

describe("nlinv's CG step as one call of claimed items", () => {
  // 64 x 128: the image part is whole blocks (the coil step takes the k parts' inner products); 48 x 40 not
  const cases = [[64, 128, true], [64, 128, false], [48, 40, true], [48, 40, false]] as const;

  it('on one thread, and on pools of 2 and 3 threads: the bits of the step as the single-thread loop made it', async () => {
    const fft = await getFftEngine();
    for (const [n0, n1, box] of cases) for (const beta of [null, 0.625]) {
      const expected = stepTask(n0, n1, 5, box, beta);
      await plainStep(expected);
      const here = stepTask(n0, n1, 5, box, beta);
      runNlinvCgStepTask(fft, here);
      for (const [k, v] of Object.entries(arrays(here))) expect(same(v, arrays(expected)[k]), `${n0}x${n1} box ${box} beta ${beta}, one thread: ${k}`).toBe(true);
      for (const threads of [2, 3]) {
        const t = stepTask(n0, n1, 5, box, beta);
        await reconPool(threads)!.runAll(Array.from({ length: threads }, () => t));
        for (const [k, v] of Object.entries(arrays(t))) expect(same(v, arrays(expected)[k]), `${n0}x${n1} box ${box} beta ${beta}, ${threads} threads: ${k}`).toBe(true);
      }
    }
  }, 60_000);

  it('a task that starts after the others took every item does nothing; pAp = 0 leaves h and r', async () => {
    const fft = await getFftEngine();
    const t = stepTask(64, 128, 3, true, 0.5);
    runNlinvCgStepTask(fft, t);
    const after = Object.fromEntries(Object.entries(arrays(t)).map(([k, v]) => [k, v.slice()]));
    runNlinvCgStepTask(fft, t); // the late thread: every phase finished, nothing left to claim
    for (const [k, v] of Object.entries(arrays(t))) expect(same(v, after[k]), k).toBe(true);
    const z = stepTask(48, 40, 3, false, null);
    z.p.fill(0);
    const h = z.h.slice(), r = z.r.slice();
    runNlinvCgStepTask(fft, z);
    expect(sumBlocksInOrder(z.dotSums)).toBe(0);
    expect(same(z.h, h) && same(z.r, r)).toBe(true);
  });

  it("a thread waiting for another's items stops when that thread failed (no hang)", async () => {
    const fft = await getFftEngine();
    const t = stepTask(48, 40, 3, false, null);
    // the coils all claimed, one not finished, and the failure flag set: as after a throw in another thread
    t.claims[2] = 3;
    t.claims[3] = 2;
    t.claims[t.claims.length - 1] = 1;
    expect(() => runNlinvCgStepTask(fft, t)).toThrow(/another thread failed/);
  });
});
