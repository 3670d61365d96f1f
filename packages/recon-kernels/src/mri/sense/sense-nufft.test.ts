import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { SenseNufftOperator, distinctPositions, estimateDataScale } from './sense-nufft.js';
import { solveTvAdmm } from '../../iterative/tv-admm.js';
import { signedRng as rng, goldenAngleRadialFrames as frameCoords } from '../../testing/index.js';

function smoothMaps(ncoils: number, n: number): Float32Array {
  const m = new Float32Array(2 * ncoils * n * n);
  for (let c = 0; c < ncoils; c++) {
    const cy = Math.cos((2 * Math.PI * c) / ncoils) * n * 0.6, cx = Math.sin((2 * Math.PI * c) / ncoils) * n * 0.6;
    for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const d2 = ((y - n / 2 - cy) ** 2 + (x - n / 2 - cx) ** 2) / (n * n);
      const mag = Math.exp(-d2), ph = 0.3 * c + (x / n);
      const k = 2 * (c * n * n + y * n + x);
      m[k] = mag * Math.cos(ph);
      m[k + 1] = mag * Math.sin(ph);
    }
  }
  // unit sum of squares across coils, as bart normalize 8
  for (let i = 0; i < n * n; i++) {
    let s = 0;
    for (let c = 0; c < ncoils; c++) s += m[2 * (c * n * n + i)] ** 2 + m[2 * (c * n * n + i) + 1] ** 2;
    s = Math.sqrt(s);
    for (let c = 0; c < ncoils; c++) { m[2 * (c * n * n + i)] /= s; m[2 * (c * n * n + i) + 1] /= s; }
  }
  return m;
}

