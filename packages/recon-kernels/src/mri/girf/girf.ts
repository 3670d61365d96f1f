/**
 * Gradient impulse response (GIRF) correction of nominal gradient waveforms, as the reference's
 * GIRF/GIRF.py `apply_GIRF` (itself a port of the MATLAB code that produced the golden pair
 * girf_matlab.mat): gradients rotated to the device (DCS) axes, each made periodic with the
 * second half of a 400-point Hann ramp from its last value, transformed on the frequency grid of
 * the GIRF measurement (10 us x its length, 38 ms for 3800 points), multiplied by the GIRF and by
 * the receiver (ADC) delay phase 0.85 us + dt/2 + tRR * dt, transformed back, rotated back, and
 * integrated to k-space (units as the reference: 1e-4 * gamma/(2 pi) * cumsum(G) * dt).
 *
 * Index offsets follow the reference exactly (the +1 of its MATLAB heritage included). One
 * deliberate difference: for dt > 10 us the reference slices L1 - 1 GIRF rows for an L1-row grid
 * (numpy then fails to broadcast); here the L1 rows MATLAB takes (1-based
 * round(l/2 - L1/2 + 1) .. round(l/2 + L1/2)) are used, with the same Hann(10) edge taper.
 */
import type { FftEngine } from '../../fft/index.js';

/** scipy.signal.windows.hann(m) (symmetric). */
export function hannWindow(m: number): Float64Array {
  const w = new Float64Array(m);
  if (m === 1) { w[0] = 1; return w; }
  for (let n = 0; n < m; n++) w[n] = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / (m - 1));
  return w;
}

