/**
 * MrdFile against the reference files (written by ismrmrd-python/h5py and the ISMRMRD C++
 * library). The oracle is an independent read of the same datasets through h5wasm's generic
 * high-level API (Dataset.value / slice: its own JS conversion of compounds, arrays and vlens),
 * plus facts known from how the files were made (reference/README.md).
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reference } from '../../testing/reference.js';
import type { Acquisition, Image, Waveform } from '../../messages/types.js';
import { MrdFile, MrdFileError } from './index.js';

type Md = { type: number; compound_type?: { members: (Md & { name: string })[] } };

/** h5wasm's high-level value of a compound record, turned into an object keyed by member name. */
function named(md: Md, v: unknown): unknown {
  if (md.type === 6 && md.compound_type) {
    const arr = v as unknown[];
    return Object.fromEntries(md.compound_type.members.map((m, i) => [m.name, named(m, arr[i])]));
  }
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  return v;
}

/** The records of a dataset, independently read with h5wasm's generic API. */
async function oracleRecords(file: string, path: string): Promise<Record<string, unknown>[]> {
  await h5wasm.ready;
  const f = new h5wasm.File(file, 'r');
  try {
    const ds = f.get(path) as InstanceType<typeof h5wasm.Dataset>;
    const md = ds.metadata as unknown as Md;
    return (ds.value as unknown[]).map((r) => named(md, r) as Record<string, unknown>);
  } finally {
    f.close();
  }
}

async function oracleValue(file: string, path: string): Promise<unknown> {
  await h5wasm.ready;
  const f = new h5wasm.File(file, 'r');
  try {
    return (f.get(path) as InstanceType<typeof h5wasm.Dataset>).value;
  } finally {
    f.close();
  }
}

