import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope } from './envelope.js';

describe('binary envelope', () => {
  it('carries the JSON and every array type back unchanged, 8-byte aligned', () => {
    const arrays = {
      a: Uint8Array.from([1, 2, 3]),
      b: Int16Array.from([-5, 7]),
      c: Uint16Array.from([65535]),
      d: Int32Array.from([-1, 2, -3]),
      e: Uint32Array.from([4000000000]),
      f: Float32Array.from([1.5, Number.NaN, -0]),
      g: Float64Array.from([Math.PI, 1e300]),
      empty: new Float32Array(0),
    };
    for (const json of [{}, { text: 'é'.repeat(13), n: 1 }, { long: 'x'.repeat(1000) }]) {
      const bytes = encodeEnvelope(json, arrays);
      const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const back = decodeEnvelope<Record<string, unknown>>(buf);
      for (const [k, v] of Object.entries(json)) expect(back.json[k]).toEqual(v);
      for (const [k, v] of Object.entries(arrays)) {
        expect(back.arrays[k]!.constructor).toBe(v.constructor);
        expect(Array.from(back.arrays[k]!)).toEqual(Array.from(v));
        expect(back.arrays[k]!.byteOffset % 8).toBe(0);
      }
    }
  });
  it('a subarray view is sent as its own elements only', () => {
    const base = Float64Array.from([1, 2, 3, 4, 5]);
    const bytes = encodeEnvelope({}, { x: base.subarray(1, 3) });
    expect(Array.from(decodeEnvelope(bytes.buffer as ArrayBuffer).arrays.x!)).toEqual([2, 3]);
  });
});
