import { describe, expect, it } from 'vitest';
import { encodeNpy } from './npy.js';

function header(bytes: Uint8Array): string {
  const len = bytes[8] | (bytes[9] << 8);
  return new TextDecoder().decode(bytes.subarray(10, 10 + len));
}

describe('encodeNpy', () => {
  it('writes a format 1.0 header padded to 64 bytes, then the C-order data', () => {
    const data = Int16Array.from([1, -2, 3, 4, 5, 6]);
    const bytes = encodeNpy(data, [2, 3]);
    expect([...bytes.subarray(0, 8)]).toEqual([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    const h = header(bytes);
    expect(h.trimEnd()).toBe("{'descr': '<i2', 'fortran_order': False, 'shape': (2, 3), }");
    expect(h.endsWith('\n')).toBe(true);
    expect((10 + h.length) % 64).toBe(0);
    expect([...new Int16Array(bytes.slice(10 + h.length).buffer)]).toEqual([1, -2, 3, 4, 5, 6]);
  });

  it('names complex64 and 1-D shapes as numpy does', () => {
    const h = header(encodeNpy(new Float32Array(4), [2], true));
    expect(h).toContain("'descr': '<c8'");
    expect(h).toContain("'shape': (2,)");
  });
});
