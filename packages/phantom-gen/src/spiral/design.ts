/**
 * Variable-density spiral design under gradient amplitude and slew-rate limits, and its
 * golden-angle arm set: the trajectory a real-time spiral sequence plays (one arm per TR, each
 * rotated by the golden angle 2 pi / phi^2, cycling through `interleaves` arms).
 *
 * The spiral is k(theta) = r(theta) e^{i theta} with dr/dtheta = N / (2 pi FOV(r)): N =
 * interleaves arms sample k-space at the Nyquist rate of FOV(r) = fov * (1 - (1 - vd) r / kmax)
 * (vd = 1: uniform density; vd < 1: the periphery undersampled to a FOV of vd * fov). It is
 * marched at the ADC dwell dt, each step taking the largest angular speed that keeps the
 * It is integrated in time (8 sub-steps per dwell) as in Hargreaves' vds: with A = r'' - r + 2 i r'
 * and B = r' + i r (r' = dr/dtheta), |k''| = |A w^2 + B w'| <= gamma smax bounds the angular
 * acceleration w' and |k'| = |B| w <= gamma gmax the angular speed w, until r reaches
 * kmax = 1 / (2 resolution).
 */

export const GAMMA_BAR_HZ_PER_T = 42.577478e6;
const GOLDEN_ANGLE_RAD = Math.PI * (3 - Math.sqrt(5)); // 2 pi / phi^2 = 137.5 degrees

export interface SpiralDesignOptions {
  /** arms for Nyquist sampling at the centre (also the number of golden-angle arms stored) */
  interleaves: number;
  /** field of view [m] */
  fov: number;
  /** spatial resolution [m] */
  resolution: number;
  /** ADC dwell [s] */
  dt: number;
  /** gradient amplitude limit [T/m] */
  gmax: number;
  /** slew-rate limit [T/m/s] */
  smax: number;
  /** outer FOV as a fraction of fov (1 = uniform density) */
  vd: number;
}

export interface SpiralDesign {
  options: SpiralDesignOptions;
  samples: number;
  /** one arm, [1/m] (cycles per metre) */
  kx: Float64Array;
  ky: Float64Array;
  /** gradient of the arm [T/m] (sample s: (k[s] - k[s-1]) / (gamma dt), 0 at s = 0) */
  gx: Float64Array;
  gy: Float64Array;
  kmax: number;
}

export function designSpiral(o: SpiralDesignOptions): SpiralDesign {
  for (const [k, v] of Object.entries(o)) if (!(typeof v === 'number' && Number.isFinite(v) && v > 0)) throw new RangeError(`spiral design: ${k} must be a positive number, got ${v}`);
  if (o.vd > 1) throw new RangeError(`spiral design: vd (outer FOV fraction) must be in (0, 1], got ${o.vd}`);
  const kmax = 1 / (2 * o.resolution);
  const alpha = 1 - o.vd;
  const N = o.interleaves;
  const fovAt = (r: number): number => o.fov * (1 - (alpha * Math.min(r, kmax)) / kmax);
  const rp = (r: number): number => N / (2 * Math.PI * fovAt(r)); // dr/dtheta
  const rpp = (r: number): number => rp(r) * (N / (2 * Math.PI)) * ((o.fov * alpha) / kmax) / fovAt(r) ** 2; // d2r/dtheta2
  const gS = GAMMA_BAR_HZ_PER_T * o.smax, gG = GAMMA_BAR_HZ_PER_T * o.gmax;
  const sub = 8;
  const h = o.dt / sub;
  const kx: number[] = [0], ky: number[] = [0];
  let theta = 0, r = 0, w = 0; // angle, radius, angular speed [rad/s]
  const maxSteps = 1e6;
  while (r < kmax) {
    if (kx.length > maxSteps) throw new RangeError('spiral design: more than 1e6 samples (limits too low for this resolution)');
    for (let i = 0; i < sub; i++) {
      // k'' = e^{i theta} [A w^2 + B w'], A = (r'' - r) + 2 i r', B = r' + i r; |k''| <= gamma S, |k'| = |B| w <= gamma G
      const r1 = rp(r), r2 = rpp(r);
      const Ar = r2 - r, Ai = 2 * r1, Br = r1, Bi = r;
      const B2 = Br * Br + Bi * Bi;
      const re = (Br * Ar + Bi * Ai) * w * w; // Re(conj(B) A) w^2
      const A2 = (Ar * Ar + Ai * Ai) * w ** 4;
      const disc = re * re - B2 * (A2 - gS * gS);
      const wdot = disc > 0 ? (-re + Math.sqrt(disc)) / B2 : -re / B2;
      const wMax = gG / Math.sqrt(B2);
      const wNew = Math.min(w + wdot * h, wMax);
      const dth = 0.5 * (w + wNew) * h;
      theta += dth;
      r += r1 * dth;
      w = wNew;
    }
    kx.push(r * Math.cos(theta));
    ky.push(r * Math.sin(theta));
  }
  const g2k = GAMMA_BAR_HZ_PER_T * o.dt;
  const n = kx.length;
  const gx = new Float64Array(n), gy = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    gx[i] = (kx[i] - kx[i - 1]) / g2k;
    gy[i] = (ky[i] - ky[i - 1]) / g2k;
  }
  return { options: o, samples: n, kx: Float64Array.from(kx), ky: Float64Array.from(ky), gx, gy, kmax };
}

/** The arms of a golden-angle set: arm j is the design rotated by j * golden angle. [arm][sample]. */
export function goldenAngleArms(d: SpiralDesign, arms: number): { kx: Float64Array; ky: Float64Array } {
  const S = d.samples;
  const kx = new Float64Array(arms * S), ky = new Float64Array(arms * S);
  for (let a = 0; a < arms; a++) {
    const c = Math.cos(a * GOLDEN_ANGLE_RAD), s = Math.sin(a * GOLDEN_ANGLE_RAD);
    for (let i = 0; i < S; i++) {
      kx[a * S + i] = c * d.kx[i] - s * d.ky[i];
      ky[a * S + i] = s * d.kx[i] + c * d.ky[i];
    }
  }
  return { kx, ky };
}

/**
 * Spiral density compensation: the k-space area each sample stands for, |g| |sin(angle(g) -
 * angle(k))| (Hoge 1997: path step times its radial component) times the radial spacing between
 * neighbouring arms, 1 / FOV(r) (constant for a uniform-density spiral); normalised to max 1.
 */
export function spiralDensityWeights(d: SpiralDesign): Float64Array {
  const w = new Float64Array(d.samples);
  let m = 0;
  for (let i = 0; i < d.samples; i++) {
    const g = Math.hypot(d.gx[i], d.gy[i]);
    const k = Math.hypot(d.kx[i], d.ky[i]);
    if (g === 0 || k === 0) continue;
    const sin = (d.gx[i] * d.ky[i] - d.gy[i] * d.kx[i]) / (g * k);
    const o = d.options;
    w[i] = (g * Math.abs(sin)) / (1 - ((1 - o.vd) * Math.min(k, d.kmax)) / d.kmax);
    m = Math.max(m, w[i]);
  }
  if (m > 0) for (let i = 0; i < w.length; i++) w[i] /= m;
  return w;
}
