import { describe, expect, it } from 'vitest';
import { medianFilter, reflectIndex } from './median-filter.js';

/** Independent brute force: gather the whole size^N window (copies included), sort, take rank floor(n/2). */
function bruteForce(data: ArrayLike<number>, shape: number[], size: number): number[] {
  const nd = shape.length;
  const total = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, d) => shape.slice(d + 1).reduce((a, b) => a * b, 1));
  const half = Math.floor(size / 2);
  const out: number[] = [];
  for (let flat = 0; flat < total; flat++) {
    const pos = shape.map((n, d) => Math.floor(flat / strides[d]) % n);
    const values: number[] = [];
    const w = new Array(nd).fill(0);
    for (let c = 0; c < size ** nd; c++) {
      let src = 0;
      for (let d = 0; d < nd; d++) {
        let i = pos[d] - half + w[d];
        const n = shape[d];
        // reflect (d c b a | a b c d | d c b a), written independently of reflectIndex
        while (i < 0 || i >= n) i = i < 0 ? -i - 1 : 2 * n - i - 1;
        src += i * strides[d];
      }
      values.push(data[src]);
      for (let d = nd - 1; d >= 0; d--) { if (++w[d] < size) break; w[d] = 0; }
    }
    values.sort((a, b) => a - b);
    out.push(values[Math.floor(values.length / 2)]);
  }
  return out;
}

describe('medianFilter (scipy.ndimage.median_filter semantics)', () => {
  it('gives scipy\'s results on a 1-D example for odd and even sizes', () => {
    const x = Int16Array.from([1, 5, 2, 8, 3]);
    // scipy.ndimage.median_filter(np.array([1,5,2,8,3]), size=3 / 2 / 4)
    expect([...medianFilter(x, [5], 3)]).toEqual([1, 2, 5, 3, 3]);
    expect([...medianFilter(x, [5], 2)]).toEqual([1, 5, 5, 8, 8]);
    expect([...medianFilter(x, [5], 4)]).toEqual([5, 2, 5, 5, 3]);
    // scipy.ndimage.median_filter(np.array([[1,5,2],[8,3,0]]), size=2)
    expect([...medianFilter(Int16Array.from([1, 5, 2, 8, 3, 0]), [2, 3], 2)]).toEqual([1, 5, 5, 8, 5, 3]);
  });

  it('reflects half-sample symmetric, periodically for far indices', () => {
    expect([-3, -2, -1, 0, 1, 2, 3, 4, 5, 6].map((i) => reflectIndex(i, 3))).toEqual([2, 1, 0, 0, 1, 2, 2, 1, 0, 0]);
    expect(reflectIndex(-5, 1)).toBe(0);
  });

  it('matches a brute-force window on 5-D stacks with singleton axes (as filter.py\'s [y x z cha img])', () => {
    let s = 3;
    const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) % 1000;
    for (const shape of [[6, 5, 1, 1, 3], [4, 7, 1, 1, 1], [3, 3, 2, 1, 2]]) {
      const n = shape.reduce((a, b) => a * b, 1);
      const data = Int16Array.from({ length: n }, () => rnd() - 500);
      for (const size of [1, 2, 3, 4, 5]) {
        expect([...medianFilter(data, shape, size)], `shape ${shape} size ${size}`).toEqual(bruteForce(data, shape, size));
      }
    }
  });

  it('refuses a size that is not a positive integer and a mismatched shape', () => {
    expect(() => medianFilter(new Int16Array(4), [4], 0)).toThrow(/positive integer/);
    expect(() => medianFilter(new Int16Array(4), [5], 3)).toThrow(/shape/);
  });
});
