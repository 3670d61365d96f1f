import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyWindow, frameWindowStats, median, percentiles, selectKth, seriesWindows } from './window.js';
import { findColourTable, loadColourTable, lutFileName, parseNpy } from './colour-table.js';
import { greyPalette } from './frame.js';
import { framesLookEqual, indexedFrame, mosaic, mosaicGrid, rgbFrame, sideBySide, tile, toRgb, upscale } from './frame.js';
import { drawPolyline } from './roi-drawing.js';

function sortedPercentile(values: number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = (q / 100) * (s.length - 1);
  const k = Math.floor(pos);
  const t = pos - k;
  if (k + 1 >= s.length) return s[k];
  const d = s[k + 1] - s[k];
  return t >= 0.5 ? s[k + 1] - d * (1 - t) : s[k] + d * t;
}

describe('percentiles', () => {
  it('match numpy on golden values', () => {
    const a = Array.from({ length: 10 }, (_, i) => i);
    expect(percentiles(a, [5, 95])).toEqual([0.45, 8.549999999999999]);
    expect(percentiles([3], [5, 95])).toEqual([3, 3]);
    expect(percentiles([1, 2], [0, 100, 50])).toEqual([1, 2, 1.5]);
  });

  it('equal a sort-based evaluation on random data with ties', () => {
    let seed = 12345;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    for (let trial = 0; trial < 50; trial++) {
      const n = 1 + Math.floor(rnd() * 3000);
      const vals = Array.from({ length: n }, () => (trial % 3 === 0 ? Math.floor(rnd() * 10) : rnd() * 1000 - 500));
      const qs = [5, 95, 50, 0, 100, 37.5];
      const got = percentiles(vals, qs);
      qs.forEach((q, i) => expect(got[i]).toBe(sortedPercentile(vals, q)));
    }
  });

  it('selectKth and median', () => {
    const a = Float64Array.from([5, 1, 4, 2, 3, 9, 0, 8, 7, 6, 5, 5, 1, 2, 3, 4, 99, -1]);
    const s = [...a].sort((x, y) => x - y);
    for (let k = 0; k < a.length; k++) expect(selectKth(Float64Array.from(a), k)).toBe(s[k]);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(() => percentiles([], [5])).toThrow(/empty/);
  });
});

describe('windowing', () => {
  const ramp = Float32Array.from({ length: 101 }, (_, i) => i);
  it('series window is the median of per-frame 5/95th percentiles', () => {
    const stats = [ramp, ramp.map((v) => v * 2), ramp.map((v) => v * 3)].map((v) => frameWindowStats(v));
    const w = seriesWindows(stats, [null, null, null], false);
    expect(w).toHaveLength(3);
    expect(w[0]).toEqual({ min: 10, max: 190 });
    expect(w[2]).toEqual(w[0]);
  });

  it('falls back to min/max medians for sparse frames, floating uses each frame', () => {
    const sparse = new Float32Array(100);
    sparse[3] = 50;
    const stats = [frameWindowStats(sparse), frameWindowStats(sparse)];
    expect(seriesWindows(stats, [null, null], false)[0]).toEqual({ min: 0, max: 50 });
    const fl = seriesWindows([frameWindowStats(ramp), frameWindowStats(sparse)], [null, null], true);
    expect(fl[0]).toEqual({ min: 5, max: 95 });
    expect(fl[1]).toEqual({ min: 0, max: 50 });
  });

  it('meta windows override, missing ones take the first given', () => {
    const stats = [frameWindowStats(ramp), frameWindowStats(ramp)];
    const w = seriesWindows(stats, [null, { min: 1, max: 2 }], false);
    expect(w).toEqual([{ min: 1, max: 2 }, { min: 1, max: 2 }]);
  });

  it('maps to grey levels by truncation and clips', () => {
    const g = applyWindow(Float32Array.from([-5, 0, 1, 2047.99, 2048, 4095, 4096, 5000, NaN]), { min: 0, max: 4096 });
    expect(Array.from(g)).toEqual([0, 0, 0, 127, 127, 254, 255, 255, 0]);
  });

  it('a constant image becomes mid-grey, not a division by zero', () => {
    const flat = new Float32Array(16).fill(7);
    const stats = [frameWindowStats(flat)];
    const w = seriesWindows(stats, [null], false)[0];
    expect(w).toEqual({ min: 7, max: 7 });
    expect(Array.from(applyWindow(flat, w))).toEqual(new Array(16).fill(128));
    expect(Array.from(applyWindow(Float32Array.from([6, 7, 8]), w))).toEqual([0, 128, 255]);
  });
});

describe('colour tables', () => {
  it('reads .npy tables and finds them as the reference does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lut-'));
    // (256, 3) int64 table, as np.save writes it
    const header = "{'descr': '<i8', 'fortran_order': False, 'shape': (256, 3), }";
    const padded = header.padEnd(118, ' ') + '\n';
    const head = new Uint8Array(10 + padded.length);
    head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(head.buffer).setUint16(8, padded.length, true);
    head.set(new TextEncoder().encode(padded), 10);
    const body = new BigInt64Array(768);
    for (let i = 0; i < 256; i++) {
      body[3 * i] = BigInt(i);
      body[3 * i + 1] = BigInt(255 - i);
      body[3 * i + 2] = 7n;
    }
    mkdirSync(join(dir, 'colormaps'));
    writeFileSync(join(dir, 'colormaps', 'Fire.npy'), Buffer.concat([head, new Uint8Array(body.buffer)]));
    expect(lutFileName('Fire.pal')).toBe('Fire.npy');
    expect(lutFileName('dir.x/Fire')).toBe('dir.x/Fire.npy');
    const found = findColourTable('Fire.pal', { cwd: dir });
    expect(found.path).toBe(join(dir, 'colormaps', 'Fire.npy'));
    const pal = loadColourTable(found.path!);
    expect(Array.from(pal.subarray(0, 6))).toEqual([0, 255, 7, 1, 254, 7]);
    expect(findColourTable('Missing.pal', { cwd: dir }).path).toBeNull();
    expect(() => parseNpy(new Uint8Array(20), 'x.npy')).toThrow(/x.npy: not a numpy/);
  });
});

