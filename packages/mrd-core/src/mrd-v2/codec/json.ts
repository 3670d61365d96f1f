/**
 * JSON as the yardl NDJSON encoding needs it, matching upstream's Python (`json.loads` and
 * `json.dumps(ensure_ascii=False, separators=(",", ":"))`):
 *
 * - Parsing keeps what JSON.parse loses: object keys in document order (JSON.parse moves
 *   integer-like keys first; objects are Maps here), and integers beyond 2^53 exactly (as bigint).
 *   `NaN`, `Infinity` and `-Infinity` are accepted, as Python's json does. Nesting is limited (no
 *   stack overflow on hostile input).
 * - Writing floats uses Python's `repr` (`600.0`, `1e-05`, `1e+16`, `NaN`, `Infinity`), which is
 *   what makes our NDJSON byte-identical to upstream's; strings are escaped as Python's json does
 *   for valid Unicode (the same escapes as JSON.stringify).
 *
 * Hand-written: no JSON library keeps key order, bigints and these float spellings together.
 */

export type JsonValue = null | boolean | number | bigint | string | JsonValue[] | JsonObject;
export type JsonObject = Map<string, JsonValue>;

export class JsonSyntaxError extends Error {
  override name = 'JsonSyntaxError';
  constructor(message: string, readonly position: number) {
    super(message);
  }
}

const MAX_DEPTH = 512;

/** Parses one JSON document (surrounding whitespace allowed). */
export function parseJson(text: string): JsonValue {
  let p = 0;
  const n = text.length;

  function fail(what: string): never {
    throw new JsonSyntaxError(`${what} at character ${p}`, p);
  }
  function ws(): void {
    while (p < n) {
      const c = text.charCodeAt(p);
      if (c === 32 || c === 10 || c === 13 || c === 9) p++;
      else break;
    }
  }
  function str(): string {
    // p at the opening quote
    p++;
    let out = '';
    let s = p;
    for (;;) {
      if (p >= n) fail('unterminated string');
      const c = text.charCodeAt(p);
      if (c === 34) {
        out += text.slice(s, p);
        p++;
        return out;
      }
      if (c === 92) {
        out += text.slice(s, p);
        p++;
        const e = text.charCodeAt(p);
        switch (e) {
          case 34: out += '"'; break;
          case 92: out += '\\'; break;
          case 47: out += '/'; break;
          case 98: out += '\b'; break;
          case 102: out += '\f'; break;
          case 110: out += '\n'; break;
          case 114: out += '\r'; break;
          case 116: out += '\t'; break;
          case 117: {
            const h = text.slice(p + 1, p + 5);
            if (!/^[0-9a-fA-F]{4}$/.test(h)) fail('invalid \\u escape');
            out += String.fromCharCode(parseInt(h, 16));
            p += 4;
            break;
          }
          default: fail('invalid escape');
        }
        p++;
        s = p;
        continue;
      }
      if (c < 0x20) fail('control character in string');
      p++;
    }
  }
  function num(): number | bigint {
    const s = p;
    if (text.charCodeAt(p) === 45) p++;
    if (text.startsWith('Infinity', p)) {
      p += 8;
      return s === p - 8 ? Infinity : -Infinity;
    }
    const d0 = p;
    while (p < n && text.charCodeAt(p) >= 48 && text.charCodeAt(p) <= 57) p++;
    if (p === d0) fail('invalid number');
    if (text.charCodeAt(d0) === 48 && p - d0 > 1) fail('leading zero in number');
    let integer = true;
    if (text.charCodeAt(p) === 46) {
      integer = false;
      p++;
      const f0 = p;
      while (p < n && text.charCodeAt(p) >= 48 && text.charCodeAt(p) <= 57) p++;
      if (p === f0) fail('invalid number');
    }
    const e = text.charCodeAt(p);
    if (e === 101 || e === 69) {
      integer = false;
      p++;
      const sg = text.charCodeAt(p);
      if (sg === 43 || sg === 45) p++;
      const e0 = p;
      while (p < n && text.charCodeAt(p) >= 48 && text.charCodeAt(p) <= 57) p++;
      if (p === e0) fail('invalid number');
    }
    const lit = text.slice(s, p);
    const v = Number(lit);
    if (integer && !Number.isSafeInteger(v)) return BigInt(lit);
    return v;
  }
  function value(depth: number): JsonValue {
    ws();
    if (p >= n) fail('unexpected end');
    const c = text.charCodeAt(p);
    if (c === 123) {
      if (depth >= MAX_DEPTH) fail('nesting too deep');
      p++;
      const m: JsonObject = new Map();
      ws();
      if (text.charCodeAt(p) === 125) {
        p++;
        return m;
      }
      for (;;) {
        ws();
        if (text.charCodeAt(p) !== 34) fail('expected a string key');
        const k = str();
        ws();
        if (text.charCodeAt(p) !== 58) fail("expected ':'");
        p++;
        m.set(k, value(depth + 1));
        ws();
        const d = text.charCodeAt(p);
        p++;
        if (d === 44) continue;
        if (d === 125) return m;
        p--;
        fail("expected ',' or '}'");
      }
    }
    if (c === 91) {
      if (depth >= MAX_DEPTH) fail('nesting too deep');
      p++;
      const a: JsonValue[] = [];
      ws();
      if (text.charCodeAt(p) === 93) {
        p++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        const d = text.charCodeAt(p);
        p++;
        if (d === 44) continue;
        if (d === 93) return a;
        p--;
        fail("expected ',' or ']'");
      }
    }
    if (c === 34) return str();
    if (c === 116 && text.startsWith('true', p)) { p += 4; return true; }
    if (c === 102 && text.startsWith('false', p)) { p += 5; return false; }
    if (c === 110 && text.startsWith('null', p)) { p += 4; return null; }
    if (c === 78 && text.startsWith('NaN', p)) { p += 3; return NaN; }
    if (c === 45 || (c >= 48 && c <= 57) || c === 73) return num();
    fail('unexpected character');
  }
  const v = value(0);
  ws();
  if (p < n) fail('trailing characters');
  return v;
}

