/**
 * The incremental MRD v2 decoder: framing (preamble, header, blocks of any size, end), errors
 * (typed, with the stream offset and the field), the size guards, and views versus copies.
 */
import { describe, expect, it } from 'vitest';
import { MrdProtocolError } from '../../stream/errors.js';
import type { Acquisition, Header, StreamItem } from '../model/types.js';
import { decodeMrdV2, MrdV2StreamDecoder, type MrdV2Event } from './decoder.js';
import { encodeMrdV2, encodeStreamItem, MrdV2StreamEncoder, MrdV2ValueError } from './encoder.js';
import { detectMrdStream, isMrdV2Binary, MRD_PREAMBLE } from './preamble.js';

const HEADER: Header = { experimentalConditions: { h1resonanceFrequencyHz: 63500000n }, encoding: [], waveformInformation: [] };

function acquisition(samples: number, coils: number, scan = 0): StreamItem {
  const data = new Float32Array(2 * samples * coils).map((_, i) => i + scan);
  const value: Acquisition = {
    head: {
      flags: 0n, idx: { kspaceEncodeStep1: scan, user: [] }, measurementUid: 0, scanCounter: scan, physiologyTimeStampNs: [],
      channelOrder: Array.from({ length: coils }, (_, i) => i), position: [0, 0, 0], readDir: [1, 0, 0], phaseDir: [0, 1, 0], sliceDir: [0, 0, 1],
      patientTablePosition: [0, 0, 0], userInt: [], userFloat: [],
    },
    data: { shape: [coils, samples], data },
    trajectory: { shape: [0, 0], data: new Float32Array(0) },
  };
  return { type: 'acquisition', value };
}

function protocolError(fn: () => unknown): MrdProtocolError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MrdProtocolError);
    return e as MrdProtocolError;
  }
  throw new Error('no error');
}

function decodeAll(bytes: Uint8Array, opts = {}): MrdV2Event[] {
  const d = new MrdV2StreamDecoder(opts);
  const out = d.push(bytes);
  d.end();
  return out;
}

const P = MRD_PREAMBLE.length;

describe('framing', () => {
  it('the preamble is the magic, version 1 and the 25152-byte schema (data start at 25164)', () => {
    expect(P).toBe(25164);
    expect(Buffer.from(MRD_PREAMBLE.subarray(0, 12)).toString('hex')).toBe('7961726e6c'.replace('6e', '64') + '01000000' + 'c0c401');
  });

  it('header, one block per item, end marker; decoded back to the same values', () => {
    const items = [acquisition(4, 2, 0), acquisition(4, 2, 1)];
    const bytes = encodeMrdV2(HEADER, items);
    const item0 = encodeStreamItem(items[0]!);
    expect(bytes[P]).toBe(1);
    expect(bytes[bytes.length - 1]).toBe(0);
    expect(bytes[P + 1 + (bytes.length - P - 1 - 1 - 2 * (item0.length + 1))]).toBe(1);
    const events = decodeAll(bytes);
    expect(events.map((e) => e.type)).toEqual(['header', 'item', 'item', 'end']);
    expect((events[0] as { header: Header }).header).toEqual(HEADER);
    const a = (events[2] as { item: { value: Acquisition } }).item.value;
    expect(a.head.scanCounter).toBe(1);
    expect([...a.data.data]).toEqual([...(items[1]!.value as Acquisition).data.data]);
  });

  it('blocks of several items (upstream write_data(list)) decode the same', () => {
    const items = [acquisition(2, 1, 0), acquisition(2, 1, 1), acquisition(2, 1, 2)];
    const parts = [MRD_PREAMBLE, new Uint8Array([0]), new Uint8Array([3]), ...items.map(encodeStreamItem), new Uint8Array([0])];
    const bytes = Buffer.concat(parts);
    const { header, items: back } = decodeMrdV2(bytes);
    expect(header).toBeUndefined();
    expect(back.map((i) => (i.value as Acquisition).head.scanCounter)).toEqual([0, 1, 2]);
  });

  it('a stream that is only the preamble, no header and the end marker is valid', () => {
    expect(decodeAll(Buffer.concat([MRD_PREAMBLE, new Uint8Array([0, 0])])).map((e) => e.type)).toEqual(['header', 'end']);
  });

  it('the magic tells v2 from v1 and NDJSON on the first bytes', () => {
    expect(isMrdV2Binary(MRD_PREAMBLE.subarray(0, 5))).toBe(true);
    expect(isMrdV2Binary(MRD_PREAMBLE.subarray(0, 3))).toBeUndefined();
    expect(isMrdV2Binary(new Uint8Array([1, 0]))).toBe(false);
    expect(detectMrdStream(new Uint8Array([1, 0, 0, 4]))).toBe('mrd-v1');
    expect(detectMrdStream(new TextEncoder().encode('{"yardl":{'))).toBe('mrd-v2-ndjson');
    expect(detectMrdStream(MRD_PREAMBLE.subarray(0, 9))).toBe('mrd-v2');
    expect(detectMrdStream(new Uint8Array([0x79]))).toBeUndefined();
  });
});