/** Our header vs the oracle's: every member, u64 fields compared as bigint. */
function expectHeaderEqual(ours: object, theirs: Record<string, unknown>, u64: string[]): void {
  const o = ours as Record<string, unknown>;
  expect(Object.keys(o).sort()).toEqual(Object.keys(theirs).sort());
  for (const [k, v] of Object.entries(theirs)) {
    if (u64.includes(k)) {
      const want = Array.isArray(v) ? v.map((x) => BigInt(x as number)) : BigInt(v as number);
      expect(o[k], k).toEqual(want);
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      expectHeaderEqual(o[k] as object, v as Record<string, unknown>, []);
    } else {
      expect(o[k], k).toEqual(v);
    }
  }
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const PY = 'inputs/phantom_m64_c4_r2.h5';
const CPP = 'inputs/cpp_phantom_m64_c4_noise_traj.h5';
const WAVE = 'inputs/phantom_m64_waveforms.h5';
const SAVED = 'savedata/waveforms_savedataonly.server-saved.h5';

describe('MrdFile on the h5py phantom (ismrmrd-python)', () => {
  let f: MrdFile;
  let acqs: Acquisition[];
  beforeAll(async () => {
    f = await MrdFile.open(reference(PY));
    acqs = await collect(f.acquisitions('dataset'));
  });
  afterAll(() => f.close());

  it('lists the group, counts 32 noise + 2 x 64 acquisitions, reads the XML header', () => {
    expect(f.groups()).toEqual(['dataset']);
    expect(f.acquisitionCount('dataset')).toBe(160);
    expect(acqs).toHaveLength(160);
    const xml = f.readHeader('dataset')!;
    expect(xml.startsWith('<?xml')).toBe(true);
    expect(xml).toContain('<ismrmrdHeader');
    expect(xml.trimEnd().endsWith('</ismrmrdHeader>')).toBe(true);
    const noise = acqs.filter((a) => (a.head.flags & (1n << 18n)) !== 0n);
    expect(noise).toHaveLength(32);
    expect(acqs.filter((a) => a.head.idx.repetition === 1)).toHaveLength(64);
  });

  it('returns every header, data and traj value as h5wasm generic reads them', async () => {
    const want = await oracleRecords(reference(PY), '/dataset/data');
    expect(want).toHaveLength(acqs.length);
    for (let i = 0; i < acqs.length; i++) {
      const a = acqs[i]!;
      expectHeaderEqual(a.head, want[i]!.head as Record<string, unknown>, ['flags', 'channel_mask']);
      expect(Array.from(a.data)).toEqual(want[i]!.data);
      expect(Array.from(a.traj)).toEqual(want[i]!.traj);
      expect(a.data.length).toBe(2 * a.head.active_channels * a.head.number_of_samples);
    }
    const img = acqs[32 + 10]!;
    expect(img.head.active_channels).toBe(4);
    expect(img.head.number_of_samples).toBe(128);
  });

  it('gives the same records whatever the batch size, and honours start/end', async () => {
    for (const batchSize of [1, 7, 160, 1000]) {
      const got = await collect(f.acquisitions('dataset', { batchSize }));
      expect(got).toHaveLength(160);
      for (let i = 0; i < 160; i += 13) {
        expect(got[i]!.head).toEqual(acqs[i]!.head);
        expect(got[i]!.data).toEqual(acqs[i]!.data);
      }
    }
    const part = await collect(f.acquisitions('dataset', { start: 30, end: 35, batchSize: 2 }));
    expect(part.map((a) => a.head.scan_counter)).toEqual(acqs.slice(30, 35).map((a) => a.head.scan_counter));
    const batches = await collect(f.acquisitionBatches('dataset', { batchSize: 50 }));
    expect(batches.map((b) => b.length)).toEqual([50, 50, 50, 10]);
    // default sizing: one record first (sizes unknown), then as many as fit ~1 MB (all 159 here)
    const adaptive = await collect(f.acquisitionBatches('dataset'));
    expect(adaptive.map((b) => b.length)).toEqual([1, 159]);
  });

  it('reuseBuffer: each batch right while current, all batches in one reused buffer', async () => {
    const buffers = new Set<ArrayBufferLike>();
    let i = 0;
    for await (const batch of f.acquisitionBatches('dataset', { batchSize: 16, reuseBuffer: true })) {
      for (const a of batch) {
        expect(a.head).toEqual(acqs[i]!.head);
        expect(a.data).toEqual(acqs[i]!.data);
        expect(a.traj).toEqual(acqs[i]!.traj);
        buffers.add(a.data.buffer);
        i++;
      }
    }
    expect(i).toBe(160);
    expect(buffers.size).toBe(1);
    // the default gives every batch its own memory
    const own = new Set<ArrayBufferLike>();
    for await (const batch of f.acquisitionBatches('dataset', { batchSize: 16 })) own.add(batch[0]!.data.buffer);
    expect(own.size).toBe(10);
  });

  it('heapViews: each batch right while current, payloads viewing the HDF5 runtime memory; stopping early releases', async () => {
    let i = 0;
    const buffers = new Set<ArrayBufferLike>();
    for await (const batch of f.acquisitionBatches('dataset', { batchSize: 16, heapViews: true })) {
      for (const a of batch) {
        expect(a.head).toEqual(acqs[i]!.head);
        expect(a.data).toEqual(acqs[i]!.data);
        expect(a.traj).toEqual(acqs[i]!.traj);
        buffers.add(a.data.buffer);
        i++;
      }
    }
    expect(i).toBe(160);
    // one memory for all batches (the runtime's heap), not a new buffer per batch
    expect(buffers.size).toBe(1);
    for await (const batch of f.acquisitionBatches('dataset', { batchSize: 16, heapViews: true })) {
      expect(batch[0]!.data).toEqual(acqs[0]!.data);
      break;
    }
    // after an early stop the file reads on normally
    const again: number[] = [];
    for await (const batch of f.acquisitionBatches('dataset', { batchSize: 64 })) again.push(batch.length);
    expect(again).toEqual([64, 64, 32]);
  });

  it('has no images or waveforms here: counts 0, iterating waveforms names the missing path', async () => {
    expect(f.imageSeries('dataset')).toEqual([]);
    expect(f.waveformCount('dataset')).toBe(0);
    await expect(collect(f.waveforms('dataset'))).rejects.toThrow(/phantom_m64_c4_r2\.h5: \/dataset\/waveforms: missing/);
    expect(f.readText('dataset', 'config_file')).toBeUndefined();
  });

  it('two handles on one file are independent; reading a closed handle fails clearly', async () => {
    const a = await MrdFile.open(reference(PY));
    const it1 = a.acquisitions('dataset', { batchSize: 1 })[Symbol.asyncIterator]();
    expect((await it1.next()).done).toBe(false);
    a.close();
    await expect(it1.next()).rejects.toThrow(/phantom_m64_c4_r2\.h5: file is closed/);
    expect((await collect(f.acquisitions('dataset'))).length).toBe(160);
  });

  it('names an unknown group and lists the ones there are', () => {
    expect(() => f.acquisitionCount('nope')).toThrow(MrdFileError);
    expect(() => f.acquisitionCount('nope')).toThrow(/: \/nope: missing \(groups in file: dataset\)/);
  });
});

describe('MrdFile on the C++ library phantom', () => {
  let f: MrdFile;
  beforeAll(async () => {
    f = await MrdFile.open(reference(CPP));
  });
  afterAll(() => f.close());

  it('reads the scalar-style XML, noise calibration and trajectories as h5wasm generic reads them', async () => {
    const xml = f.readHeader('dataset')!;
    expect(xml).toContain('<ismrmrdHeader');
    const acqs = await collect(f.acquisitions('dataset', { batchSize: 9 }));
    const want = await oracleRecords(reference(CPP), '/dataset/data');
    expect(acqs).toHaveLength(want.length);
    expect(acqs.length).toBe(f.acquisitionCount('dataset'));
    for (let i = 0; i < acqs.length; i++) {
      expectHeaderEqual(acqs[i]!.head, want[i]!.head as Record<string, unknown>, ['flags', 'channel_mask']);
      expect(Array.from(acqs[i]!.data)).toEqual(want[i]!.data);
      expect(Array.from(acqs[i]!.traj)).toEqual(want[i]!.traj);
    }
    const withTraj = acqs.filter((a) => a.traj.length > 0);
    expect(withTraj.length).toBeGreaterThan(0);
    for (const a of withTraj) expect(a.traj.length).toBe(a.head.number_of_samples * a.head.trajectory_dimensions);
    expect(acqs.some((a) => (a.head.flags & (1n << 18n)) !== 0n)).toBe(true);
  });

  it('reads the phantom, csm and coil_images arrays (complex, interleaved) as h5wasm does', async () => {
    for (const [name, shape] of [['phantom', [1, 64, 64]], ['csm', [1, 4, 64, 64]], ['coil_images', [1, 4, 64, 128]]] as const) {
      const arr = f.readArray(`/dataset/${name}`);
      expect(arr.shape).toEqual(shape);
      expect(arr.type).toBe('complex64');
      expect(arr.data).toBeInstanceOf(Float32Array);
      const n = (shape as readonly number[]).reduce((a, b) => a * b, 1);
      expect(arr.data.length).toBe(2 * n);
      const want = (await oracleValue(reference(CPP), `/dataset/${name}`)) as [number, number][];
      const flat = want.flat(10) as number[];
      expect(Array.from(arr.data as Float32Array)).toEqual(flat);
      expect(flat.some((x) => x !== 0)).toBe(true);
    }
    const part = f.readArray('/dataset/csm', { start: 0, end: 1 });
    expect(part.shape).toEqual([1, 4, 64, 64]);
  });

  it('names a missing plain dataset', () => {
    expect(() => f.readArray('/dataset/nothing')).toThrow(/cpp_phantom_m64_c4_noise_traj\.h5: \/dataset\/nothing: missing/);
    expect(() => f.readArray('/dataset/xml')).toThrow(/\/dataset\/xml: not a numeric or complex dataset/);
  });
});

describe('MrdFile waveforms', () => {
  it('reads the 20 appended waveforms (ids 0 and 1025, 5 channels x 40 samples) as h5wasm does', async () => {
    const f = await MrdFile.open(reference(WAVE));
    try {
      expect(f.waveformCount('dataset')).toBe(20);
      const ws: Waveform[] = await collect(f.waveforms('dataset', { batchSize: 3 }));
      const want = await oracleRecords(reference(WAVE), '/dataset/waveforms');
      expect(ws).toHaveLength(20);
      expect(new Set(ws.map((w) => w.head.waveform_id))).toEqual(new Set([0, 1025]));
      for (let i = 0; i < ws.length; i++) {
        const w = ws[i]!;
        expect(w.head.channels).toBe(5);
        expect(w.head.number_of_samples).toBe(40);
        expect(w.data).toBeInstanceOf(Uint32Array);
        expect(w.data.length).toBe(200);
        expectHeaderEqual(w.head, want[i]!.head as Record<string, unknown>, ['flags']);
        expect(Array.from(w.data)).toEqual(want[i]!.data);
      }
      expect(f.acquisitionCount('dataset')).toBe(160);
    } finally {
      f.close();
    }
  });
});

describe('MrdFile server-saved data (savedata)', () => {
  it('reads config_file, acquisitions and waveforms', async () => {
    const f = await MrdFile.open(reference(SAVED));
    try {
      expect(f.readText('dataset', 'config_file')).toBe('savedataonly');
      expect(f.readText('dataset', 'config')).toBeUndefined();
      expect(f.acquisitionCount('dataset')).toBe(160);
      expect(f.waveformCount('dataset')).toBe(20);
      expect((await collect(f.waveforms('dataset'))).length).toBe(20);
      expect(f.readHeader('dataset')).toContain('<ismrmrdHeader');
    } finally {
      f.close();
    }
  });
});

const OUTPUTS: [string, string[], number, string][] = [
  ['outputs/invertcontrast_m64.h5', ['image_0'], 2, 'Int16Array'],
  ['outputs/simplefft_m64.h5', ['image_0'], 2, 'Int16Array'],
  ['outputs/invertcontrast_rgb.h5', ['image_0'], 1, 'Uint16Array'],
  ['outputs/invertcontrast_roi.h5', ['image_0'], 2, 'Int16Array'],
  ['outputs/invertcontrast_complex.h5', ['image_0'], 5, 'Float32Array'],
  ['outputs/cpp_invertcontrast.h5', ['image_0'], 2, 'Int16Array'],
  ['outputs/images_invertcontrast_sendoriginal.h5', ['image_0', 'image_99'], 2, 'Int16Array'],
];

describe('MrdFile images of the reference outputs', () => {
  for (const [file, series, dataType, ctor] of OUTPUTS) {
    it(`${file}: series ${series.join(', ')}, data_type ${dataType}, pixels and attributes as h5wasm reads them`, async () => {
      const f = await MrdFile.open(reference(file));
      try {
        expect(f.imageSeries('dataset')).toEqual(series);
        expect(f.acquisitionCount('dataset')).toBe(0);
        await expect(collect(f.acquisitions('dataset'))).rejects.toThrow(/: \/dataset\/data: missing/);
        for (const s of series) {
          const imgs: Image[] = await collect(f.images('dataset', s, { batchSize: 1 }));
          expect(imgs.length).toBe(f.imageCount('dataset', s));
          expect(imgs.length).toBeGreaterThan(0);
          const heads = await oracleRecords(reference(file), `/dataset/${s}/header`);
          const attrs = (await oracleValue(reference(file), `/dataset/${s}/attributes`)) as string[];
          const pixels = (await oracleValue(reference(file), `/dataset/${s}/data`)) as ArrayLike<number>;
          const per = pixels.length / heads.length;
          for (let i = 0; i < imgs.length; i++) {
            const im = imgs[i]!;
            expectHeaderEqual(im.head, heads[i]!, ['flags']);
            expect(im.head.data_type).toBe(dataType);
            expect(im.data.constructor.name).toBe(ctor);
            expect(im.data.length).toBe(im.head.channels * im.head.matrix_size[0]! * im.head.matrix_size[1]! * im.head.matrix_size[2]!);
            expect(Array.from(im.data)).toEqual(Array.from(pixels).slice(i * per, (i + 1) * per));
            expect(im.attribute).toBe(attrs[i]);
            expect(im.attribute).toContain('<ismrmrdMeta>');
            expect(new TextEncoder().encode(im.attribute).length).toBe(im.head.attribute_string_len);
          }
        }
      } finally {
        f.close();
      }
    });
  }
});

describe('MrdFile errors and odd files (no reference data needed)', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mrd-reader-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names a missing file, a directory, an empty file and a non-HDF5 file', async () => {
    await expect(MrdFile.open(join(dir, 'absent.h5'))).rejects.toThrow(/absent\.h5: no such file/);
    await expect(MrdFile.open(dir)).rejects.toThrow(/is a directory/);
    writeFileSync(join(dir, 'empty.h5'), '');
    await expect(MrdFile.open(join(dir, 'empty.h5'))).rejects.toThrow(/empty\.h5: empty file, not an HDF5 file/);
    writeFileSync(join(dir, 'text.h5'), 'this is not hdf5\n'.repeat(100));
    await expect(MrdFile.open(join(dir, 'text.h5'))).rejects.toThrow(MrdFileError);
    await expect(MrdFile.open(join(dir, 'text.h5'))).rejects.toThrow(/text\.h5: not an HDF5 file/);
  });

  it('names an unreadable file', async () => {
    if (process.getuid?.() === 0) return; // root reads any file: nothing to check
    const file = join(dir, 'locked.h5');
    writeFileSync(file, 'x');
    chmodSync(file, 0);
    await expect(MrdFile.open(file)).rejects.toThrow(/locked\.h5: cannot read: /);
  });

  it('names a file with the HDF5 signature but a broken body', async () => {
    const bytes = Buffer.alloc(4096, 0xab);
    Buffer.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]).copy(bytes, 0);
    writeFileSync(join(dir, 'broken.h5'), bytes);
    await expect(MrdFile.open(join(dir, 'broken.h5'))).rejects.toThrow(/broken\.h5: cannot open as HDF5: /);
  });

  it('reads scalar and (1,) string headers, UTF-8 text, arbitrary group names, and rejects malformed record datasets by path', async () => {
    await h5wasm.ready;
    const file = join(dir, 'odd.h5');
    const w = new h5wasm.File(file, 'w');
    const xml = '<?xml version="1.0"?><ismrmrdHeader><studyInformation><studyDescription>Gehirn ü µ 脳</studyDescription></studyInformation></ismrmrdHeader>';
    const g1 = w.create_group('my scan (2) ü');
    g1.create_dataset({ name: 'xml', data: xml });
    g1.create_dataset({ name: 'config', data: ['invertcontrast'], shape: [1] });
    g1.create_dataset({ name: 'data', data: new Float32Array([1, 2, 3]) });
    const g2 = w.create_group('second');
    g2.create_dataset({ name: 'xml', data: ['<a/>'], shape: [1] });
    const im = g2.create_group('image_3');
    im.create_dataset({ name: 'header', data: new Uint8Array(4) });
    im.create_dataset({ name: 'data', data: new Uint16Array(4), shape: [1, 1, 1, 2, 2] });
    g2.create_group('image_10').create_dataset({ name: 'header', data: new Uint8Array(4) });
    (w.get('second/image_10') as InstanceType<typeof h5wasm.Group>).create_dataset({ name: 'data', data: new Uint8Array(4) });
    g2.create_group('imagesX');
    g2.create_group('image_7'); // no header/data: not a series
    w.close();

    const f = await MrdFile.open(file);
    try {
      expect(f.groups().sort()).toEqual(['my scan (2) ü', 'second']);
      expect(f.readHeader('my scan (2) ü')).toBe(xml);
      expect(f.readHeader('/second')).toBe('<a/>');
      expect(f.readText('my scan (2) ü', 'config')).toBe('invertcontrast');
      expect(f.readText('my scan (2) ü', 'configAdditional')).toBeUndefined();
      expect(f.imageSeries('second')).toEqual(['image_10', 'image_3']); // h5py's keys() order
      expect(f.acquisitionCount('my scan (2) ü')).toBe(3);
      await expect(collect(f.acquisitions('my scan (2) ü'))).rejects.toThrow(
        /odd\.h5: \/my scan \(2\) ü\/data: not an MRD acquisition dataset: no compound member 'head'/,
      );
      await expect(collect(f.images('second', 'image_3'))).rejects.toThrow(/odd\.h5: \/second\/image_3\/header: malformed image header type/);
      await expect(collect(f.images('second', 'image_10'))).rejects.toThrow(/odd\.h5: \/second\/image_10\/header: malformed image header type: the record type is not a compound/);
      await expect(collect(f.images('second', 'image_4'))).rejects.toThrow(/odd\.h5: \/second\/image_4: missing/);
      expect(f.readArray('/my scan (2) ü/data')).toEqual({ shape: [3], type: 'float32', data: new Float32Array([1, 2, 3]) });
      expect(f.list('/')).toContain('second');
      expect(f.has('/second/image_3/data')).toBe(true);
      expect(f.has('/second/image_3/nothing')).toBe(false);
    } finally {
      f.close();
    }
    expect(() => f.groups()).toThrow(/odd\.h5: file is closed/);

    // paths with spaces and non-ASCII characters reach the host filesystem intact
    const sub = join(dir, 'sub dir ü');
    mkdirSync(sub);
    const odd = join(sub, 'ödd file 頭.h5');
    copyFileSync(file, odd);
    const g = await MrdFile.open(odd);
    try {
      expect(g.readHeader('my scan (2) ü')).toBe(xml);
    } finally {
      g.close();
    }
  });
});
