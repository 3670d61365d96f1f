/**
 * Coil maps for the iterative spiral recons, computed from all arms: the density-compensated
 * adjoint NUFFT of every arm (summed per unique angle first, by linearity) gives one coil image
 * per coil; these are turned into maps, then normalised to unit root-sum-of-squares over the
 * coils per pixel (as the reference does to BART's maps with `bart normalize 8`).
 *
 * Default method 'sobolev': low-resolution maps. Each coil image is weighted in k-space by the
 * Sobolev weight BART's nlinv puts on the coil sensitivities, (1 + a |k|^2)^(-l/2) with the
 * reference's `-a 32 -b 16` (k in cycles per pixel of the msize grid), and normalised to unit RSS.
 * This is not nlinv (no joint IRGNM estimation of image and sensitivities), but it yields maps of
 * the same smoothness class as nlinv's, smooth also outside the object: on the interop spiral
 * case the whole native TFD pipeline then differs from BART's (nlinv maps) by 8 % magnitude NRMSE
 * instead of 13 % with Inati's maps. (Per-pixel phase of the maps does not matter: the TV
 * problems are invariant to it.) The spiral recons' native backend now defaults to the native
 * nlinv (../nlinv, 1.6 % there); these maps stay available as an option.
 *
 * Method 'inati': Inati's adaptive method (../coil-combine, coils.py of the reference), sharper
 * and noisier in low-signal regions.
 */
import type { FftEngine } from '../../fft/index.js';
import { Nufft } from '../../nufft/index.js';
import { inatiCoilMaps } from '../coil-combine/coil-combine.js';

export interface ArmSamples {
  /** [coil][sample] complex interleaved */
  data: Float32Array;
  /** index of the arm's trajectory among the unique angles */
  angle: number;
}

export interface CoilMapOptions {
  /** 'sobolev' (default): low-resolution maps with nlinv's Sobolev weight; 'inati': adaptive maps */
  method?: 'sobolev' | 'inati';
  /** Sobolev weight parameters a and l of (1 + a |k|^2)^(-l/2) (nlinv -a / -b; the reference's 32 / 16) */
  sobolevA?: number;
  sobolevL?: number;
}

/**
 * Coil images [coil][n][n] complex weighted in k-space by (1 + a |k|^2)^(-l/2), |k| in cycles per
 * pixel (unshifted FFT indexes; the weight is real and symmetric, so no shifts are needed). In place.
 */
export function sobolevLowpass(fft: FftEngine, images: Float32Array, ncoils: number, n: number, a: number, l: number): Float32Array {
  const npix = n * n;
  const weight = new Float32Array(npix);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const ky = (y < n / 2 ? y : y - n) / n, kx = (x < n / 2 ? x : x - n) / n;
    weight[y * n + x] = Math.pow(1 + a * (kx * kx + ky * ky), -l / 2);
  }
  for (let c = 0; c < ncoils; c++) {
    const im = images.subarray(2 * c * npix, 2 * (c + 1) * npix);
    fft.fftn(im, [n, n], [0, 1], false);
    for (let i = 0; i < npix; i++) { im[2 * i] *= weight[i]; im[2 * i + 1] *= weight[i]; }
    fft.fftn(im, [n, n], [0, 1], true);
  }
  return images;
}

/**
 * Maps [coil][ny][nx] complex (Float32) from arms on `uniqueCoord` ([angle][sample][2]).
 * `w` are the density weights per sample.
 */
export function coilMapsFromArms(
  fft: FftEngine, arms: readonly ArmSamples[], uniqueCoord: Float64Array, samples: number, w: ArrayLike<number>, ncoils: number, n: number,
  options: CoilMapOptions = {},
): Float32Array {
  const sum = sumArmsPerAngle(arms, uniqueCoord, samples, w, ncoils);
  const plan = Nufft.withEngine(fft, uniqueCoord, [n, n]);
  let images: Float32Array;
  try {
    images = plan.adjoint(sum, ncoils);
  } finally {
    plan.dispose();
  }
  const maps = options.method === 'inati'
    ? inatiMaps(fft, images, ncoils, n)
    : sobolevLowpass(fft, images, ncoils, n, options.sobolevA ?? 32, options.sobolevL ?? 16);
  return unitRss(maps, ncoils, n);
}

/** The density-weighted arms summed per unique angle: [coil][angle][sample] complex. */
export function sumArmsPerAngle(arms: readonly ArmSamples[], uniqueCoord: Float64Array, samples: number, w: ArrayLike<number>, ncoils: number, out?: Float32Array): Float32Array {
  const nUnique = uniqueCoord.length / (2 * samples);
  const sum = out ?? new Float32Array(2 * ncoils * nUnique * samples);
  for (const a of arms) {
    for (let c = 0; c < ncoils; c++) {
      const src = 2 * c * samples, dst = 2 * (c * nUnique * samples + a.angle * samples);
      for (let s = 0; s < samples; s++) {
        sum[dst + 2 * s] += a.data[src + 2 * s] * w[s];
        sum[dst + 2 * s + 1] += a.data[src + 2 * s + 1] * w[s];
      }
    }
  }
  return sum;
}

/** Inati's adaptive maps of coil images [coil][n][n] (smoothing n / 4, within 4..32). */
export function inatiMaps(fft: FftEngine, images: Float32Array, ncoils: number, n: number): Float64Array {
  const smoothing = Math.max(4, Math.min(32, Math.round(n / 4)));
  return inatiCoilMaps(fft, images, ncoils, n, n, { smoothing }).maps;
}

/** Maps [coil][n][n] scaled to unit root-sum-of-squares over the coils per pixel (0 where all are 0). */
export function unitRss(maps: Float32Array | Float64Array, ncoils: number, n: number): Float32Array {
  const out = new Float32Array(maps.length);
  const npix = n * n;
  for (let i = 0; i < npix; i++) {
    let s = 0;
    for (let c = 0; c < ncoils; c++) s += maps[2 * (c * npix + i)] ** 2 + maps[2 * (c * npix + i) + 1] ** 2;
    const k = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let c = 0; c < ncoils; c++) {
      out[2 * (c * npix + i)] = maps[2 * (c * npix + i)] * k;
      out[2 * (c * npix + i) + 1] = maps[2 * (c * npix + i) + 1] * k;
    }
  }
  return out;
}
