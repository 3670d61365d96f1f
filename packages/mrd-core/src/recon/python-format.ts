/**
 * Numbers formatted exactly as the reference's Python code prints them into meta attributes:
 * `str(float)` / `repr(float)` (shortest round-trip digits, '.0' on integers, exponent form
 * outside 1e-4 <= |x| < 1e16), `str(complex)`, `'%f' % x` and `'{:.18f}'.format(x)`.
 */

/** Shortest round-trip digits and decimal exponent of a finite non-zero |x|. */
function shortestDigits(x: number): { digits: string; exp: number } {
  const [mant, e] = Math.abs(x).toExponential().split('e');
  return { digits: mant.replace('.', ''), exp: Number(e) };
}

function reprCore(x: number, addDot0: boolean): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + (addDot0 ? '0.0' : '0');
  const { digits, exp } = shortestDigits(x);
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const es = exp < 0 ? '-' : '+';
    return `${sign}${m}e${es}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  let s: string;
  if (exp >= 0) {
    const intLen = exp + 1;
    s = digits.length <= intLen ? digits + '0'.repeat(intLen - digits.length) + (addDot0 ? '.0' : '') : `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  } else {
    s = `0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return sign + s;
}

/** Python `repr(x)` / `str(x)` of a float. */
export function pythonFloatRepr(x: number): string {
  return reprCore(x, true);
}

/** Python `str(complex(re, im))`, e.g. '(208.2095489501953+0j)', '1j', '(1-2j)'. */
export function pythonComplexRepr(re: number, im: number): string {
  const imStr = reprCore(im, false);
  if (re === 0 && !Object.is(re, -0)) return `${imStr}j`;
  const reStr = reprCore(re, false);
  const imSigned = imStr.startsWith('-') || Number.isNaN(im) && false ? imStr : `+${imStr}`;
  return `(${reStr}${imSigned}j)`;
}

/** Python `'%.<n>f' % x` (n = 6 for '%f'). */
export function pythonFixed(x: number, decimals = 6): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (Math.abs(x) >= 1e21) {
    // toFixed falls back to exponent form there; BigInt gives the exact integer part
    const int = BigInt(x).toString();
    return decimals > 0 ? `${int}.${'0'.repeat(decimals)}` : int;
  }
  const s = x.toFixed(decimals);
  return Object.is(x, -0) || (x < 0 && !s.startsWith('-')) ? '-' + s : s;
}
