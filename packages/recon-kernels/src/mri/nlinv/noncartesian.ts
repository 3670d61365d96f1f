/**
 * Non-Cartesian nlinv as BART 0.8.00's `nlinv -t traj` sets it up (src/nlinv.c): the image size
 * is estimated from the trajectory (2 ceil(max |k|) per axis, BART's estimate_im_dims), then
 * doubled, with the trajectory scaled by 2 (a 2x field of view); the data are gridded by the
 * adjoint NUFFT and taken to centred k-space, the point-spread function (adjoint NUFFT of the
 * sample weights) becomes the k-space pattern (a Toeplitz embedding of the normal operator,
 * exact inside the central half of the grid, where the restrict-FOV mask 0.5 keeps the image),
 * and nlinv runs in its non-Cartesian mode. Returns the sensitivities on the doubled grid, as
 * `bart nlinv` without `-x` does. With options.pool (the ...Async function) the coils' gridding and
 * FFTs, and nlinv's per-coil FFTs, run on the worker pool with the same bits.
 */
import type { FftEngine } from '../../fft/index.js';
import { Nufft, type NufftOptions } from '../../nufft/index.js';
import { nlinvSteps, type NlinvOptions, type NlinvResult } from './nlinv.js';
import { centredFftn } from '../../centred-fft/index.js';
import { runSteps, runStepsCooperatively, type Steps } from '../../progress/stepwise.js';
import { nufftAdjointParallel } from '../../pool/parallel-nufft.js';
import { centredFft2PlanesParallel } from '../../pool/parallel-centred-fft.js';
import { sharedFloat32 } from '../../pool/shared-memory.js';

/**
 * The gridding BART 0.8.00's nufft uses (src/noncart/nufft.c, grid.c): a 2x oversampled grid; a
 * Kaiser-Bessel kernel of half-width 3 (taps from pos - 3 to pos + 3), beta = calc_beta(2, 3) =
 * pi sqrt((2 * 3 / 2 * 1.5)^2 - 0.8), i.e. in SigPy's terms (full width) width 6 at 2x; kernel
 * values from a 100-point table by linear interpolation; and conf.periodic = false: taps beyond the
 * grid's edge are dropped, not wrapped (the -t trajectory reaches the edge). With all four the
 * adjoint equals `bart nufft -a` to 1e-6 (tests/interop/nufft-bart.test.ts); with wrap-around it
 * differs by 3.7 %. The gridded data and PSF nlinv sees depend on it, most away from the object
 * (measured, native maps vs BART's in the object: 0.64 % with SigPy's 1.25 / 4, 0.20 % with a full
 * width of 3, 0.10 % with 6, 0.03 % with all four, BART's own run-to-run spread; outside the object
 * 1.5-2 % before the last step, 0.1-0.3 % after; the zero-filled XD-GRASP pipeline, native vs bart
 * backend: 10.7 %, 5.6 %, 4.2 %, 1.2 %).
 */
export const BART_NUFFT: NufftOptions = { oversampling: 2, width: 6, periodic: false, kernelTable: 100 };

export interface NonCartesianNlinvResult extends NlinvResult {
  /** grid of sens and image: [n0, n1] (twice the estimated image size) */
  shape: [number, number];
}

/** BART's estimate_im_dims on coordinates [c0, c1] per point: 2 ceil(max |c|) per axis (float32). */
export function estimateImageShape(coord: ArrayLike<number>): [number, number] {
  let m0 = 0, m1 = 0;
  for (let p = 0; p < coord.length / 2; p++) {
    m0 = Math.max(m0, Math.abs(Math.fround(coord[2 * p])));
    m1 = Math.max(m1, Math.abs(Math.fround(coord[2 * p + 1])));
  }
  return [m0 === 0 ? 1 : 2 * Math.ceil(m0), m1 === 0 ? 1 : 2 * Math.ceil(m1)];
}

/**
 * nlinv on non-Cartesian samples: `coord` [point][c0, c1] in grid units of the (estimated) image,
 * `data` [coil][point] complex, `weights` per point (how many times the point was sampled, when
 * repeated samples were summed into `data`; BART's pattern of ones otherwise).
 * `nufft` sets the gridding (default BART_NUFFT, as `bart nlinv -t`).
 * `psfScale` scales the PSF pattern relative to the gridded data: BART scales the gridded data by 2
 * and the PSF by 4 on its 2x grid (nlinv.c), so 4 (default) relative to unit-consistent operators.
 */