describe('protocol errors name the offset and the field', () => {
  const good = encodeMrdV2(HEADER, [acquisition(4, 2)]);

  it('not a v2 stream, another format version, another schema', () => {
    const v1 = new Uint8Array([3, 0, 5, 0, 0, 0]);
    let e = protocolError(() => decodeAll(v1));
    expect(e.reason).toBe('invalid-field');
    expect(e.offset).toBe(0);
    expect(e.message).toMatch(/magic bytes "yardl"/);
    const v2 = good.slice();
    v2[5] = 2;
    e = protocolError(() => decodeAll(v2));
    expect([e.offset, e.message]).toEqual([5, expect.stringMatching(/format version/)]);
    const s = good.slice();
    s[1000] ^= 1;
    e = protocolError(() => decodeAll(s));
    expect([e.offset, e.message]).toEqual([1000, expect.stringMatching(/schema of the stream is not the one of MRD 2\.2\.1/)]);
  });

  it('truncation anywhere is a truncated error at the unit it cut', () => {
    expect(protocolError(() => decodeAll(new Uint8Array(0))).message).toMatch(/empty/);
    expect(protocolError(() => decodeAll(good.subarray(0, 100))).reason).toBe('truncated');
    const cut = protocolError(() => decodeAll(good.subarray(0, good.length - 20)));
    expect(cut.reason).toBe('truncated');
    expect(cut.messageName).toBe('StreamItem #0');
    expect(cut.message).toMatch(/ended inside StreamItem #0/);
    expect(protocolError(() => decodeAll(good.subarray(0, good.length - 1))).message).toMatch(/before its end marker/);
  });

  it('bytes after the end marker', () => {
    const e = protocolError(() => decodeAll(Buffer.concat([good, new Uint8Array([0])])));
    expect([e.reason, e.offset]).toEqual(['invalid-field', good.length]);
  });

  it('an unknown StreamItem case is an unsupported-message error at its offset', () => {
    const b = good.slice();
    b[P + 2] = 22; // header absent? no: P is the header tag (1), then the header record... find the case byte
    const items = Buffer.concat([MRD_PREAMBLE, new Uint8Array([0, 1, 22, 0])]);
    const e = protocolError(() => decodeAll(items));
    expect(e.reason).toBe('unsupported-message');
    expect(e.offset).toBe(P + 2);
    expect(e.message).toMatch(/StreamItem case 22/);
  });

  it('a bad value deep in an item names its field path', () => {
    const item = encodeStreamItem(acquisition(4, 2));
    // case 0, head: flags 00, idx: 9 optionals + user vector. idx.kspaceEncodeStep1 is present (01 00): make its tag 2.
    const bad = item.slice();
    expect([bad[0], bad[1], bad[2]]).toEqual([0, 0, 1]);
    bad[2] = 2;
    const e = protocolError(() => decodeAll(Buffer.concat([MRD_PREAMBLE, new Uint8Array([0, 1]), bad, new Uint8Array([0])])));
    expect(e.offset).toBe(P + 2 + 2);
    expect(e.messageName).toBe('StreamItem.acquisition');
    expect(e.message).toMatch(/StreamItem #0 acquisition\.head\.idx\.kspaceEncodeStep1: optional tag 2/);
  });

  it('the decoder stays failed', () => {
    const d = new MrdV2StreamDecoder();
    expect(() => d.push(new Uint8Array([1, 2, 3]))).toThrow(MrdProtocolError);
    expect(() => d.push(good)).toThrow(/magic/);
    expect(() => d.end()).toThrow(/magic/);
  });
});

describe('size guards', () => {
  it('a hostile vector length is refused before any allocation', () => {
    // header absent, one block, acquisition: flags 0, idx all absent + user count 2^35.
    const evil = Buffer.concat([MRD_PREAMBLE, new Uint8Array([0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01])]);
    const d = new MrdV2StreamDecoder({ maxItemSize: 1 << 20 });
    const e = protocolError(() => d.push(evil));
    expect(e.reason).toBe('message-too-large');
    expect(e.message).toMatch(/exceeds the maximum item size of 1048576 bytes/);
    expect(d.stats.largestAllocation).toBe(0);
  });

  it('an item larger than maxItemSize is refused, whole or arriving in pieces', () => {
    const bytes = encodeMrdV2(HEADER, [acquisition(256, 8)]);
    for (const chunk of [bytes.length, 1000, 7]) {
      const d = new MrdV2StreamDecoder({ maxItemSize: 4096 });
      const e = protocolError(() => {
        for (let p = 0; p < bytes.length; p += chunk) d.push(bytes.subarray(p, p + chunk));
      });
      expect(e.reason).toBe('message-too-large');
      expect(d.stats.largestAllocation).toBeLessThanOrEqual(4096 + 8);
    }
  });
});

describe('bulk arrays: views where aligned, copies otherwise', () => {
  it('an aligned array inside the pushed chunk is a view into it; copyArrays copies', () => {
    const bytes = encodeMrdV2(undefined, [acquisition(64, 4)]);
    // Find an offset of the stream in a buffer that puts the data array at a multiple of 8.
    let viewed = false;
    for (let shift = 0; shift < 8 && !viewed; shift++) {
      const buf = new Uint8Array(bytes.length + 8);
      buf.set(bytes, shift);
      const chunk = buf.subarray(shift, shift + bytes.length);
      const d = new MrdV2StreamDecoder();
      const events = d.push(chunk);
      d.end();
      const a = (events[1] as { item: { value: Acquisition } }).item.value;
      if (d.stats.viewedArrays === 1) {
        viewed = true;
        expect(a.data.data.buffer).toBe(buf.buffer);
        const c = new MrdV2StreamDecoder({ copyArrays: true });
        const copied = (c.push(chunk)[1] as { item: { value: Acquisition } }).item.value;
        expect(copied.data.data.buffer).not.toBe(buf.buffer);
        expect([...copied.data.data]).toEqual([...a.data.data]);
        expect(c.stats.copiedArrays).toBe(1);
      } else {
        expect(d.stats.copiedArrays).toBe(1);
        expect(a.data.data.buffer).not.toBe(buf.buffer);
      }
    }
    expect(viewed).toBe(true);
  });

  it('an item split across chunks is assembled once, with its data array aligned (a view into the assembly)', () => {
    const bytes = encodeMrdV2(undefined, [acquisition(512, 8)]);
    for (let shift = 0; shift < 4; shift++) {
      const d = new MrdV2StreamDecoder();
      const cut = P + 200 + shift;
      const out = [...d.push(bytes.subarray(0, cut)), ...d.push(bytes.subarray(cut))];
      d.end();
      expect(d.stats.assembledUnits).toBe(1);
      expect(d.stats.viewedArrays).toBe(1);
      const a = (out[1] as { item: { value: Acquisition } }).item.value;
      expect(a.data.data.byteOffset % 8).toBe(0);
      expect(a.data.data[5]).toBe(5);
    }
  });
});

describe('writer', () => {
  it('refuses values that do not fit the model, naming the item and field, and writes nothing of the call', () => {
    const enc = new MrdV2StreamEncoder();
    enc.header(undefined);
    const bad = acquisition(2, 1);
    (bad.value as Acquisition).head.measurementUid = -1;
    expect(() => enc.items([acquisition(2, 1), bad])).toThrow(MrdV2ValueError);
    expect(() => enc.items(bad)).toThrow(/StreamItem #0 acquisition\.head\.measurementUid: -1 is not a uint32/);
    expect(enc.itemCount).toBe(0);
    expect(() => new MrdV2StreamEncoder().items(bad)).toThrow(/header .* first/);
  });
});
