import { describe, expect, it } from 'vitest';
import {
  dicomTimeToTicks, ticksToDicomTime, millisecondsToTicks, ticksToMilliseconds, dicomTimeToSeconds,
} from './time-ticks.js';
import { formatDecimalString, formatFloat32DecimalString, float32ShortestValue } from './decimal-string.js';
import { generateUid, isValidUid, uidFromName } from './uid.js';
import { flowFromSequenceName, cross } from './mapping.js';
import { decodeDicomJsonMeta, encodeDicomJsonMeta, numberValue, stringValue } from './dicom-json.js';
import { allocateMrdPrivateBlock, findMrdPrivateBlock, removeMrdPrivateBlock } from './mrd-private.js';

describe('MRD 2.5 ms ticks', () => {
  it('reads TM with and without fractions (the reference crashes without)', () => {
    expect(dicomTimeToTicks('123456')).toBe((12 * 3600 + 34 * 60 + 56) * 400);
    expect(dicomTimeToTicks('123456.789')).toBe(Math.round((12 * 3600 + 34 * 60 + 56.789) * 400));
    expect(dicomTimeToTicks('1234')).toBe((12 * 3600 + 34 * 60) * 400);
    expect(dicomTimeToTicks('12')).toBe(12 * 3600 * 400);
    expect(dicomTimeToTicks('12:34:56.5')).toBe((12 * 3600 + 34 * 60 + 56.5) * 400);
    expect(dicomTimeToTicks('')).toBeUndefined();
    expect(dicomTimeToTicks(undefined)).toBeUndefined();
    expect(dicomTimeToTicks('ab')).toBeUndefined();
    expect(dicomTimeToSeconds('250000')).toBeUndefined();
  });
  it('writes ticks back multiplied by 2.5 ms (the reference divides)', () => {
    // 1 tick past 12:34:56 is 12:34:56.0025
    const t = (12 * 3600 + 34 * 60 + 56) * 400 + 1;
    expect(ticksToDicomTime(t)).toBe('123456.0025');
    expect(dicomTimeToTicks(ticksToDicomTime(t))).toBe(t);
    expect(ticksToDicomTime(0)).toBe('000000.0000');
    for (const ticks of [0, 1, 399, 400, 12345678, 86400 * 400 - 1]) expect(dicomTimeToTicks(ticksToDicomTime(ticks))).toBe(ticks);
    expect(ticksToMilliseconds(100)).toBe(250);
    expect(millisecondsToTicks(250)).toBe(100);
    expect(millisecondsToTicks(251.2)).toBe(100);
  });
});

describe('Decimal strings', () => {
  it('fit 16 characters and read back', () => {
    for (const x of [0, 1, -1, 0.1, 1 / 3, -83.9063, 1e-20, 123456789.123456, -0.000123456789, 6.53996e-1, 1e21]) {
      const s = formatDecimalString(x);
      expect(s.length).toBeLessThanOrEqual(16);
      expect(Math.abs(Number(s) - x)).toBeLessThanOrEqual(Math.abs(x) * 1e-12);
    }
    expect(formatDecimalString(-0)).toBe('0');
  });
  it('write float32 geometry that reads back bit-identical', () => {
    for (const x of [-83.9063, -91.2, 6.6406, 0.3125, 1 / 3, -7.863148e1, 1e-7, 3.4e38]) {
      const s = formatFloat32DecimalString(x);
      expect(s.length).toBeLessThanOrEqual(16);
      expect(Math.fround(Number(s))).toBe(Math.fround(x));
    }
    expect(float32ShortestValue(Math.fround(-83.9063))).toBe(-83.9063);
  });
});

describe('UIDs', () => {
  it('are valid 2.25 UIDs, random ones unique, named ones stable', () => {
    const a = generateUid();
    const b = generateUid();
    expect(isValidUid(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(a.startsWith('2.25.')).toBe(true);
    expect(uidFromName('x', 'y')).toBe(uidFromName('x', 'y'));
    expect(uidFromName('x', 'y')).not.toBe(uidFromName('x', 'z'));
    expect(isValidUid(uidFromName('x', 'y'))).toBe(true);
    expect(isValidUid('1.02.3')).toBe(false);
  });
});

describe('mappings', () => {
  it('flow encoding from a Siemens sequence name', () => {
    expect(flowFromSequenceName('fl2d1_v150in')).toEqual({ velocity: 150, direction: 'FLOW_DIR_TP_IN' });
    expect(flowFromSequenceName('*fl1_v200fh')).toEqual({ velocity: 200, direction: 'FLOW_DIR_F_TO_H' });
    expect(flowFromSequenceName('tfl3d1')).toBeUndefined();
    expect(flowFromSequenceName('fl_v100xx')).toBeUndefined();
  });
  it('slice direction is the cross product of row and column directions', () => {
    expect(cross([1, 0, 0], [0, 1, 0])).toEqual([0, 0, 1]);
  });
});

describe('DicomJson meta', () => {
  it('round-trips base64 JSON and reads plain JSON too', () => {
    const ds = { '00100010': { vr: 'PN', Value: [{ Alphabetic: 'Doe^Jane' }] }, '00200013': { vr: 'IS', Value: ['7'] } };
    const enc = encodeDicomJsonMeta(ds);
    expect(decodeDicomJsonMeta(enc)).toEqual(ds);
    expect(decodeDicomJsonMeta(JSON.stringify(ds))).toEqual(ds);
    expect(stringValue(ds, '00100010')).toBe('Doe^Jane');
    expect(numberValue(ds, '00200013')).toBe(7);
    expect(() => decodeDicomJsonMeta(Buffer.from('[1]').toString('base64'))).toThrow();
  });
  it('private MRD-TOOLS block goes to a free slot and is found again', () => {
    const ds: Record<string, { vr: string; Value?: string[] }> = { '00710010': { vr: 'LO', Value: ['OTHER VENDOR'] } };
    const xx = allocateMrdPrivateBlock(ds);
    expect(xx).toBe('11');
    ds['00710011'] = { vr: 'LO', Value: ['MRD-TOOLS'] };
    ds['00711101'] = { vr: 'US', Value: ['5'] };
    expect(findMrdPrivateBlock(ds)).toBe('11');
    removeMrdPrivateBlock(ds);
    expect(Object.keys(ds)).toEqual(['00710010']);
  });
});
