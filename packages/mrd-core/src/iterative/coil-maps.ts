/**
 * Coil maps for the iterative spiral recons, computed from all arms: the density-compensated
 * adjoint NUFFT of every arm (summed per unique angle first, by linearity) gives one coil image
 * per coil; Inati's adaptive method (../coil-combine, coils.py of the reference) turns them into
 * maps, which are then normalised to unit root-sum-of-squares over the coils per pixel (as the
 * reference does to BART's maps with `bart normalize 8`).
 *
 * Why Inati and not an nlinv equivalent: the reference's nlinv call only serves to get smooth
 * maps from the time-averaged data (it is upsampled from 32 x 32); Inati maps from all arms are
 * exactly that, already exist in part 1, take milliseconds instead of nlinv's seconds to minutes,
 * and are deterministic. nlinv's joint estimation would only matter for strongly undersampled
 * averages, which the all-arm average of a golden-angle stream is not.
 */
import type { FftEngine } from '../fft/index.js';
import { Nufft } from '../nufft/index.js';
import { inatiCoilMaps } from '../coil-combine/index.js';

export interface ArmSamples {
  /** [coil][sample] complex interleaved */
  data: Float32Array;
  /** index of the arm's trajectory among the unique angles */
  angle: number;
}

/**
 * Maps [coil][ny][nx] complex (Float32) from arms on `uniqueCoord` ([angle][sample][2]).
 * `w` are the density weights per sample.
 */
export function coilMapsFromArms(
  fft: FftEngine, arms: readonly ArmSamples[], uniqueCoord: Float64Array, samples: number, w: ArrayLike<number>, ncoils: number, n: number,
): Float32Array {
  const nUnique = uniqueCoord.length / (2 * samples);
  const sum = new Float32Array(2 * ncoils * nUnique * samples);
  for (const a of arms) {
    for (let c = 0; c < ncoils; c++) {
      const src = 2 * c * samples, dst = 2 * (c * nUnique * samples + a.angle * samples);
      for (let s = 0; s < samples; s++) {
        sum[dst + 2 * s] += a.data[src + 2 * s] * w[s];
        sum[dst + 2 * s + 1] += a.data[src + 2 * s + 1] * w[s];
      }
    }
  }
  const plan = Nufft.withEngine(fft, uniqueCoord, [n, n]);
  let images: Float32Array;
  try {
    images = plan.adjoint(sum, ncoils);
  } finally {
    plan.dispose();
  }
  const smoothing = Math.max(4, Math.min(32, Math.round(n / 4)));
  const { maps } = inatiCoilMaps(fft, images, ncoils, n, n, { smoothing });
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
