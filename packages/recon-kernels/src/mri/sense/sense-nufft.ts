/**
 * The multi-coil non-Cartesian SENSE model of a dynamic (or binned) series as a LinearOperator:
 * image x[frame][ny][nx] -> data y[frame][coil][point], y_f,c = NUFFT_f (S_c x_f), with S_c the
 * coil maps and NUFFT_f the frame's own trajectory (SigPy conventions, ../nufft). This is what
 * BART's `pics -t traj ... sens` models with the trajectory and k-space carrying a time (or bin)
 * dimension; no density compensation in the model (as the reference's pics call).
 *
 * The normal operator runs frame by frame (forward then adjoint through one frame's plan), so
 * A x for the whole series is never held. One NUFFT plan per frame, made once. Repeated k-space
 * positions within a frame are planned once with their multiplicity (A^H A = F^H diag(m) F;
 * docs/numerics.md says why).
 *
 * With `toeplitz: true` the normal operator A^H A (the CG steps of the iterative solvers) does not
 * go through the NUFFT: per frame, F^H diag(m) F is a convolution with the trajectory's point-spread
 * function, applied as a 2x zero-padded FFT, a multiplication by the PSF's spectrum (real: the
 * operator stays self-adjoint) and an inverse FFT, per coil (Toeplitz embedding, as BART's nufft
 * normal operator). Each frame's spectrum is computed once, at its first normal application, by
 * the thread that applies it (./toeplitz.ts; on the pool into a shared block, `SharedToeplitz`,
 * which the other threads read when the frame comes to them). No gridding, no
 * interpolation, no apodization in the iterations; forward and adjoint stay the NUFFT.
 */
import type { FftEngine } from '../../fft/index.js';
import { Nufft, type NufftOptions, type NufftTables } from '../../nufft/index.js';
import type { LinearOperator } from '../../iterative/linear-operator.js';
import { itemSource, sharedFloat32 } from '../../pool/shared-memory.js';
import { toeplitzNormalFrames, toeplitzSpectrum, type ToeplitzLayout, type ToeplitzScratch, type ToeplitzSpectrum } from './toeplitz.js';

/** The SENSE operator's options: its NUFFT's, and whether A^H A uses the Toeplitz embedding (default false). */
export type SenseNufftOptions = NufftOptions & { toeplitz?: boolean };

/**
 * The NUFFT the SENSE operator uses unless told otherwise: part 1's Kaiser-Bessel NUFFT with 2x
 * oversampling (width 4) instead of SigPy's 1.25x. Iterative solves stopped after a few ADMM
 * iterations are sensitive to the operator's accuracy where the problem is ill-conditioned
 * (XD-GRASP's zero-filled bins): on the interop case the 20-iteration solution moved 3 % from an
 * exact NUDFT solve (and from BART's) with 1.25x, under 1 % with 2x. The gridding costs the same;
 * the FFTs are of a 2.56x larger grid.
 */
export const SENSE_NUFFT_DEFAULTS: NufftOptions = { oversampling: 2, width: 4 };

/** One frame's plan on SharedArrayBuffers (SenseShared, senseFramePlan). */
export interface SenseFramePlan {
  tables: NufftTables;
  repeatIndex: Int32Array | null;
  multiplicity: Float32Array | null;
  points: number;
}

/** An operator's plans and maps on SharedArrayBuffers (`SenseNufftOperator.shared`), for another thread. */
export interface SenseShared {
  frames: SenseFramePlan[];
  maps: Float32Array;
  ncoils: number;
  ny: number;
  nx: number;
  /** per frame, the trajectory the Toeplitz spectrum is computed from (null without the Toeplitz normal operator) */
  toeplitz: SharedToeplitz | null;
}

/** The spectra's layouts as SharedToeplitz's `state` numbers them (from 1). */
const SPECTRUM_LAYOUTS: readonly ToeplitzLayout[] = ['ordered', 'internal-compact', 'pruned'];

/**
 * The Toeplitz parts of a shared operator: per frame its trajectory, and its spectrum K in shared
 * memory once some thread has computed it (`spectra`: frame f's 4 ny nx floats at f * 4 ny nx;
 * `state[f]`: 0 not yet, else 1 + the index of its layout in SPECTRUM_LAYOUTS), so that any thread
 * can apply any frame.
 */
export interface SharedToeplitz {
  coords: Float64Array[];
  nufft: NufftOptions;
  spectra?: { values: Float32Array; state: Int32Array };
}

/**
 * Frame plan of trajectory `coord` [point][2] on an ny x nx image, on SharedArrayBuffers: what the
 * operator's constructor computes for each frame (distinct positions, then the NUFFT plan of
 * them), so that frames can be planned on other threads (ParallelSenseNufftOperator.create)
 * with the same bits.
 */
