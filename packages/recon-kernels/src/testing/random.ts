/**
 * Seeded pseudo-random test data for the numerics' tests: one linear congruential generator
 * (Numerical Recipes' constants) instead of a copy per test file, so the same seed gives the same
 * values in every test.
 */

/** A generator of values in [-0.5, 0.5), reproducible from `seed`. */
export function signedRng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
}

/** `n` values of `signedRng(seed)` as float32. */
export function randomFloat32(n: number, seed: number): Float32Array {
  const next = signedRng(seed);
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = next();
  return a;
}
