import { describe, expect, it } from 'vitest';
import ndarray from 'ndarray';
import ops from 'ndarray-ops';
import { createImage } from '@mrd-tools/core/messages';
import { DataType } from '@mrd-tools/core/constants';
import type { AssembledKspace } from '../kspace/kspace-buffer.js';
import { broadcastTo, contiguous, hanning, imageArray, kspaceArray, outer } from './views.js';

function kspace(channels: number, ny: number, nx: number, phases: number): AssembledKspace {
  const data = new Float32Array(2 * channels * ny * nx * phases);
  for (let i = 0; i < data.length; i++) data[i] = (i % 97) - 40 + i / 1000;
  return { channels, ny, nx, phases, data, centreHeaders: [] };
}

describe('ndarray views of MRD data', () => {
  it('k-space in the reference axis order [cha][y][x][phs] over the [phs][cha][y][x] storage', () => {
    const k = kspace(3, 4, 5, 2);
    const v = kspaceArray(k);
    expect(v.shape).toEqual([3, 4, 5, 2, 2]);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) for (let p = 0; p < 2; p++) {
      const s = 2 * (((p * 3 + c) * 4 + y) * 5 + x);
      expect(v.get(c, y, x, p, 0)).toBe(k.data[s]);
      expect(v.get(c, y, x, p, 1)).toBe(k.data[s + 1]);
    }
  });

  it('the tutorial Hanning window (outer, sqrt, one broadcast multiply) equals the window applied sample by sample', () => {
    const k = kspace(2, 6, 8, 3);
    const expected = k.data.slice();
    const hy = hanning(6).data, hx = hanning(8).data;
    for (let plane = 0; plane < 3 * 2; plane++) for (let y = 0; y < 6; y++) for (let x = 0; x < 8; x++) {
      const w = Math.sqrt(hy[y] * hx[x]);
      const i = 2 * ((plane * 6 + y) * 8 + x);
      expected[i] *= w;
      expected[i + 1] *= w;
    }
    const data = kspaceArray(k);
    const filt = outer(hanning(data.shape[1]), hanning(data.shape[2]));
    ops.sqrteq(filt);
    ops.muleq(data, broadcastTo(filt, data.shape, [1, 2]));
    expect(k.data).toEqual(expected);
  });

  it('hanning is numpy.hanning; outer is numpy.outer', () => {
    expect([...hanning(1).data]).toEqual([1]);
    const h5 = [...hanning(5).data];
    [0, 0.5, 1, 0.5, 0].forEach((v, i) => expect(h5[i]).toBeCloseTo(v, 15));
    expect([...outer(ndarray(new Float64Array([1, 2])), ndarray(new Float64Array([3, 4, 5]))).data]).toEqual([3, 4, 5, 6, 8, 10]);
    expect(() => broadcastTo(hanning(3), [2, 4], [1])).toThrow(/cannot be broadcast/);
  });

  it('images as Image.data [cha][z][y][x] (complex: re, im last); contiguous copies a transposed view in C order', () => {
    const img = createImage({ dataType: DataType.CXFLOAT, matrixSize: [3, 2, 1], channels: 2 });
    img.data.forEach((_, i, a) => (a[i] = i));
    const v = imageArray(img);
    expect(v.shape).toEqual([2, 1, 2, 3, 2]);
    expect(v.get(1, 0, 1, 2, 1)).toBe(2 * (((1 * 1 + 0) * 2 + 1) * 3 + 2) + 1);
    const t = contiguous(v.pick(null, 0, null, null, 0).transpose(1, 2, 0)); // [y][x][cha], real parts
    expect(t.shape).toEqual([2, 3, 2]);
    expect(t.data).toBeInstanceOf(Float32Array);
    expect(t.data[((1 * 3) + 2) * 2 + 1]).toBe(v.get(1, 0, 1, 2, 0));
  });
});
