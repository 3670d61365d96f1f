/**
 * Multi-coil spiral k-space of a moving Shepp-Logan phantom, computed analytically (no gridded
 * image, so no inverse crime): the Fourier transform of an ellipse of intensity I, semi-axes a,
 * b, centre c and rotation phi is I a b J1(2 pi q) / q e^{-2 pi i k.c} with q = |(a k'x, b k'y)|
 * (k' the rotated k). Coil sensitivities are smooth truncated Fourier series
 * s(r) = sum_{|p|,|q| <= 2} g_pq e^{2 pi i (p x + q y) / P} (P = 2 FOV; g_pq from a Gaussian
 * profile centred on the coil, with a coil phase), so a coil's k-space is the exact sum of 25
 * shifted object transforms.
 *
 * Motion: a bright elliptical "heart" pulsates (semi-axes scaled by 1 + A sin(2 pi f_c t)) and
 * the whole object shifts along y by D sin(2 pi f_r t) (breathing). Signal units: the
 * orthonormal-DFT scale of the Cartesian phantom, F(k) / (res^2 sqrt(matrix^2)).
 */
import { MODIFIED_SHEPP_LOGAN_ELLIPSES, type PhantomEllipse } from '../phantom/shepp-logan.js';

/** Bessel J1 (Numerical Recipes' rational approximations, |error| < 1e-8). */
export function besselJ1(x: number): number {
  const ax = Math.abs(x);
  if (ax < 8) {
    const y = x * x;
    const a1 = x * (72362614232.0 + y * (-7895059235.0 + y * (242396853.1 + y * (-2972611.439 + y * (15704.4826 + y * -30.16036606)))));
    const a2 = 144725228442.0 + y * (2300535178.0 + y * (18583304.74 + y * (99447.43394 + y * (376.9991397 + y))));
    return a1 / a2;
  }
  const z = 8 / ax, y = z * z, xx = ax - 2.356194491;
  const a1 = 1.0 + y * (0.183105e-2 + y * (-0.3516396496e-4 + y * (0.2457520174e-5 + y * -0.240337019e-6)));
  const a2 = 0.04687499995 + y * (-0.2002690873e-3 + y * (0.8449199096e-5 + y * (-0.88228987e-6 + y * 0.105787412e-6)));
  const ans = Math.sqrt(0.636619772 / ax) * (Math.cos(xx) * a1 - z * Math.sin(xx) * a2);
  return x < 0 ? -ans : ans;
}

/** An ellipse in metres. */
export interface EllipseM {
  intensity: number;
  a: number;
  b: number;
  x0: number;
  y0: number;
  cos: number;
  sin: number;
}

function ellipseInMetres(e: PhantomEllipse, fov: number): EllipseM {
  const h = fov / 2;
  const phi = (e.phiDeg * Math.PI) / 180;
  return { intensity: e.intensity, a: e.a * h, b: e.b * h, x0: e.x0 * h, y0: e.y0 * h, cos: Math.cos(phi), sin: Math.sin(phi) };
}

/** Adds the transform of ellipse e at (kx, ky) [1/m], shifted by (dx, dy) [m], times `scale`, to out[0..1]. */
function addEllipseFt(e: EllipseM, kx: number, ky: number, dx: number, dy: number, scale: number, out: Float64Array, o: number): void {
  const kxr = kx * e.cos + ky * e.sin;
  const kyr = -kx * e.sin + ky * e.cos;
  const q = Math.hypot(e.a * kxr, e.b * kyr);
  const mag = e.intensity * e.a * e.b * (q < 1e-12 ? Math.PI : besselJ1(2 * Math.PI * q) / q) * scale;
  const ph = -2 * Math.PI * (kx * (e.x0 + dx) + ky * (e.y0 + dy));
  out[o] += mag * Math.cos(ph);
  out[o + 1] += mag * Math.sin(ph);
}

/** Whether (x, y) [m] is inside ellipse e shifted by (dx, dy). */
function insideEllipse(e: EllipseM, x: number, y: number, dx = 0, dy = 0): boolean {
  const u = x - e.x0 - dx, v = y - e.y0 - dy;
  const xr = u * e.cos + v * e.sin, yr = -u * e.sin + v * e.cos;
  return (xr / e.a) ** 2 + (yr / e.b) ** 2 <= 1;
}