export function nlinvNonCartesian(
  fft: FftEngine, coord: ArrayLike<number>, data: ArrayLike<number>, weights: ArrayLike<number>, ncoils: number,
  options: NlinvOptions & { psfScale?: number; nufft?: NufftOptions } = {},
): NonCartesianNlinvResult {
  return runSteps(nlinvNonCartesianSteps(fft, coord, data, weights, ncoils, options));
}

/**
 * The same, letting the event loop run at most every `yieldEveryMs` (default 100) so progress
 * reported from `onProgress` leaves while it runs (../progress/stepwise).
 */
export function nlinvNonCartesianAsync(
  fft: FftEngine, coord: ArrayLike<number>, data: ArrayLike<number>, weights: ArrayLike<number>, ncoils: number,
  options: NlinvOptions & { psfScale?: number; nufft?: NufftOptions; yieldEveryMs?: number } = {},
): Promise<NonCartesianNlinvResult> {
  return runStepsCooperatively(nlinvNonCartesianSteps(fft, coord, data, weights, ncoils, options), options.yieldEveryMs);
}

/** Non-Cartesian nlinv as steps (yields after every inner CG iteration of nlinv). */
function* nlinvNonCartesianSteps(
  fft: FftEngine, coord: ArrayLike<number>, data: ArrayLike<number>, weights: ArrayLike<number>, ncoils: number,
  options: NlinvOptions & { psfScale?: number; nufft?: NufftOptions } = {},
): Steps<NonCartesianNlinvResult> {
  const npts = coord.length / 2;
  if (data.length !== 2 * ncoils * npts) throw new Error(`nlinv: data has ${data.length / 2} values, ${ncoils}x${npts} expected`);
  const est = estimateImageShape(coord);
  const shape: [number, number] = [2 * est[0], 2 * est[1]];
  const coord2 = new Float64Array(coord.length);
  for (let i = 0; i < coord.length; i++) coord2[i] = 2 * coord[i];
  const plan = Nufft.withEngine(fft, coord2, shape, options.nufft ?? BART_NUFFT);
  // with a pool: the coils' gridding and FFTs on it, split over coils (the same bits)
  const pool = options.pool ?? null;
  const pooled = pool !== null && ncoils >= 2 && data instanceof Float32Array;
  let y: Float32Array, psf: Float32Array;
  try {
    if (pooled) {
      y = sharedFloat32(2 * ncoils * shape[0] * shape[1]);
      yield nufftAdjointParallel(pool, plan, data, ncoils, y);
    } else {
      y = plan.adjoint(data, ncoils);
    }
    const ones = new Float32Array(2 * npts);
    for (let p = 0; p < npts; p++) ones[2 * p] = weights[p];
    psf = plan.adjoint(ones, 1);
  } finally {
    plan.dispose();
  }
  if (pooled) yield centredFft2PlanesParallel(fft, pool, y, ncoils, shape[0], shape[1], false, 'ortho');
  else centredFftn(fft, y, [ncoils, shape[0], shape[1]], [1, 2], false, 'ortho');
  centredFftn(fft, psf, [1, shape[0], shape[1]], [1, 2], false, 'ortho');
  // with unitary NUFFT and FFT, Fu (A^H A x) = Fu(A^H 1) . Fu(x): the pattern is Fu(psf) (real for
  // a trajectory symmetric in k; the real part is what a Hermitian normal operator keeps)
  const n = shape[0] * shape[1];
  const pattern = new Float32Array(n);
  const ps = options.psfScale ?? 4;
  for (let i = 0; i < n; i++) pattern[i] = psf[2 * i] * ps;
  const mask = new Float32Array(n);
  const s0 = Math.floor(shape[0] * 0.5), s1 = Math.floor(shape[1] * 0.5);
  const o0 = Math.floor(shape[0] / 2) - Math.floor(s0 / 2), o1 = Math.floor(shape[1] / 2) - Math.floor(s1 / 2);
  for (let i = 0; i < s0; i++) for (let j = 0; j < s1; j++) mask[(i + o0) * shape[1] + j + o1] = 1;
  const res = yield* nlinvSteps(fft, y, pattern, ncoils, shape[0], shape[1], { ...options, mode: 'noncartesian', mask });
  return { ...res, shape };
}
