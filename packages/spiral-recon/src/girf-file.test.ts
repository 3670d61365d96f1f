// The GIRF correction on the MATLAB reference pair, with the GIRF measurement read from its MAT file.
import { describe, expect, it } from 'vitest';
import { reference } from '@mrd-tools/core/testing';
import { readMatFile, matField, matNumber, matReal } from '@mrd-tools/core/mat-file';
import { getFftEngine } from '@mrd-tools/recon-kernels/fft';
import { applyGirf, type Matrix3 } from '@mrd-tools/recon-kernels/mri/girf';
import { girfTableFromMat } from './girf-file.js';

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
