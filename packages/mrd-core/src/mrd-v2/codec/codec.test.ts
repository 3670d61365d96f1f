/**
 * The yardl primitives and combinators against the encoding references: the examples of yardl's
 * docs/reference/binary.md, Python's float repr (the fixture printed by CPython), the NDJSON
 * forms upstream's Python writes, and the guards of the reader.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BinaryReader, DecodeFault, NEED_MORE } from './binary-reader.js';
import { BinaryWriter } from './binary-writer.js';
import {
  date, dateFromDays, daysFromDate, enumeration, fixedVector, flags, float32, formatTime, int32, int64, optional, parseTime,
  record, string, time, uint32, uint64, ValueFault, vector, type Codec,
} from './codec.js';
import { jsonFloat, parseJson, stringifyJson, JsonSyntaxError } from './json.js';
import { COMPLEX_FLOAT32, ndarray, UINT16 } from './ndarray.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function encode<T>(c: Codec<T>, v: T): Uint8Array {
  const w = new BinaryWriter();
  c.write(w, v);
  return w.takeContiguous();
}

function decode<T>(c: Codec<T>, bytes: Uint8Array, limit = 1 << 20): T {
  const r = new BinaryReader();
  r.reset(bytes, 0, bytes.length, 0, limit);
  const v = c.read(r);
  expect(r.pos, 'every byte consumed').toBe(bytes.length);
  return v;
}

function fault(fn: () => unknown): DecodeFault {
  try {
    fn();
  } catch (e) {
    if (e instanceof DecodeFault) return e;
    throw e;
  }
  throw new Error('no fault');
}

describe('binary encoding (yardl docs/reference/binary.md)', () => {
  it('unsigned varints: 0, 1, 127, 128, 129', () => {
    expect([0, 1, 127, 128, 129].map((v) => hex(encode(uint32, v)))).toEqual(['00', '01', '7f', '8001', '8101']);
    for (const v of [0, 1, 127, 128, 129, 16383, 16384, 2 ** 28, 0xffffffff]) expect(decode(uint32, encode(uint32, v))).toBe(v);
  });

  it('zig-zag: 0, -1, 1, -2, 2 -> 0, 1, 2, 3, 4', () => {
    expect([0, -1, 1, -2, 2].map((v) => hex(encode(int32, v)))).toEqual(['00', '01', '02', '03', '04']);
    for (const v of [-2147483648, -1, 0, 2147483647]) expect(decode(int32, encode(int32, v))).toBe(v);
  });

  it('the Point stream of the reference: records of uint64 and int32', () => {
    const Point = record<{ x: bigint; y: number }>('Point', { x: uint64, y: int32 });
    const points: [bigint, number][] = [[1n, 2], [3n, 4], [5n, 6], [700n, 800], [800000n, -900000]];
    expect(points.map(([x, y]) => hex(encode(Point, { x, y }))).join(' ')).toBe('0104 0308 050c bc05c00c 80ea30bfee6d');
  });

  it('a fixed float array {1.2, 3.4, 5.6, 7.8}', () => {
    expect(hex(encode(fixedVector(float32, 4), [1.2, 3.4, 5.6, 7.8]))).toBe('9a99993f9a9959403333b3409a99f940');
  });

  it('strings: "hello" is 05 68 65 6c 6c 6f; UTF-8 and a leading BOM survive', () => {
    expect(hex(encode(string, 'hello'))).toBe('0568656c6c6f');
    for (const s of ['', 'Zoë ☃ 😀', '\ufeffbom', 'x'.repeat(300)]) expect(decode(string, encode(string, s))).toBe(s);
  });

  it('64-bit integers at their limits', () => {
    for (const v of [0n, 1n, (1n << 53n) + 1n, (1n << 64n) - 1n]) expect(decode(uint64, encode(uint64, v))).toBe(v);
    expect(hex(encode(uint64, (1n << 64n) - 1n))).toBe('ffffffffffffffffff01');
    for (const v of [-(1n << 63n), -1n, 0n, (1n << 63n) - 1n]) expect(decode(int64, encode(int64, v))).toBe(v);
  });

  it('optionals: 00 absent, 01 + value present', () => {
    expect(hex(encode(optional(uint32), undefined))).toBe('00');
    expect(hex(encode(optional(uint32), 5))).toBe('0105');
    expect(fault(() => decode(optional(uint32), new Uint8Array([2, 5]))).detail).toMatch(/optional tag 2/);
  });

  it('vectors: count then items; arrays: dimensions then row-major elements', () => {
    expect(hex(encode(vector(uint32), [1, 2, 300]))).toBe('030102ac02');
    const a = ndarray(UINT16, 2);
    expect(hex(encode(a, { shape: [2, 2], data: Uint16Array.from([1, 2, 3, 65535]) }))).toBe('02020102' + '03ffff03');
    const c = ndarray(COMPLEX_FLOAT32, null);
    const v = decode(c, encode(c, { shape: [1, 2], data: Float32Array.from([1, 2, 3, 4]) }));
    expect(v.shape).toEqual([1, 2]);
    expect([...v.data]).toEqual([1, 2, 3, 4]);
  });

  it('refuses values outside their type when writing, naming the field', () => {
    const R = record<{ a: number; b: number[] }>('R', { a: uint32, b: vector(int32) });
    const cases: [unknown, RegExp][] = [
      [{ a: -1, b: [] }, /^a: -1 is not a uint32/],
      [{ a: 1, b: [1, 2 ** 31] }, /^b\[1\]: 2147483648 is not a int32/],
      [{ b: [] }, /^a: required field is missing/],
    ];
    for (const [v, re] of cases) {
      try {
        R.write(new BinaryWriter(), v as { a: number; b: number[] });
        throw new Error('no error');
      } catch (e) {
        expect(e).toBeInstanceOf(ValueFault);
        expect((e as ValueFault).describe()).toMatch(re);
      }
    }
    expect(() => encode(ndarray(UINT16, 2), { shape: [2, 2], data: new Uint16Array(3) })).toThrow(/needs 4 numbers/);
    expect(() => encode(ndarray(COMPLEX_FLOAT32, 2), { shape: [1, 1], data: new Float64Array(2) as unknown as Float32Array })).toThrow(/expected Float32Array/);
  });
});

describe('reader guards', () => {
  it('a varint too long or beyond its type is a fault, not a wrong value', () => {
    expect(fault(() => decode(uint32, new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10]))).detail).toMatch(/does not fit 32 bits/);
    expect(fault(() => decode(uint32, new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]))).detail).toMatch(/longer than 5 bytes/);
    expect(fault(() => decode(uint64, new Uint8Array([...new Array(10).fill(0xff), 0x01]))).detail).toMatch(/longer than 10 bytes/);
    expect(fault(() => decode(uint64, new Uint8Array([...new Array(9).fill(0xff), 0x02]))).detail).toMatch(/does not fit 64 bits/);
    expect(fault(() => decode(ndarray(UINT16, 1), new Uint8Array([1, 0x80, 0x80, 0x04]))).detail).toMatch(/does not fit 16 bits/);
  });

  it('a length above the limit is refused before anything is allocated', () => {
    const r = new BinaryReader();
    const huge = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]);
    r.reset(huge, 0, huge.length, 1000, 4096);
    const f = fault(() => vector(uint32).read(r));
    expect(f.reason).toBe('message-too-large');
    expect(f.offset).toBe(1005);
    expect(r.stats.largestAllocation).toBe(0);
    r.reset(new Uint8Array([2, 0xff, 0x7f, 0xff, 0x7f]), 0, 5, 0, 4096);
    expect(fault(() => ndarray(COMPLEX_FLOAT32, null).read(r)).reason).toBe('message-too-large');
  });

  it('bytes ending early ask for more (NEED_MORE with the position needed)', () => {
    const r = new BinaryReader();
    const b = encode(string, 'hello');
    r.reset(b, 0, 3, 100, 1000);
    try {
      string.read(r);
      throw new Error('read past the end');
    } catch (e) {
      expect(e).toBe(NEED_MORE);
      expect(NEED_MORE.need).toBe(106);
    }
  });

  it('invalid UTF-8 is a fault (upstream\'s reader refuses it too)', () => {
    expect(fault(() => decode(string, new Uint8Array([2, 0xc3, 0x28]))).detail).toMatch(/not valid UTF-8/);
  });

  it('faults carry the field path', () => {
    const R = record<{ a: number; b: number[] }>('R', { a: uint32, b: vector(uint32) });
    const f = fault(() => decode(R, new Uint8Array([1, 2, 5, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])));
    expect(f.path).toEqual(['b', '[1]']);
  });
});

describe('dates and times', () => {
  it('day numbers <-> YYYY-MM-DD over the whole Python range, as JavaScript Date counts them', () => {
    expect(dateFromDays(0)).toBe('1970-01-01');
    expect(dateFromDays(-719162)).toBe('0001-01-01');
    expect(dateFromDays(2932896)).toBe('9999-12-31');
    for (let d = -719162; d <= 2932896; d += 997) {
      const s = dateFromDays(d);
      expect(daysFromDate(s)).toBe(d);
      if (d > -700000) expect(new Date(d * 86400000).toISOString().slice(0, 10)).toBe(s);
    }
    expect(() => daysFromDate('2023-02-29')).toThrow(/not a valid date/);
    expect(hex(encode(date, '1969-12-31'))).toBe('01');
    expect(fault(() => decode(date, encode(int64, 3000000n))).detail).toMatch(/outside years 1\.\.9999/);
  });

  it('times as upstream prints and parses them', () => {
    expect(formatTime(0)).toBe('00:00:00');
    expect(formatTime(86399999999999)).toBe('23:59:59.999999999');
    expect(formatTime(3600e9 + 500e6)).toBe('01:00:00.5');
    expect(parseTime('12:34')).toBe(45240e9);
    expect(parseTime('12:34:56.1234567891')).toBe(45296123456789);
    expect(() => parseTime('24:00:00')).toThrow(/time of day/);
    expect(decode(time, encode(time, 45296123456789))).toBe(45296123456789);
  });
});

describe('NDJSON values', () => {
  it('floats are Python reprs (the CPython fixture of meta/python-format)', () => {
    const cases = JSON.parse(readFileSync(join(import.meta.dirname, '../../meta/fixtures/python-float-format.json'), 'utf8')) as { bits: string; repr: string }[];
    let n = 0;
    for (const c of cases) {
      if (!c.bits) continue;
      const x = new Float64Array(new Uint8Array(Buffer.from(c.bits, 'hex')).buffer)[0]!;
      const want = c.repr === 'nan' ? 'NaN' : c.repr === 'inf' ? 'Infinity' : c.repr === '-inf' ? '-Infinity' : c.repr;
      expect(jsonFloat(x), c.bits).toBe(want);
      n++;
    }
    expect(n).toBeGreaterThan(150);
    expect([600, 1e-5, 1e16, 1e-4, 9.999999747378752e-6, -0].map(jsonFloat)).toEqual(['600.0', '1e-05', '1e+16', '0.0001', '9.999999747378752e-06', '-0.0']);
  });

  it('parsing keeps key order (integer-like keys too), 64-bit integers and NaN/Infinity', () => {
    const v = parseJson('{"b":1,"0":2,"a":[18446744073709551615,-9223372036854775808,NaN,Infinity,-Infinity,1.5e300,"\\u00e9\\ud83d\\ude00"]}');
    expect(v instanceof Map && [...v.keys()]).toEqual(['b', '0', 'a']);
    const a = (v as Map<string, unknown>).get('a') as unknown[];
    expect(a.slice(0, 2)).toEqual([18446744073709551615n, -9223372036854775808n]);
    expect(a[2]).toBeNaN();
    expect(a.slice(3)).toEqual([Infinity, -Infinity, 1.5e300, 'é😀']);
    expect(stringifyJson(v)).toBe('{"b":1,"0":2,"a":[18446744073709551615,-9223372036854775808,NaN,Infinity,-Infinity,1.5e+300,"é😀"]}');
    for (const bad of ['{', '{"a" 1}', '[1,]', '01', '"\u0001"', '[1] x', '['.repeat(600) + ']'.repeat(600)]) expect(() => parseJson(bad)).toThrow(JsonSyntaxError);
  });

  it('enums are symbols or integers, flags lists of symbols or an integer', () => {
    const E = enumeration('E', ['a', 'b'] as const, 1);
    expect([E.json('b'), E.json(7)]).toEqual(['"b"', '7']);
    expect(E.fromJson(2)).toBe('b');
    expect(decode(E, encode(E, 'a'))).toBe('a');
    expect(decode(E, encode(E, -3))).toBe(-3);
    expect(() => E.fromJson('c')).toThrow(/not a E/);
    const F = flags('F', { one: 1n, two: 2n, eight: 8n });
    expect([F.json(0n), F.json(3n), F.json(9n), F.json(4n)]).toEqual(['[]', '["one","two"]', '["one","eight"]', '4']);
    expect(F.fromJson(parseJson('["eight","one"]'))).toBe(9n);
    expect(F.fromJson(parseJson('18446744073709551615'))).toBe((1n << 64n) - 1n);
  });

  it('records leave out absent optionals and read them back', () => {
    const R = record<{ a?: number; b: string; c?: bigint }>('R', { a: optional(uint32), b: string, c: optional(int64) });
    expect(R.json({ b: 'x', c: -5n })).toBe('{"b":"x","c":-5}');
    expect(R.fromJson(parseJson('{"b":"x","a":null,"extra":1}'))).toEqual({ b: 'x' });
    expect(() => R.fromJson(parseJson('{"a":1}'))).toThrow(/required field is missing/);
  });
});
