import { describe, expect, it } from 'vitest';
import { deflateSync } from 'node:zlib';
import { reference } from '../testing/index.js';
import { encodeMatFile, matDouble, matField, matNumber, matReal, matScalar, matString, matStruct, parseMatFile, readMatFile, MatFileError, type MatValue } from './index.js';

describe('MAT v5 writer/reader round trip', () => {
  const vars: Record<string, MatValue> = {
    kx: matDouble([3, 2], [1, 2, 3, 4, 5, 6]),
    w: matDouble([1, 3], [0.5, 0.25, 0.125]),
    c: { kind: 'numeric', class: 'single', dims: [1, 2], real: Float32Array.from([1, 3]), imag: Float32Array.from([2, -4]) },
    i64: { kind: 'numeric', class: 'int64', dims: [1, 3], real: BigInt64Array.from([1n, 2n ** 40n, -3n]) },
    u8: { kind: 'numeric', class: 'uint8', dims: [2, 1], real: Uint8Array.from([7, 255]), logical: true },
    s: matString('hello, world'),
    param: matStruct({ fov: matScalar(24), name: matString('x'), interleaves: matScalar(13) }),
    cell: { kind: 'cell', dims: [1, 2], elements: [matScalar(1), matString('ab')] },
    empty: matDouble([0, 0], []),
  };
  for (const compress of [true, false]) {
    it(`keeps dims, classes, complex, int64, char, struct, cell (compress ${compress})`, () => {
      const f = parseMatFile(encodeMatFile(vars, { compress }));
      expect([...f.variables.keys()]).toEqual(Object.keys(vars));
      const kx = f.variables.get('kx')!;
      expect(kx.dims).toEqual([3, 2]);
      expect([...matReal(kx)]).toEqual([1, 2, 3, 4, 5, 6]);
      expect(f.variables.get('w')!.dims).toEqual([1, 3]);
      const c = f.variables.get('c')!;
      expect(c.kind === 'numeric' && c.class).toBe('single');
      expect(c.kind === 'numeric' && [...c.imag!]).toEqual([2, -4]);
      const i64 = f.variables.get('i64')!;
      expect(i64.kind === 'numeric' && [...(i64.real as BigInt64Array)]).toEqual([1n, 2n ** 40n, -3n]);
      const u8 = f.variables.get('u8')!;
      expect(u8.kind === 'numeric' && u8.logical).toBe(true);
      expect(f.variables.get('s')).toEqual({ kind: 'char', dims: [1, 12], text: 'hello, world' });
      const p = f.variables.get('param')!;
      expect(matNumber(matField(p, 'fov')!)).toBe(24);
      expect(matField(p, 'name')).toEqual({ kind: 'char', dims: [1, 1], text: 'x' });
      const cell = f.variables.get('cell')!;
      expect(cell.kind === 'cell' && cell.elements[1]).toEqual({ kind: 'char', dims: [1, 2], text: 'ab' });
      expect(f.variables.get('empty')!.dims).toEqual([0, 0]);
    });
  }

  it('reads big-endian files and small data elements', () => {
    // hand-built big-endian file: double 1x1 named "a" = 2.5, with small-element dims/name
    const head = Buffer.alloc(128, 0x20);
    head.write('MATLAB 5.0 MAT-file', 0);
    head.writeUInt16BE(0x0100, 124);
    head.write('MI', 126);
    const body = Buffer.alloc(8 + 16 + 16 + 8 + 16);
    let o = 0;
    body.writeUInt32BE(14, o); body.writeUInt32BE(body.length - 8, o + 4); o += 8;
    body.writeUInt32BE(6, o); body.writeUInt32BE(8, o + 4); body.writeUInt32BE(6, o + 8); o += 16; // flags: double
    body.writeUInt32BE(5, o); body.writeUInt32BE(8, o + 4); body.writeInt32BE(1, o + 8); body.writeInt32BE(1, o + 12); o += 16;
    body.writeUInt32BE((1 << 16) | 1, o); body.write('a', o + 4); o += 8; // small element name
    body.writeUInt32BE(9, o); body.writeUInt32BE(8, o + 4); body.writeDoubleBE(2.5, o + 8);
    const f = parseMatFile(new Uint8Array(Buffer.concat([head, body])));
    expect(matNumber(f.variables.get('a')!)).toBe(2.5);
  });

  it('clear errors for truncated, non-MAT, v7.3 and corrupt compressed data', () => {
    expect(() => parseMatFile(new Uint8Array(10), 'x.mat')).toThrow(/x.mat: not a MATLAB v5/);
    const ok = encodeMatFile({ a: matScalar(1) });
    expect(() => parseMatFile(ok.subarray(0, ok.length - 3), 'y.mat')).toThrow(MatFileError);
    const h = Buffer.from(ok);
    h.write('MATLAB 7.3 MAT-file', 0);
    expect(() => parseMatFile(h, 'z.mat')).toThrow(/7.3/);
    const bad = Buffer.from(ok);
    bad[128 + 8 + 4] ^= 0xff;
    expect(() => parseMatFile(bad, 'c.mat')).toThrow(/c.mat/);
    expect(deflateSync(Buffer.alloc(1)).length).toBeGreaterThan(0);
  });

  it('rejects invalid variable names and mismatched sizes when writing', () => {
    expect(() => encodeMatFile({ '1a': matScalar(1) })).toThrow(/invalid MATLAB variable name/);
    expect(() => encodeMatFile({ a: matDouble([2, 2], [1]) })).toThrow(/1 values for dimensions 2x2/);
  });
});

describe('MAT reader on the reference GIRF files', () => {
  it('girf_matlab.mat: every variable with its MATLAB class and dims', () => {
    const f = readMatFile(reference('girf/girf_matlab.mat'));
    const summary = Object.fromEntries([...f.variables].map(([k, v]) => [k, `${v.kind === 'numeric' ? v.class : v.kind} ${v.dims.join('x')}`]));
    expect(summary).toEqual({
      k_predicted: 'single 1970x21x3', dt: 'single 1x1', g_predicted: 'double 1970x21x3', tRR: 'double 1x1', sR: 'struct 1x1', g_tot: 'double 1970x21x2',
    });
    expect(matNumber(f.variables.get('tRR')!)).toBe(-1.5);
    expect(matNumber(f.variables.get('dt')!)).toBe(Math.fround(2e-6));
    const R = matReal(matField(f.variables.get('sR')!, 'R')!);
    expect(R[1]).toBeCloseTo(-0.99999994, 7); // R(2,1), column-major
    expect(matNumber(matField(f.variables.get('sR')!, 'T')!)).toBe(0.55);
    // first values as scipy.io.loadmat shows them
    expect(matReal(f.variables.get('g_predicted')!)[0]).toBeCloseTo(0.000858020620904499, 15);
  });
  it('GIRF file: complex single 3800 x 3', () => {
    const f = readMatFile(reference('girf/GIRF_20200221_Duyn_method_coil2.mat'));
    const g = f.variables.get('GIRF')!;
    expect(g.kind === 'numeric' && [g.class, g.dims, g.imag !== undefined]).toEqual(['single', [3800, 3], true]);
    expect(g.kind === 'numeric' && g.real[0]).toBe(Math.fround(0.000010700719030865002));
    expect(g.kind === 'numeric' && g.imag![0]).toBe(Math.fround(0.000018567418010206893));
  });
});
