import { describe, expect, it } from 'vitest';
import { getFftEngine } from '../../fft/index.js';
import { applyGirf, gradientRotationMatrix, hannWindow, pcsToDcsMatrix, pythonRound, type Matrix3 } from './girf.js';

describe('GIRF helpers', () => {
  it('hann(400) and Python rounding match numpy/scipy', () => {
    const h = hannWindow(400);
    expect(h[0]).toBe(0);
    expect(h[399]).toBeCloseTo(0, 15);
    expect(h[200]).toBeCloseTo(0.5 - 0.5 * Math.cos((2 * Math.PI * 200) / 399), 15);
    expect([pythonRound(2.5), pythonRound(3.5), pythonRound(-2.5), pythonRound(2.4)]).toEqual([2, 4, -2, 2]);
  });
  it('patient position matrices and the gradient rotation (reconutils.girf_calibration)', () => {
    expect(pcsToDcsMatrix('HFS')).toEqual([[1, 0, 0], [0, -1, 0], [0, 0, -1]]);
    expect(pcsToDcsMatrix('unknown')).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    // axial HFS: read (1,0,0), phase (0,1,0), slice (0,0,1)
    const R = gradientRotationMatrix('HFS', [1, 0, 0], [0, 1, 0], [0, 0, 1]);
    // diag(1,-1,-1) . [[0,1,0],[-1,0,0],[0,0,1]] = [[0,1,0],[1,0,0],[0,0,-1]]; . [[0,1,0],[1,0,0],[0,0,1]] swaps columns 0 and 1
    expect(R.map((r) => r.map((v) => v + 0))).toEqual([[1, 0, 0], [0, 1, 0], [0, 0, -1]]);
    // HFP, oblique: orthonormal result
    const R2 = gradientRotationMatrix('HFP', [0.6, 0.8, 0], [-0.8, 0.6, 0], [0, 0, 1]);
    for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) {
      const d = R2[i][0] * R2[j][0] + R2[i][1] * R2[j][1] + R2[i][2] * R2[j][2];
      expect(d).toBeCloseTo(i === j ? 1 : 0, 12);
    }
  });
  it('an identity GIRF with no delay returns the gradient (up to the 0.85 us + dt/2 shift)', async () => {
    const fft = await getFftEngine();
    const n = 400, lG = 3800;
    const g = new Float64Array(n * 2);
    for (let k = 0; k < n; k++) g[k * 2] = Math.sin((Math.PI * k) / n) * 10;
    const values = new Float64Array(2 * lG * 3);
    for (let i = 0; i < lG * 3; i++) values[2 * i] = 1;
    const I: Matrix3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    const r = applyGirf(fft, g, n, 1, 2, 1e-5, I, { length: lG, values }, -0.085 - 0.5);
    for (let k = 5; k < n - 5; k++) expect(r.gPred[k * 3]).toBeCloseTo(g[k * 2], 3);
  });
});
