/**
 * nlinv's per-coil work on a range of coils [c0, c1): the model's coil images, forward,
 * derivative and adjoint up to the sum over coils (./nlinv.ts), and a CG step's derivative and
 * adjoint as one step (which also takes the CG's new direction and, where the blocks fit, the
 * k parts of its inner product, so that a CG step needs fewer pool calls), each coil's plane
 * transformed in the FFT engine's heap between fused passes; with a restrict-FOV mask the masked passes and transforms keep to the mask's box. The single-thread solver runs
 * them over all coils; with a worker pool each worker runs them over its coils on shared memory
 * (one task per operator application). The adjoint's per-coil contributions to the image part go
 * to planes that the caller sums in coil order, so the result is the same bits either way.
 */
import type { FftEngine } from '../../fft/index.js';
import { SUM_BLOCK } from '../../pool/block-sums.js';

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
 * checkerboard s = (-1)^(i + j) and u = s . U, U = (-1)^(n0/2 + n1/2) / sqrt(n0 n1), the same for
 * the inverse with the unnormalised inverse FFT (../../centred-fft: the shifts as a modulation).
 * The passes below form s and u per pixel from its row and column.
 */
function unitaryScale(n0: number, n1: number): number {
  return ((n0 / 2 + n1 / 2) % 2 ? -1 : 1) / Math.sqrt(n0 * n1);
}

