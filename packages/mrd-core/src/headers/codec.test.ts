import { describe, expect, it } from 'vitest';
import { AcquisitionFlag, ImageFlag } from '../constants/index.js';
import {
  decodeAcquisitionHeader, decodeEncodingCounters, decodeImageHeader, decodeWaveformHeader,
  encodeAcquisitionHeader, encodeEncodingCounters, encodeImageHeader, encodeWaveformHeader, cloneAcquisitionHeader,
} from './codec.js';
import {
  clearAcquisitionFlag, isAcquisitionFlagSet, setAcquisitionFlag, isImageFlagSet, setImageFlag, clearImageFlag,
  isChannelOn, setChannelOn, setChannelOff,
} from './flags.js';
import { RandomFields, randomAcquisitionHeader, randomImageHeader, randomWaveformHeader } from '../testing/random.js';
import { emptyAcquisitionHeader, emptyImageHeader, type WaveformHeader } from './types.js';

const g = new RandomFields(42);

/** Random bytes where no float field holds a signalling NaN (JS numbers cannot carry one). */
function randomBytes(n: number, floatOffsets: number[]): Uint8Array {
  const b = new Uint8Array(n).map(() => g.int(256));
  const dv = new DataView(b.buffer);
  for (const o of floatOffsets) {
    const bits = dv.getUint32(o, true);
    if ((bits & 0x7f800000) === 0x7f800000 && (bits & 0x007fffff) !== 0) dv.setUint32(o, bits | 0x00400000, true);
  }
  return b;
}

const range = (start: number, count: number) => Array.from({ length: count }, (_, i) => start + 4 * i);
const ACQ_FLOATS = [178, ...range(182, 15), ...range(308, 8)];
const IMG_FLOATS = [...range(22, 3), ...range(36, 15), ...range(162, 8)];

describe('header codecs', () => {
  it('round-trip 2000 random headers of each kind', () => {
    for (let i = 0; i < 2000; i++) {
      const a = randomAcquisitionHeader(g);
      const ab = encodeAcquisitionHeader(a);
      expect(ab.length).toBe(340);
      expect(decodeAcquisitionHeader(ab)).toEqual(a);
      const im = randomImageHeader(g);
      const ib = encodeImageHeader(im);
      expect(ib.length).toBe(198);
      expect(decodeImageHeader(ib)).toEqual(im);
      const w = randomWaveformHeader(g);
      const wb = encodeWaveformHeader(w);
      expect(wb.length).toBe(40);
      expect(decodeWaveformHeader(wb)).toEqual(w);
      expect(decodeEncodingCounters(encodeEncodingCounters(a.idx))).toEqual(a.idx);
    }
  });

  it('random bytes decode and re-encode to the same bytes (waveform: padding zeroed)', () => {
    for (let i = 0; i < 2000; i++) {
      const ab = randomBytes(340, ACQ_FLOATS);
      expect(encodeAcquisitionHeader(decodeAcquisitionHeader(ab))).toEqual(ab);
      const ib = randomBytes(198, IMG_FLOATS);
      expect(encodeImageHeader(decodeImageHeader(ib))).toEqual(ib);
      const wb = randomBytes(40, [32]);
      const want = wb.slice();
      want.fill(0, 2, 8);
      want.fill(0, 38, 40);
      expect(encodeWaveformHeader(decodeWaveformHeader(wb))).toEqual(want);
    }
  });

  it('puts fields at the offsets of the ISMRMRD static_asserts', () => {
    const a = emptyAcquisitionHeader();
    a.flags = 0x0102030405060708n;
    a.scan_counter = 0xaabbccdd;
    a.active_channels = 0x1234;
    a.channel_mask[15] = 0xffn;
    a.trajectory_dimensions = 3;
    a.sample_time_us = 2.5;
    a.patient_table_position[2] = 1;
    a.idx.kspace_encode_step_1 = 0x4321;
    a.idx.user[7] = 0x5555;
    a.user_int[0] = -2;
    a.user_float[7] = -1;
    const b = encodeAcquisitionHeader(a);
    const dv = new DataView(b.buffer);
    expect(dv.getUint16(0, true)).toBe(1);
    expect(dv.getBigUint64(2, true)).toBe(0x0102030405060708n);
    expect(dv.getUint32(14, true)).toBe(0xaabbccdd);
    expect(dv.getUint16(38, true)).toBe(0x1234);
    expect(dv.getBigUint64(40 + 15 * 8, true)).toBe(0xffn);
    expect(dv.getUint16(176, true)).toBe(3);
    expect(dv.getFloat32(178, true)).toBe(2.5);
    expect(dv.getFloat32(238, true)).toBe(1);
    expect(dv.getUint16(242, true)).toBe(0x4321);
    expect(dv.getUint16(242 + 18 + 14, true)).toBe(0x5555);
    expect(dv.getInt32(276, true)).toBe(-2);
    expect(dv.getFloat32(336, true)).toBe(-1);

    const im = emptyImageHeader();
    im.data_type = 7;
    im.matrix_size = [64, 32, 2];
    im.channels = 3;
    im.image_type = 6;
    im.image_series_index = 9;
    im.attribute_string_len = 747;
    const ib = new DataView(encodeImageHeader(im).buffer);
    expect([ib.getUint16(2, true), ib.getUint16(16, true), ib.getUint16(18, true), ib.getUint16(20, true), ib.getUint16(34, true)]).toEqual([7, 64, 32, 2, 3]);
    expect([ib.getUint16(124, true), ib.getUint16(128, true), ib.getUint32(194, true)]).toEqual([6, 9, 747]);

    const w: WaveformHeader = { version: 1, flags: 5n, measurement_uid: 3, scan_counter: 7, time_stamp: 1000, number_of_samples: 40, channels: 5, sample_time_us: 2500, waveform_id: 1025 };
    const wb = new DataView(encodeWaveformHeader(w).buffer);
    expect([wb.getUint16(0, true), Number(wb.getBigUint64(8, true)), wb.getUint32(16, true), wb.getUint32(20, true), wb.getUint32(24, true),
      wb.getUint16(28, true), wb.getUint16(30, true), wb.getFloat32(32, true), wb.getUint16(36, true)]).toEqual([1, 5, 3, 7, 1000, 40, 5, 2500, 1025]);
  });

  it('encodes into a caller buffer at an offset and checks room', () => {
    const out = new Uint8Array(400);
    const a = randomAcquisitionHeader(g);
    encodeAcquisitionHeader(a, out, 7);
    expect(decodeAcquisitionHeader(out, 7)).toEqual(a);
    expect(() => encodeAcquisitionHeader(a, out, 100)).toThrow(RangeError);
    expect(() => decodeImageHeader(new Uint8Array(100))).toThrow(RangeError);
  });

  it('clone is deep', () => {
    const a = randomAcquisitionHeader(g);
    const c = cloneAcquisitionHeader(a);
    c.idx.user[0] = a.idx.user[0]! + 1;
    c.position[0] = 12345;
    expect(a.idx.user[0]).not.toBe(c.idx.user[0]);
    expect(a.position[0]).not.toBe(12345);
  });
});

