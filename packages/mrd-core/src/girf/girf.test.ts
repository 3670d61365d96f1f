import { describe, expect, it } from 'vitest';
import { reference } from '../testing/index.js';
import { getFftEngine } from '../fft/index.js';
import { readMatFile, matField, matNumber, matReal } from '../mat-file/index.js';
import { applyGirf, gradientRotationMatrix, hannWindow, pcsToDcsMatrix, pythonRound, type Matrix3 } from './girf.js';
import { girfTableFromMat } from './girf-file.js';

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

describe('GIRF golden pair (girf_matlab.mat, MATLAB reference)', () => {
  it('matches g_predicted within 5e-4 and k_predicted within 1.2e-3', async () => {
    const mat = readMatFile(reference('girf/girf_matlab.mat'));
    const gTot = mat.variables.get('g_tot')!;
    const [S, I, A] = gTot.dims;
    // column-major [s][i][a] -> row-major [s][i][a]
    const gc = matReal(gTot);
    const g = new Float64Array(S * I * A);
    for (let s = 0; s < S; s++) for (let i = 0; i < I; i++) for (let a = 0; a < A; a++) g[(s * I + i) * A + a] = gc[s + S * (i + I * a)];
    const dt = matNumber(mat.variables.get('dt')!);
    const tRR = matNumber(mat.variables.get('tRR')!);
    const Rv = matReal(matField(mat.variables.get('sR')!, 'R')!);
    const R = [0, 1, 2].map((r) => [0, 1, 2].map((c) => Rv[r + 3 * c])) as unknown as Matrix3;
    const girf = girfTableFromMat(reference('girf/GIRF_20200221_Duyn_method_coil2.mat'));
    const res = applyGirf(await getFftEngine(), g, S, I, A, dt, R, girf, tRR);
    const gp = matReal(mat.variables.get('g_predicted')!);
    const kp = matReal(mat.variables.get('k_predicted')!);
    let dG = 0, dK = 0, gMax = 0, kMax = 0;
    for (let s = 0; s < S; s++) for (let i = 0; i < I; i++) for (let a = 0; a < 3; a++) {
      const c = s + S * (i + I * a);
      const o = (s * I + i) * 3 + a;
      dG = Math.max(dG, Math.abs(res.gPred[o] - gp[c]));
      dK = Math.max(dK, Math.abs(res.kPred[o] - kp[c]));
      gMax = Math.max(gMax, Math.abs(gp[c]));
      kMax = Math.max(kMax, Math.abs(kp[c]));
    }
    console.log(`GIRF golden: max |dG| ${dG.toExponential(3)} of ${gMax.toFixed(2)}, max |dk| ${dK.toExponential(3)} of ${kMax.toFixed(2)}`);
    expect(dG).toBeLessThanOrEqual(5e-4);
    expect(dK).toBeLessThanOrEqual(1.2e-3);
  });
});
