/**
 * The Kaiser-Bessel kernel and apodization exactly as SigPy's NUFFT (sigpy/fourier.py,
 * sigpy/interp.py): the kernel is I0(beta * sqrt(1 - x^2)) for |x| <= 1 with x = distance /
 * (width / 2), I0 by the Abramowitz-Stegun polynomial approximations SigPy uses (so the kernel is
 * not zero at its edge); beta = pi * sqrt(((width / os) * (os - 0.5))^2 - 0.8).
 */
export const DEFAULT_OVERSAMPLING = 1.25;
export const DEFAULT_KERNEL_WIDTH = 4;

export function kaiserBesselBeta(width: number, oversampling: number): number {
  return Math.PI * Math.sqrt(((width / oversampling) * (oversampling - 0.5)) ** 2 - 0.8);
}

/** SigPy's `_kaiser_bessel_kernel(x, beta)`. */
export function kaiserBesselKernel(x: number, beta: number): number {
  if (Math.abs(x) > 1) return 0;
  const z = beta * Math.sqrt(1 - x * x);
  const t = z / 3.75;
  if (z < 3.75) {
    const t2 = t * t;
    return 1 + t2 * (3.5156229 + t2 * (3.0899424 + t2 * (1.2067492 + t2 * (0.2659732 + t2 * (0.0360768 + t2 * 0.0045813)))));
  }
  const u = 1 / t;
  return (z ** -0.5) * Math.exp(z) * (0.39894228 + u * (0.01328592 + u * (0.00225319 + u * (-0.00157565 + u * (0.00916281
    + u * (-0.02057706 + u * (0.02635537 + u * (-0.01647633 + u * 0.00392377))))))));
}

/** The oversampled grid length SigPy uses: ceil(os * n). */
export function oversampledLength(n: number, oversampling: number): number {
  return Math.ceil(oversampling * n);
}

/** SigPy's `_apodize` factors along one axis of length n. */
export function apodization(n: number, oversampling: number, width: number, beta: number): Float64Array {
  const os = oversampledLength(n, oversampling);
  const out = new Float64Array(n);
  const half = Math.floor(n / 2);
  for (let i = 0; i < n; i++) {
    const a = Math.sqrt(beta * beta - (Math.PI * width * (i - half) / os) ** 2);
    out[i] = a < 1e-12 ? 1 : a / Math.sinh(a);
  }
  return out;
}