/** A plane of ones (the mask when there is none; its products are the other factor's exactly), kept per size. */
let ones = new Float32Array(0);
function onesPlane(npix: number): Float32Array {
  if (ones.length !== npix) ones = new Float32Array(npix).fill(1);
  return ones;
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
 *
 * `direction` (a CG step's 'normal' only): first the new direction input = r + beta input on
 * the k parts of coils c0..c1, in the pass that reads them (the caller updates the image part,
 * which every coil reads, before); so the inner CG needs no pool call of its own for it.
 * `normalDot` (a 'normal' step, when the image part 2 n0 n1 is whole blocks of SUM_BLOCK values):
 * the k parts of ./cg-vectors.ts's normalDotRange in the last pass, out += alpha input and the
 * block sums of input . out, so that only the image part is left to it.
 */
export function nlinvCoilStep(
  fft: FftEngine, m: NlinvModel, kind: NlinvStepKind, input: Float64Array, out: Float64Array, c0: number, c1: number,
  direction: NlinvDirection | null = null, normalDot: NlinvNormalDot | null = null,
): void {
  if ((direction !== null || normalDot !== null) && kind !== 'normal') throw new Error(`nlinv: a direction update or inner product goes with a 'normal' step, not '${kind}'`);
  if (normalDot !== null && !normalDotFuses(m.n0 * m.n1)) throw new Error(`nlinv: a ${m.n0}x${m.n1} image part is not whole blocks of ${SUM_BLOCK} values`);
  const { n0, n1, W, mask, pattern, rho, coils, dc, rhoTerms } = m;
  const npix = n0 * n1;
  if (n0 % 2 || n1 % 2) throw new Error(`nlinv: grid ${n0}x${n1} must have even sizes`);
  const U = unitaryScale(n0, n1), one = onesPlane(npix);
  const mk = mask ?? one;
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
  for (let c = c0; c < c1; c++) {
    const co = 2 * c * npix;
    let h = fft.heapF32();
    if (kind !== 'adjoint') {
      // the coil image c = Fu^-1 (W k): k from the input's k part
      if (direction === null) weighIn(h, b, input, 2 * npix + co, W, n0, n1);
      else weighInDirection(h, b, input, 2 * npix + co, direction.r, direction.beta, W, n0, n1);
      // only the mask's box of the coil image is read, but by 'coil-images'
      h = kind === 'coil-images' ? transform(true) : transform(true, 0, n0, q0, q1);
      if (kind === 'coil-images') {
        weighOut(h, b, out, co, U, null, n0, n1);
        continue;
      }
      // the image-space product (M rho c_j, or its derivative), modulated for the forward FFT,
      // inside the mask's box (zero outside)
      zeroOutsideBox(h, b, n0, n1, r0, r1, q0, q1);
      for (let row = r0; row < r1; row++) {
        const i0 = row * n1 + q0, i1 = row * n1 + q1;
        const s = (row + q0) & 1 ? -1 : 1;
        if (kind === 'forward') forwardProductRow(h, b, co, rho, coils, mk, s, U, i0, i1);
        else derivativeProductRow(h, b, co, input, rho, coils, dc, mk, s, U, i0, i1);
      }
      h = transform(false, r0, r1);
      if (kind !== 'normal') {
        weighOut(h, b, out, co, U, pattern, n0, n1);
        continue;
      }
      // 'normal': the derivative's value (float64, as its output array holds it) straight into
      // the adjoint's first plane, in place
      reweigh(h, b, U, pattern, m.noncart ? null : pattern, n0, n1);
    } else {
      // r (data space) -> t = M Fu^H (P^H r) (pattern omitted for non-Cartesian)
      weighIn(h, b, input, co, m.noncart ? one : pattern, n0, n1);
    }
    // the adjoint from its first plane (read only inside the mask's box)
    h = transform(true, 0, n0, q0, q1);
    // t is zero outside the mask's box: so are its products there
    zeroOutsideBox(h, b, n0, n1, r0, r1, q0, q1);
    for (let row = r0; row < r1; row++) adjointProductRow(h, b, co, rho, coils, rhoTerms, mk, (row + q0) & 1 ? -1 : 1, U, row * n1 + q0, row * n1 + q1);
    h = transform(false, r0, r1);
    if (normalDot === null) weighOut(h, b, out, 2 * npix + co, U, W, n0, n1);
    else weighOutDot(h, b, out, 2 * npix + co, U, W, n0, n1, input, normalDot.alpha, normalDot.sums);
  }
}

// The passes, as small functions of their arrays (each optimised on its own), over rows: the
// checkerboard s = (-1)^(row + column) alternates along a row, and u = s . U for the constant
// U = parity / sqrt(n0 n1), so neither is read from memory (a product with +-1 or +-U is exact,
// the same value as with the stored s[i] and u[i]). Every value is the same float64 expression as
// before, rounded once to float32 where it goes into the plane.

/** plane (from float index b) = x[xo..] . (w . s), complex x, real weights */
function weighIn(h: Float32Array, b: number, x: Float64Array, xo: number, w: Float32Array, n0: number, n1: number): void {
  for (let r = 0, i = 0, q = b, o = xo; r < n0; r++) {
    let s = r & 1 ? -1 : 1;
    for (let e = i + n1; i < e; i++, q += 2, o += 2, s = -s) {
      const f = w[i] * s;
      h[q] = x[o] * f;
      h[q + 1] = x[o + 1] * f;
    }
  }
}

/** weighIn of the new direction: x[xo..] = r[xo..] + beta x[xo..] first (stored), then as weighIn */
function weighInDirection(h: Float32Array, b: number, x: Float64Array, xo: number, rv: Float64Array, beta: number, w: Float32Array, n0: number, n1: number): void {
  for (let r = 0, i = 0, q = b, o = xo; r < n0; r++) {
    let s = r & 1 ? -1 : 1;
    for (let e = i + n1; i < e; i++, q += 2, o += 2, s = -s) {
      const f = w[i] * s;
      const xr = (x[o] = rv[o] + beta * x[o]), xi = (x[o + 1] = rv[o + 1] + beta * x[o + 1]);
      h[q] = xr * f;
      h[q + 1] = xi * f;
    }
  }
}

/** y[yo..] = plane . (u . w) (w null: u alone) */
function weighOut(h: Float32Array, b: number, y: Float64Array, yo: number, U: number, w: Float32Array | null, n0: number, n1: number): void {
  for (let r = 0, i = 0, q = b, o = yo; r < n0; r++) {
    let u = r & 1 ? -U : U;
    if (w === null) {
      for (let e = i + n1; i < e; i++, q += 2, o += 2, u = -u) {
        y[o] = h[q] * u;
        y[o + 1] = h[q + 1] * u;
      }
      continue;
    }
    for (let e = i + n1; i < e; i++, q += 2, o += 2, u = -u) {
      const f = u * w[i];
      y[o] = h[q] * f;
      y[o + 1] = h[q + 1] * f;
    }
  }
}

/**
 * weighOut with normalDotRange's k-part work: y = plane . (u . w) + alpha p, and the block sums
 * of p . y into sums (yo and the plane's 2 n0 n1 values whole blocks), the same float64 values.
 */
function weighOutDot(
  h: Float32Array, b: number, y: Float64Array, yo: number, U: number, w: Float32Array, n0: number, n1: number, p: Float64Array, alpha: number, sums: Float64Array,
): void {
  let acc = 0, blockEnd = yo + SUM_BLOCK;
  for (let r = 0, i = 0, q = b, o = yo; r < n0; r++) {
    let u = r & 1 ? -U : U;
    for (let e = i + n1; i < e; i++, q += 2, o += 2, u = -u) {
      const f = u * w[i];
      const pr = p[o], pi = p[o + 1];
      const vr = h[q] * f + alpha * pr, vi = h[q + 1] * f + alpha * pi;
      y[o] = vr;
      y[o + 1] = vi;
      acc += pr * vr;
      acc += pi * vi;
      if (o + 2 === blockEnd) {
        sums[blockEnd / SUM_BLOCK - 1] = acc;
        acc = 0;
        blockEnd += SUM_BLOCK;
      }
    }
  }
}

/** plane = (plane . (u . p)) . (v . s) in place (v null: s alone) */
function reweigh(h: Float32Array, b: number, U: number, p: Float32Array, v: Float32Array | null, n0: number, n1: number): void {
  for (let r = 0, i = 0, q = b; r < n0; r++) {
    let s = r & 1 ? -1 : 1;
    for (let e = i + n1; i < e; i++, q += 2, s = -s) {
      const w = s * U * p[i];
      const vr = h[q] * w, vi = h[q + 1] * w;
      const f = v === null ? s : v[i] * s;
      h[q] = vr * f;
      h[q + 1] = vi * f;
    }
  }
}

/** zeros the plane outside the box */
function zeroOutsideBox(h: Float32Array, b: number, n0: number, n1: number, r0: number, r1: number, q0: number, q1: number): void {
  h.fill(0, b, b + 2 * n1 * r0);
  h.fill(0, b + 2 * n1 * r1, b + 2 * n0 * n1);
  for (let r = r0; r < r1; r++) {
    h.fill(0, b + 2 * n1 * r, b + 2 * (n1 * r + q0));
    h.fill(0, b + 2 * (n1 * r + q1), b + 2 * n1 * (r + 1));
  }
}

/** pixels [i0, i1) of a row, s the first one's sign: the forward model: coils = e = plane . u, plane = rho e . (mask . s) */
function forwardProductRow(h: Float32Array, b: number, co: number, rho: Float64Array, coils: Float64Array, mk: Float32Array, s: number, U: number, i0: number, i1: number): void {
  for (let i = i0, q = b + 2 * i0, d = co + 2 * i0; i < i1; i++, q += 2, d += 2, s = -s) {
    const u = s * U;
    const er = h[q] * u, ei = h[q + 1] * u;
    const ar = rho[2 * i], ai = rho[2 * i + 1];
    coils[d] = er;
    coils[d + 1] = ei;
    const pr = ar * er - ai * ei;
    const pi = ar * ei + ai * er;
    const w = mk[i] * s;
    h[q] = pr * w;
    h[q + 1] = pi * w;
  }
}

/** the same for the derivative: dc = e = plane . u, plane = (drho c + rho e) . (mask . s) */
function derivativeProductRow(h: Float32Array, b: number, co: number, x: Float64Array, rho: Float64Array, coils: Float64Array, dc: Float64Array, mk: Float32Array, s: number, U: number, i0: number, i1: number): void {
  for (let i = i0, q = b + 2 * i0, d = co + 2 * i0; i < i1; i++, q += 2, d += 2, s = -s) {
    const u = s * U;
    const er = h[q] * u, ei = h[q + 1] * u;
    const ar = rho[2 * i], ai = rho[2 * i + 1];
    dc[d] = er;
    dc[d + 1] = ei;
    const dr = x[2 * i], di = x[2 * i + 1], cr = coils[d], ci = coils[d + 1];
    const pr = dr * cr - di * ci + ar * er - ai * ei;
    const pi = dr * ci + di * cr + ar * ei + ai * er;
    const w = mk[i] * s;
    h[q] = pr * w;
    h[q + 1] = pi * w;
  }
}

/** the same for the adjoint's image part: t = plane . (u . mask), rhoTerms = conj(c) t, plane = conj(rho) t . s */
function adjointProductRow(h: Float32Array, b: number, co: number, rho: Float64Array, coils: Float64Array, rhoTerms: Float64Array, mk: Float32Array, s: number, U: number, i0: number, i1: number): void {
  for (let i = i0, q = b + 2 * i0, d = co + 2 * i0; i < i1; i++, q += 2, d += 2, s = -s) {
    const w = s * U * mk[i];
    const tr = h[q] * w, ti = h[q + 1] * w, cr = coils[d], ci = coils[d + 1];
    rhoTerms[d] = cr * tr + ci * ti;
    rhoTerms[d + 1] = cr * ti - ci * tr;
    const ar = rho[2 * i], ai = rho[2 * i + 1];
    h[q] = (ar * tr + ai * ti) * s;
    h[q + 1] = (ar * ti - ai * tr) * s;
  }
}

/** The CG direction update a 'normal' step makes first: input = r + beta input (float64, as ./cg-vectors.ts's directionRange). */
export interface NlinvDirection {
  r: Float64Array;
  beta: number;
}

/** The k-part work of ./cg-vectors.ts's normalDotRange that a 'normal' step does in its last pass. */
export interface NlinvNormalDot {
  alpha: number;
  /** the block sums (of the whole vector; the step writes its coils' k-part blocks) */
  sums: Float64Array;
}

/** True when an image part of npix complex values is whole blocks of SUM_BLOCK values (so the coils' k parts are too, and a 'normal' step can take their inner product blocks). */
export function normalDotFuses(npix: number): boolean {
  return (2 * npix) % SUM_BLOCK === 0;
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
  direction: NlinvDirection | null;
  normalDot: NlinvNormalDot | null;
}

/** Runs an nlinv step task with this thread's engine (in a worker). */
export function runNlinvStepTask(fft: FftEngine, t: NlinvStepTask): void {
  nlinvCoilStep(fft, t.model, t.step, t.input, t.out, t.c0, t.c1, t.direction, t.normalDot);
}
