/**
 * MrdWriter round trips. Oracles: the project's h5wasm-based MrdFile reader, and h5wasm's own
 * generic API (Dataset.value, metadata) for structure (shapes, chunking, types).
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonShape as plain } from '../../testing/peers.js';
import { RandomFields, randomAcquisitionHeader, randomImageHeader, randomImagePixels, randomWaveformHeader } from '../../testing/random.js';
import { reference } from '../../testing/reference.js';
import type { Acquisition, Image, Waveform } from '../../messages/types.js';
import { MrdFile } from '../reader/index.js';
import { u32 } from '../format/datatype.js';
import { Hdf5FileWriter, MrdWriter } from './index.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mrd-writer-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Random acquisitions, waveforms and images of varied sizes, every header field set (seeded). */
class Gen extends RandomFields {
  constructor(seed: number) {
    super(seed, { f32: 1e6 });
  }
  acquisition(): Acquisition {
    const ns = 1 + this.int(64);
    const ch = 1 + this.int(4);
    const td = this.int(4) === 0 ? 0 : 1 + this.int(3);
    return {
      head: randomAcquisitionHeader(this, { number_of_samples: ns, active_channels: ch, trajectory_dimensions: td }),
      data: Float32Array.from(this.arr(2 * ns * ch, this.f32)),
      traj: Float32Array.from(this.arr(ns * td, this.f32)),
    };
  }
  waveform(): Waveform {
    const ns = this.int(50);
    const ch = 1 + this.int(5);
    return { head: randomWaveformHeader(this, { number_of_samples: ns, channels: ch }), data: Uint32Array.from(this.arr(ns * ch, this.u32)) };
  }
  image(dataType: number, series: number, shape?: [number, number, number, number]): Image {
    const [mx, my, mz, ch] = shape ?? [1 + this.int(9), 1 + this.int(7), 1 + this.int(3), 1 + this.int(3)];
    const data = randomImagePixels(this, dataType, mx * my * mz * ch);
    const head = randomImageHeader(this, {
      data_type: dataType, matrix_size: [mx, my, mz], channels: ch, image_type: 1 + this.int(5), image_series_index: series,
    });
    const attrs = ['', 'plain', '<ismrmrdMeta><meta><name>k</name><value>Ünïcødé ✓ 漢字 😀</value></meta></ismrmrdMeta>'];
    return { head, attribute: attrs[this.int(3)], data };
  }
}

async function readAll(path: string, group = 'dataset', extraSeries: string[] = []) {
  const f = await MrdFile.open(path);
  try {
    const acqs: Acquisition[] = [];
    if (f.has(`/${group}/data`)) for await (const a of f.acquisitions(group)) acqs.push(a);
    const wfs: Waveform[] = [];
    if (f.has(`/${group}/waveforms`)) for await (const w of f.waveforms(group)) wfs.push(w);
    const images: Record<string, Image[]> = {};
    for (const s of [...f.imageSeries(group), ...extraSeries]) {
      images[s] = [];
      for await (const im of f.images(group, s)) images[s].push(im);
    }
    return { acqs, wfs, images, xml: f.readHeader(group) };
  } finally {
    f.close();
  }
}

async function h5value(file: string, path: string): Promise<{ shape: number[]; value: unknown; chunks: number[] | null }> {
  await h5wasm.ready;
  const f = new h5wasm.File(file, 'r');
  try {
    const d = f.get(path) as InstanceType<typeof h5wasm.Dataset>;
    return { shape: d.shape as number[], value: d.value, chunks: (d.metadata as { chunks: number[] | null }).chunks };
  } finally {
    f.close();
  }
}

