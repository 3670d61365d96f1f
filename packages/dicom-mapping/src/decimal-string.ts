/**
 * Numbers as DICOM Decimal Strings (DS, at most 16 characters) and Integer Strings (IS).
 *
 * `formatDecimalString` writes the shortest text that reads back as the same double when that
 * fits in 16 characters, else the most precise text that does. `formatFloat32DecimalString`
 * writes the shortest text that reads back as the same float32: MRD image headers hold
 * float32 geometry, so a position written this way reads back bit-identical.
 */

const DS_MAX = 16;

function shortest(n: number): string {
  // JavaScript's Number -> String is the shortest round-trip representation.
  let s = String(n);
  if (s.length <= DS_MAX) return s;
  // Too long: exponent form with as many digits as fit.
  for (let p = 16; p >= 1; p--) {
    const e = n.toExponential(p - 1).replace(/\.?0+e/, 'e');
    if (e.length <= DS_MAX) {
      const f = Number(n.toPrecision(p));
      s = String(f);
      return s.length <= DS_MAX && s.length <= e.length ? s : e;
    }
  }
  return n.toExponential(0);
}

/** A double as DS text (at most 16 characters). */
export function formatDecimalString(x: number): string {
  if (!Number.isFinite(x)) throw new RangeError(`DS value must be finite, got ${x}`);
  if (Object.is(x, -0)) return '0';
  return shortest(x);
}

/** The double nearest to the shortest decimal that reads back as the float32 `Math.fround(x)`. */
export function float32ShortestValue(x: number): number {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return f === 0 ? 0 : f;
  for (let p = 1; p <= 9; p++) {
    const n = Number(f.toPrecision(p));
    if (Math.fround(n) === f) return n;
  }
  return f;
}

/** A float32 as DS text: the shortest decimal that reads back as the same float32. */
export function formatFloat32DecimalString(x: number): string {
  return formatDecimalString(float32ShortestValue(x));
}
