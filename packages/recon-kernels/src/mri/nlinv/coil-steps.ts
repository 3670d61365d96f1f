/**
 * nlinv's per-coil work on a range of coils [c0, c1): the model's coil images, forward,
 * derivative and adjoint up to the sum over coils (./nlinv.ts). The single-thread solver runs
 * them over all coils; with a worker pool each worker runs them over its coils on shared memory
 * (one task per operator application). The adjoint's per-coil contributions to the image part go
 * to planes that the caller sums in coil order, so the result is the same bits either way.
 */
import type { FftEngine } from '../../fft/index.js';
import { centredFftn } from '../../centred-fft/index.js';

/** The model's arrays, shared with the workers when a pool is used. */
export interface NlinvModel {
  n0: number;
  n1: number;
  ncoils: number;
  /** Sobolev weight [n0][n1] */
  W: Float32Array;
  /** k-space pattern [n0][n1] */
  pattern: Float32Array;
  /** image-space mask [n0][n1], or null */
  mask: Float32Array | null;
  /** the adjoint uses no pattern (non-Cartesian mode) */
  noncart: boolean;
  /** per-coil work planes [coil][n0][n1] complex (float32: what the FFTs transform) */
  buf: Float32Array;
  /** linearisation point: rho [n0][n1] and coil images [coil][n0][n1], complex */
  rho: Float64Array;
  coils: Float64Array;
  /** coil images of a derivative's direction */
  dc: Float64Array;
  /** the adjoint's per-coil contributions to the image part [coil][n0][n1] complex */
  rhoTerms: Float64Array;
}

/** Which operator a step applies: `input` and `out` as ./nlinv.ts's closures. */
export type NlinvStepKind = 'coil-images' | 'forward' | 'derivative' | 'adjoint';

/** Fu (unitary centred 2-D FFT) of the planes c0..c1 of buf, in place. */
function F(fft: FftEngine, m: NlinvModel, c0: number, c1: number, inverse: boolean): void {
  const plane = 2 * m.n0 * m.n1;
  centredFftn(fft, m.buf.subarray(c0 * plane, c1 * plane), [c1 - c0, m.n0, m.n1], [1, 2], inverse, 'ortho');
}

/** c = Fu^-1 (W k) for coils c0..c1 from x's k part into out. */
function coilImages(fft: FftEngine, m: NlinvModel, x: Float64Array, out: Float64Array, c0: number, c1: number): void {
  const npix = m.n0 * m.n1, { buf, W } = m;
  for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
    const s = 2 * (npix + c * npix + i), d = 2 * (c * npix + i);
    buf[d] = x[s] * W[i];
    buf[d + 1] = x[s + 1] * W[i];
  }
  F(fft, m, c0, c1, true);
  for (let i = 2 * c0 * npix; i < 2 * c1 * npix; i++) out[i] = buf[i];
}

/** buf holds image-space products per coil; apply M, Fu, P into out (data space). */
function toData(fft: FftEngine, m: NlinvModel, out: Float64Array, c0: number, c1: number): void {
  const npix = m.n0 * m.n1, { buf, mask, pattern } = m;
  if (mask) for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
    const d = 2 * (c * npix + i);
    buf[d] *= mask[i]; buf[d + 1] *= mask[i];
  }
  F(fft, m, c0, c1, false);
  for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
    const d = 2 * (c * npix + i);
    out[d] = buf[d] * pattern[i];
    out[d + 1] = buf[d + 1] * pattern[i];
  }
}

/**
 * One operator on coils c0..c1. 'coil-images': out = coil images of `input` (the model's
 * `coils` or `dc`); 'forward': F(x) (rho must already be set); 'derivative': DF(dx); 'adjoint':
 * the k part of DF^H(r) into out, the image part's per-coil terms into rhoTerms.
 */
export function nlinvCoilStep(fft: FftEngine, m: NlinvModel, kind: NlinvStepKind, input: Float64Array, out: Float64Array, c0: number, c1: number): void {
  const npix = m.n0 * m.n1, { buf, rho, coils, dc } = m;
  if (kind === 'coil-images') {
    coilImages(fft, m, input, out, c0, c1);
  } else if (kind === 'forward') {
    coilImages(fft, m, input, coils, c0, c1);
    for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
      const d = 2 * (c * npix + i);
      const ar = rho[2 * i], ai = rho[2 * i + 1], cr = coils[d], ci = coils[d + 1];
      buf[d] = ar * cr - ai * ci;
      buf[d + 1] = ar * ci + ai * cr;
    }
    toData(fft, m, out, c0, c1);
  } else if (kind === 'derivative') {
    coilImages(fft, m, input, dc, c0, c1);
    for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
      const d = 2 * (c * npix + i);
      const dr = input[2 * i], di = input[2 * i + 1], cr = coils[d], ci = coils[d + 1];
      const ar = rho[2 * i], ai = rho[2 * i + 1], er = dc[d], ei = dc[d + 1];
      buf[d] = dr * cr - di * ci + ar * er - ai * ei;
      buf[d + 1] = dr * ci + di * cr + ar * ei + ai * er;
    }
    toData(fft, m, out, c0, c1);
  } else {
    // r (data space) -> buf = M Fu^H (P^H r) (pattern omitted for non-Cartesian)
    const { mask, pattern, rhoTerms, W } = m;
    for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
      const d = 2 * (c * npix + i), p = m.noncart ? 1 : pattern[i];
      buf[d] = input[d] * p;
      buf[d + 1] = input[d + 1] * p;
    }
    F(fft, m, c0, c1, true);
    if (mask) for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
      const d = 2 * (c * npix + i);
      buf[d] *= mask[i]; buf[d + 1] *= mask[i];
    }
    for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
      const d = 2 * (c * npix + i);
      const tr = buf[d], ti = buf[d + 1], cr = coils[d], ci = coils[d + 1];
      rhoTerms[d] = cr * tr + ci * ti;
      rhoTerms[d + 1] = cr * ti - ci * tr;
      const ar = rho[2 * i], ai = rho[2 * i + 1];
      buf[d] = ar * tr + ai * ti;
      buf[d + 1] = ar * ti - ai * tr;
    }
    F(fft, m, c0, c1, false);
    for (let c = c0; c < c1; c++) for (let i = 0; i < npix; i++) {
      const d = 2 * (c * npix + i), s = 2 * (npix + c * npix + i);
      out[s] = buf[d] * W[i];
      out[s + 1] = buf[d + 1] * W[i];
    }
  }
}

/** An nlinv step on coils [c0, c1) on the worker pool (the arrays shared). */
export interface NlinvStepTask {
  kind: 'nlinv-step';
  step: NlinvStepKind;
  model: NlinvModel;
  input: Float64Array;
  out: Float64Array;
  c0: number;
  c1: number;
}

/** Runs an nlinv step task with this thread's engine (in a worker). */
export function runNlinvStepTask(fft: FftEngine, t: NlinvStepTask): void {
  nlinvCoilStep(fft, t.model, t.step, t.input, t.out, t.c0, t.c1);
}
