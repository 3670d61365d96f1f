/**
 * Acceptance: every reference stream decodes to the message sequence the reference produced
 * (counts per type, header fields and payloads checked against the reference HDF5 files read
 * independently with h5wasm), re-encodes byte for byte, and gives the same result when fed in
 * random chunk sizes down to 1 byte.
 */
import { readFileSync } from 'node:fs';
import h5wasm from 'h5wasm/node';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../testing/random.js';
import { reference } from '../testing/reference.js';
import type { MrdMessage } from '../connection/types.js';
import { MrdStreamDecoder, decodeStream } from './decoder.js';
import { encodeMessage, encodeMessages } from './encoder.js';

type H5File = InstanceType<typeof h5wasm.File>;

const CASES: { name: string; input: string }[] = [
  { name: 'invertcontrast_m64', input: 'inputs/phantom_m64_c4_r2.h5' },
  { name: 'simplefft_m64', input: 'inputs/phantom_m64_c4_r2.h5' },
  { name: 'invertcontrast_rgb', input: 'inputs/phantom_m64_c4_r2.h5' },
  { name: 'invertcontrast_roi', input: 'inputs/phantom_m64_c4_r2.h5' },
  { name: 'invertcontrast_complex', input: 'inputs/phantom_m64_c4_r2.h5' },
  { name: 'images_invertcontrast_sendoriginal', input: 'outputs/invertcontrast_m64.h5' },
  { name: 'cpp_invertcontrast', input: 'inputs/cpp_phantom_m64_c4_noise_traj.h5' },
  { name: 'waveforms_savedataonly', input: 'inputs/phantom_m64_waveforms.h5' },
];

function countTypes(msgs: MrdMessage[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const m of msgs) c[m.type] = (c[m.type] ?? 0) + 1;
  return c;
}

function decodeChunked(bytes: Uint8Array, sizes: () => number): MrdMessage[] {
  const d = new MrdStreamDecoder();
  const out: MrdMessage[] = [];
  for (let p = 0; p < bytes.length; ) {
    const n = Math.max(1, sizes());
    // Copy each chunk into its own buffer, as a socket delivers it.
    d.push(bytes.slice(p, p + n), out);
    p += n;
  }
  d.end();
  return out;
}

function xmlOf(f: H5File): string {
  const v = (f.get('dataset/xml') as any).value;
  return String(Array.isArray(v) ? v[0] : v);
}

function num(x: unknown): number {
  return typeof x === 'bigint' ? Number(x) : (x as number);
}

/** Compare an acquisition decoded from the stream with one row of /dataset/data. */
function expectAcquisitionMatchesRow(m: MrdMessage, row: any): void {
  expect(m.type).toBe('acquisition');
  if (m.type !== 'acquisition') return;
  const [head, traj, data] = row;
  const h = m.acquisition.head;
  expect(h.version).toBe(head[0]);
  expect(h.flags).toBe(BigInt(head[1]));
  expect(h.scan_counter).toBe(head[3]);
  expect(h.number_of_samples).toBe(head[6]);
  expect(h.active_channels).toBe(head[8]);
  expect(h.center_sample).toBe(head[12]);
  expect(h.trajectory_dimensions).toBe(head[14]);
  expect(h.sample_time_us).toBeCloseTo(head[15], 6);
  expect(h.read_dir).toEqual(Array.from(head[17]));
  expect(h.idx.kspace_encode_step_1).toBe(head[21][0]);
  expect(h.idx.slice).toBe(head[21][3]);
  expect(Array.from(m.acquisition.data)).toEqual(Array.from(data as Float32Array));
  expect(Array.from(m.acquisition.traj)).toEqual(Array.from((traj as Float32Array | undefined) ?? []));
}

