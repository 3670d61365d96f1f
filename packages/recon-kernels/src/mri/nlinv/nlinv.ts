/**
 * Native nlinv: joint estimation of image and coil sensitivities by regularised nonlinear
 * inversion (Uecker, Hohage, Block, Frahm, MRM 2008; 60:674), written after BART 0.8.00's
 * `nlinv` (src/nlinv.c, src/noir/model.c, src/noir/recon.c, iter/italgos.c; read, not copied).
 * Hand-written because no maintained JavaScript implementation exists.
 *
 * Model on an n0 x n1 grid (C order [n0][n1], centred k-space: DC at n/2), per coil j:
 *   F(rho, k)_j = P . Fu( M . rho . c_j ),   c_j = Fu^-1( W . k_j ),
 * Fu the unitary centred 2-D FFT, M a real image-space mask (BART's restrict-FOV box), P the
 * k-space pattern (sampling mask for Cartesian data; the gridded point-spread function's
 * transform for non-Cartesian data, whose adjoint then uses no pattern, as BART's noncart mode),
 * W = (1 + a |k|^2)^(-b/2) the Sobolev weight with |k| in cycles per pixel (BART: a 220, b 32).
 * IRGNM as BART's: x0 = (rho 1, k 0); step i: r = y - F(x); p = DF^H r - alpha x; solve
 * (DF^H DF + alpha) h = p by CG (at most 100 iterations, BART's "legacy" stop rule
 * |res| <= (0.1 |p|)^2); x += h; alpha /= 2. Data scaled by 100 / |y| first (BART's default).
 * Output: the sensitivities c_j (not normalised, as `bart nlinv`'s sens output) and the image
 * rho . rss(c) with rho's phase (BART's postprocess; `-S` divides by the data scale).
 * The per-coil work (./coil-steps.ts: weights, products, masks and FFTs) and the inner CG's
 * vector work (./cg-vectors.ts) run on a worker pool when one is given (options.pool); sums over
 * coils are taken per pixel in coil order and inner products per fixed block, so the result is
 * the same bits.
 */
import type { FftEngine } from '../../fft/index.js';
import { runSteps, type Steps } from '../../progress/stepwise.js';
import type { ReconPool } from '../../pool/pool.js';
import { centredFft2UsesPool } from '../../pool/parallel-centred-fft.js';
import { asShared, splitRange } from '../../pool/shared-memory.js';
import {
  maskBox, nlinvCoilStep, normalDotFuses, type NlinvDirection, type NlinvModel, type NlinvNormalDot, type NlinvStepKind, type NlinvStepTask,
} from './coil-steps.js';
import {
  directionRange, normalDotRange, runNlinvVectorOnPool, stepRange, sumCoilTermsRange, type TermsBox,
} from './cg-vectors.js';
import { SUM_BLOCK, sumBlockCount, sumBlocksInOrder } from '../../pool/block-sums.js';

/** A part of a step: runs here, or yields the pool's promise for the cooperative runner. */
type Part = Generator<void | Promise<unknown>, void, void>;

export interface NlinvOptions {
  /** Newton steps (BART -i, default 8) */
  iterations?: number;
  /** start regularisation (default 1) */
  alpha?: number;
  /** reduction factor per step (BART -R, default 2) */
  reduction?: number;
  /** minimum regularisation (BART -M, default 0) */
  alphaMin?: number;
  /** Sobolev weight a (BART -a, default 220) */
  a?: number;
  /** Sobolev weight b (BART -b, default 32) */
  b?: number;
  /** inner CG iterations cap (default 100) */
  cgIterations?: number;
  /** inner CG tolerance (default 0.1, used with BART's legacy squared rule) */
  cgTolerance?: number;
  /** `-S`: rescale the image output by the inverse data scale */
  rescaleImage?: boolean;
  /**
   * 'cartesian' (default): adjoint uses conj(pattern); 'noncartesian': y is the gridded data,
   * the pattern the PSF transform, and the adjoint uses no pattern.
   */
  mode?: 'cartesian' | 'noncartesian';
  /** image-space mask [n0][n1] (real); default none (all ones) */
  mask?: Float32Array | null;
  /** data scale (BART -w as 1/scale); default 100 / |y| */
  scaling?: number;
  /**
   * The worker pool for the per-coil work (split over coils, shared memory; the same bits as
   * without). Needs the cooperative runner (nlinvSteps / the ...Async functions); null or absent:
   * this thread.
   */
  pool?: ReconPool | null;
  /** called after every Newton step with the steps done and the steps in all */
  onProgress?: (done: number, total: number) => void;
}

export interface NlinvResult {
  /** sensitivities [coil][n0][n1] complex */
  sens: Float32Array;
  /** image [n0][n1] complex (normalised with rss(sens), rho's phase) */
  image: Float32Array;
  /** the data scale applied */
  scaling: number;
}

