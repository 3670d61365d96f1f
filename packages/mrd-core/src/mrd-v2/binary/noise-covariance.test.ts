/** The MrdNoiseCovariance protocol: upstream's files (fixtures) decode and re-encode byte for byte, in both encodings. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MrdProtocolError } from '../../stream/errors.js';
import {
  decodeMrdNoiseCovariance, decodeMrdNoiseCovarianceNdjson, encodeMrdNoiseCovariance, encodeMrdNoiseCovarianceNdjson,
} from './noise-covariance.js';

const FIXTURES = join(import.meta.dirname, '../fixtures');
const bin = new Uint8Array(readFileSync(join(FIXTURES, 'noise-covariance.mrd')));
const text = readFileSync(join(FIXTURES, 'noise-covariance.ndjson'), 'utf8');

describe('MrdNoiseCovariance', () => {
  it('binary and NDJSON written by upstream decode to the same value and re-encode byte for byte', () => {
    const v = decodeMrdNoiseCovariance(bin);
    expect(v.coilLabels).toEqual([{ coilNumber: 0, coilName: 'C0' }, { coilNumber: 1, coilName: 'Cé' }]);
    expect(v.sampleCount).toBe(1n << 40n);
    expect(v.matrix.shape).toEqual([2, 2]);
    expect([...v.matrix.data]).toEqual([1, 0, 0.25, -0.5, 0.25, 0.5, 2, 0]);
    expect(Buffer.compare(Buffer.from(encodeMrdNoiseCovariance(v)), Buffer.from(bin))).toBe(0);
    expect(encodeMrdNoiseCovarianceNdjson(v)).toBe(text);
    const w = decodeMrdNoiseCovarianceNdjson(text);
    expect(Buffer.compare(Buffer.from(encodeMrdNoiseCovariance(w)), Buffer.from(bin))).toBe(0);
  });

  it('a truncated or foreign stream is a protocol error', () => {
    expect(() => decodeMrdNoiseCovariance(bin.subarray(0, bin.length - 3))).toThrow(MrdProtocolError);
    const other = bin.slice();
    other[20] ^= 1;
    expect(() => decodeMrdNoiseCovariance(other)).toThrow(/schema/);
    expect(() => decodeMrdNoiseCovariance(new Uint8Array([...bin, 0]))).toThrow(/follow/);
    expect(() => decodeMrdNoiseCovarianceNdjson(text.replace('"noiseCovariance":{', '"other":{'))).toThrow(/noiseCovariance/);
  });
});
