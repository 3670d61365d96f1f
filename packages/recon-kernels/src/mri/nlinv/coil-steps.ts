/**
 * nlinv's per-coil work on a range of coils [c0, c1): the model's coil images, forward,
 * derivative and adjoint up to the sum over coils (./nlinv.ts), and a CG step's derivative and
 * adjoint as one step, each coil's plane transformed in the FFT engine's heap between fused
 * passes; with a restrict-FOV mask the masked passes and transforms keep to the mask's box. The single-thread solver runs
 * them over all coils; with a worker pool each worker runs them over its coils on shared memory
 * (one task per operator application). The adjoint's per-coil contributions to the image part go
 * to planes that the caller sums in coil order, so the result is the same bits either way.
 */
import type { FftEngine } from '../../fft/index.js';

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
  /**
   * rows [r0, r1) and columns [q0, q1) outside which `mask` is zero (maskBox), or null / absent
   * (the whole grid). The masked passes then compute only inside it: outside, the planes to
   * transform are zero, their zero rows are not transformed, the inverse transforms whose output
   * is read only inside it transform only its columns, and `coils`, `dc` and `rhoTerms` are not
   * written (only products with the mask read them there; rhoTerms keeps its initial zeros).
   */
  box?: readonly [number, number, number, number] | null;
  /** the adjoint uses no pattern (non-Cartesian mode) */
  noncart: boolean;
  /** linearisation point: rho [n0][n1] and coil images [coil][n0][n1], complex */
  rho: Float64Array;
  coils: Float64Array;
  /** coil images of a derivative's direction */
  dc: Float64Array;
  /** the adjoint's per-coil contributions to the image part [coil][n0][n1] complex */
  rhoTerms: Float64Array;
}

/** The smallest rows [r0, r1) and columns [q0, q1) that hold all of the mask's non-zero values ([0, 0, 0, 0] when it has none). */
export function maskBox(mask: Float32Array, n0: number, n1: number): [number, number, number, number] {
  let r0 = n0, r1 = 0, q0 = n1, q1 = 0;
  for (let r = 0; r < n0; r++) for (let q = 0, i = r * n1; q < n1; q++, i++) {
    if (mask[i] === 0) continue;
    if (r < r0) r0 = r;
    r1 = r + 1;
    if (q < q0) q0 = q;
    if (q >= q1) q1 = q + 1;
  }
  return r1 === 0 ? [0, 0, 0, 0] : [r0, r1, q0, q1];
}

/**
 * Which operator a step applies: `input` and `out` as ./nlinv.ts's closures; 'normal' is
 * 'derivative' then 'adjoint' on its result (DF^H DF up to the sum over coils: input as the
 * derivative's, out and rhoTerms as the adjoint's), each coil's plane kept in the heap between.
 */
export type NlinvStepKind = 'coil-images' | 'forward' | 'derivative' | 'adjoint' | 'normal';

/** The heap slot of a coil's work plane (fftn 0-1, centred FFTs 2, NUFFT 4-5, Toeplitz 6-10). */
const PLANE_SLOT = 11;

/**
 * The centred unitary 2-D FFT's modulation: with even sizes, Fu x = u . FFT(s . x) for the
 * checkerboard s = (-1)^(i + j) and u = s . (-1)^(n0/2 + n1/2) / sqrt(n0 n1), the same for the
 * inverse with the unnormalised inverse FFT (../../centred-fft: the shifts as a modulation).
 * Kept per grid: [0] s, [1] u.
 */
const modulations = new Map<string, [Float32Array, Float64Array]>();
function modulation(n0: number, n1: number): [Float32Array, Float64Array] {
  const key = `${n0}x${n1}`;
  let m = modulations.get(key);
  if (m === undefined) {
    const s = new Float32Array(n0 * n1), u = new Float64Array(n0 * n1);
    const parity = ((n0 / 2 + n1 / 2) % 2 ? -1 : 1) / Math.sqrt(n0 * n1);
    for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) {
      s[i * n1 + j] = (i + j) % 2 ? -1 : 1;
      u[i * n1 + j] = s[i * n1 + j] * parity;
    }
    if (modulations.size >= 8) modulations.delete(modulations.keys().next().value as string);
    modulations.set(key, (m = [s, u]));
  }
  return m;
}

/**
 * One operator on coils c0..c1. 'coil-images': out = coil images of `input` (the model's
 * `coils` or `dc`); 'forward': F(x) (rho must already be set); 'derivative': DF(dx); 'adjoint':
 * the k part of DF^H(r) into out, the image part's per-coil terms into rhoTerms; 'normal': the
 * adjoint of the derivative, without the data-space array between (the same values).
 *
 * Per coil, in the FFT engine's heap: one pass forms the plane to transform (the weights,
 * products and mask with the centred FFT's modulation folded in, rounded once to float32), the
 * plane is transformed in place (rows, then columns), and the next pass reads it with the
 * output modulation and unitary scale folded into its products (in float64), so each operator
 * makes three passes over a coil and keeps it in the cache.
 */