describe('MrdWriter round trip', () => {
  it('writes random acquisitions, waveforms and images of every data type that read back equal', async () => {
    const g = new Gen(42);
    const path = join(dir, 'random.h5');
    const acqs = g.arr(1500, () => g.acquisition());
    const wfs = g.arr(300, () => g.waveform());
    const imgs: Image[] = [];
    for (let t = 1; t <= 8; t++) {
      const shape: [number, number, number, number] = [1 + g.int(9), 1 + g.int(7), 1 + g.int(3), 1 + g.int(3)];
      const count = t === 3 ? 1 : 2 + g.int(5); // series image_3 holds a single image
      for (let i = 0; i < count; i++) imgs.push(g.image(t, t, shape));
    }
    const w = await MrdWriter.create(path);
    await w.writeHeader('<?xml version="1.0"?><ismrmrdHeader><x>1</x></ismrmrdHeader>');
    await w.appendAcquisitions(acqs.slice(0, 700));
    await w.appendWaveform(wfs[0]);
    for (const a of acqs.slice(700)) await w.appendAcquisition(a);
    await w.appendWaveforms(wfs.slice(1));
    await w.appendImages(imgs);
    await w.close();

    const back = await readAll(path);
    expect(back.xml).toBe('<?xml version="1.0"?><ismrmrdHeader><x>1</x></ismrmrdHeader>');
    expect(back.acqs.length).toBe(acqs.length);
    expect(plain(back.acqs)).toEqual(plain(acqs));
    expect(plain(back.wfs)).toEqual(plain(wfs));
    for (let t = 1; t <= 8; t++) {
      const want = imgs.filter((im) => im.head.image_series_index === t);
      expect(plain(back.images[`image_${t}`])).toEqual(plain(want));
    }
    // layout as the C library: (N, channels, z, y, x), unlimited first dimension
    const d = await h5value(path, '/dataset/image_5/data');
    const h = imgs.find((im) => im.head.data_type === 5)!.head;
    expect(d.shape).toEqual([imgs.filter((im) => im.head.data_type === 5).length, h.channels, h.matrix_size[2], h.matrix_size[1], h.matrix_size[0]]);
  });

  it('stores empty datasets, empty vlen members and single-element datasets', async () => {
    const g = new Gen(7);
    const path = join(dir, 'empty.h5');
    const w = await MrdWriter.create(path, { group: 'grp' });
    await w.appendAcquisitions([]);
    await w.appendWaveforms([]);
    const img = g.image(5, 0);
    img.attribute = '';
    await w.appendImage(img, { series: 'one' });
    await w.close();
    const back = await readAll(path, 'grp', ['one']);
    expect(back.acqs).toEqual([]);
    expect(back.wfs).toEqual([]);
    expect(plain(back.images.one)).toEqual(plain([img]));
    expect((await h5value(path, '/grp/data')).shape).toEqual([0]);
    expect((await h5value(path, '/grp/waveforms')).shape).toEqual([0]);
    expect((await h5value(path, '/grp/one/attributes')).value).toEqual(['']);

    const p2 = join(dir, 'one-acq.h5');
    const w2 = await MrdWriter.create(p2);
    const a = g.acquisition();
    a.head.trajectory_dimensions = 0;
    a.traj = new Float32Array(0);
    await w2.appendAcquisition(a);
    await w2.close();
    expect(plain((await readAll(p2)).acqs)).toEqual(plain([a]));
  });

  it('writes config texts and replaces the xml header as the C library does', async () => {
    const path = join(dir, 'texts.h5');
    const w = await MrdWriter.create(path);
    await w.writeHeader('<old/>');
    await w.writeText('config_file', 'invertcontrast');
    await w.writeText('config', '<config/>');
    await w.writeText('configAdditional', '{"a": 1}');
    await w.writeHeader('<new/>');
    await w.close();
    const f = await MrdFile.open(path);
    try {
      expect(f.readHeader('dataset')).toBe('<new/>');
      expect(f.readText('dataset', 'config_file')).toBe('invertcontrast');
      expect(f.readText('dataset', 'config')).toBe('<config/>');
      expect(f.readText('dataset', 'configAdditional')).toBe('{"a": 1}');
    } finally {
      f.close();
    }
    const x = await h5value(path, '/dataset/xml');
    expect(x.shape).toEqual([1]);
    expect(x.chunks).toBeNull();
  });

  it('open() fails on a missing file unless asked to create it', async () => {
    const path = join(dir, 'open-create.h5');
    await expect(MrdWriter.open(path, { group: 'g' })).rejects.toThrow(/no such file/);
    const w = await MrdWriter.open(path, { group: 'g', create: true });
    await w.writeHeader('<a/>');
    await w.close();
    const w2 = await MrdWriter.open(path, { group: 'h', create: true });
    await w2.close();
    const f = await MrdFile.open(path);
    expect(f.groups().sort()).toEqual(['g', 'h']);
    expect(f.readHeader('g')).toBe('<a/>');
    f.close();
  });

  it('publishes a new file atomically: a valid file or none, one winner among racing creators, no leftovers', async () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'race.h5');
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => MrdWriter.create(path, { group: `g${i}` })));
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won.length).toBe(1);
    for (const r of results) if (r.status === 'rejected') expect(String(r.reason)).toMatch(/exists/);
    // the published file is already a valid MRD file with its group before anything is written
    const f0 = await MrdFile.open(path);
    expect(f0.groups().length).toBe(1);
    f0.close();
    await (won[0] as PromiseFulfilledResult<MrdWriter>).value.close();
    expect(readdirSync(sub)).toEqual(['race.h5']);
  });

  it('refuses a second writer on the same file in this process, until the first closes', async () => {
    const path = join(dir, 'one-writer.h5');
    const w = await MrdWriter.create(path);
    await expect(MrdWriter.open(path, { group: 'dataset' })).rejects.toThrow(/already open for writing/);
    await expect(MrdWriter.open(join(dir, '.', 'one-writer.h5'), { group: 'x' })).rejects.toThrow(/already open for writing/);
    await expect(MrdWriter.create(path, { overwrite: true })).rejects.toThrow(/open for writing in this process/);
    await w.close();
    const w2 = await MrdWriter.open(path, { group: 'dataset' });
    await w2.abandon();
    const w3 = await MrdWriter.open(path, { group: 'dataset' });
    await w3.close();
  });

  it('refuses to overwrite an existing file unless asked', async () => {
    const path = join(dir, 'exists.h5');
    await (await MrdWriter.create(path)).close();
    const before = readFileSync(path);
    await expect(MrdWriter.create(path)).rejects.toThrow(/exists/);
    expect(readFileSync(path).equals(before)).toBe(true);
    const w = await MrdWriter.create(path, { overwrite: true, group: 'fresh' });
    await w.close();
    const f = await MrdFile.open(path);
    expect(f.groups()).toEqual(['fresh']);
    f.close();
  });

  it('rejects inconsistent records with a clear error and stays usable', async () => {
    const g = new Gen(3);
    const path = join(dir, 'bad.h5');
    const w = await MrdWriter.create(path);
    const a = g.acquisition();
    const bad = { ...a, data: new Float32Array(3) };
    await expect(w.appendAcquisition(bad)).rejects.toThrow(/data has 3 floats/);
    const img = g.image(5, 1, [4, 4, 1, 1]);
    await w.appendImage(img);
    await expect(w.appendImage(g.image(5, 1, [5, 4, 1, 1]))).rejects.toThrow(/shape/);
    await expect(w.appendImage(g.image(6, 1, [4, 4, 1, 1]))).rejects.toThrow(/datatype/);
    await expect(w.appendImage({ ...img, data: new Float64Array(16) })).rejects.toThrow(/Float32Array/);
    await w.appendAcquisition(a);
    await expect(w.writeText('data', 'oops')).rejects.toThrow(/record dataset/);
    await expect(w.writeText('image_1', 'oops')).rejects.toThrow(/is a group/);
    await w.close();
    const back = await readAll(path);
    expect(plain(back.acqs)).toEqual(plain([a]));
    expect(back.images.image_1.length).toBe(1);
  });

  it('makes a multi-level chunk B-tree that reads back in order', async () => {
    const path = join(dir, 'btree.h5');
    const f = await Hdf5FileWriter.create(path);
    const n = 64 * 64 + 777; // three levels with one record per chunk
    const ds = await f.run(() => f.chunkedDataset('/g/values', u32, [], 1));
    const items = Array.from({ length: n }, (_, i) => i * 7 + 1);
    await f.run(() => ds.append(items, (v, _b, view, o) => view.setUint32(o, v, true)));
    await f.run(() => f.checkpointNow());
    // more appends after a checkpoint continue the same spine
    await f.run(() => ds.append([1, 2, 3], (v, _b, view, o) => view.setUint32(o, v, true)));
    await f.close();
    const d = await h5value(path, '/g/values');
    expect(d.shape).toEqual([n + 3]);
    expect(Array.from(d.value as Uint32Array)).toEqual([...items, 1, 2, 3]);
  });

  it('writes groups with hundreds of members (several symbol table nodes, a two-level group B-tree)', async () => {
    const g = new Gen(21);
    const path = join(dir, 'many-series.h5');
    const w = await MrdWriter.create(path);
    const imgs = Array.from({ length: 300 }, (_, i) => g.image(1, i, [2, 2, 1, 1]));
    await w.appendImages(imgs.slice(0, 150));
    await w.checkpoint();
    await w.appendImages(imgs.slice(150));
    await w.close();
    const f = await MrdFile.open(path);
    try {
      const series = f.imageSeries('dataset');
      expect(series.length).toBe(300);
      for (const i of [0, 7, 8, 99, 255, 256, 299]) {
        const got: Image[] = [];
        for await (const im of f.images('dataset', `image_${i}`)) got.push(im);
        expect(plain(got)).toEqual(plain([imgs[i]]));
      }
    } finally {
      f.close();
    }
  });

  it('creates an empty group that lists as empty', async () => {
    const path = join(dir, 'empty-group.h5');
    await (await MrdWriter.create(path, { group: 'nothing' })).close();
    const f = await MrdFile.open(path);
    try {
      expect(f.groups()).toEqual(['nothing']);
      expect(f.list('/nothing')).toEqual([]);
    } finally {
      f.close();
    }
  });

  it('commits at checkpoints: a reader sees exactly the checkpointed records while writing', async () => {
    const g = new Gen(11);
    const path = join(dir, 'checkpoint.h5');
    const w = await MrdWriter.create(path, { checkpointIntervalMs: 3_600_000 });
    const acqs = g.arr(900, () => g.acquisition());
    await w.writeHeader('<h/>');
    await w.appendAcquisitions(acqs.slice(0, 500));
    await w.checkpoint();
    await w.appendAcquisitions(acqs.slice(500));
    const mid = await readAll(path);
    expect(mid.acqs.length).toBe(500);
    expect(plain(mid.acqs)).toEqual(plain(acqs.slice(0, 500)));
    await w.close();
    expect(plain((await readAll(path)).acqs)).toEqual(plain(acqs));
  });

  it('checkpoints on its own within the interval when the caller goes idle', async () => {
    const g = new Gen(12);
    const path = join(dir, 'idle.h5');
    const w = await MrdWriter.create(path, { checkpointIntervalMs: 200 });
    const acqs = g.arr(10, () => g.acquisition());
    await w.appendAcquisitions(acqs);
    // Nothing more from the caller. The idle checkpoint starts after the interval and its writes
    // are asynchronous: the file is read until they are in (bounded; not a fixed sleep, which a
    // loaded machine can outlast).
    let seen = 0;
    for (let t = 0; t < 200 && seen !== 10; t++) {
      await new Promise((r) => setTimeout(r, 50));
      seen = (await readAll(path).catch(() => null))?.acqs.length ?? 0;
    }
    expect(seen).toBe(10);
    await w.close();
  });

  it('appends to its own files: more records in existing datasets and series, and a new group', async () => {
    const g = new Gen(5);
    const path = join(dir, 'append.h5');
    const a1 = g.arr(333, () => g.acquisition());
    const a2 = g.arr(1000, () => g.acquisition());
    const i1 = g.arr(3, () => g.image(7, 0, [6, 5, 1, 2]));
    const i2 = g.arr(4, () => g.image(7, 0, [6, 5, 1, 2]));
    const w1 = await MrdWriter.create(path);
    await w1.writeHeader('<one/>');
    await w1.appendAcquisitions(a1);
    await w1.appendImages(i1);
    await w1.close();
    const size1 = statSync(path).size;

    const w2 = await MrdWriter.open(path, { group: 'dataset' });
    await w2.appendAcquisitions(a2);
    await w2.appendImages(i2);
    await w2.close();
    const w3 = await MrdWriter.addGroup(path, { group: 'second' });
    await w3.writeHeader('<two/>');
    await w3.appendAcquisitions(a1.slice(0, 5));
    await w3.close();
    await expect(MrdWriter.addGroup(path, { group: 'second' })).rejects.toThrow(/already exists/);

    const back = await readAll(path);
    expect(plain(back.acqs)).toEqual(plain([...a1, ...a2]));
    expect(plain(back.images.image_0)).toEqual(plain([...i1, ...i2]));
    expect(back.xml).toBe('<one/>');
    const b2 = await readAll(path, 'second');
    expect(plain(b2.acqs)).toEqual(plain(a1.slice(0, 5)));
    expect(statSync(path).size).toBeGreaterThan(size1);
  });
});