export function senseFramePlan(fft: FftEngine, coord: ArrayLike<number>, ny: number, nx: number, nufftOptions: NufftOptions): SenseFramePlan {
  const d = distinctPositions(coord);
  const plan = Nufft.withEngine(fft, d?.coord ?? coord, [ny, nx], { ...nufftOptions, sharedHeapBlocks: true });
  try {
    return { tables: plan.tables(), repeatIndex: d ? copyShared(d.index) : null, multiplicity: d ? copyShared(d.count) : null, points: coord.length / 2 };
  } finally {
    plan.dispose();
  }
}

/** The Toeplitz parts of an operator made from trajectories (null without the Toeplitz normal operator). */
export function sharedToeplitz(coords: readonly ArrayLike<number>[], options: SenseNufftOptions): SharedToeplitz | null {
  return options.toeplitz ? { coords: sharedCoords(coords), nufft: nufftOptionsOf(options) } : null;
}

/** Each frame's trajectory copied into a Float64Array on a SharedArrayBuffer (for the pool's tasks). */
export function sharedCoords(coords: readonly ArrayLike<number>[]): Float64Array[] {
  return coords.map((c) => {
    const a = new Float64Array(new SharedArrayBuffer(8 * c.length));
    a.set(c);
    return a;
  });
}

export class SenseNufftOperator implements LinearOperator {
  readonly inputLength: number;
  readonly outputLength: number;
  readonly frames: number;
  /** offsets (complex values) of each frame's data in y; frameOffset[frames] = outputLength */
  readonly frameOffset: Int32Array;
  private readonly plans: Nufft[];
  /** per frame: for each point its distinct position (null: all positions distinct) */
  private readonly repeatIndex: (Int32Array | null)[];
  /** per frame: multiplicity of each distinct position (null: all 1) */
  private readonly multiplicity: (Float32Array | null)[];
  private readonly npix: number;
  private coilImg: Float32Array;
  private coilData: Float32Array;
  /** float64 sums of the repeated samples of one coil (adjoint), sized for the largest plan */
  private repeatSums: Float64Array;
  /** the Toeplitz embedding's per-frame trajectories and PSF NUFFT options; null: A^H A through the NUFFT */
  private readonly toeplitz: SharedToeplitz | null;
  /** per frame, its spectrum (toeplitzSpectrum: compact in PFFFT's internal order where it applies) once computed */
  private readonly spectra: (ToeplitzSpectrum | undefined)[] = [];
  private toeplitzScratch: ToeplitzScratch | null = null;

  /**
   * @param coords per frame, the trajectory [point][2] (rows axis, columns axis) in grid units
   * @param maps coil maps [coil][ny][nx] complex interleaved
   * @param nufftOptions the NUFFT's oversampling and kernel width (default SENSE_NUFFT_DEFAULTS)
   */
  constructor(private readonly fft: FftEngine, coords: readonly ArrayLike<number>[] | SenseShared, readonly maps: Float32Array, readonly ncoils: number, readonly ny: number, readonly nx: number, nufftOptions: SenseNufftOptions = SENSE_NUFFT_DEFAULTS) {
    this.npix = ny * nx;
    if (maps.length !== 2 * ncoils * this.npix) throw new Error(`SENSE operator: coil maps hold ${maps.length / 2} values for ${ncoils} x ${ny} x ${nx}`);
    this.repeatIndex = [];
    this.multiplicity = [];
    const points: number[] = [];
    if (!Array.isArray(coords)) {
      const sh = coords as SenseShared;
      this.toeplitz = sh.toeplitz;
      this.plans = sh.frames.map((f) => {
        this.repeatIndex.push(f.repeatIndex);
        this.multiplicity.push(f.multiplicity);
        points.push(f.points);
        return Nufft.fromTables(fft, f.tables);
      });
    } else {
      this.plans = (coords as readonly ArrayLike<number>[]).map((c) => {
        const d = distinctPositions(c);
        this.repeatIndex.push(d?.index ?? null);
        this.multiplicity.push(d?.count ?? null);
        points.push(c.length / 2);
        return Nufft.withEngine(fft, d?.coord ?? c, [ny, nx], nufftOptions);
      });
      this.toeplitz = sharedToeplitz(coords as readonly ArrayLike<number>[], nufftOptions);
    }
    this.frames = this.plans.length;
    this.frameOffset = new Int32Array(this.frames + 1);
    let maxPts = 0, maxRepeated = 0;
    for (let f = 0; f < this.frames; f++) {
      const n = points[f];
      this.frameOffset[f + 1] = this.frameOffset[f] + ncoils * n;
      maxPts = Math.max(maxPts, n, this.plans[f].npts);
      if (this.repeatIndex[f] !== null) maxRepeated = Math.max(maxRepeated, this.plans[f].npts);
    }
    this.inputLength = this.frames * this.npix;
    this.outputLength = this.frameOffset[this.frames];
    this.coilImg = new Float32Array(2 * ncoils * this.npix);
    this.coilData = new Float32Array(2 * ncoils * maxPts);
    this.repeatSums = new Float64Array(2 * maxRepeated);
  }

