/**
 * Intensity scaling and contrast inversion as the reference modules do them (numpy semantics):
 * - normalisation: `data *= maxVal / data.max(); np.around(data); astype(int16)` with
 *   maxVal = 2**BitsStored - 1 (BitsStored from the header's userParameterLong, default 12);
 *   np.around rounds half to even; the int16 conversion wraps as numpy's C cast does on x86.
 * - inversion: `abs(maxVal - data)`.
 */

/** The reference's default when the header has no BitsStored user parameter. */
export const DEFAULT_BITS_STORED = 12;

export function maxValueForBitsStored(bitsStored: number): number {
  return 2 ** bitsStored - 1;
}

/** numpy.around (round half to even) of one value. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round rounds .5 up; move exact halves that landed on an odd integer back down
  if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) return r - 1;
  return r;
}

const TWO_POW_52 = 2 ** 52;

/**
 * roundHalfEven for frame-path loops: x > 0 (below 2^51) by (x + 2^52) - 2^52, whose float64
 * addition rounds to the nearest integer with ties to even -- the same value, a few times faster
 * than Math.round and the tie check; other x (zeros, negative, NaN) by roundHalfEven (-0 stays -0).
 */
export function roundHalfEvenFast(x: number): number {
  return x > 0 && x < 2251799813685248 ? (x + TWO_POW_52) - TWO_POW_52 : roundHalfEven(x);
}

/** The maximum of a typed array (NaN-free data assumed; -Infinity when empty). */
function arrayMax(data: ArrayLike<number>): number {
  let m = -Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] > m) m = data[i];
  return m;
}

/**
 * `round(data * maxVal / max(data))` into int16, over all the `planes` together (one maximum for
 * the whole group, as the reference normalises its stacked array). A group whose maximum is 0
 * stays 0 (the reference would divide by zero).
 */
export function normaliseToInt16(planes: readonly ArrayLike<number>[], maxVal: number): Int16Array[] {
  let max = -Infinity;
  for (const p of planes) max = Math.max(max, arrayMax(p));
  const f = max > 0 && Number.isFinite(max) ? maxVal / max : 0;
  return planes.map((p) => {
    const out = new Int16Array(p.length);
    for (let i = 0; i < p.length; i++) out[i] = roundHalfEven(p[i] * f);
    return out;
  });
}

/** `abs(maxVal - data)` on int16 data (numpy int16 arithmetic: wraps). */
export function invertInt16(data: Int16Array, maxVal: number): Int16Array {
  const out = new Int16Array(data.length);
  for (let i = 0; i < data.length; i++) {
    const v = (maxVal - data[i]) << 16 >> 16; // int16 wrap of the difference
    out[i] = v < 0 ? -v : v;
  }
  return out;
}
