import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  formatPythonComplex, formatPythonFixed, formatPythonFloat, formatPythonFloat32, formatPythonInt, parsePythonFloat,
  parsePythonInt, pythonStr, PythonValueError,
} from './python-format.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
interface Row { bits: string; repr: string; f6: string; f18: string; f0: string; f2: string; cx: string; cxi: string; cx0: string; d: string | null }
const table = JSON.parse(readFileSync(join(fixtures, 'python-float-format.json'), 'utf8')) as (Row | { special: string[] })[];
const rows = table.filter((r): r is Row => 'bits' in r);
const special = (table.find((r) => 'special' in r) as { special: string[] }).special;
const f32 = JSON.parse(readFileSync(join(fixtures, 'python-float32-format.json'), 'utf8')) as { value: number; str: string }[];

function fromBits(hex: string): number {
  return new DataView(Uint8Array.from(Buffer.from(hex, 'hex')).buffer).getFloat64(0, true);
}

describe('Python number formatting, against values printed by CPython 3.11', () => {
  it(`matches repr, %f, {:.18f}, %.0f, %.2f, %d and complex str for ${rows.length} doubles`, () => {
    expect(rows.length).toBeGreaterThan(150);
    for (const r of rows) {
      const x = fromBits(r.bits);
      const label = `${r.repr} (${r.bits})`;
      expect(formatPythonFloat(x), label).toBe(r.repr);
      expect(formatPythonFixed(x), label).toBe(r.f6);
      expect(formatPythonFixed(x, 18), label).toBe(r.f18);
      expect(formatPythonFixed(x, 0), label).toBe(r.f0);
      expect(formatPythonFixed(x, 2), label).toBe(r.f2);
      expect(formatPythonComplex(x, 0), label).toBe(r.cx);
      expect(formatPythonComplex(0.5, x), label).toBe(r.cxi);
      expect(formatPythonComplex(0, x), label).toBe(r.cx0);
      if (r.d !== null) expect(formatPythonInt(x), label).toBe(r.d);
    }
  });

  it('special values', () => {
    expect([
      formatPythonFloat(NaN), formatPythonFloat(Infinity), formatPythonFloat(-Infinity), formatPythonFixed(NaN), formatPythonFixed(-Infinity),
      formatPythonComplex(1, NaN), formatPythonComplex(-0, 1), formatPythonComplex(1, -0), formatPythonComplex(0, 1),
    ]).toEqual(special);
  });

  it('the cases JavaScript gets differently', () => {
    expect(formatPythonFloat(2048)).toBe('2048.0'); // String(2048) = '2048'
    expect(formatPythonFloat(1e-5)).toBe('1e-05'); // JS '0.00001'
    expect(formatPythonFloat(1e16)).toBe('1e+16'); // JS '10000000000000000'
    expect(formatPythonFloat(-0)).toBe('-0.0');
    expect(formatPythonFixed(2 ** -19, 18)).toBe('0.000001907348632812'); // tie: JS toFixed rounds up
    expect(formatPythonFixed(-0, 18)).toBe('-0.000000000000000000'); // JS drops the sign
    expect(formatPythonFixed(1e21, 1)).toBe('1000000000000000000000.0'); // JS switches to exponent form
    expect(formatPythonComplex(208.2095489501953, 0)).toBe('(208.2095489501953+0j)');
  });

  it(`numpy float32 str for ${f32.length} values`, () => {
    for (const { value, str } of f32) expect(formatPythonFloat32(value), str).toBe(str);
  });
});

describe('Python int() and float() of strings', () => {
  it('accepts what Python accepts', () => {
    expect(parsePythonInt(' 42 ')).toBe(42);
    expect(parsePythonInt('-1_000')).toBe(-1000);
    expect(parsePythonInt('+007')).toBe(7);
    expect(parsePythonFloat(' 1e3')).toBe(1000);
    expect(parsePythonFloat('.5')).toBe(0.5);
    expect(parsePythonFloat('5.')).toBe(5);
    expect(parsePythonFloat('-Infinity')).toBe(-Infinity);
    expect(parsePythonFloat('nan')).toBeNaN();
    expect(parsePythonFloat('1_0.2_5')).toBe(10.25);
  });
  it('refuses what Python refuses', () => {
    for (const s of ['2.5', '', '0x10', '1e3', '1__0', '_1']) expect(() => parsePythonInt(s), s).toThrow(PythonValueError);
    for (const s of ['', 'abc', '1e', '0x10', '1..2', 'infinit']) expect(() => parsePythonFloat(s), s).toThrow(PythonValueError);
  });
  it('str() of JSON values', () => {
    expect(pythonStr(true)).toBe('True');
    expect(pythonStr(null)).toBe('None');
    expect(pythonStr(3)).toBe('3');
    expect(pythonStr(2.5)).toBe('2.5');
    expect(pythonStr(['a', 1, false, "it's"])).toBe(`['a', 1, False, "it's"]`);
    expect(pythonStr({ k: 'v', n: { m: [] } })).toBe(`{'k': 'v', 'n': {'m': []}}`);
  });
});