describe('SenseNufftOperator', () => {
  it('repeated positions (k = 0 padding arms, arms sampled twice) are planned once: same operator, and the normal operator keeps its precision', async () => {
    const fft = await getFftEngine();
    const n = 16, nc = 2, zeros = 3000;
    // an Archimedean spiral of 128 distinct positions
    const spiral = new Float64Array(256);
    for (let p = 0; p < 128; p++) {
      const rad = ((p + 0.5) / 128) * (n / 2), ang = 0.3 * p;
      spiral[2 * p] = rad * Math.cos(ang);
      spiral[2 * p + 1] = rad * Math.sin(ang);
    }
    // the spiral, its first spoke again, and `zeros` samples at k = 0 (XD-GRASP's fill_small_bins)
    const withRepeats = new Float64Array(spiral.length + 64 + 2 * zeros);
    withRepeats.set(spiral);
    withRepeats.set(spiral.subarray(0, 64), spiral.length);
    const d = distinctPositions(withRepeats);
    expect(d).not.toBeNull();
    expect(d!.coord.length / 2).toBe(spiral.length / 2 + 1);
    expect(d!.count[d!.index[spiral.length / 2 + 32]]).toBe(zeros);
    expect(distinctPositions(spiral)).toBeNull();
    const maps = smoothMaps(nc, n);
    const op = new SenseNufftOperator(fft, [withRepeats], maps, nc, n, n);
    const opSpiral = new SenseNufftOperator(fft, [spiral], maps, nc, n, n);
    const opDc = new SenseNufftOperator(fft, [new Float64Array(2)], maps, nc, n, n);
    const opSpoke = new SenseNufftOperator(fft, [spiral.subarray(0, 64)], maps, nc, n, n);
    const r = rng(9);
    const x = Float32Array.from({ length: 2 * op.inputLength }, () => r() + 0.3);
    // forward: every sample, repeats included, as the plan without repeats gives it
    const y = new Float32Array(2 * op.outputLength), ys = new Float32Array(2 * opSpiral.outputLength);
    op.forward(x, y);
    opSpiral.forward(x, ys);
    const S = spiral.length / 2, T = withRepeats.length / 2;
    for (let c = 0; c < nc; c++) {
      for (let p = 0; p < S; p++) expect(y[2 * (c * T + p)]).toBe(ys[2 * (c * S + p)]);
      for (let p = 0; p < 32; p++) expect(y[2 * (c * T + S + p) + 1]).toBe(ys[2 * (c * S + p) + 1]);
    }
    // normal: the spiral's part, recovered after removing the k = 0 spike (3000 x |DC|) and the
    // repeated spoke, must keep float32 precision; summing 3000 float32 grid contributions did not
    const ref = new Float64Array(2 * op.inputLength);
    const t = new Float32Array(2 * op.inputLength);
    opSpiral.normal(x, t);
    const spiralPart = Float64Array.from(t);
    opDc.normal(x, t);
    const dc = Float64Array.from(t);
    opSpoke.normal(x, t);
    for (let i = 0; i < ref.length; i++) ref[i] = spiralPart[i] + t[i] + zeros * dc[i];
    const out = new Float32Array(2 * op.inputLength);
    op.normal(x, out);
    let e = 0, s = 0;
    for (let i = 0; i < ref.length; i++) { e += (out[i] - ref[i]) ** 2; s += spiralPart[i] ** 2; }
    expect(Math.sqrt(e / s)).toBeLessThan(1e-4);
    // the adjoint sums repeated samples: A^H A x through adjoint(forward) agrees with normal
    const viaAdjoint = new Float32Array(2 * op.inputLength);
    op.adjoint(y, viaAdjoint);
    e = 0;
    for (let i = 0; i < ref.length; i++) e += (viaAdjoint[i] - ref[i]) ** 2;
    expect(Math.sqrt(e / s)).toBeLessThan(1e-4);
    for (const o of [op, opSpiral, opDc, opSpoke]) o.dispose();
  });

  it('adjoint is the adjoint of forward and normal equals adjoint(forward)', async () => {
    const fft = await getFftEngine();
    const n = 16, nc = 3, frames = 3;
    const op = new SenseNufftOperator(fft, frameCoords(frames, 5, 24, n), smoothMaps(nc, n), nc, n, n);
    const r = rng(4);
    const x = Float32Array.from({ length: 2 * op.inputLength }, r);
    const y = Float32Array.from({ length: 2 * op.outputLength }, r);
    const ax = new Float32Array(2 * op.outputLength), ahy = new Float32Array(2 * op.inputLength);
    op.forward(x, ax);
    op.adjoint(y, ahy);
    let a = 0, b = 0;
    for (let i = 0; i < ax.length; i += 2) a += ax[i] * y[i] + ax[i + 1] * y[i + 1];
    for (let i = 0; i < ahy.length; i += 2) b += x[i] * ahy[i] + x[i + 1] * ahy[i + 1];
    expect(Math.abs(a - b) / Math.abs(a)).toBeLessThan(1e-4);
    const n1 = new Float32Array(2 * op.inputLength), n2 = new Float32Array(2 * op.inputLength);
    op.normal(x, n1);
    op.adjoint(ax, n2);
    let e = 0, s = 0;
    for (let i = 0; i < n1.length; i++) { e += (n1[i] - n2[i]) ** 2; s += n2[i] ** 2; }
    expect(Math.sqrt(e / s)).toBeLessThan(1e-5);
    op.dispose();
  });

  it('TV along time recovers a dynamic series from 5 spokes per frame better than per-frame least squares', async () => {
    const fft = await getFftEngine();
    const n = 16, nc = 4, frames = 8;
    const maps = smoothMaps(nc, n);
    const op = new SenseNufftOperator(fft, frameCoords(frames, 5, 32, n), maps, nc, n, n);
    // a disc whose centre moves 1 pixel per 2 frames
    const truth = new Float32Array(2 * op.inputLength);
    for (let f = 0; f < frames; f++) for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
      const cx = 6 + Math.floor(f / 2);
      const inside = (y - 8) ** 2 + (x - cx) ** 2 < 12 ? 1 : 0.2 * ((x + y) % 3 === 0 ? 1 : 0);
      truth[2 * (f * n * n + y * n + x)] = inside;
    }
    const y = new Float32Array(2 * op.outputLength);
    op.forward(truth, y);
    const err = (x: Float32Array): number => {
      let e = 0, s = 0;
      for (let i = 0; i < x.length; i++) { e += (x[i] - truth[i]) ** 2; s += truth[i] ** 2; }
      return Math.sqrt(e / s);
    };
    const tv = solveTvAdmm(op, y, { shape: [frames, n, n], tv: [{ axis: 0, lambda: 0.02 }], iterations: 40, budget: 'outer' });
    const ls = solveTvAdmm(op, y, { shape: [frames, n, n], tv: [], iterations: 40, budget: 'outer' });
    expect(err(tv)).toBeLessThan(0.8 * err(ls));
    op.dispose();
  });
});

describe('estimateDataScale', () => {
  it('takes the 90th percentile for a flat distribution and the maximum for an outlier-dominated one', () => {
    const flat = Float32Array.from({ length: 101 }, (_, i) => i);
    expect(estimateDataScale(flat)).toBeCloseTo(90, 6);
    const spiky = Float32Array.from({ length: 101 }, (_, i) => (i === 100 ? 1000 : 1));
    expect(estimateDataScale(spiky)).toBe(1000);
  });
});
