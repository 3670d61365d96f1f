import { describe, expect, it } from 'vitest';
import { invertInt16, maxValueForBitsStored, normaliseToInt16, roundHalfEven } from './normalise.js';

describe('normalisation and inversion (numpy semantics)', () => {
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