describe('reference streams', () => {
  beforeAll(async () => {
    await h5wasm.ready;
  });

  for (const c of CASES) {
    const c2s = `streams/${c.name}.client-to-server.bin`;
    const s2c = `streams/${c.name}.server-to-client.bin`;
    const out = `outputs/${c.name}.h5`;

    it(`${c.name}: client-to-server matches ${c.input}`, () => {
      const msgs = decodeStream(new Uint8Array(readFileSync(reference(c2s))));
      const f = new h5wasm.File(reference(c.input), 'r');
      try {
        const keys = (f.get('dataset') as any).keys() as string[];
        const counts = countTypes(msgs);
        // Sequence: config_file, header, [config_text as TEXT json], data..., close.
        expect(msgs[0]!.type).toBe('config_file');
        expect(msgs[1]!.type).toBe('header');
        expect(msgs.at(-1)!.type).toBe('close');
        expect(counts.close).toBe(1);
        const hdr = msgs[1]!;
        if (hdr.type === 'header') expect(hdr.xml).toBe(xmlOf(f));
        const acqs = msgs.filter((m) => m.type === 'acquisition');
        if (keys.includes('data')) {
          const ds = f.get('dataset/data') as any;
          expect(acqs.length).toBe(ds.shape[0]);
          for (const i of [0, 1, Math.floor(acqs.length / 2), acqs.length - 1]) {
            expectAcquisitionMatchesRow(acqs[i]!, ds.slice([[i, i + 1]])[0]);
          }
        } else expect(acqs.length).toBe(0);
        const wavs = msgs.filter((m) => m.type === 'waveform');
        if (keys.includes('waveforms')) {
          const ds = f.get('dataset/waveforms') as any;
          expect(wavs.length).toBe(ds.shape[0]);
          for (let i = 0; i < wavs.length; i++) {
            const [head, data] = ds.slice([[i, i + 1]])[0];
            const w = wavs[i]!;
            if (w.type !== 'waveform') throw new Error('not a waveform');
            expect([w.waveform.head.version, w.waveform.head.measurement_uid, w.waveform.head.scan_counter, w.waveform.head.time_stamp,
              w.waveform.head.number_of_samples, w.waveform.head.channels, w.waveform.head.waveform_id]).toEqual(
              [head[0], head[2], head[3], head[4], head[5], head[6], head[8]]);
            expect(w.waveform.head.flags).toBe(BigInt(head[1]));
            expect(w.waveform.head.sample_time_us).toBeCloseTo(head[7], 6);
            expect(Array.from(w.waveform.data)).toEqual(Array.from(data as Uint32Array));
          }
        } else expect(wavs.length).toBe(0);
        const imgs = msgs.filter((m) => m.type === 'image');
        const imageGroups = keys.filter((k) => k.startsWith('image_'));
        let nImages = 0;
        for (const g of imageGroups) {
          const head = f.get(`dataset/${g}/header`) as any;
          nImages += head.shape[0];
          expectImagesMatchGroup(imgs.filter((m) => m.type === 'image' && `image_${m.image.head.image_series_index}` === g), f, g);
        }
        expect(imgs.length).toBe(nImages);
      } finally {
        f.close();
      }
    });

    it(`${c.name}: server-to-client matches ${out}`, () => {
      const msgs = decodeStream(new Uint8Array(readFileSync(reference(s2c))));
      expect(msgs.at(-1)!.type).toBe('close');
      const counts = countTypes(msgs);
      expect(counts.acquisition ?? 0).toBe(0);
      const f = new h5wasm.File(reference(out), 'r');
      try {
        const keys = (f.get('dataset') as any).keys() as string[];
        const imageGroups = keys.filter((k) => k.startsWith('image_'));
        let n = 0;
        for (const g of imageGroups) {
          const head = f.get(`dataset/${g}/header`) as any;
          n += head.shape[0];
        }
        expect(counts.image ?? 0).toBe(n);
        // The client writes images per series group in arrival order.
        const imgs = msgs.filter((m) => m.type === 'image');
        const bySeries = new Map<string, MrdMessage[]>();
        for (const m of imgs) {
          if (m.type !== 'image') continue;
          const k = `image_${m.image.head.image_series_index}`;
          bySeries.set(k, [...(bySeries.get(k) ?? []), m]);
        }
        for (const g of imageGroups) expectImagesMatchGroup(bySeries.get(g) ?? [], f, g);
        for (const m of msgs) {
          if (m.type === 'text') expect(m.text).toMatch(/^INFO {5}Total processing time: [\d.]+ ms$/);
        }
      } finally {
        f.close();
      }
    });

    it(`${c.name}: re-encoding reproduces both streams byte for byte`, () => {
      for (const rel of [c2s, s2c]) {
        const bytes = new Uint8Array(readFileSync(reference(rel)));
        const msgs = decodeStream(bytes);
        expect(Buffer.compare(Buffer.from(encodeMessages(msgs)), Buffer.from(bytes))).toBe(0);
        const parts = msgs.map(encodeMessage);
        expect(Buffer.compare(Buffer.concat(parts), Buffer.from(bytes))).toBe(0);
        // Nothing needed the raw fallback: the reference follows the default conventions.
        expect(msgs.some((m) => 'raw' in m && m.raw !== undefined)).toBe(false);
      }
    });

    it(`${c.name}: chunked decoding (1 byte, random sizes) equals whole-buffer decoding`, () => {
      for (const rel of [c2s, s2c]) {
        const bytes = new Uint8Array(readFileSync(reference(rel)));
        const whole = encodeMessages(decodeStream(bytes));
        const one = decodeChunked(bytes, () => 1);
        expect(Buffer.compare(Buffer.from(encodeMessages(one)), Buffer.from(whole))).toBe(0);
        for (const seed of [1, 2, 3]) {
          const r = mulberry32(seed);
          const small = decodeChunked(bytes, () => Math.floor(r() * 700));
          expect(Buffer.compare(Buffer.from(encodeMessages(small)), Buffer.from(bytes))).toBe(0);
          const big = decodeChunked(bytes, () => Math.floor(r() * 100_000));
          expect(Buffer.compare(Buffer.from(encodeMessages(big)), Buffer.from(bytes))).toBe(0);
        }
      }
    });
  }
});

