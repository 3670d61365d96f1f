import { describe, expect, it } from 'vitest';
import { DenseOperator } from './linear-operator.js';
import { finiteDifference, finiteDifferenceAdjoint, solveTvAdmm, solveTvAdmmAsync, tvAdmmNominalSteps, tvAdmmSteps } from './tv-admm.js';
import { signedRng as rng } from '../testing/index.js';

/** block-diagonal dense operator: per frame an m x npix random complex matrix */
function frameOperator(frames: number, npix: number, m: number, seed: number): DenseOperator {
  const r = rng(seed);
  const rows = frames * m, cols = frames * npix;
  const mat = new Float64Array(2 * rows * cols);
  for (let f = 0; f < frames; f++)
    for (let i = 0; i < m; i++)
      for (let j = 0; j < npix; j++) {
        const o = 2 * ((f * m + i) * cols + f * npix + j);
        mat[o] = r();
        mat[o + 1] = r();
      }
  return new DenseOperator(mat, rows, cols);
}

function objective(op: DenseOperator, y: Float32Array, x: Float32Array, shape: number[], tv: { axis: number; lambda: number }[]): number {
  const ax = new Float32Array(2 * op.outputLength);
  op.forward(x, ax);
  let f = 0;
  for (let i = 0; i < ax.length; i++) f += 0.5 * (ax[i] - y[i]) ** 2;
  const d = new Float32Array(x.length);
  for (const t of tv) {
    finiteDifference(shape, t.axis, x, d);
    for (let i = 0; i < d.length; i += 2) f += t.lambda * Math.hypot(d[i], d[i + 1]);
  }
  return f;
}

function nrmse(a: Float32Array, b: Float32Array): number {
  let e = 0, n = 0;
  for (let i = 0; i < a.length; i++) { e += (a[i] - b[i]) ** 2; n += b[i] ** 2; }
  return Math.sqrt(e / n);
}

describe('finite differences', () => {
  it('adjoint matches <D x, g> = <x, D^H g> along every axis', () => {
    const shape = [3, 4, 5];
    const r = rng(1);
    const x = Float32Array.from({ length: 120 }, r), g = Float32Array.from({ length: 120 }, r);
    for (const axis of [0, 1, 2]) {
      const dx = new Float32Array(120), dhg = new Float32Array(120);
      finiteDifference(shape, axis, x, dx);
      finiteDifferenceAdjoint(shape, axis, g, dhg);
      let a = 0, b = 0;
      for (let i = 0; i < 120; i++) { a += dx[i] * g[i]; b += x[i] * dhg[i]; }
      expect(a).toBeCloseTo(b, 4);
    }
  });
  it('is circular along the axis (last minus first wraps)', () => {
    const x = Float32Array.from([1, 0, 2, 0, 4, 0]);
    const d = new Float32Array(6);
    finiteDifference([3], 0, x, d);
    expect(Array.from(d)).toEqual([1, 0, 2, 0, -3, 0]);
  });
  it('rejects an axis outside the shape', () => {
    expect(() => finiteDifference([3], 1, new Float32Array(6), new Float32Array(6))).toThrow(/axis 1/);
  });
});