  /** An operator made in another thread from its `shared()` parts: the same operator, bit for bit. */
  static fromShared(fft: FftEngine, shared: SenseShared): SenseNufftOperator {
    return new SenseNufftOperator(fft, shared, shared.maps, shared.ncoils, shared.ny, shared.nx);
  }

  /** The plans and maps on SharedArrayBuffers (copied there once), for `fromShared` in a worker. */
  shared(): SenseShared {
    const maps = this.maps.buffer instanceof SharedArrayBuffer ? this.maps : copyShared(this.maps);
    if (this.toeplitz !== null) this.toeplitz.spectra ??= sharedSpectra(this.frames, this.npix);
    return {
      frames: this.plans.map((p, f) => ({
        tables: p.tables(),
        repeatIndex: this.repeatIndex[f] === null ? null : copyShared(this.repeatIndex[f]!),
        multiplicity: this.multiplicity[f] === null ? null : copyShared(this.multiplicity[f]!),
        points: (this.frameOffset[f + 1] - this.frameOffset[f]) / this.ncoils,
      })),
      maps, ncoils: this.ncoils, ny: this.ny, nx: this.nx,
      toeplitz: this.toeplitz,
    };
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

  /**
   * Frame f's Toeplitz spectrum, computed at its first use: kept here, and with shared spectra
   * (after `shared()`, or an operator from `fromShared`) written to the shared block for the other threads, or taken
   * from it when another thread has computed it (the same code, so the same bits).
   */
  private spectrum(f: number): ToeplitzSpectrum {
    const known = this.spectra[f];
    if (known !== undefined) return known;
    const t = this.toeplitz!;
    const sh = t.spectra;
    let s: ToeplitzSpectrum;
    if (sh === undefined) s = toeplitzSpectrum(this.fft, t.coords[f], this.ny, this.nx, t.nufft);
    else {
      const size = 4 * this.npix, values = sh.values.subarray(f * size, (f + 1) * size);
      const state = Atomics.load(sh.state, f);
      if (state === 0) {
        const k = toeplitzSpectrum(this.fft, t.coords[f], this.ny, this.nx, t.nufft);
        values.set(k.values);
        Atomics.store(sh.state, f, 1 + SPECTRUM_LAYOUTS.indexOf(k.layout));
        s = { layout: k.layout, values };
      } else s = { layout: SPECTRUM_LAYOUTS[state - 1], values };
    }
    this.spectra[f] = s;
    return s;
  }

  forward(x: Float32Array, out: Float32Array): void {
    this.forwardFrames(x, out, 0, this.frames);
  }

  /** `forward` for frames [f0, f1) only, or those `claim` hands out (their parts of out; the rest untouched). */
  forwardFrames(x: Float32Array, out: Float32Array, f0: number, f1: number, claim?: () => number): void {
    const take = itemSource(f0, f1, claim);
    for (let f = take(); f >= 0; f = take()) {
      this.expand(x, f);
      const seg = out.subarray(2 * this.frameOffset[f], 2 * this.frameOffset[f + 1]);
      const index = this.repeatIndex[f];
      if (index === null) {
        this.plans[f].forward(this.coilImg, this.ncoils, seg);
        continue;
      }
      const u = this.plans[f].npts, n = index.length;
      const d = this.coilData.subarray(0, 2 * this.ncoils * u);
      this.plans[f].forward(this.coilImg, this.ncoils, d);
      for (let c = 0; c < this.ncoils; c++) {
        for (let p = 0; p < n; p++) {
          const s = 2 * (c * u + index[p]), t = 2 * (c * n + p);
          seg[t] = d[s];
          seg[t + 1] = d[s + 1];
        }
      }
    }
  }

  adjoint(y: Float32Array, out: Float32Array): void {
    this.adjointFrames(y, out, 0, this.frames);
  }

  /** `adjoint` for frames [f0, f1) only, or those `claim` hands out (their images in out; the rest untouched). */
  adjointFrames(y: Float32Array, out: Float32Array, f0: number, f1: number, claim?: () => number): void {
    const take = itemSource(f0, f1, claim);
    for (let f = take(); f >= 0; f = take()) {
      const seg = y.subarray(2 * this.frameOffset[f], 2 * this.frameOffset[f + 1]);
      const index = this.repeatIndex[f];
      if (index === null) {
        this.plans[f].adjoint(seg, this.ncoils, this.coilImg);
      } else {
        const u = this.plans[f].npts, n = index.length;
        const sum = this.repeatSums.subarray(0, 2 * u);
        const d = this.coilData.subarray(0, 2 * this.ncoils * u);
        for (let c = 0; c < this.ncoils; c++) {
          sum.fill(0);
          for (let p = 0; p < n; p++) {
            const t = 2 * (c * n + p), s = 2 * index[p];
            sum[s] += seg[t];
            sum[s + 1] += seg[t + 1];
          }
          d.set(sum, 2 * c * u);
        }
        this.plans[f].adjoint(d, this.ncoils, this.coilImg);
      }
      this.reduce(out, f);
    }
  }

  normal(x: Float32Array, out: Float32Array): void {
    this.normalFrames(x, out, 0, this.frames);
  }

  /** `normal` for frames [f0, f1) only, or those `claim` hands out (their images in out; the rest untouched). */
  normalFrames(x: Float32Array, out: Float32Array, f0: number, f1: number, claim?: () => number): void {
    if (this.toeplitz !== null) {
      this.toeplitzScratch ??= { acc: new Float64Array(2 * this.npix) };
      toeplitzNormalFrames(this.fft, (f) => this.spectrum(f), this.maps, this.ncoils, this.ny, this.nx, x, out, f0, f1, this.toeplitzScratch, claim);
      return;
    }
    const take = itemSource(f0, f1, claim);
    for (let f = take(); f >= 0; f = take()) {
      this.expand(x, f);
      const u = this.plans[f].npts;
      const d = this.coilData.subarray(0, 2 * this.ncoils * u);
      this.plans[f].forward(this.coilImg, this.ncoils, d);
      const m = this.multiplicity[f];
      if (m !== null) {
        for (let c = 0; c < this.ncoils; c++) {
          const o = 2 * c * u;
          for (let p = 0; p < u; p++) {
            d[o + 2 * p] *= m[p];
            d[o + 2 * p + 1] *= m[p];
          }
        }
      }
      this.plans[f].adjoint(d, this.ncoils, this.coilImg);
      this.reduce(out, f);
    }
  }
}

/**
 * The distinct positions of a trajectory [point][2]: their coordinates, each point's distinct
 * index and each distinct position's multiplicity; null when no position repeats.
 */
export function distinctPositions(coord: ArrayLike<number>): { coord: Float64Array; index: Int32Array; count: Float32Array } | null {
  const n = coord.length / 2;
  const seen = new Map<number, Map<number, number>>();
  const index = new Int32Array(n);
  const first: number[] = [];
  for (let p = 0; p < n; p++) {
    const a = coord[2 * p], b = coord[2 * p + 1];
    let row = seen.get(a);
    if (row === undefined) {
      row = new Map();
      seen.set(a, row);
    }
    let k = row.get(b);
    if (k === undefined) {
      k = first.length;
      row.set(b, k);
      first.push(p);
    }
    index[p] = k;
  }
  if (first.length === n) return null;
  const out = new Float64Array(2 * first.length);
  first.forEach((p, k) => { out[2 * k] = coord[2 * p]; out[2 * k + 1] = coord[2 * p + 1]; });
  const count = new Float32Array(first.length);
  for (let p = 0; p < n; p++) count[index[p]] += 1;
  return { coord: out, index, count };
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

/** Only the NUFFT part of the options (the kernel's accuracy is the PSF's). */
/** The NUFFT's own options of a SENSE operator's (plain values: what a pool task carries). */
export function nufftOptionsOf(o: SenseNufftOptions): NufftOptions {
  return { oversampling: o.oversampling, width: o.width, periodic: o.periodic, kernelTable: o.kernelTable };
}

/** An empty shared block of the spectra of `frames` frames of npix pixels (SharedToeplitz.spectra). */
export function sharedSpectra(frames: number, npix: number): { values: Float32Array; state: Int32Array } {
  return { values: sharedFloat32(frames * 4 * npix), state: new Int32Array(new SharedArrayBuffer(4 * frames)) };
}

function copyShared<T extends Float32Array | Float64Array | Int32Array>(a: T): T {
  const C = a.constructor as { new (b: SharedArrayBuffer): T };
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}
