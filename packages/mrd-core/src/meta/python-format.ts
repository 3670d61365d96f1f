/**
 * Python's text forms of numbers, reproduced exactly, because the reference server writes meta
 * attribute values with Python's `str()`, `'%f' % x`, `'%d' % x` and `'{:.18f}'.format(x)` and
 * those bytes must be reproducible:
 *
 * - `formatPythonFloat(x)` = `str(x)`/`repr(x)` of a Python float: shortest round-trip digits
 *   (the same digits as JavaScript's), but fixed notation for decimal exponents -5 < e < 16
 *   and scientific outside it (`1e-05`, `1e+16`, two-digit exponents at least), `.0` on
 *   integral values, `nan`/`inf`/`-inf`, `-0.0`.
 * - `formatPythonFixed(x, n)` = `'%.nf' % x`: the exact binary value rounded half-to-even at n
 *   decimals (JavaScript's `toFixed` rounds ties up, switches to exponent form from 1e21 and
 *   drops the sign of -0).
 * - `formatPythonInt(x)` = `'%d' % x` (floats truncated toward zero).
 * - `formatPythonComplex(re, im)` = `str(complex(re, im))`, e.g. `(208.2095489501953+0j)`.
 * - `parsePythonInt(s)` / `parsePythonFloat(s)` = `int(s)` / `float(s)` of a string
 *   (surrounding whitespace, sign, `_` digit separators, `inf`/`nan` spellings).
 * - `pythonStr(v)` = `str(v)` of a JSON value (`True`, `None`, `['a', 1]`, `{'k': 'v'}`).
 *
 * Hand-written: no maintained npm package reproduces CPython's float formatting rules.
 */

/** A value could not be read the way Python would read it. */
export class PythonValueError extends Error {
  override name = 'PythonValueError';
}

/** Shortest round-trip decimal digits of a finite non-zero |x| and the decimal point position (digits × 10^(decpt - ndigits)). */
function shortestDigits(ax: number): { digits: string; decpt: number } {
  const [mant, exp] = ax.toExponential().split('e') as [string, string];
  const digits = mant.replace('.', '');
  return { digits, decpt: Number(exp) + 1 };
}

function reprCore(x: number, addDot0: boolean): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  if (x === 0) return sign + (addDot0 ? '0.0' : '0');
  const { digits, decpt } = shortestDigits(Math.abs(x));
  const n = digits.length;
  if (decpt <= -4 || decpt > 16) {
    const mant = n === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
    const e = decpt - 1;
    const ae = Math.abs(e);
    return `${sign}${mant}e${e < 0 ? '-' : '+'}${ae < 10 ? '0' : ''}${ae}`;
  }
  if (decpt <= 0) return `${sign}0.${'0'.repeat(-decpt)}${digits}`;
  if (decpt >= n) return `${sign}${digits}${'0'.repeat(decpt - n)}${addDot0 ? '.0' : ''}`;
  return `${sign}${digits.slice(0, decpt)}.${digits.slice(decpt)}`;
}

/** `str(x)` / `repr(x)` of a Python float. */
export function formatPythonFloat(x: number): string {
  return reprCore(x, true);
}

/** `str(numpy.float32(x))`: the shortest digits that read back to the same float32, Python float layout. */
export function formatPythonFloat32(x: number): string {
  const f = Math.fround(x);
  if (!Number.isFinite(f) || f === 0) return formatPythonFloat(f);
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return formatPythonFloat(candidate);
  }
  return formatPythonFloat(f);
}