const INPUTS = ['inputs/phantom_m64_c4_r2.h5', 'inputs/phantom_m64_waveforms.h5', 'inputs/cpp_phantom_m64_c4_noise_traj.h5', 'inputs/phantom_m64_c4_noiseless.h5'];

// invertcontrast_complex.h5: h5py chunked its image data (1, 1, 1, 32, 64): two chunks per image
const OUTPUTS = ['outputs/invertcontrast_m64.h5', 'outputs/invertcontrast_complex.h5', 'outputs/invertcontrast_rgb.h5'];

describe('MrdWriter appending to reference files', () => {
  for (const input of [...INPUTS, ...OUTPUTS]) {
    it(`appends a group and records to ${input} without changing what was there`, async () => {
      const g = new Gen(input.length);
      const path = join(dir, input.replace('/', '_'));
      copyFileSync(reference(input), path);
      const before = await readAll(reference(input));
      const add = g.arr(37, () => g.acquisition());
      const w = await MrdWriter.open(path, { group: 'dataset' });
      await w.appendAcquisitions(add);
      const series = Object.keys(before.images)[0];
      let moreImages: Image[] = [];
      if (series) {
        const model = before.images[series][0];
        moreImages = [0, 1].map(() => {
          const im = g.image(model.head.data_type, model.head.image_series_index, [model.head.matrix_size[0], model.head.matrix_size[1], model.head.matrix_size[2], model.head.channels]);
          return im;
        });
        await w.appendImages(moreImages, { series });
      }
      await w.close();
      const w2 = await MrdWriter.addGroup(path, { group: 'added' });
      await w2.writeHeader('<added/>');
      await w2.appendAcquisitions(add.slice(0, 3));
      await w2.close();

      const after = await readAll(path);
      expect(after.xml).toBe(before.xml);
      expect(plain(after.acqs)).toEqual(plain([...before.acqs, ...add]));
      expect(plain(after.wfs)).toEqual(plain(before.wfs));
      for (const s of Object.keys(before.images)) {
        expect(plain(after.images[s])).toEqual(plain(s === series ? [...before.images[s], ...moreImages] : before.images[s]));
      }
      const added = await readAll(path, 'added');
      expect(plain(added.acqs)).toEqual(plain(add.slice(0, 3)));
      expect(existsSync(path)).toBe(true);
    });
  }
});

describe('MrdWriter.rehearse', () => {
  it('runs the writer on a file held in memory: the superblock reads back, no file is made', async () => {
    const before = readdirSync(process.cwd()).sort();
    const mem = await Hdf5FileWriter.inMemory((f) => f.group('dataset'));
    expect([...(await mem.readAt(0, 8))]).toEqual([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);
    await mem.close();
    await MrdWriter.rehearse();
    await MrdWriter.rehearse();
    expect(readdirSync(process.cwd()).sort()).toEqual(before);
  });
});
