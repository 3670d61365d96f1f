import { describe, expect, it } from 'vitest';
import { int16Percentiles, percentilesFromCounts } from './percentile.js';

describe('int16 percentiles (numpy.percentile, linear)', () => {
  it('matches numpy on small arrays', () => {
    const [a, b] = int16Percentiles(Int16Array.from({ length: 10 }, (_, i) => i + 1), [1, 99]);
    expect(a).toBeCloseTo(1.09, 12);
    expect(b).toBeCloseTo(9.91, 12);
    const r = int16Percentiles(Int16Array.from([5, -3, 7, 7, 100, 0]), [1, 50, 99]);
    expect(r[0]).toBeCloseTo(-2.85, 12);
    expect(r[1]).toBe(6);
    expect(r[2]).toBeCloseTo(95.35, 12);
  });
  it('matches a sort-based percentile on random data', () => {
    let s = 7;
    const d = Int16Array.from({ length: 5001 }, () => { s = (s * 1103515245 + 12345) % 2147483648; return (s % 8192) - 4096; });
    const sorted = [...d].sort((x, y) => x - y);
    for (const q of [1, 37.5, 99]) {
      const pos = (q / 100) * (d.length - 1), lo = Math.floor(pos);
      const ref = sorted[lo] + (sorted[Math.min(lo + 1, d.length - 1)] - sorted[lo]) * (pos - lo);
      expect(int16Percentiles(d, [q])[0]).toBeCloseTo(ref, 9);
    }
  });
  it('the extremes of int16 and a constant frame (the histogram spans only the data range)', () => {
    const d = Int16Array.from([32767, -32768, 0, 1, 32767]);
    expect(int16Percentiles(d, [0, 50, 100])).toEqual([-32768, 1, 32767]);
    expect(int16Percentiles(new Int16Array(7).fill(-5), [1, 99])).toEqual([-5, -5]);
  });
  it('percentilesFromCounts over a wider histogram [0, maxVal] gives int16Percentiles', () => {
    let s = 11;
    for (const len of [1, 2, 5, 4096, 65536]) {
      const d = Int16Array.from({ length: len }, () => { s = (s * 1103515245 + 12345) % 2147483648; return 17 + (s % 3000); });
      const counts = new Uint32Array(4096);
      for (const v of d) counts[v]++;
      const qs = [0, 1, 37.5, 50, 99, 100];
      expect(percentilesFromCounts(counts, 0, len, qs)).toEqual(int16Percentiles(d, qs));
    }
  });
});