/** `str(complex(re, im))`. */
export function formatPythonComplex(re: number, im: number): string {
  const imText = reprCore(im, false);
  if (re === 0 && !Object.is(re, -0)) return `${imText}j`;
  const signedIm = imText.startsWith('-') ? imText : `+${imText}`;
  return `(${reprCore(re, false)}${signedIm}j)`;
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Exact value of a finite double as mantissa × 2^exponent (mantissa a non-negative BigInt). */
function exactBinary(ax: number): { mant: bigint; exp: number } {
  f64[0] = ax;
  const hi = u32[LITTLE_ENDIAN ? 1 : 0]!;
  const lo = u32[LITTLE_ENDIAN ? 0 : 1]!;
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  return { mant, exp };
}

/** `'%.{digits}f' % x` (also `'{:.{digits}f}'.format(x)`); `'%f'` is digits = 6. */
export function formatPythonFixed(x: number, digits = 6): string {
  if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`formatPythonFixed: digits must be a non-negative integer, got ${digits}`);
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const { mant, exp } = exactBinary(Math.abs(x));
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exp >= 0) q = (mant << BigInt(exp)) * scale;
  else {
    const num = mant * scale;
    const den = 1n << BigInt(-exp);
    q = num / den;
    const r2 = (num % den) * 2n;
    if (r2 > den || (r2 === den && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (digits === 0) return sign + s;
  if (s.length <= digits) s = '0'.repeat(digits - s.length + 1) + s;
  return `${sign}${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
}

/** `'%d' % x`: integers as they are, floats truncated toward zero. */
export function formatPythonInt(x: number | bigint | boolean): string {
  if (typeof x === 'bigint') return x.toString();
  if (typeof x === 'boolean') return x ? '1' : '0';
  if (Number.isNaN(x)) throw new PythonValueError('cannot convert float NaN to integer');
  if (!Number.isFinite(x)) throw new PythonValueError('cannot convert float infinity to integer');
  const t = Math.trunc(x);
  return Number.isSafeInteger(t) ? String(t === 0 ? 0 : t) : BigInt(t).toString();
}

// Python's str.strip() whitespace (ASCII and Unicode spaces).
const PY_WS = /^[\s\u001c-\u001f\u0085]+|[\s\u001c-\u001f\u0085]+$/g;
const PY_INT_RE = /^[+-]?\d+(_\d+)*$/;
const PY_FLOAT_RE = /^[+-]?(\d+(_\d+)*(\.(\d+(_\d+)*)?)?|\.\d+(_\d+)*)([eE][+-]?\d+(_\d+)*)?$/;
const PY_FLOAT_SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;

/** `int(s)` of a Python string (base 10). Throws PythonValueError as Python raises ValueError. */
export function parsePythonInt(s: string): number {
  const t = s.replace(PY_WS, '');
  if (!PY_INT_RE.test(t)) throw new PythonValueError(`invalid literal for int() with base 10: '${s}'`);
  return Number(BigInt(t.replace(/_/g, '')));
}

/** `float(s)` of a Python string. Throws PythonValueError as Python raises ValueError. */
export function parsePythonFloat(s: string): number {
  const t = s.replace(PY_WS, '');
  const special = PY_FLOAT_SPECIAL_RE.exec(t);
  if (special) {
    if (special[2]!.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  if (!PY_FLOAT_RE.test(t)) throw new PythonValueError(`could not convert string to float: '${s}'`);
  return Number(t.replace(/_/g, ''));
}

/** `repr(s)` of a Python str. */
function pythonStringRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}

/**
 * `str(v)` of a value as Python's json module would have produced it. JSON numbers lose the
 * int/float distinction in JavaScript: integral numbers below 1e16 print as Python ints,
 * others as Python floats.
 */
export function pythonStr(v: unknown): string {
  return typeof v === 'string' ? v : pythonRepr(v);
}

function pythonRepr(v: unknown): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 1e16 ? String(v === 0 ? 0 : v) : formatPythonFloat(v);
  if (typeof v === 'string') return pythonStringRepr(v);
  if (Array.isArray(v)) return `[${v.map(pythonRepr).join(', ')}]`;
  if (typeof v === 'object') {
    return `{${Object.entries(v as Record<string, unknown>).map(([k, x]) => `${pythonStringRepr(k)}: ${pythonRepr(x)}`).join(', ')}}`;
  }
  return String(v);
}