/** Python `repr(float)` as JSON: shortest round-trip digits, `.0` on integral values, `NaN`/`Infinity`. */
export function jsonFloat(x: number): string {
  if (x !== x) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const ax = x < 0 ? -x : x;
  if (ax >= 1e-4 && ax < 1e16) {
    // JavaScript writes fixed notation in this whole range, with the same shortest digits.
    const s = String(x);
    return Number.isInteger(x) ? s + '.0' : s;
  }
  const s = x.toExponential();
  const e = s.indexOf('e');
  const exp = s.slice(e + 2);
  return `${s.slice(0, e)}e${s[e + 1]}${exp.length < 2 ? '0' + exp : exp}`;
}

/** A JSON string literal (Python's json with ensure_ascii=False escapes as JSON.stringify). */
export function jsonString(s: string): string {
  return JSON.stringify(s);
}

/** The JSON text of a JsonValue (keys in Map order; numbers that are integers in a float-free way). */
export function stringifyJson(v: JsonValue): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'boolean': return v ? 'true' : 'false';
    case 'bigint': return v.toString();
    case 'number': return Number.isInteger(v) ? String(v) : jsonFloat(v);
    case 'string': return jsonString(v);
    default:
  }
  if (Array.isArray(v)) return `[${v.map(stringifyJson).join(',')}]`;
  const parts: string[] = [];
  for (const [k, x] of v as JsonObject) parts.push(`${jsonString(k)}:${stringifyJson(x)}`);
  return `{${parts.join(',')}}`;
}

/** Structural JSON equality (object key order ignored, as Python's dict comparison). */
export function jsonEqual(a: JsonValue, b: JsonValue): boolean {
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) {
      const w = b.get(k);
      if (w === undefined || !jsonEqual(v, w)) return false;
    }
    return true;
  }
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]!));
  return a === b || (typeof a === 'number' && typeof b === 'bigint' && BigInt(a) === b);
}

export function describeJson(v: JsonValue | undefined): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Map) return 'an object';
  return `${typeof v} ${typeof v === 'string' ? JSON.stringify(v.length > 40 ? v.slice(0, 40) + '...' : v) : String(v)}`;
}