/** BART's Sobolev weight (1 + a |k|^2)^(-b/2), k centred in cycles per pixel, [n0][n1]. */
export function sobolevWeight(n0: number, n1: number, a: number, b: number): Float32Array {
  const w = new Float32Array(n0 * n1);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) {
    const k0 = (i - n0 / 2) / n0, k1 = (j - n1 / 2) / n1;
    w[i * n1 + j] = Math.pow(1 + a * (k0 * k0 + k1 * k1), -b / 2);
  }
  return w;
}

type Vec = Float64Array;

/**
 * nlinv on centred k-space `y` [coil][n0][n1] complex with k-space `pattern` [n0][n1] (real).
 */
export function nlinv(
  fft: FftEngine, y: Float32Array, pattern: Float32Array, ncoils: number, n0: number, n1: number, options: NlinvOptions = {},
): NlinvResult {
  return runSteps(nlinvSteps(fft, y, pattern, ncoils, n0, n1, options));
}

/** nlinv as steps (../progress/stepwise): yields after every inner CG iteration. */
export function* nlinvSteps(
  fft: FftEngine, y: Float32Array, pattern: Float32Array, ncoils: number, n0: number, n1: number, options: NlinvOptions = {},
): Steps<NlinvResult> {
  const npix = n0 * n1;
  if (y.length !== 2 * ncoils * npix) throw new Error(`nlinv: data has ${y.length / 2} values, ${ncoils}x${n0}x${n1} expected`);
  if (pattern.length !== npix) throw new Error(`nlinv: pattern has ${pattern.length} values, ${n0}x${n1} expected`);
  const iterations = options.iterations ?? 8;
  let alpha = options.alpha ?? 1;
  const redu = options.reduction ?? 2, alphaMin = options.alphaMin ?? 0;
  const cgIter = options.cgIterations ?? 100, cgTol = options.cgTolerance ?? 0.1;
  const noncart = options.mode === 'noncartesian';
  const mask = options.mask ?? null;
  const W = sobolevWeight(n0, n1, options.a ?? 220, options.b ?? 32);
  if (n0 % 2 || n1 % 2) throw new Error(`nlinv: grid ${n0}x${n1} must have even sizes`);
  const pool = options.pool ?? null;
  const onPool = centredFft2UsesPool(pool, ncoils, n0, n1);
  // what the workers read and write lives on shared memory when the pool is used
  const f64 = (n: number): Float64Array => (onPool ? new Float64Array(new SharedArrayBuffer(8 * n)) : new Float64Array(n));
  const f32 = (a: Float32Array): Float32Array => (onPool ? asShared(a) : a);

  let ynorm = 0;
  for (let i = 0; i < y.length; i++) ynorm += y[i] * y[i];
  const scaling = options.scaling ?? (ynorm > 0 ? 100 / Math.sqrt(ynorm) : 1);
  const data = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) data[i] = y[i] * scaling;

  const nx = 2 * npix * (1 + ncoils); // [rho | k_0 .. k_{nc-1}] complex as reals
  const ndata = 2 * ncoils * npix;
  const model: NlinvModel = {
    n0, n1, ncoils, W: f32(W), pattern: f32(pattern), mask: mask === null ? null : f32(mask), box: mask === null ? null : maskBox(mask, n0, n1), noncart,
    // current linearisation point: rho and coil images c
    rho: f64(2 * npix), coils: f64(2 * ncoils * npix), dc: f64(2 * ncoils * npix), rhoTerms: f64(2 * ncoils * npix),
  };
  const { rho, coils, rhoTerms } = model;
  const ranges = onPool ? splitRange(ncoils, pool.threads) : [];
  const inBox: TermsBox | null = model.box ? [n1, ...model.box] : null;

  /** One per-coil operator (./coil-steps.ts) over all coils: here, or split over the pool's threads. */
  function* step(kind: NlinvStepKind, input: Float64Array, out: Float64Array, direction: NlinvDirection | null = null, normalDot: NlinvNormalDot | null = null): Part {
    if (!onPool) {
      nlinvCoilStep(fft, model, kind, input, out, 0, ncoils, direction, normalDot);
      return;
    }
    yield pool.runAll(ranges.map(([c0, c1]): NlinvStepTask => ({ kind: 'nlinv-step', step: kind, model, input, out, c0, c1, direction, normalDot })));
  }

  /** F(x) into out; sets the linearisation point to x */
  function* forward(x: Vec, out: Float64Array): Part {
    for (let i = 0; i < 2 * npix; i++) rho[i] = x[i];
    yield* step('forward', x, out);
  }

  /** DF^H(r) into out: the k part per coil, the image part summed over the coils here, in coil order */
  function* adjoint(r: Float64Array, out: Vec): Part {
    yield* step('adjoint', r, out);
    sumCoilTermsRange(rhoTerms, ncoils, npix, out, 0, 2 * npix, inBox);
  }

  const x = f64(nx);
  for (let i = 0; i < npix; i++) x[2 * i] = 1;
  const r = f64(ndata);
  const p = f64(nx), h = f64(nx);
  const cr = f64(nx), cp = f64(nx), cAp = f64(nx);
  // the CG steps' vector work (./cg-vectors.ts) on the pool too when the per-coil work is there
  const sums = f64(sumBlockCount(nx));
  const dotEnd = normalDotFuses(npix) ? 2 * npix : nx;

  for (let it = 0; it < iterations; it++) {
    yield* forward(x, r);
    subtractFrom(data, r);
    yield* adjoint(r, p);
    subtractScaled(p, alpha, x);
    // CG on (DF^H DF + alpha) h = p from h = 0
    h.fill(0);
    cr.set(p);
    cp.set(p);
    const pnorm = Math.sqrt(dot(p, p));
    const eps = (cgTol * pnorm) ** 2; // BART's nlinv_legacy: eps squared, compared with |res|
    let rsold = dot(cr, cr);
    // the direction update p = r + beta p of the step before (none before the first): its image
    // part here, its k parts in the 'normal' step's first pass (one pool call less per CG step)
    let direction: NlinvDirection | null = null;
    if (rsold > 0) for (let k = 0; k < cgIter; k++) {
      if (direction !== null) directionRange(cp, cr, direction.beta, 0, 2 * npix);
      // DF^H DF cp per coil in one step (the derivative's data-space value kept in each coil's plane),
      // then cAp = that + alpha cp (the image part summed over coils in the same pass), pAp = cp . cAp;
      // with whole blocks per coil the step does the k parts of the latter too (`dotEnd`: what is left)
      yield* step('normal', cp, cAp, direction, dotEnd < nx ? { alpha, sums } : null);
      if (onPool) yield runNlinvVectorOnPool(pool, dotEnd, { op: 'normal-dot', terms: rhoTerms, ncoils, npix, alpha, p: cp, out: cAp, sums, inBox });
      else normalDotRange(rhoTerms, ncoils, npix, alpha, cp, cAp, sums, 0, dotEnd, inBox);
      const pAp = sumBlocksInOrder(sums);
      if (pAp === 0) break;
      const a = rsold / pAp;
      if (onPool) yield runNlinvVectorOnPool(pool, nx, { op: 'step', h, r: cr, p: cp, q: cAp, a, sums });
      else stepRange(h, cr, cp, cAp, a, sums, 0, nx);
      const rsnew = sumBlocksInOrder(sums);
      const beta = rsnew / rsold;
      rsold = rsnew;
      yield;
      if (rsnew <= eps * eps) break;
      direction = { r: cr, beta };
    }
    addTo(x, h);
    alpha = (alpha - alphaMin) / redu + alphaMin;
    options.onProgress?.(it + 1, iterations);
  }

  // outputs: sensitivities and the normalised image
  yield* step('coil-images', x, coils);
  const sens = new Float32Array(coils.length);
  for (let i = 0; i < coils.length; i++) sens[i] = coils[i];
  const image = new Float32Array(2 * npix);
  const imgScale = options.rescaleImage ? 1 / scaling : 1;
  for (let i = 0; i < npix; i++) {
    let s = 0;
    for (let c = 0; c < ncoils; c++) s += coils[2 * (c * npix + i)] ** 2 + coils[2 * (c * npix + i) + 1] ** 2;
    const rss = Math.sqrt(s) * imgScale;
    image[2 * i] = x[2 * i] * rss;
    image[2 * i + 1] = x[2 * i + 1] * rss;
  }
  return { sens, image, scaling };
}

// The Newton steps' vector loops as plain functions: loops in the generator run unoptimised.

/** a . b in float64, summed per block and the blocks in order (as the CG kernels sum). */
function dot(a: Vec, b: Vec): number {
  const s = new Float64Array(sumBlockCount(a.length));
  for (let k = 0; k < s.length; k++) {
    let acc = 0;
    for (let i = k * SUM_BLOCK, e = Math.min(a.length, i + SUM_BLOCK); i < e; i++) acc += a[i] * b[i];
    s[k] = acc;
  }
  return sumBlocksInOrder(s);
}

/** r = data - r */
function subtractFrom(data: ArrayLike<number>, r: Float64Array): void {
  for (let i = 0; i < r.length; i++) r[i] = data[i] - r[i];
}

/** p -= alpha x */
function subtractScaled(p: Vec, alpha: number, x: Vec): void {
  for (let i = 0; i < p.length; i++) p[i] -= alpha * x[i];
}

/** x += h */
function addTo(x: Vec, h: Vec): void {
  for (let i = 0; i < x.length; i++) x[i] += h[i];
}