/** Python's round() (half to even), used by the reference for its grid lengths. */
export function pythonRound(x: number): number {
  const r = Math.round(x);
  if (Math.abs(x % 1) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

export type Matrix3 = readonly [readonly [number, number, number], readonly [number, number, number], readonly [number, number, number]];

/** GIRF.calculate_matrix_pcs_to_dcs: patient (PCS) to device (DCS) axes by patient position. */
export function pcsToDcsMatrix(patientPosition: string): Matrix3 {
  const m: Record<string, Matrix3> = {
    HFP: [[-1, 0, 0], [0, 1, 0], [0, 0, -1]],
    HFS: [[1, 0, 0], [0, -1, 0], [0, 0, -1]],
    HFDR: [[0, 1, 0], [1, 0, 0], [0, 0, -1]],
    HFDL: [[0, -1, 0], [-1, 0, 0], [0, 0, -1]],
    FFP: [[1, 0, 0], [0, 1, 0], [0, 0, 1]],
    FFS: [[-1, 0, 0], [0, -1, 0], [0, 0, 1]],
    FFDR: [[0, -1, 0], [1, 0, 0], [0, 0, 1]],
    FFDL: [[0, 1, 0], [-1, 0, 0], [0, 0, 1]],
  };
  return m[patientPosition] ?? [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
}

function matMul(a: Matrix3, b: Matrix3): Matrix3 {
  const r = [0, 1, 2].map((i) => [0, 1, 2].map((j) => a[i][0] * b[0][j] + a[i][1] * b[1][j] + a[i][2] * b[2][j]));
  return r as unknown as Matrix3;
}

/**
 * The rotation reconutils.girf_calibration builds from an acquisition's direction cosines:
 * sR = R_PCS2DCS(position) . [phase_dir; -read_dir; slice_dir] . [[0 1 0]; [1 0 0]; [0 0 1]].
 */
export function gradientRotationMatrix(patientPosition: string, readDir: ArrayLike<number>, phaseDir: ArrayLike<number>, sliceDir: ArrayLike<number>): Matrix3 {
  const gcs2pcs: Matrix3 = [
    [phaseDir[0], phaseDir[1], phaseDir[2]],
    [-readDir[0], -readDir[1], -readDir[2]],
    [sliceDir[0], sliceDir[1], sliceDir[2]],
  ];
  const gcs2rcs: Matrix3 = [[0, 1, 0], [1, 0, 0], [0, 0, 1]];
  return matMul(matMul(pcsToDcsMatrix(patientPosition), gcs2pcs), gcs2rcs);
}

/** A GIRF measurement: lGirf rows x 3 axes, complex, sampled at 10 us. */
export interface GirfTable {
  length: number;
  /** [row][axis] complex interleaved: index 2 * (row * 3 + axis) */
  values: Float64Array;
}

export interface GirfResult {
  /** predicted gradients [sample][interleave][axis 0..2] (mT/m as the input) */
  gPred: Float64Array;
  /** predicted k-space [sample][interleave][axis 0..2] */
  kPred: Float64Array;
  samples: number;
  interleaves: number;
}

/** roll a complex array of length n by `shift` (numpy.roll), into dst */
function rollComplex(src: Float32Array, dst: Float32Array, n: number, shift: number): void {
  for (let i = 0; i < n; i++) {
    const j = (((i + shift) % n) + n) % n;
    dst[2 * j] = src[2 * i];
    dst[2 * j + 1] = src[2 * i + 1];
  }
}

/**
 * GIRF.apply_GIRF. `gNom` is [sample][interleave][axis] with 2 or 3 axes (a 2-axis input gets a
 * zero third axis), dt in s, R the 3x3 rotation, tRR the receiver delay in samples.
 */
export function applyGirf(fft: FftEngine, gNom: Float64Array, samples: number, interleaves: number, axes: number, dt: number, R: Matrix3, girf: GirfTable, tRR = 0): GirfResult {
  if (axes !== 2 && axes !== 3) throw new Error(`GIRF: gradients need 2 or 3 axes, got ${axes}`);
  if (gNom.length !== samples * interleaves * axes) throw new Error(`GIRF: ${gNom.length} gradient values for ${samples} x ${interleaves} x ${axes}`);
  const dtGirf = 10e-6;
  let G = girf.values;
  let lG = girf.length;
  // A readout longer than the GIRF measurement: zero-pad the GIRF in the time domain.
  if (samples * dt > dtGirf * lG) {
    const padFactor = (1.5 * (samples * dt)) / (dtGirf * lG);
    const newLen = pythonRound(lG * padFactor);
    const zeropad = pythonRound(Math.abs((lG - newLen) / 2));
    const H = hannWindow(200);
    const out = new Float64Array(2 * newLen * 3);
    for (let a = 0; a < 3; a++) {
      const line = new Float32Array(2 * lG), tmp = new Float32Array(2 * lG);
      for (let i = 0; i < lG; i++) { line[2 * i] = G[2 * (i * 3 + a)]; line[2 * i + 1] = G[2 * (i * 3 + a) + 1]; }
      // fftshift(ifft(ifftshift(GIRF)))
      rollComplex(line, tmp, lG, -Math.floor(lG / 2));
      fft.ifft(tmp);
      rollComplex(tmp, line, lG, Math.floor(lG / 2));
      for (let i = 0; i < 100; i++) { line[2 * i] *= H[i]; line[2 * i + 1] *= H[i]; }
      for (let i = 0; i < 99; i++) { const k = lG - 99 + i; line[2 * k] *= H[101 + i]; line[2 * k + 1] *= H[101 + i]; }
      const big = new Float32Array(2 * newLen), big2 = new Float32Array(2 * newLen);
      big.set(line, 2 * zeropad);
      rollComplex(big, big2, newLen, -Math.floor(newLen / 2));
      fft.fft(big2);
      rollComplex(big2, big, newLen, Math.floor(newLen / 2));
      for (let i = 0; i < newLen; i++) { out[2 * (i * 3 + a)] = big[2 * i]; out[2 * (i * 3 + a) + 1] = big[2 * i + 1]; }
    }
    G = out;
    lG = newLen;
  }
  const adcShift = 0.85e-6 + 0.5 * dt + tRR * dt;
  const N = samples;
  const BW = 1 / dt;
  const L1 = pythonRound((dtGirf * lG) / dt);
  const dw = 1 / (L1 * dt);
  const L2 = pythonRound(BW / dw);
  const hann400 = hannWindow(400);
  const r1 = Math.floor(L1 / 2) + 1 - Math.floor(N / 2); // index_range1 start
  const r2 = Math.floor(L1 / 2) + 1 - Math.floor(lG / 2); // index_range2 start
  const r3 = Math.floor(L2 / 2) + 1 - Math.floor(samples / 2); // index_range3 start
  const wrap = (i: number, n: number): number => ((i % n) + n) % n; // numpy negative indices
  // GIRF on the simulation grid [L1][3] (complex64 in the reference)
  const girf1 = new Float64Array(2 * L1 * 3);
  if (dt > dtGirf) {
    const start = pythonRound(lG / 2 - L1 / 2);
    for (let i = 0; i < L1; i++) for (let a = 0; a < 3; a++) {
      const s = start + i;
      if (s < 0 || s >= lG) continue;
      girf1[2 * (i * 3 + a)] = Math.fround(G[2 * (s * 3 + a)]);
      girf1[2 * (i * 3 + a) + 1] = Math.fround(G[2 * (s * 3 + a) + 1]);
    }
    const t = hannWindow(10);
    const h = pythonRound(t.length / 2);
    for (let a = 0; a < 3; a++) {
      for (const i of [0, L1 - 1]) { girf1[2 * (i * 3 + a)] = 0; girf1[2 * (i * 3 + a) + 1] = 0; }
      for (let i = 0; i < h; i++) { const k = 2 * ((1 + i) * 3 + a); girf1[k] *= t[i]; girf1[k + 1] *= t[i]; }
      for (let i = 0; i < h - 1; i++) { const k = 2 * ((L1 - h + i) * 3 + a); girf1[k] *= t[h + 1 + i]; girf1[k + 1] *= t[h + 1 + i]; }
    }
  } else {
    for (let i = 0; i < lG; i++) {
      const d = wrap(r2 + i, L1);
      for (let a = 0; a < 3; a++) {
        girf1[2 * (d * 3 + a)] = Math.fround(G[2 * (i * 3 + a)]);
        girf1[2 * (d * 3 + a) + 1] = Math.fround(G[2 * (i * 3 + a) + 1]);
      }
    }
  }
  // phase of the ADC shift on w = (-floor(L1/2) .. ceil(L1/2)-1) * dw
  const phRe = new Float64Array(L1), phIm = new Float64Array(L1);
  for (let i = 0; i < L1; i++) {
    const w = (i - Math.floor(L1 / 2)) * dw;
    phRe[i] = Math.cos(adcShift * 2 * Math.PI * w);
    phIm[i] = Math.sin(adcShift * 2 * Math.PI * w);
  }
  const gPred = new Float64Array(samples * interleaves * 3);
  const lineA = new Float32Array(2 * L1), lineB = new Float32Array(2 * L1);
  const lineC = new Float32Array(2 * L2), lineD = new Float32Array(2 * L2);
  const zeropad = pythonRound(Math.abs((L1 - L2) / 2));
  const pred = new Float64Array(samples * 3);
  const last = r1 + N - 1; // index_range1[-1]
  for (let il = 0; il < interleaves; il++) {
    pred.fill(0);
    for (let a = 0; a < 3; a++) {
      // rotated gradient on this axis: sum_j R[a][j] * G0[j]
      lineA.fill(0);
      for (let k = 0; k < N; k++) {
        let v = 0;
        for (let j = 0; j < axes; j++) v += R[a][j] * gNom[(k * interleaves + il) * axes + j];
        lineA[2 * wrap(r1 + k, L1)] = v;
      }
      const lastVal = lineA[2 * wrap(last, L1)];
      for (let k = 1; k <= 200; k++) lineA[2 * wrap(last + k, L1)] = lastVal * hann400[200 + k - 1];
      // I = fftshift(fft(ifftshift(G)))
      rollComplex(lineA, lineB, L1, -Math.floor(L1 / 2));
      fft.fft(lineB);
      rollComplex(lineB, lineA, L1, Math.floor(L1 / 2));
      // P = I * GIRF1 * phase, cast to complex64 into the L2 grid
      lineC.fill(0);
      for (let i = 0; i < L1; i++) {
        const ir = lineA[2 * i], ii = lineA[2 * i + 1];
        const gr = girf1[2 * (i * 3 + a)], gi = girf1[2 * (i * 3 + a) + 1];
        const pr = ir * gr - ii * gi, pi = ir * gi + ii * gr;
        const j = zeropad + i;
        if (j >= L2) break;
        lineC[2 * j] = pr * phRe[i] - pi * phIm[i];
        lineC[2 * j + 1] = pr * phIm[i] + pi * phRe[i];
      }
      // fftshift(ifft(ifftshift(.))), real part
      rollComplex(lineC, lineD, L2, -Math.floor(L2 / 2));
      fft.ifft(lineD);
      rollComplex(lineD, lineC, L2, Math.floor(L2 / 2));
      for (let k = 0; k < samples; k++) pred[k * 3 + a] = lineC[2 * wrap(r3 + k, L2)];
    }
    // GPred[:, :, il] = Predicted . R
    for (let k = 0; k < samples; k++) for (let j = 0; j < 3; j++) {
      gPred[(k * interleaves + il) * 3 + j] = pred[k * 3] * R[0][j] + pred[k * 3 + 1] * R[1][j] + pred[k * 3 + 2] * R[2][j];
    }
  }
  const gamma = 2.67522212e8;
  const kPred = new Float64Array(gPred.length);
  const f = 0.01 * (gamma / (2 * Math.PI)) * 0.01 * dt;
  for (let il = 0; il < interleaves; il++) for (let j = 0; j < 3; j++) {
    let s = 0;
    for (let k = 0; k < samples; k++) {
      const i = (k * interleaves + il) * 3 + j;
      s += gPred[i];
      kPred[i] = s * f;
    }
  }
  return { gPred, kPred, samples, interleaves };
}
