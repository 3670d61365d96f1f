/**
 * Files written by this project's MrdWriter, read back through MrdFile: random headers (every
 * field over its whole range, seeded), every image data type, empty and 1-element datasets,
 * unicode attributes and texts, several groups, multi-row chunks, and a file left by `abandon()`
 * (as after a crash: what was checkpointed is there). h5wasm's generic read is the second
 * oracle for the record counts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import h5wasm from 'h5wasm/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RandomFields, randomAcquisitionHeader, randomImageHeader, randomImagePixels, randomWaveformHeader } from '../../testing/random.js';
import type { Acquisition, Image, Waveform } from '../../messages/types.js';
import { MrdWriter } from '../writer/index.js';
import { MrdFile } from './index.js';

const g = new RandomFields(20261124, { f32: 1e4 });
const { int, arr, f32 } = g;

function randomAcquisition(): Acquisition {
  const channels = 1 + int(3);
  const samples = int(4) === 0 ? 0 : 1 + int(7);
  const trajDims = int(2) === 0 ? 0 : 1 + int(2);
  return {
    head: randomAcquisitionHeader(g, { number_of_samples: samples, active_channels: channels, trajectory_dimensions: trajDims }),
    traj: Float32Array.from(arr(samples * trajDims, f32)),
    data: Float32Array.from(arr(2 * channels * samples, f32)),
  };
}

function randomWaveform(): Waveform {
  const head = randomWaveformHeader(g, { number_of_samples: int(64), channels: 1 + int(4) });
  return { head, data: Uint32Array.from(arr(head.channels * head.number_of_samples, g.u32)) };
}

function randomImage(dataType: number, series: number, shape: [number, number, number, number], attribute: string): Image {
  const [ch, z, y, x] = shape;
  const head = randomImageHeader(g, {
    data_type: dataType, matrix_size: [x, y, z], channels: ch, image_type: 1 + int(4), image_series_index: series,
    attribute_string_len: new TextEncoder().encode(attribute).length,
  });
  return { head, attribute, data: randomImagePixels(g, dataType, ch * z * y * x) };
}

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Typed arrays compared by value and class. */
function plain(v: unknown): unknown {
  if (ArrayBuffer.isView(v)) return [v.constructor.name, Array.from(v as unknown as ArrayLike<number>)];
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

describe('MrdWriter files read back through MrdFile', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mrd-roundtrip-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('random acquisitions, waveforms, images of all 8 data types, texts, two groups: equal value for value', async () => {
    const file = join(dir, 'roundtrip.h5');
    const xml = '<?xml version="1.0"?>\n<ismrmrdHeader><studyInformation><studyDescription>Kopf ü µ 頭</studyDescription></studyInformation></ismrmrdHeader>';
    const acqs = arr(300, randomAcquisition);
    const wfs = arr(41, randomWaveform);
    const images: Image[] = [];
    for (let t = 1; t <= 8; t++) {
      for (let k = 0; k < 3; k++) images.push(randomImage(t, t * 10, [1 + (t % 3), 1 + (t % 2), 3 + t, 5], `<ismrmrdMeta><meta><name>n</name><value>${t}/${k} Grüße ✓ 頭</value></meta></ismrmrdMeta>`));
    }
    images.push(randomImage(5, 99, [1, 1, 1, 1], ''));

    const w = await MrdWriter.create(file, { group: 'dataset' });
    await w.writeHeader(xml);
    await w.writeText('config_file', 'invertcontrast');
    await w.writeText('configAdditional', '{"ü": 1}');
    for (let i = 0; i < acqs.length; i += 37) await w.appendAcquisitions(acqs.slice(i, i + 37));
    await w.appendWaveforms(wfs);
    await w.appendImages(images);
    await w.close();

    const oneAcq = randomAcquisition();
    const g2 = await MrdWriter.open(file, { group: '2026-11-24 05:10:11.123456' });
    await g2.appendAcquisition(oneAcq);
    await g2.close();

    const f = await MrdFile.open(file);
    try {
      expect(f.groups().sort()).toEqual(['2026-11-24 05:10:11.123456', 'dataset']);
      expect(f.readHeader('dataset')).toBe(xml);
      expect(f.readText('dataset', 'config_file')).toBe('invertcontrast');
      expect(f.readText('dataset', 'configAdditional')).toBe('{"ü": 1}');
      expect(f.readText('dataset', 'config')).toBeUndefined();
      expect(f.acquisitionCount('dataset')).toBe(300);
      for (const batchSize of [undefined, 1, 64]) {
        expect((await collect(f.acquisitions('dataset', { batchSize }))).map(plain)).toEqual(acqs.map(plain));
      }
      expect((await collect(f.waveforms('dataset'))).map(plain)).toEqual(wfs.map(plain));
      const series = [...new Set(images.map((im) => `image_${im.head.image_series_index}`))];
      expect(f.imageSeries('dataset')).toEqual(series);
      for (const s of series) {
        const want = images.filter((im) => `image_${im.head.image_series_index}` === s);
        expect(f.imageCount('dataset', s)).toBe(want.length);
        expect((await collect(f.images('dataset', s, { batchSize: 2 }))).map(plain)).toEqual(want.map(plain));
      }
      expect(f.readHeader('2026-11-24 05:10:11.123456')).toBeUndefined();
      expect((await collect(f.acquisitions('2026-11-24 05:10:11.123456'))).map(plain)).toEqual([plain(oneAcq)]);
    } finally {
      f.close();
    }

    // h5wasm's generic API sees the same record counts
    await h5wasm.ready;
    const h = new h5wasm.File(file, 'r');
    try {
      expect((h.get('dataset/data') as InstanceType<typeof h5wasm.Dataset>).shape).toEqual([300]);
      expect((h.get('dataset/waveforms') as InstanceType<typeof h5wasm.Dataset>).shape).toEqual([41]);
      expect((h.get('dataset/image_80/data') as InstanceType<typeof h5wasm.Dataset>).shape).toEqual([3, 3, 1, 11, 5]);
    } finally {
      h.close();
    }
  });

  it('a file with only a header, and one abandoned after a checkpoint (crash-like), read what was committed', async () => {
    const file = join(dir, 'abandoned.h5');
    const w = await MrdWriter.create(file, { group: 'dataset' });
    await w.writeHeader('<ismrmrdHeader/>');
    const first = arr(5, randomAcquisition);
    await w.appendAcquisitions(first);
    await w.checkpoint();
    await w.abandon();

    const f = await MrdFile.open(file);
    try {
      expect(f.readHeader('dataset')).toBe('<ismrmrdHeader/>');
      expect((await collect(f.acquisitions('dataset'))).map(plain)).toEqual(first.map(plain));
      expect(f.imageSeries('dataset')).toEqual([]);
      expect(f.waveformCount('dataset')).toBe(0);
    } finally {
      f.close();
    }

    const headerOnly = join(dir, 'header-only.h5');
    const w2 = await MrdWriter.create(headerOnly, { group: 'g' });
    await w2.writeHeader('<x/>');
    await w2.close();
    const f2 = await MrdFile.open(headerOnly);
    try {
      expect(f2.groups()).toEqual(['g']);
      expect(f2.readHeader('g')).toBe('<x/>');
      expect(f2.acquisitionCount('g')).toBe(0);
    } finally {
      f2.close();
    }
  });
});
