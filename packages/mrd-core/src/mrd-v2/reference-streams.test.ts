/**
 * Every MRD v2 file of the reference (made by upstream's Python tools) and the kitchen-sink
 * fixture (every StreamItem case) decodes and re-encodes byte for byte, binary and NDJSON, fed
 * whole, one byte at a time and in random chunks; the NDJSON and binary files of the same stream
 * convert into each other exactly.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeStream, MrdStreamDecoder } from '../stream/decoder.js';
import { encodeMessages } from '../stream/encoder.js';
import type { MrdMessage } from '../connection/types.js';
import { mulberry32 } from '../testing/random.js';
import { reference } from '../testing/reference.js';
import { decodeMrdV2, MrdV2StreamDecoder, type MrdV2Event } from './binary/decoder.js';
import { decodeMrdV2Ndjson, encodeMrdV2Ndjson, MrdV2NdjsonDecoder } from './ndjson/ndjson.js';
import { encodeMrdV2 } from './binary/encoder.js';
import type { StreamItem } from './model/types.js';

const BINARY = [
  'phantom_m16_c2_n0_traj.mrd', 'phantom_m64_c4_r2.mrd', 'phantom_m64_c4_r2_n0.mrd', 'recon_m16.mrd',
  'recon_phantom_m64_c4_r2.mrd', 'recon_phantom_m64_c4_r2_n0.mrd',
  'v1_to_v2/cpp_phantom_m64_c4_noise_traj.mrd', 'v1_to_v2/invertcontrast_m64.from_h5_noheader.mrd',
  'v1_to_v2/invertcontrast_m64.mrd', 'v1_to_v2/phantom_m64_c4_r2.mrd',
];
const NDJSON = ['phantom_m16_c2_n0_traj.ndjson', 'recon_m16.ndjson'];
/** The v1 streams of the folder (upstream's converter inputs and outputs), for the v1 codec. */
const V1 = ['v1_to_v2/cpp_phantom_m64_c4_noise_traj.v1.ismrmrd', 'v1_to_v2/invertcontrast_m64.roundtrip.ismrmrd', 'v1_to_v2/invertcontrast_m64.v1.ismrmrd', 'v1_to_v2/phantom_m64_c4_r2.v1.ismrmrd'];
const FIXTURES = join(import.meta.dirname, 'fixtures');

function bytes(path: string): Uint8Array {
  return new Uint8Array(readFileSync(path));
}

/** Re-encodes decoded events in the encoding they came from. */
function reencode(events: MrdV2Event[], ndjson: boolean): Uint8Array {
  let header: MrdV2Event & { type: 'header' } | undefined;
  const items: StreamItem[] = [];
  let ended = 0;
  for (const e of events) {
    if (e.type === 'header') header = e;
    else if (e.type === 'item') items.push(e.item);
    else ended++;
  }
  expect(header, 'a header event').toBeDefined();
  expect(ended, 'one end event').toBe(1);
  return ndjson ? new TextEncoder().encode(encodeMrdV2Ndjson(header!.header, items)) : encodeMrdV2(header!.header, items);
}

function feed(data: Uint8Array, ndjson: boolean, chunk: (i: number) => number): MrdV2Event[] {
  const out: MrdV2Event[] = [];
  if (ndjson) {
    const d = new MrdV2NdjsonDecoder();
    for (let p = 0, i = 0; p < data.length; i++) {
      const n = chunk(i);
      d.push(data.subarray(p, p + n), out);
      p += n;
    }
    d.end(out);
  } else {
    const d = new MrdV2StreamDecoder();
    for (let p = 0, i = 0; p < data.length; i++) {
      const n = chunk(i);
      d.push(data.subarray(p, p + n), out);
      p += n;
    }
    d.end();
  }
  return out;
}

function sameBytes(got: Uint8Array, want: Uint8Array, what: string): void {
  let i = 0;
  const n = Math.min(got.length, want.length);
  while (i < n && got[i] === want[i]) i++;
  expect(i === n && got.length === want.length, `${what}: ${got.length} bytes vs ${want.length}, first difference at byte ${i}`).toBe(true);
}

function roundTrips(file: string, ndjson: boolean): void {
  // Read when the tests run (a suite skipped for missing reference data still collects its tests).
  let cached: Uint8Array | undefined;
  const data = () => (cached ??= bytes(file));
  it('decodes and re-encodes byte for byte, fed whole', () => {
    sameBytes(reencode(feed(data(), ndjson, () => data().length), ndjson), data(), 'whole');
  });
  it('fed one byte at a time', () => {
    sameBytes(reencode(feed(data(), ndjson, () => 1), ndjson), data(), '1-byte chunks');
  });
  it('fed in random chunks (1 byte to 64 KiB)', () => {
    const r = mulberry32(data().length);
    for (let rep = 0; rep < 3; rep++) {
      const max = [7, 700, 65536][rep]!;
      sameBytes(reencode(feed(data(), ndjson, () => 1 + Math.floor(r() * max)), ndjson), data(), `random chunks up to ${max}`);
    }
  });
}

