/**
 * The multi-coil non-Cartesian SENSE model of a dynamic (or binned) series as a LinearOperator:
 * image x[frame][ny][nx] -> data y[frame][coil][point], y_f,c = NUFFT_f (S_c x_f), with S_c the
 * coil maps and NUFFT_f the frame's own trajectory (SigPy conventions, ../nufft). This is what
 * BART's `pics -t traj ... sens` models with the trajectory and k-space carrying a time (or bin)
 * dimension; no density compensation in the model (as the reference's pics call).
 *
 * The normal operator runs frame by frame (forward then adjoint through one frame's plan), so
 * A x for the whole series is never held. One NUFFT plan per frame, made once.
 */
import type { FftEngine } from '../fft/index.js';
import { Nufft } from '../nufft/index.js';
import type { LinearOperator } from './linear-operator.js';

export class SenseNufftOperator implements LinearOperator {
  readonly inputLength: number;
  readonly outputLength: number;
  readonly frames: number;
  /** offsets (complex values) of each frame's data in y; frameOffset[frames] = outputLength */
  readonly frameOffset: Int32Array;
  private readonly plans: Nufft[];
  private readonly npix: number;
  private coilImg: Float32Array;
  private coilData: Float32Array;

  /**
   * @param coords per frame, the trajectory [point][2] (rows axis, columns axis) in grid units
   * @param maps coil maps [coil][ny][nx] complex interleaved
   */
  constructor(fft: FftEngine, coords: readonly ArrayLike<number>[], readonly maps: Float32Array, readonly ncoils: number, readonly ny: number, readonly nx: number) {
    this.npix = ny * nx;
    if (maps.length !== 2 * ncoils * this.npix) throw new Error(`SENSE operator: coil maps hold ${maps.length / 2} values for ${ncoils} x ${ny} x ${nx}`);
    this.frames = coords.length;
    this.plans = coords.map((c) => Nufft.withEngine(fft, c, [ny, nx]));
    this.frameOffset = new Int32Array(this.frames + 1);
    let maxPts = 0;
    for (let f = 0; f < this.frames; f++) {
      const n = this.plans[f].npts;
      this.frameOffset[f + 1] = this.frameOffset[f] + ncoils * n;
      maxPts = Math.max(maxPts, n);
    }
    this.inputLength = this.frames * this.npix;
    this.outputLength = this.frameOffset[this.frames];
    this.coilImg = new Float32Array(2 * ncoils * this.npix);
    this.coilData = new Float32Array(2 * ncoils * maxPts);
  }

  /** Frees the plans' WebAssembly memory. */
  dispose(): void {
    for (const p of this.plans) p.dispose();
    this.plans.length = 0;
  }

  private expand(x: Float32Array, f: number): void {
    const { maps, ncoils, npix, coilImg } = this;
    const xo = 2 * f * npix;
    for (let c = 0; c < ncoils; c++) {
      const mo = 2 * c * npix;
      for (let i = 0; i < npix; i++) {
        const sr = maps[mo + 2 * i], si = maps[mo + 2 * i + 1], xr = x[xo + 2 * i], xi = x[xo + 2 * i + 1];
        coilImg[mo + 2 * i] = sr * xr - si * xi;
        coilImg[mo + 2 * i + 1] = sr * xi + si * xr;
      }
    }
  }

  private reduce(out: Float32Array, f: number): void {
    const { maps, ncoils, npix, coilImg } = this;
    const xo = 2 * f * npix;
    for (let i = 0; i < npix; i++) {
      let re = 0, im = 0;
      for (let c = 0; c < ncoils; c++) {
        const k = 2 * (c * npix + i);
        const sr = maps[k], si = maps[k + 1], vr = coilImg[k], vi = coilImg[k + 1];
        re += sr * vr + si * vi;
        im += sr * vi - si * vr;
      }
      out[xo + 2 * i] = re;
      out[xo + 2 * i + 1] = im;
    }
  }

  forward(x: Float32Array, out: Float32Array): void {
    for (let f = 0; f < this.frames; f++) {
      this.expand(x, f);
      const n = this.plans[f].npts;
      const seg = out.subarray(2 * this.frameOffset[f], 2 * this.frameOffset[f + 1]);
      this.plans[f].forward(this.coilImg, this.ncoils, seg);
      void n;
    }
  }

  adjoint(y: Float32Array, out: Float32Array): void {
    for (let f = 0; f < this.frames; f++) {
      const seg = y.subarray(2 * this.frameOffset[f], 2 * this.frameOffset[f + 1]);
      this.plans[f].adjoint(seg, this.ncoils, this.coilImg);
      this.reduce(out, f);
    }
  }

  normal(x: Float32Array, out: Float32Array): void {
    for (let f = 0; f < this.frames; f++) {
      this.expand(x, f);
      const n = this.plans[f].npts;
      const d = this.coilData.subarray(0, 2 * this.ncoils * n);
      this.plans[f].forward(this.coilImg, this.ncoils, d);
      this.plans[f].adjoint(d, this.ncoils, this.coilImg);
      this.reduce(out, f);
    }
  }
}

/**
 * Coil-combined adjoint per frame (sum_c conj(S_c) NUFFT_f^H y_f,c): the image BART's scale
 * estimate looks at. Returns |.| values of every pixel of every frame.
 */
export function adjointMagnitudes(op: SenseNufftOperator, y: Float32Array): Float32Array {
  const img = new Float32Array(2 * op.inputLength);
  op.adjoint(y, img);
  const mag = new Float32Array(op.inputLength);
  for (let i = 0; i < mag.length; i++) mag[i] = Math.hypot(img[2 * i], img[2 * i + 1]);
  return mag;
}

/**
 * The reference's data scale (rtspiral_bart_tvrecon.estimate_scale_bart, BART's rule): of the
 * coil-combined adjoint magnitudes, the 90th percentile unless the maximum lies further above it
 * than twice the gap between the median and the 90th percentile, then the maximum.
 * Percentiles by numpy's default linear interpolation.
 */
export function estimateDataScale(magnitudes: ArrayLike<number>): number {
  const v = Float64Array.from(magnitudes).sort();
  if (v.length === 0) return 1;
  const pct = (q: number): number => {
    const pos = (q / 100) * (v.length - 1);
    const lo = Math.floor(pos), hi = Math.min(lo + 1, v.length - 1);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  };
  const med = pct(50), p90 = pct(90), max = v[v.length - 1];
  return max - p90 < 2 * (p90 - med) ? p90 : max;
}