function expectImagesMatchGroup(imgs: MrdMessage[], f: H5File, g: string): void {
  const headDs = f.get(`dataset/${g}/header`) as any;
  const attrDs = f.get(`dataset/${g}/attributes`) as any;
  const dataDs = f.get(`dataset/${g}/data`) as any;
  expect(imgs.length).toBe(headDs.shape[0]);
  const attrs = attrDs.value as string[];
  const data = dataDs.value as ArrayLike<number>;
  const per = data.length / headDs.shape[0];
  for (let i = 0; i < imgs.length; i++) {
    const m = imgs[i]!;
    if (m.type !== 'image') throw new Error('not an image');
    const row = headDs.slice([[i, i + 1]])[0];
    const h = m.image.head;
    expect(h.version).toBe(row[0]);
    expect(h.data_type).toBe(row[1]);
    expect(h.flags).toBe(BigInt(row[2]));
    expect(h.matrix_size).toEqual(Array.from(row[4]));
    expect(h.channels).toBe(row[6]);
    expect([h.average, h.slice, h.contrast, h.phase, h.repetition, h.set]).toEqual(row.slice(12, 18));
    expect(h.image_type).toBe(row[20]);
    expect(h.image_index).toBe(row[21]);
    expect(h.image_series_index).toBe(row[22]);
    expect(h.attribute_string_len).toBe(num(row[25]));
    expect(m.image.attribute).toBe(String(attrs[i]));
    // h5wasm gives complex data as [re, im] pairs; flatten to compare with interleaved pixels.
    const flat = (x: unknown): number[] => (Array.isArray(x) ? (x as unknown[]).flatMap(flat) : [Number(x)]);
    const want = Array.from({ length: per }, (_, k) => data[i * per + k]).flatMap(flat);
    expect(Array.from(m.image.data as ArrayLike<number>)).toEqual(want);
  }
}