describe('MRD v2 reference files', () => {
  it('the lists above hold every stream file of reference/mrd-v2 (the rest are PNGs and notes)', () => {
    const dir = reference('mrd-v2');
    const found = [
      ...readdirSync(dir).filter((f) => /\.(mrd|ndjson|ismrmrd)$/.test(f)),
      ...readdirSync(join(dir, 'v1_to_v2')).map((f) => `v1_to_v2/${f}`),
    ].sort();
    expect(found).toEqual([...BINARY, ...NDJSON, ...V1].sort());
  });
  for (const f of V1) {
    it(`${f}: the v1 codec decodes and re-encodes it byte for byte (whole and a byte at a time)`, () => {
      const data = bytes(reference(`mrd-v2/${f}`));
      sameBytes(encodeMessages(decodeStream(data)), data, 'whole');
      const d = new MrdStreamDecoder();
      const out: MrdMessage[] = [];
      for (let p = 0; p < data.length; p++) d.push(data.subarray(p, p + 1), out);
      d.end();
      sameBytes(encodeMessages(out), data, '1-byte chunks');
    });
  }
  for (const f of BINARY) describe(f, () => roundTrips(reference(`mrd-v2/${f}`), false));
  for (const f of NDJSON) describe(f, () => roundTrips(reference(`mrd-v2/${f}`), true));

  for (const f of NDJSON) {
    it(`${f} and its .mrd twin convert into each other exactly`, () => {
      const text = readFileSync(reference(`mrd-v2/${f}`));
      const bin = bytes(reference(`mrd-v2/${f.replace('.ndjson', '.mrd')}`));
      const fromText = decodeMrdV2Ndjson(new Uint8Array(text));
      sameBytes(encodeMrdV2(fromText.header, fromText.items), bin, 'NDJSON -> binary');
      const fromBin = decodeMrdV2(bin);
      sameBytes(new TextEncoder().encode(encodeMrdV2Ndjson(fromBin.header, fromBin.items)), new Uint8Array(text), 'binary -> NDJSON');
    });
  }

  // The reference README says ImageUint16 (index 3); upstream's stream_recon writes
  // StreamItem.ImageFloat (index 7, the byte after the header here), as its Python reader confirms.
  it('recon outputs are the header plus two 64x64 ImageFloat (union index 7)', () => {
    const { header, items } = decodeMrdV2(bytes(reference('mrd-v2/recon_phantom_m64_c4_r2_n0.mrd')));
    expect(header?.encoding[0]?.reconSpace.matrixSize).toEqual({ x: 64, y: 64, z: 1 });
    expect(items.map((i) => i.type)).toEqual(['imageFloat', 'imageFloat']);
    const img = items[0]!.value as { data: { shape: number[]; data: Float32Array } };
    expect(img.data.shape).toEqual([1, 1, 64, 64]);
    expect(img.data.data).toBeInstanceOf(Float32Array);
  });

  it('the header-less conversion has optional tag 0 right after the preamble', () => {
    const data = bytes(reference('mrd-v2/v1_to_v2/invertcontrast_m64.from_h5_noheader.mrd'));
    expect(data[25164]).toBe(0);
    expect(decodeMrdV2(data).header).toBeUndefined();
  });
});

describe('kitchen-sink fixture (every StreamItem case, written by upstream Python)', () => {
  const bin = join(FIXTURES, 'kitchen-sink.mrd');
  const text = join(FIXTURES, 'kitchen-sink.ndjson');
  describe('binary', () => roundTrips(bin, false));
  describe('NDJSON', () => roundTrips(text, true));

  it('holds every StreamItem case', () => {
    const { items } = decodeMrdV2(bytes(bin));
    expect(new Set(items.map((i) => i.type)).size).toBe(22);
  });

  it('our NDJSON of its items is upstream NDJSON (reconData and imageArray, which upstream cannot write, left out)', () => {
    const { header, items } = decodeMrdV2(bytes(bin));
    const kept = items.filter((i) => i.type !== 'reconData' && i.type !== 'imageArray');
    const ours = encodeMrdV2Ndjson(header, kept).split('\n');
    const theirs = readFileSync(text, 'utf8').split('\n');
    expect(ours.length).toBe(theirs.length);
    ours.forEach((line, i) => expect(line, `line ${i + 1}`).toBe(theirs[i]));
    const back = decodeMrdV2Ndjson(readFileSync(text, 'utf8'));
    sameBytes(encodeMrdV2(back.header, back.items), encodeMrdV2(header, kept), 'NDJSON -> binary');
  });

  it('reconData and imageArray survive NDJSON and back (yardl spec encoding)', () => {
    const { header, items } = decodeMrdV2(bytes(bin));
    const arrays = items.filter((i) => i.type === 'reconData' || i.type === 'imageArray');
    expect(arrays.length).toBe(2);
    const back = decodeMrdV2Ndjson(encodeMrdV2Ndjson(header, arrays));
    sameBytes(encodeMrdV2(back.header, back.items), encodeMrdV2(header, arrays), 'arrays through NDJSON');
  });
});