export interface MotionOptions {
  /** heart centre in phantom units ([-1, 1] spans the FOV) and semi-axes */
  heart: { x0: number; y0: number; a: number; b: number; intensity: number };
  /** cardiac rate [Hz] and relative pulsation amplitude */
  cardiacHz: number;
  cardiacAmplitude: number;
  /** respiratory rate [Hz] and shift amplitude along y [phantom units] */
  respHz: number;
  respAmplitude: number;
}

export const DEFAULT_MOTION: MotionOptions = {
  heart: { x0: -0.25, y0: 0.3, a: 0.16, b: 0.13, intensity: 0.6 },
  cardiacHz: 1.2,
  cardiacAmplitude: 0.3,
  respHz: 0.25,
  respAmplitude: 0.08,
};

/** Heart scale and object shift [m] at time t [s]. */
export function motionAt(m: MotionOptions, t: number, fov: number): { heartScale: number; dy: number } {
  return {
    heartScale: 1 + m.cardiacAmplitude * Math.sin(2 * Math.PI * m.cardiacHz * t),
    dy: m.respAmplitude * (fov / 2) * Math.sin(2 * Math.PI * m.respHz * t),
  };
}

/** The heart ellipse at a scale (metres). */
export function heartEllipse(m: MotionOptions, fov: number, scale: number): EllipseM {
  return ellipseInMetres({ intensity: m.heart.intensity, a: m.heart.a * scale, b: m.heart.b * scale, x0: m.heart.x0, y0: m.heart.y0, phiDeg: 0 }, fov);
}

/** Smooth coil sensitivities as truncated Fourier series (see the file header). */
export class CoilModel {
  static readonly M = 2;
  readonly terms: number;
  /** term frequencies [1/m] */
  readonly fx: Float64Array;
  readonly fy: Float64Array;
  /** coefficients [coil][term] complex */
  readonly g: Float64Array;
  constructor(readonly coils: number, readonly fov: number) {
    const M = CoilModel.M, P = 2 * fov;
    this.terms = (2 * M + 1) ** 2;
    this.fx = new Float64Array(this.terms);
    this.fy = new Float64Array(this.terms);
    this.g = new Float64Array(2 * coils * this.terms);
    const sigma = 0.45 * fov;
    let t = 0;
    for (let p = -M; p <= M; p++) for (let q = -M; q <= M; q++, t++) {
      this.fx[t] = p / P;
      this.fy[t] = q / P;
    }
    for (let c = 0; c < coils; c++) {
      const ang = (2 * Math.PI * c) / coils;
      const xc = 0.55 * fov * Math.cos(ang), yc = 0.55 * fov * Math.sin(ang);
      const phase0 = ang; // coil phase
      for (let i = 0; i < this.terms; i++) {
        const amp = Math.exp(-((Math.PI * sigma) ** 2) * (this.fx[i] ** 2 + this.fy[i] ** 2)) * ((2 * Math.PI * sigma * sigma) / (P * P));
        const ph = -2 * Math.PI * (this.fx[i] * xc + this.fy[i] * yc) + phase0;
        this.g[2 * (c * this.terms + i)] = amp * Math.cos(ph);
        this.g[2 * (c * this.terms + i) + 1] = amp * Math.sin(ph);
      }
    }
    // normalise: the largest sensitivity magnitude at the FOV centre region is about 1
    let m = 0;
    for (let c = 0; c < coils; c++) m = Math.max(m, Math.abs(this.at(c, 0, 0)[0]) + Math.abs(this.at(c, 0, 0)[1]));
    for (let i = 0; i < this.g.length; i++) this.g[i] /= m * 2;
  }

  /** s_c(x, y) complex. */
  at(c: number, x: number, y: number): [number, number] {
    let re = 0, im = 0;
    for (let i = 0; i < this.terms; i++) {
      const ph = 2 * Math.PI * (this.fx[i] * x + this.fy[i] * y);
      const gr = this.g[2 * (c * this.terms + i)], gi = this.g[2 * (c * this.terms + i) + 1];
      re += gr * Math.cos(ph) - gi * Math.sin(ph);
      im += gr * Math.sin(ph) + gi * Math.cos(ph);
    }
    return [re, im];
  }
}

/** The static ellipses (modified Shepp-Logan) in metres. */
export function staticEllipses(fov: number): EllipseM[] {
  return MODIFIED_SHEPP_LOGAN_ELLIPSES.map((e) => ellipseInMetres(e, fov));
}

