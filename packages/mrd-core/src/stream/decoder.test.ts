import { describe, expect, it } from 'vitest';
import { DataType, ImageType } from '../constants/index.js';
import type { MrdMessage } from '../connection/types.js';
import { createAcquisition, createImage, createWaveform } from '../messages/create.js';
import { MrdStreamDecoder, decodeMessages, decodeStream } from './decoder.js';
import { encodeMessage, encodeMessages } from './encoder.js';
import { MrdProtocolError } from './errors.js';
import { decodeNdArray, encodeNdArray } from './ndarray.js';

function bytesOf(a: Uint8Array): number[] {
  return Array.from(a);
}
function u16(id: number): number[] {
  return [id & 0xff, id >> 8];
}
function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24];
}

function expectProtocolError(fn: () => unknown, reason: string, messageId?: number): MrdProtocolError {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(MrdProtocolError);
  const pe = err as MrdProtocolError;
  expect(pe.reason).toBe(reason);
  if (messageId !== undefined) expect(pe.messageId).toBe(messageId);
  return pe;
}

const acq = createAcquisition({ head: { number_of_samples: 16, active_channels: 2, trajectory_dimensions: 2, scan_counter: 3 } });
acq.data.forEach((_, i, a) => (a[i] = i * 0.5));
acq.traj.forEach((_, i, a) => (a[i] = -i));
const sample: MrdMessage[] = [
  { type: 'config_file', name: 'invertcontrast' },
  { type: 'config_text', text: '{"x": "é"}' },
  { type: 'header', xml: '<ismrmrdHeader/>' },
  { type: 'text', text: '' },
  { type: 'acquisition', acquisition: acq },
  { type: 'image', image: createImage({ dataType: DataType.CXFLOAT, matrixSize: [4, 3, 2], channels: 2, attribute: '<ismrmrdMeta/>', head: { image_type: ImageType.COMPLEX } }) },
  { type: 'image', image: createImage({ dataType: DataType.SHORT, matrixSize: [5, 5, 1], head: { image_index: 2 } }) },
  { type: 'waveform', waveform: createWaveform({ head: { number_of_samples: 7, channels: 3, waveform_id: 1025 } }) },
  { type: 'ndarray', bytes: encodeNdArray({ data_type: DataType.DOUBLE, dims: [3, 2], data: new Float64Array([1, 2, 3, 4, 5, 6]) }) },
  { type: 'close' },
];