describe('frames', () => {
  it('upscales by pixel replication', () => {
    const f = indexedFrame(2, 1, Uint8Array.from([10, 20]));
    const u = upscale(f, 2);
    expect(u.width).toBe(4);
    expect(Array.from(u.pixels)).toEqual([10, 10, 20, 20, 10, 10, 20, 20]);
    const rgb = upscale(rgbFrame(1, 1, Uint8Array.from([1, 2, 3])), 2);
    expect(Array.from(rgb.pixels)).toEqual([1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3]);
    expect(() => upscale(f, 0)).toThrow(/rescale/);
  });

  it('tiles, mosaics and compares', () => {
    const a = indexedFrame(1, 1, Uint8Array.from([1]));
    const b = indexedFrame(1, 1, Uint8Array.from([2]));
    const s = sideBySide([a, b]);
    expect([s.width, s.height, s.mode]).toEqual([2, 1, 'indexed']);
    const t = tile([a, b, a], 2, 2);
    expect(Array.from(t.pixels)).toEqual([1, 2, 1, 0]);
    expect(mosaicGrid(2, 64, 64)).toEqual({ rows: 1, cols: 2 });
    // values of the reference's MosaicImageData
    expect(mosaicGrid(9, 64, 64)).toEqual({ rows: 3, cols: 3 });
    expect(mosaicGrid(5, 64, 64)).toEqual({ rows: 2, cols: 3 });
    expect(mosaicGrid(12, 256, 128)).toEqual({ rows: 5, cols: 3 });
    expect(mosaicGrid(7, 64, 200)).toEqual({ rows: 1, cols: 7 });
    expect(mosaicGrid(3, 300, 50)).toEqual({ rows: 3, cols: 1 });
    expect([mosaic([a, b, a]).width, mosaic([a, b, a]).height]).toEqual([2, 2]);
    const mixed = sideBySide([a, rgbFrame(1, 1, Uint8Array.from([9, 9, 9]))]);
    expect(mixed.mode).toBe('rgb');
    expect(Array.from(mixed.pixels)).toEqual([1, 1, 1, 9, 9, 9]);
    expect(framesLookEqual(a, toRgb(a))).toBe(true);
    expect(framesLookEqual(a, b)).toBe(false);
    expect(Array.from(greyPalette().subarray(765))).toEqual([255, 255, 255]);
  });

  it('draws a thin ROI with its end point', () => {
    const t = { width: 5, height: 5, rgb: new Uint8Array(75) };
    drawPolyline(t, [0.9, 3.7], [1.2, 1.5], [255, 0, 0], 1);
    const red = (x: number, y: number) => t.rgb[3 * (y * 5 + x)] === 255;
    expect([red(0, 1), red(1, 1), red(2, 1), red(3, 1), red(4, 1)]).toEqual([true, true, true, true, false]);
  });
});

describe('frameWindowStats on large frames (histogram selection)', () => {
  it('gives exactly the numpy percentiles, with ties, negatives, constant and integer frames', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const cases: ArrayLike<number>[] = [
      Float32Array.from({ length: 65536 }, () => rnd() * 1000 - 300),
      Float32Array.from({ length: 5000 }, () => Math.floor(rnd() * 7)),
      Int16Array.from({ length: 10000 }, () => Math.floor(rnd() * 4096) - 2048),
      Float64Array.from({ length: 8192 }, (_, i) => (i < 8000 ? 0 : rnd() * 1e-3)),
      new Float32Array(9000).fill(3.5),
      Float32Array.from({ length: 70000 }, () => Math.exp(rnd() * 20)),
    ];
    let prev: ReturnType<typeof frameWindowStats> | undefined;
    const hints = [undefined, { p5: 0, p95: 1, min: -5, max: 5 }, { p5: 0, p95: 1, min: 1e6, max: 2e6 }];
    for (const [ci, c] of cases.entries()) {
      // with and without a range hint (the previous frame's, a narrow one, one off the data)
      for (const hint of [prev, ...hints]) {
        const h = frameWindowStats(c, hint);
        const ref = frameWindowStats(c);
        expect([h.p5, h.p95, h.min, h.max], `case ${ci}`).toEqual([ref.p5, ref.p95, ref.min, ref.max]);
      }
      const s = frameWindowStats(c);
      prev = s;
      const vals = Array.from(c);
      expect(s.p5).toBe(sortedPercentile(vals, 5));
      expect(s.p95).toBe(sortedPercentile(vals, 95));
      expect(s.min).toBe(vals.reduce((m, v) => Math.min(m, v), Infinity));
      expect(s.max).toBe(vals.reduce((m, v) => Math.max(m, v), -Infinity));
    }
  });
});