describe('flag helpers', () => {
  it('sets, tests and clears acquisition flags as bit n-1, including bits 53..64', () => {
    const h = emptyAcquisitionHeader();
    setAcquisitionFlag(h, AcquisitionFlag.IS_NOISE_MEASUREMENT);
    expect(h.flags).toBe(1n << 18n);
    setAcquisitionFlag(h, AcquisitionFlag.USER8);
    expect(h.flags).toBe((1n << 18n) | (1n << 63n));
    expect(isAcquisitionFlagSet(h, AcquisitionFlag.USER8)).toBe(true);
    expect(isAcquisitionFlagSet(h, AcquisitionFlag.LAST_IN_SLICE)).toBe(false);
    clearAcquisitionFlag(h, AcquisitionFlag.IS_NOISE_MEASUREMENT);
    expect(h.flags).toBe(1n << 63n);
    // survives the codec
    expect(decodeAcquisitionHeader(encodeAcquisitionHeader(h)).flags).toBe(1n << 63n);
  });

  it('image flags and channel masks', () => {
    const im = emptyImageHeader();
    setImageFlag(im, ImageFlag.LAST_IN_SET);
    expect(im.flags).toBe(1n << 15n);
    expect(isImageFlagSet(im, ImageFlag.LAST_IN_SET)).toBe(true);
    clearImageFlag(im, ImageFlag.LAST_IN_SET);
    expect(im.flags).toBe(0n);
    const h = emptyAcquisitionHeader();
    setChannelOn(h, 0);
    setChannelOn(h, 65);
    expect(h.channel_mask[0]).toBe(1n);
    expect(h.channel_mask[1]).toBe(2n);
    expect(isChannelOn(h, 65)).toBe(true);
    setChannelOff(h, 65);
    expect(isChannelOn(h, 65)).toBe(false);
  });
});