/**
 * Object transforms at the coil-term shifts for a set of k points: out[point][term] complex =
 * sum over ellipses of F(k - f_term) (no motion). Used once per unique arm.
 */
export function staticTermTransforms(ellipses: readonly EllipseM[], coilsModel: CoilModel, kx: Float64Array, ky: Float64Array): Float64Array {
  const T = coilsModel.terms, n = kx.length;
  const out = new Float64Array(2 * n * T);
  for (let p = 0; p < n; p++) for (let t = 0; t < T; t++) {
    const qx = kx[p] - coilsModel.fx[t], qy = ky[p] - coilsModel.fy[t];
    for (const e of ellipses) addEllipseFt(e, qx, qy, 0, 0, 1, out, 2 * (p * T + t));
  }
  return out;
}

/**
 * One arm's coil data [coil][sample] complex (float32), given its static term transforms, the
 * heart at this time and the breathing shift dy: D_c(k) = sum_t g_ct [S_t(k) e^{-2 pi i (ky - fy_t) dy} + H_t(k)].
 */
export function armCoilData(
  coilsModel: CoilModel, staticTerms: Float64Array, kx: Float64Array, ky: Float64Array, heart: EllipseM, dy: number, scale: number,
  out: Float32Array, preDiscard: number, samplesWithPre: number,
): void {
  const T = coilsModel.terms, n = kx.length, C = coilsModel.coils;
  const term = new Float64Array(2 * T);
  const g = coilsModel.g;
  for (let p = 0; p < n; p++) {
    term.fill(0);
    for (let t = 0; t < T; t++) {
      const qx = kx[p] - coilsModel.fx[t], qy = ky[p] - coilsModel.fy[t];
      const sr = staticTerms[2 * (p * T + t)], si = staticTerms[2 * (p * T + t) + 1];
      const ph = -2 * Math.PI * qy * dy;
      const cr = Math.cos(ph), ci = Math.sin(ph);
      term[2 * t] = sr * cr - si * ci;
      term[2 * t + 1] = sr * ci + si * cr;
      addEllipseFt(heart, qx, qy, 0, dy, 1, term, 2 * t);
    }
    for (let c = 0; c < C; c++) {
      let re = 0, im = 0;
      for (let t = 0; t < T; t++) {
        const gr = g[2 * (c * T + t)], gi = g[2 * (c * T + t) + 1];
        re += gr * term[2 * t] - gi * term[2 * t + 1];
        im += gr * term[2 * t + 1] + gi * term[2 * t];
      }
      const o = 2 * (c * samplesWithPre + preDiscard + p);
      out[o] = re * scale;
      out[o + 1] = im * scale;
    }
  }
  // pre-discard samples: the ADC runs before the gradients, at k = 0
  for (let c = 0; c < C; c++) for (let s = 0; s < preDiscard; s++) {
    out[2 * (c * samplesWithPre + s)] = out[2 * (c * samplesWithPre + preDiscard)];
    out[2 * (c * samplesWithPre + s) + 1] = out[2 * (c * samplesWithPre + preDiscard) + 1];
  }
}

/** The phantom image at time t sampled at pixel centres (x, y in metres) with `sub` x `sub` supersampling: intensity (no coils). */
export function renderPhantom(fov: number, n: number, motion: MotionOptions | null, t: number, sub = 4): Float64Array {
  const el = staticEllipses(fov);
  const mo = motion ? motionAt(motion, t, fov) : { heartScale: 1, dy: 0 };
  const heart = motion ? heartEllipse(motion, fov, mo.heartScale) : null;
  const res = fov / n;
  const img = new Float64Array(n * n);
  for (let iy = 0; iy < n; iy++) for (let ix = 0; ix < n; ix++) {
    let s = 0;
    for (let sy = 0; sy < sub; sy++) for (let sx = 0; sx < sub; sx++) {
      const x = (ix - n / 2 + (sx + 0.5) / sub - 0.5) * res, y = (iy - n / 2 + (sy + 0.5) / sub - 0.5) * res;
      for (const e of el) if (insideEllipse(e, x, y, 0, mo.dy)) s += e.intensity;
      if (heart && insideEllipse(heart, x, y, 0, mo.dy)) s += heart.intensity;
    }
    img[iy * n + ix] = s / (sub * sub);
  }
  return img;
}