describe('solveTvAdmm', () => {
  it('with lambda 0 converges to the least-squares solution', () => {
    const frames = 4, npix = 3, m = 6;
    const op = frameOperator(frames, npix, m, 7);
    const r = rng(3);
    const truth = Float32Array.from({ length: 2 * frames * npix }, r);
    const y = new Float32Array(2 * op.outputLength);
    op.forward(truth, y);
    const x = solveTvAdmm(op, y, { shape: [frames, npix], tv: [{ axis: 0, lambda: 0 }], iterations: 30, budget: 'outer' });
    expect(nrmse(x, truth)).toBeLessThan(1e-3);
  });

  it('TV along time recovers a slowly varying series from undersampled frames better than least squares', () => {
    const frames = 12, npix = 8, m = 4; // 4 measurements per 8-pixel frame: underdetermined
    const op = frameOperator(frames, npix, m, 11);
    const r = rng(5);
    const base = Float32Array.from({ length: 2 * npix }, r);
    const truth = new Float32Array(2 * frames * npix);
    for (let f = 0; f < frames; f++) for (let i = 0; i < 2 * npix; i++) truth[2 * f * npix + i] = base[i] * (f < 6 ? 1 : 1.3);
    const y = new Float32Array(2 * op.outputLength);
    op.forward(truth, y);
    const tv = [{ axis: 0, lambda: 0.05 }];
    const x = solveTvAdmm(op, y, { shape: [frames, npix], tv, iterations: 200, budget: 'outer' });
    const ls = solveTvAdmm(op, y, { shape: [frames, npix], tv: [], iterations: 50, budget: 'outer' });
    expect(nrmse(x, truth)).toBeLessThan(0.1);
    expect(nrmse(x, truth)).toBeLessThan(0.5 * nrmse(ls, truth));
  });

  it('reaches a minimum of the objective (no small perturbation lowers it)', () => {
    const frames = 5, npix = 4, m = 5;
    const shape = [frames, 2, 2];
    const op = frameOperator(frames, npix, m, 21);
    const r = rng(9);
    const y = Float32Array.from({ length: 2 * op.outputLength }, r);
    const tv = [{ axis: 0, lambda: 0.3 }, { axis: 1, lambda: 0.1 }];
    const x = solveTvAdmm(op, y, { shape, tv, iterations: 400, cgIterations: 20, cgTolerance: 1e-6, budget: 'outer' });
    const f0 = objective(op, y, x, shape, tv);
    for (let k = 0; k < 50; k++) {
      const xp = Float32Array.from(x, (v) => v + 1e-3 * r());
      expect(objective(op, y, xp, shape, tv)).toBeGreaterThanOrEqual(f0 - 1e-5);
    }
  });

  it('joint (group) TV along time reaches the minimum of lambda * sum_pixels sqrt(sum_t |D_t x|^2)', () => {
    const frames = 6, npix = 4, m = 3;
    const shape = [frames, npix];
    const op = frameOperator(frames, npix, m, 33);
    const r = rng(13);
    const y = Float32Array.from({ length: 2 * op.outputLength }, r);
    const lambda = 0.4;
    const obj = (x: Float32Array): number => {
      const ax = new Float32Array(2 * op.outputLength);
      op.forward(x, ax);
      let f = 0;
      for (let i = 0; i < ax.length; i++) f += 0.5 * (ax[i] - y[i]) ** 2;
      const d = new Float32Array(x.length);
      finiteDifference(shape, 0, x, d);
      for (let p = 0; p < npix; p++) {
        let g = 0;
        for (let t = 0; t < frames; t++) g += d[2 * (t * npix + p)] ** 2 + d[2 * (t * npix + p) + 1] ** 2;
        f += lambda * Math.sqrt(g);
      }
      return f;
    };
    const x = solveTvAdmm(op, y, { shape, tv: [{ axis: 0, lambda, joint: [0] }], iterations: 400, cgIterations: 20, cgTolerance: 1e-6, budget: 'outer' });
    const elementwise = solveTvAdmm(op, y, { shape, tv: [{ axis: 0, lambda }], iterations: 400, cgIterations: 20, cgTolerance: 1e-6, budget: 'outer' });
    const f0 = obj(x);
    expect(obj(elementwise)).toBeGreaterThan(f0 + 1e-4); // a different problem: its solution is not this one's
    for (let k = 0; k < 50; k++) {
      const xp = Float32Array.from(x, (v) => v + 1e-3 * r());
      expect(obj(xp)).toBeGreaterThanOrEqual(f0 - 1e-5);
    }
  });

  it('counts BART\'s way by default: -i 20 with 10 CG steps per ADMM iteration is 3 outer iterations', () => {
    const op = frameOperator(10, 30, 20, 2);
    const y = Float32Array.from({ length: 2 * op.outputLength }, rng(1));
    const seen: number[] = [];
    solveTvAdmm(op, y, { shape: [10, 30], tv: [{ axis: 0, lambda: 0.1 }], iterations: 20, cgTolerance: 0, onIteration: (i) => seen.push(i) });
    expect(seen).toEqual([1, 2, 3]);
    const outer: number[] = [];
    solveTvAdmm(op, y, { shape: [10, 30], tv: [{ axis: 0, lambda: 0.1 }], iterations: 5, budget: 'outer', onIteration: (i) => outer.push(i) });
    expect(outer).toEqual([1, 2, 3, 4, 5]);
  });

  it('reports every CG step against the nominal count, and the async solve gives the same image', async () => {
    const op = frameOperator(10, 30, 20, 2);
    const y = Float32Array.from({ length: 2 * op.outputLength }, rng(1));
    const o = { shape: [10, 30], tv: [{ axis: 0, lambda: 0.1 }], iterations: 20, cgTolerance: 0 };
    const steps: Array<[number, number]> = [];
    const x = solveTvAdmm(op, y, { ...o, onProgress: (d, t) => steps.push([d, t]) });
    expect(steps).toEqual(Array.from({ length: 30 }, (_, i) => [i + 1, 30])); // -i 20: 3 outer iterations of 10 CG steps
    expect(tvAdmmNominalSteps(o)).toBe(30);
    const xa = await solveTvAdmmAsync(op, y, { ...o, yieldEveryMs: 0 });
    expect(Array.from(xa)).toEqual(Array.from(x));
    let yields = 0;
    const gen = tvAdmmSteps(op, y, o);
    while (!gen.next().done) yields++;
    expect(yields).toBe(30);
  });

  it('rejects an image shape that does not match the operator', () => {
    const op = frameOperator(2, 3, 3, 1);
    expect(() => solveTvAdmm(op, new Float32Array(12), { shape: [2, 2], tv: [], iterations: 1 })).toThrow(/shape 2x2/);
  });
});
