import { describe, expect, it } from 'vitest';
import { centredCropRange, cropCentre, pythonSlice } from './crop.js';

describe('oversampling crops (Python slicing)', () => {
  it('follows Python slice semantics', () => {
    expect(pythonSlice(10, 2, 5)).toEqual([2, 5]);
    expect(pythonSlice(10, -3, 20)).toEqual([7, 10]);
    expect(pythonSlice(10, 5, 2)).toEqual([5, 5]);
  });

  it('computes the reference offsets', () => {
    expect(centredCropRange(128, 64)).toEqual([32, 96]);
    expect(centredCropRange(7, 4)).toEqual([1, 5]); // int(1.5) = 1
    // target larger than the data: offset int(-32) = -32, data[-32:96] of 64 -> [32, 64]
    expect(centredCropRange(64, 128)).toEqual([32, 64]);
  });

  it('crops a plane and keeps an axis whose target is 0', () => {
    const p = Float32Array.from({ length: 4 * 6 }, (_, i) => i);
    const c = cropCentre(p, 4, 6, 2, 0);
    expect([c.ny, c.nx]).toEqual([2, 6]);
    expect([...c.data]).toEqual([6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    const d = cropCentre(p, 4, 6, 0, 2);
    expect([...d.data]).toEqual([2, 3, 8, 9, 14, 15, 20, 21]);
  });
});
