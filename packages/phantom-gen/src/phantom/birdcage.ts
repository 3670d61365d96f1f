/**
 * Birdcage receive-coil sensitivities as ismrmrd-python-tools' `generate_birdcage_sensitivities`
 * (itself after `mri_birdcage.m` of Jeff Fessler's IRT): coil c sits at relative radius r and
 * angle 2*pi*c/nc; its sensitivity at a pixel is (1/distance) * exp(i*(atan2(x, -y) - 2*pi*c/nc)).
 * The pixel grid is `(k - n/2) / (n/2)` (true division, as the Python tool; MRD v2's
 * `mrd.tools.simulation` uses `n >> 1`, option `integerHalf`). With `normalize`
 * the maps are divided by their root sum of squares, so the RSS of the result is 1 everywhere.
 *
 * Computed in double precision and rounded to complex64 where the reference stores complex64
 * (before the normalisation), normalised in float32 as numpy does on a complex64 array.
 *
 * Result: interleaved complex64 (re, im) in a Float32Array, C order [coil][y][x].
 */
export interface BirdcageOptions {
  /** Coil radius relative to the half field of view (default 1.5). */
  relativeRadius?: number;
  /** Divide by the root sum of squares over coils (default true). */
  normalize?: boolean;
  /** Grid centre and scale `n >> 1` (MRD v2's simulation) instead of `n / 2` (default false). */
  integerHalf?: boolean;
}

export function birdcageSensitivities(n: number, coils: number, options: BirdcageOptions = {}): Float32Array {
  const relativeRadius = options.relativeRadius ?? 1.5;
  const normalize = options.normalize ?? true;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`coil map matrix size must be a positive integer, got ${n}`);
  if (!Number.isInteger(coils) || coils < 1) throw new RangeError(`number of coils must be a positive integer, got ${coils}`);
  const out = new Float32Array(2 * coils * n * n);
  const half = options.integerHalf ? n >> 1 : n / 2;
  for (let c = 0; c < coils; c++) {
    const angle = c * ((2 * Math.PI) / coils);
    const coilX = relativeRadius * Math.cos(angle);
    const coilY = relativeRadius * Math.sin(angle);
    const coilPhase = -c * ((2 * Math.PI) / coils);
    const cp = Math.cos(coilPhase);
    const sp = Math.sin(coilPhase);
    const base = c * n * n;
    for (let y = 0; y < n; y++) {
      const yCo = (y - half) / half - coilY;
      for (let x = 0; x < n; x++) {
        const xCo = (x - half) / half - coilX;
        // (1/r) exp(i (atan2(x, -y) + phase)) without trigonometry per pixel:
        // exp(i atan2(x, -y)) = (-y + i x) / r, so the value is (-y + i x) exp(i phase) / r^2.
        const r2 = xCo * xCo + yCo * yCo;
        const re = -yCo / r2;
        const im = xCo / r2;
        const k = 2 * (base + y * n + x);
        out[k] = re * cp - im * sp;
        out[k + 1] = re * sp + im * cp;
      }
    }
  }
  if (normalize) {
    const nn = n * n;
    const rss = new Float32Array(nn);
    // numpy: abs() of complex64 -> float32, squared and summed over coils in float32, sqrt in float32.
    for (let c = 0; c < coils; c++) {
      const base = 2 * c * nn;
      for (let p = 0; p < nn; p++) {
        const a = Math.fround(Math.hypot(out[base + 2 * p], out[base + 2 * p + 1]));
        rss[p] = rss[p] + Math.fround(a * a);
      }
    }
    for (let p = 0; p < nn; p++) rss[p] = Math.sqrt(rss[p]);
    for (let c = 0; c < coils; c++) {
      const base = 2 * c * nn;
      for (let p = 0; p < nn; p++) {
        out[base + 2 * p] = out[base + 2 * p] / rss[p];
        out[base + 2 * p + 1] = out[base + 2 * p + 1] / rss[p];
      }
    }
  }
  return out;
}