export function nlinvCoilStep(fft: FftEngine, m: NlinvModel, kind: NlinvStepKind, input: Float64Array, out: Float64Array, c0: number, c1: number): void {
  const { n0, n1, W, mask, pattern, rho, coils, dc, rhoTerms } = m;
  const npix = n0 * n1;
  if (n0 % 2 || n1 % 2) throw new Error(`nlinv: grid ${n0}x${n1} must have even sizes`);
  const [sg, u] = modulation(n0, n1);
  fft.prepare(n0);
  fft.prepare(n1);
  const block = fft.scratchBlock(PLANE_SLOT, 8 * npix);
  const shape = [n0, n1];
  // the mask's box: the masked passes' planes are zero outside it
  const [r0, r1, q0, q1] = m.box ?? [0, n0, 0, n1];
  /**
   * The plane's 2-D transform (rows, then columns); rows [a, z): the rows that are not all zero
   * (the others are not transformed); columns [ca, cz): the columns that are read afterwards (the
   * others are left half-transformed).
   */
  const transform = (inverse: boolean, a = 0, z = n0, ca = 0, cz = n1): Float32Array => {
    fft.transformLinesInHeap(block.ptr + 8 * n1 * a, z - a, n1, inverse);
    if (ca === 0 && cz === n1) fft.transformAxisInHeap(block.ptr, shape, 0, inverse);
    else fft.transformColumnsInHeap(block.ptr, n0, n1, inverse, ca, cz);
    return fft.heapF32();
  };
  const b = block.ptr >> 2;
  /** zeros the plane outside the box */
  const zeroOutsideBox = (h: Float32Array): void => {
    h.fill(0, b, b + 2 * n1 * r0);
    h.fill(0, b + 2 * n1 * r1, b + 2 * npix);
    for (let r = r0; r < r1; r++) {
      h.fill(0, b + 2 * n1 * r, b + 2 * (n1 * r + q0));
      h.fill(0, b + 2 * (n1 * r + q1), b + 2 * n1 * (r + 1));
    }
  };
  for (let c = c0; c < c1; c++) {
    const co = 2 * c * npix;
    let h = fft.heapF32();
    if (kind !== 'adjoint') {
      // the coil image c = Fu^-1 (W k): k from the input's k part
      const ko = 2 * npix + co;
      for (let i = 0, q = b; i < npix; i++, q += 2) {
        const w = W[i] * sg[i];
        h[q] = input[ko + 2 * i] * w;
        h[q + 1] = input[ko + 2 * i + 1] * w;
      }
      // only the mask's box of the coil image is read, but by 'coil-images'
      h = kind === 'coil-images' ? transform(true) : transform(true, 0, n0, q0, q1);
      if (kind === 'coil-images') {
        for (let i = 0, q = b; i < npix; i++, q += 2) {
          out[co + 2 * i] = h[q] * u[i];
          out[co + 2 * i + 1] = h[q + 1] * u[i];
        }
        continue;
      }
      // the image-space product (M rho c_j, or its derivative), modulated for the forward FFT,
      // inside the mask's box (zero outside)
      zeroOutsideBox(h);
      for (let row = r0; row < r1; row++) for (let i = row * n1 + q0, e = row * n1 + q1, q = b + 2 * i; i < e; i++, q += 2) {
        const d = co + 2 * i;
        const er = h[q] * u[i], ei = h[q + 1] * u[i];
        const ar = rho[2 * i], ai = rho[2 * i + 1];
        let pr: number, pi: number;
        if (kind === 'forward') {
          coils[d] = er;
          coils[d + 1] = ei;
          pr = ar * er - ai * ei;
          pi = ar * ei + ai * er;
        } else {
          dc[d] = er;
          dc[d + 1] = ei;
          const dr = input[2 * i], di = input[2 * i + 1], cr = coils[d], ci = coils[d + 1];
          pr = dr * cr - di * ci + ar * er - ai * ei;
          pi = dr * ci + di * cr + ar * ei + ai * er;
        }
        const w = mask ? mask[i] * sg[i] : sg[i];
        h[q] = pr * w;
        h[q + 1] = pi * w;
      }
      h = transform(false, r0, r1);
      if (kind !== 'normal') {
        for (let i = 0, q = b; i < npix; i++, q += 2) {
          const w = u[i] * pattern[i];
          out[co + 2 * i] = h[q] * w;
          out[co + 2 * i + 1] = h[q + 1] * w;
        }
        continue;
      }
      // 'normal': the derivative's value (float64, as its output array holds it) straight into
      // the adjoint's first plane, in place
      for (let i = 0, q = b; i < npix; i++, q += 2) {
        const w = u[i] * pattern[i];
        const vr = h[q] * w, vi = h[q + 1] * w;
        const v = m.noncart ? sg[i] : pattern[i] * sg[i];
        h[q] = vr * v;
        h[q + 1] = vi * v;
      }
    } else {
      // r (data space) -> t = M Fu^H (P^H r) (pattern omitted for non-Cartesian)
      for (let i = 0, q = b; i < npix; i++, q += 2) {
        const w = m.noncart ? sg[i] : pattern[i] * sg[i];
        h[q] = input[co + 2 * i] * w;
        h[q + 1] = input[co + 2 * i + 1] * w;
      }
    }
    // the adjoint from its first plane (read only inside the mask's box)
    h = transform(true, 0, n0, q0, q1);
    // t is zero outside the mask's box: so are its products there
    zeroOutsideBox(h);
    for (let row = r0; row < r1; row++) for (let i = row * n1 + q0, e = row * n1 + q1, q = b + 2 * i; i < e; i++, q += 2) {
      const d = co + 2 * i;
      const w = mask ? u[i] * mask[i] : u[i];
      const tr = h[q] * w, ti = h[q + 1] * w, cr = coils[d], ci = coils[d + 1];
      rhoTerms[d] = cr * tr + ci * ti;
      rhoTerms[d + 1] = cr * ti - ci * tr;
      const ar = rho[2 * i], ai = rho[2 * i + 1];
      h[q] = (ar * tr + ai * ti) * sg[i];
      h[q + 1] = (ar * ti - ai * tr) * sg[i];
    }
    h = transform(false, r0, r1);
    const ko = 2 * npix + co;
    for (let i = 0, q = b; i < npix; i++, q += 2) {
      const w = u[i] * W[i];
      out[ko + 2 * i] = h[q] * w;
      out[ko + 2 * i + 1] = h[q + 1] * w;
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
