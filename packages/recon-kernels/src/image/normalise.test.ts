import { describe, expect, it } from 'vitest';
import { invertInt16, maxValueForBitsStored, normaliseToInt16, roundHalfEven, roundHalfEvenFast } from './normalise.js';

describe('normalisation and inversion (numpy semantics)', () => {
  it('roundHalfEvenFast is roundHalfEven: every half and quarter up to 2^16, near-halves, large, negative, NaN', () => {
    const xs: number[] = [];
    for (let k = 0; k <= 4 * 65536; k++) xs.push(k / 4);
    for (let k = 0; k < 1000; k++) {
      const h = k + 0.5;
      xs.push(h - 2 ** -40, h + 2 ** -40, Math.fround(h * 1.0000001), (k * 4095) / 1000);
    }
    xs.push(2 ** 51 - 0.5, 2 ** 51, 2 ** 51 + 1, 2 ** 52 + 1, 1e300, Infinity, -0.5, -1.5, -2.5, -1e6 - 0.5, -0, 0, NaN);
    for (const x of xs) expect(Object.is(roundHalfEvenFast(x), roundHalfEven(x)) || (Number.isNaN(x) && Number.isNaN(roundHalfEvenFast(x))), String(x)).toBe(true);
  });
  it('rounds half to even as np.around', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999, 2.5001].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, 3]);
  });

  it('scales a whole group by one maximum to 2**BitsStored - 1', () => {
    expect(maxValueForBitsStored(12)).toBe(4095);
    const [a, b] = normaliseToInt16([Float64Array.from([0, 1, 2]), Float64Array.from([4, 0.5])], 4095);
    expect([...a]).toEqual([0, 1024, 2048]); // 1 * 4095/4 = 1023.75 -> 1024; 2 * 1023.75 = 2047.5 -> 2048 (even)
    expect([...b]).toEqual([4095, 512]); // 0.5 * 1023.75 = 511.875 -> 512
  });

  it('keeps an all-zero group at zero instead of dividing by zero', () => {
    expect([...normaliseToInt16([new Float64Array(3)], 4095)[0]]).toEqual([0, 0, 0]);
  });

  it('wraps into int16 like numpy astype for BitsStored 16', () => {
    const [a] = normaliseToInt16([Float64Array.from([1, 0.5])], 65535);
    expect([...a]).toEqual([-1, -32768]); // 65535 -> -1, 32767.5 -> 32768 (even) -> -32768
  });

  it('inverts as abs(maxVal - data)', () => {
    expect([...invertInt16(Int16Array.from([0, 4095, 5000, 100]), 4095)]).toEqual([4095, 0, 905, 3995]);
  });
});