describe('MrdStreamDecoder', () => {
  it('round-trips every message type, whole and byte by byte', () => {
    const bytes = encodeMessages(sample);
    const whole = decodeStream(bytes);
    expect(bytesOf(encodeMessages(whole))).toEqual(bytesOf(bytes));
    expect(whole.map((m) => m.type)).toEqual(sample.map((m) => m.type));
    expect(whole[1]).toEqual({ type: 'config_text', text: '{"x": "é"}' });
    const d = new MrdStreamDecoder();
    const one: MrdMessage[] = [];
    for (let i = 0; i < bytes.length; i++) d.push(bytes.subarray(i, i + 1), one);
    d.end();
    expect(bytesOf(encodeMessages(one))).toEqual(bytesOf(bytes));
    const a = one[4]!;
    if (a.type !== 'acquisition') throw new Error();
    expect(Array.from(a.acquisition.traj)).toEqual(Array.from(acq.traj));
    expect(Array.from(a.acquisition.data)).toEqual(Array.from(acq.data));
  });

  it('gives payload views into the chunk when aligned, copies otherwise, aligns assembled messages', () => {
    const m = encodeMessage({ type: 'acquisition', acquisition: acq });
    // Data at 342 + 128 bytes: place the message so the payload is 4-byte aligned.
    const aligned = new Uint8Array(new ArrayBuffer(m.length + 2), 2);
    aligned.set(m);
    const d1 = new MrdStreamDecoder();
    const [a1] = d1.push(aligned);
    if (a1!.type !== 'acquisition') throw new Error();
    expect(a1!.acquisition.data.buffer).toBe(aligned.buffer);
    expect(d1.stats.viewedPayloads).toBe(2);
    const unaligned = new Uint8Array(new ArrayBuffer(m.length));
    unaligned.set(m);
    const d2 = new MrdStreamDecoder();
    const [a2] = d2.push(unaligned);
    if (a2!.type !== 'acquisition') throw new Error();
    expect(a2!.acquisition.data.buffer).not.toBe(unaligned.buffer);
    expect(d2.stats.copiedPayloads).toBe(2);
    expect(Array.from(a2!.acquisition.data)).toEqual(Array.from(acq.data));
    const d3 = new MrdStreamDecoder();
    d3.push(m.slice(0, 100));
    const [a3] = d3.push(m.slice(100));
    if (a3!.type !== 'acquisition') throw new Error();
    expect(a3!.acquisition.data.byteOffset % 4).toBe(0);
    expect(Array.from(a3!.acquisition.data)).toEqual(Array.from(acq.data));
    const d4 = new MrdStreamDecoder({ copyPayloads: true });
    const [a4] = d4.push(aligned);
    if (a4!.type !== 'acquisition') throw new Error();
    expect(a4!.acquisition.data.buffer).not.toBe(aligned.buffer);
  });

  it('names unsupported and deprecated ids', () => {
    let e = expectProtocolError(() => decodeStream(new Uint8Array(u16(1012))), 'unsupported-message', 1012);
    expect(e.messageName).toBe('MRD_MESSAGE_DICOM');
    expect(e.message).toContain('1012 (MRD_MESSAGE_DICOM, deprecated)');
    e = expectProtocolError(() => decodeStream(new Uint8Array(u16(1013))), 'unsupported-message', 1013);
    expect(e.message).toContain('unsupported');
    e = expectProtocolError(() => decodeStream(new Uint8Array([...encodeMessage({ type: 'text', text: 'a' }), ...u16(77)])), 'unsupported-message', 77);
    expect(e.offset).toBe(8);
    expect(e.messageName).toBeUndefined();
  });

  it('rejects hostile lengths before allocating', () => {
    const max = 1 << 20;
    const d = new MrdStreamDecoder({ maxMessageSize: max });
    expectProtocolError(() => d.push(new Uint8Array([...u16(5), ...u32(0xfffffff0)])), 'message-too-large', 5);
    expect(d.stats.largestAllocation).toBe(0);
    // Sticky: the decoder stays failed.
    expect(() => d.push(new Uint8Array([4, 0]))).toThrow(MrdProtocolError);

    // Image attribute length of 2^63 (u64).
    const img = encodeMessage({ type: 'image', image: createImage({ matrixSize: [2, 2, 1] }) });
    img.set([0, 0, 0, 0, 0, 0, 0, 0x80], 200);
    const d2 = new MrdStreamDecoder({ maxMessageSize: max });
    expectProtocolError(() => d2.push(img.subarray(0, 208)), 'message-too-large', 1022);
    expect(d2.stats.largestAllocation).toBe(0);

    // An acquisition of 65535 samples x 65535 channels.
    const a = encodeMessage({ type: 'acquisition', acquisition: createAcquisition() });
    a.set([0xff, 0xff], 2 + 34);
    a.set([0xff, 0xff], 2 + 38);
    expectProtocolError(() => decodeStream(a, { maxMessageSize: max }), 'message-too-large', 1008);

    // NDARRAY dims multiplying past 2^64.
    const nd = new Uint8Array([...u16(1030), ...u16(8), ...u16(1), ...u16(3), ...Array(24).fill(0xff)]);
    expectProtocolError(() => decodeStream(nd, { maxMessageSize: max }), 'message-too-large', 1030);

    // A length under the limit but never delivered: the buffer is the message, no more.
    const d3 = new MrdStreamDecoder({ maxMessageSize: max });
    d3.push(new Uint8Array([...u16(2), ...u32(max - 6), 1, 2, 3]));
    expect(d3.stats.largestAllocation).toBeLessThanOrEqual(max);
    expectProtocolError(() => d3.end(), 'truncated', 2);
  });

  it('rejects fields that make a message impossible to size', () => {
    const img = encodeMessage({ type: 'image', image: createImage({ matrixSize: [2, 2, 1] }) });
    img.set([9, 0], 4);
    expectProtocolError(() => decodeStream(img), 'invalid-field', 1022);
    const nd = new Uint8Array([...u16(1030), ...u16(5), ...u16(1), ...u16(8)]);
    expectProtocolError(() => decodeStream(nd), 'invalid-field', 1030);
    const nd0 = new Uint8Array([...u16(1030), ...u16(0), ...u16(1), ...u16(1)]);
    expectProtocolError(() => decodeStream(nd0), 'invalid-field', 1030);
  });

  it('discard mode: skips data messages unbuilt (whole, split, byte by byte), returns the others, keeps the checks', () => {
    const bytes = encodeMessages(sample);
    const dataIds = [1008, 1022, 1022, 1026, 1030];
    for (const step of [1, 7, 341, 342, 343, 1000, bytes.length]) {
      const d = new MrdStreamDecoder();
      const ids: number[] = [];
      d.discardDataMessages((id) => ids.push(id));
      const out: MrdMessage[] = [];
      for (let i = 0; i < bytes.length; i += step) d.push(bytes.subarray(i, i + step), out);
      d.end();
      expect(out).toEqual(sample.filter((m) => !['acquisition', 'image', 'waveform', 'ndarray'].includes(m.type)));
      expect(ids).toEqual(dataIds);
      expect(d.stats.messages).toBe(sample.length);
      expect(d.stats.bytes).toBe(bytes.length);
      expect(d.offset).toBe(bytes.length);
      // no payload built; only non-data messages (at most the 1026-byte CONFIG_FILE) assembled
      expect(d.stats.viewedPayloads + d.stats.copiedPayloads).toBe(0);
      expect(d.stats.largestAllocation).toBeLessThanOrEqual(1026 + 8);
    }
    // truncated inside a skipped message
    const acqBytes = encodeMessage({ type: 'acquisition', acquisition: acq });
    const t = new MrdStreamDecoder();
    t.discardDataMessages(() => undefined);
    t.push(acqBytes.subarray(0, 400));
    expect(t.peekMessageId()).toBe(1008);
    expect(t.bufferedBytes).toBe(400);
    const e = expectProtocolError(() => t.end(), 'truncated', 1008);
    expect(e.message).toContain(`of ${acqBytes.length}`);
    // sizes are still checked
    const small = new MrdStreamDecoder({ maxMessageSize: 500 });
    small.discardDataMessages(() => undefined);
    expectProtocolError(() => small.push(acqBytes), 'message-too-large', 1008);
    // turned off: the next data message is built again
    const d = new MrdStreamDecoder();
    d.discardDataMessages(() => undefined);
    expect(d.push(acqBytes)).toEqual([]);
    d.discardDataMessages(null);
    expect(d.push(acqBytes)).toEqual([{ type: 'acquisition', acquisition: acq }]);
  });

  it('reports truncation with the message and offset, and peeks the partial id', () => {
    const bytes = encodeMessages([{ type: 'text', text: 'hello' }, { type: 'acquisition', acquisition: acq }]);
    const d = new MrdStreamDecoder();
    expect(d.push(bytes.subarray(0, 13)).length).toBe(1);
    expect(d.peekMessageId()).toBeUndefined();
    d.push(bytes.subarray(13, 14));
    expect(d.peekMessageId()).toBe(1008);
    d.push(bytes.subarray(14, 16));
    expect(d.peekMessageId()).toBe(1008);
    const e = expectProtocolError(() => d.end(), 'truncated', 1008);
    expect(e.offset).toBe(12);
    const d2 = new MrdStreamDecoder();
    d2.push(new Uint8Array([1]));
    expectProtocolError(() => d2.end(), 'truncated');
  });

  it('text: cuts at the first NUL, keeps non-default bytes so re-encoding is exact', () => {
    const variants = [
      [...u16(5), ...u32(3), 0x61, 0x62, 0x63], // no NUL (as the ISMRMRD C++ serializer writes)
      [...u16(5), ...u32(5), 0x61, 0, 0x62, 0x63, 0], // bytes after the NUL
      [...u16(3), ...u32(3), 0xff, 0xfe, 0], // invalid UTF-8
      [...u16(2), ...u32(0)], // empty
    ];
    for (const v of variants) {
      const bytes = new Uint8Array(v);
      const msgs = decodeStream(bytes);
      expect(bytesOf(encodeMessages(msgs))).toEqual(bytesOf(bytes));
    }
    const [m] = decodeStream(new Uint8Array(variants[1]!));
    expect(m).toMatchObject({ type: 'text', text: 'a' });
    // A changed text no longer uses the raw bytes.
    const changed = { ...(m as { type: 'text'; text: string; raw?: Uint8Array }), text: 'b' };
    expect(Array.from(encodeMessage(changed))).toEqual([...u16(5), ...u32(2), 0x62, 0]);
    // config file with garbage after the name
    const cf = new Uint8Array(1026);
    cf.set([1, 0, 0x78, 0, 0x79]);
    const [c] = decodeStream(cf);
    expect(c).toMatchObject({ type: 'config_file', name: 'x' });
    expect(bytesOf(encodeMessage(c!))).toEqual(bytesOf(cf));
  });

  it('NDARRAY: the ISMRMRD layout (dtype, version, ndim, u64 dims, data)', () => {
    const bytes = encodeNdArray({ data_type: DataType.CXFLOAT, dims: [2, 3], data: new Float32Array(12).map((_, i) => i) });
    expect(Array.from(bytes.subarray(0, 6))).toEqual([7, 0, 1, 0, 2, 0]);
    expect(bytes.length).toBe(6 + 16 + 48);
    const [m] = decodeStream(encodeMessage({ type: 'ndarray', bytes }));
    if (m!.type !== 'ndarray') throw new Error();
    const nd = decodeNdArray(m!.bytes);
    expect(nd.dims).toEqual([2, 3]);
    expect(nd.version).toBe(1);
    expect(Array.from(nd.data)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});

describe('decodeMessages', () => {
  it('decodes an async stream of chunks, and reports a truncated end', async () => {
    const bytes = encodeMessages(sample);
    async function* chunks(b: Uint8Array, size: number) {
      for (let p = 0; p < b.length; p += size) yield b.slice(p, p + size);
    }
    const got: MrdMessage[] = [];
    for await (const m of decodeMessages(chunks(bytes, 100))) got.push(m);
    expect(bytesOf(encodeMessages(got))).toEqual(bytesOf(bytes));
    const cut: MrdMessage[] = [];
    await expect((async () => {
      for await (const m of decodeMessages(chunks(bytes.subarray(0, bytes.length - 3), 100))) cut.push(m);
    })()).rejects.toBeInstanceOf(MrdProtocolError);
    expect(cut.length).toBe(sample.length - 2);
  });
});

describe('encoder checks', () => {
  it('refuses payloads that do not match their header', () => {
    const a = createAcquisition({ head: { number_of_samples: 4, active_channels: 1 } });
    a.head.active_channels = 2;
    expect(() => encodeMessage({ type: 'acquisition', acquisition: a })).toThrow(/active_channels 2/);
    const i = createImage({ dataType: DataType.FLOAT, matrixSize: [2, 2, 1] });
    i.head.data_type = DataType.DOUBLE;
    expect(() => encodeMessage({ type: 'image', image: i })).toThrow(/DOUBLE/);
    expect(() => encodeMessage({ type: 'config_file', name: 'x'.repeat(1025) })).toThrow(/1024/);
  });

  it('writes attribute_string_len as the attribute byte length', () => {
    const i = createImage({ matrixSize: [1, 1, 1], attribute: 'äb' });
    expect(i.head.attribute_string_len).toBe(3);
    i.attribute = 'abcdef';
    const b = encodeMessage({ type: 'image', image: i });
    const dv = new DataView(b.buffer, b.byteOffset);
    expect(dv.getUint32(2 + 194, true)).toBe(6);
    expect(Number(dv.getBigUint64(200, true))).toBe(6);
  });
});

describe('MrdStreamDecoder.lastChunkReferenced', () => {
  const acq = (ns: number) => ({ type: 'acquisition', acquisition: createAcquisition({ head: { number_of_samples: ns, active_channels: 1 } }) }) as MrdMessage;

  it('is true for a chunk a message was built from, false for chunks only copied from', () => {
    const bytes = encodeMessages([acq(16), acq(4000)]); // 486 bytes, then 32 342 bytes
    const d = new MrdStreamDecoder();
    expect(d.push(bytes.subarray(0, 1000))).toHaveLength(1); // the first message inside it: viewed
    expect(d.lastChunkReferenced).toBe(true);
    expect(d.push(bytes.subarray(1000, 20_000))).toHaveLength(0); // middle of the second: copied
    expect(d.lastChunkReferenced).toBe(false);
    expect(d.push(bytes.subarray(20_000))).toHaveLength(1); // its end: the message is assembled
    expect(d.lastChunkReferenced).toBe(false);
  });

  it('is false in discard mode for data messages, true for a text built from the chunk, true after an error', () => {
    const d = new MrdStreamDecoder();
    d.discardDataMessages(() => {});
    d.push(encodeMessages([acq(16), acq(16)]));
    expect(d.lastChunkReferenced).toBe(false);
    d.push(encodeMessages([acq(16), { type: 'text', text: 'x' }]));
    expect(d.lastChunkReferenced).toBe(true);
    expect(() => d.push(Uint8Array.of(0xff, 0xff))).toThrow(MrdProtocolError);
    expect(d.lastChunkReferenced).toBe(true);
  });
});
