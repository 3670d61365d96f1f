/**
 * NativeMrdIndex (mrd-core's own HDF5 decoders, no h5wasm) against MrdFile (h5wasm) on every
 * reference HDF5 file (ismrmrd-python/h5py, the ISMRMRD C++ library, the reference client's
 * outputs with image series, the server's saved data with waveforms) and on files of mrd-core's
 * writer: the same groups, members, kinds, counts, image series and texts, and acquisition wire
 * bytes equal to encoding what HDF5 reads. Files it does not handle (a soft link, a corrupt
 * object header) answer null, never something else.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import h5wasm from 'h5wasm/node';
import { reference } from '../../testing/reference.js';
import { createAcquisition, createImage, createWaveform } from '../../messages/create.js';
import { encodeMessages } from '../../stream/encoder.js';
import { MrdWriter } from '../writer/index.js';
import { MrdFile } from './index.js';
import { NativeMrdIndex } from './native-index.js';
import type { AcquisitionWireReader } from './acquisition-wire.js';

const dir = mkdtempSync(join(tmpdir(), 'native-index-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function viaHdf5(f: MrdFile, group: string): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const batch of f.acquisitionBatches(group)) parts.push(encodeMessages(batch.map((acquisition) => ({ type: 'acquisition' as const, acquisition }))));
  return Buffer.concat(parts);
}

function viaWire(r: AcquisitionWireReader, cap = 1 << 20): Buffer {
  const parts: Uint8Array[] = [];
  for (let at = 0; at < r.rows; ) {
    let out = new Uint8Array(cap);
    let got = r.fill(at, 4096, out, 0);
    if (got.rows === 0) {
      // one message larger than the buffer: a buffer of its size (as the client does)
      expect(got.needed).toBeGreaterThan(cap);
      out = new Uint8Array(got.needed);
      got = r.fill(at, 1, out, 0);
    }
    expect(got.rows).toBeGreaterThan(0);
    parts.push(out.subarray(0, got.end));
    at += got.rows;
  }
  return Buffer.concat(parts);
}

/** Everything the index answers equals what MrdFile answers; returns whether acquisitions were compared. */
async function expectSameAsHdf5(path: string): Promise<void> {
  const idx = await NativeMrdIndex.open(path);
  expect(idx, `${path}: handled natively`).not.toBeNull();
  const f = await MrdFile.open(path);
  try {
    expect(idx!.groups()).toEqual(f.groups());
    const walk = async (p: string): Promise<void> => {
      const members = await idx!.members(p);
      expect(members, p).not.toBeNull();
      expect(members!.map((m) => m.name), p).toEqual(f.list(p));
      for (const m of members!) {
        const child = `${p === '/' ? '' : p}/${m.name}`;
        expect(m.kind, child).toBe(f.describe(child)!.kind);
        if (m.kind === 'group') await walk(child);
      }
    };
    await walk('/');
    for (const g of f.groups()) {
      const names = f.list(`/${g}`);
      expect(await idx!.imageSeries(g), g).toEqual(f.imageSeries(g));
      expect(await idx!.rows(g, 'data')).toBe(names.includes('data') ? f.acquisitionCount(g) : undefined);
      expect(await idx!.rows(g, 'waveforms')).toBe(names.includes('waveforms') ? f.waveformCount(g) : undefined);
      for (const name of names) {
        const d = f.describe(`/${g}/${name}`);
        if (d?.kind === 'dataset' && d.type === 'string') expect(await idx!.readText(g, name), `${g}/${name}`).toBe(f.readText(g, name));
      }
      expect(await idx!.readText(g, 'configAdditional')).toBe(f.readText(g, 'configAdditional'));
      if (names.includes('data')) {
        const wire = await idx!.acquisitionWireReader(g);
        expect(wire, `${g}: acquisitions read natively`).not.toBeNull();
        const want = await viaHdf5(f, g);
        expect(want.length).toBeGreaterThan(0);
        expect(Buffer.compare(viaWire(wire!), want)).toBe(0);
        expect(Buffer.compare(viaWire(wire!, 3000), want)).toBe(0);
      }
    }
  } finally {
    f.close();
    idx!.close();
  }
}

describe('NativeMrdIndex', () => {
  const files = [
    'inputs/phantom_m64_c4_r2.h5',
    'inputs/phantom_m64_c4_noiseless.h5',
    'inputs/phantom_m64_waveforms.h5',
    'inputs/cpp_phantom_m64_c4_noise_traj.h5',
    'outputs/invertcontrast_m64.h5',
    'outputs/simplefft_m64.h5',
    'outputs/invertcontrast_rgb.h5',
    'outputs/invertcontrast_roi.h5',
    'outputs/invertcontrast_complex.h5',
    'outputs/images_invertcontrast_sendoriginal.h5',
    'outputs/cpp_invertcontrast.h5',
    'outputs/waveforms_savedataonly.h5',
    'savedata/waveforms_savedataonly.server-saved.h5',
  ];
  for (const rel of files) {
    it(`answers as MrdFile does on the reference file ${rel}`, async () => {
      await expectSameAsHdf5(reference(rel));
    });
  }

  it("answers as MrdFile does on files of mrd-core's writer (texts, waveforms, images, several groups)", async () => {
    const path = join(dir, 'writer.h5');
    for (const group of ['dataset', 'second']) {
      const w = await MrdWriter.open(path, { group, create: true });
      await w.writeHeader(`<?xml version="1.0"?><ismrmrdHeader><version>${group}</version></ismrmrdHeader>`);
      await w.writeText('configAdditional', '{"parameters": {"a": "é"}}');
      const acqs = [];
      for (let i = 0; i < 700; i++) {
        const a = createAcquisition({ head: { number_of_samples: 3 + (i % 7), active_channels: 1 + (i % 3), trajectory_dimensions: i % 4 === 0 ? 2 : 0 } });
        a.head.scan_counter = i;
        a.head.channel_mask[0] = 2n ** 63n + BigInt(i);
        for (let k = 0; k < a.data.length; k++) a.data[k] = i * 1000 + k + 0.5;
        for (let k = 0; k < a.traj.length; k++) a.traj[k] = -k - i;
        acqs.push(a);
      }
      await w.appendAcquisitions(acqs);
      const wf = createWaveform({ head: { channels: 2, number_of_samples: 5, waveform_id: 1 } });
      await w.appendWaveforms([wf, wf]);
      const im = createImage({ matrixSize: [4, 3, 1], data: new Float32Array(12) });
      im.head.image_series_index = 2;
      await w.appendImages([im, im]);
      await w.close();
    }
    await expectSameAsHdf5(path);
  });

  it('answers as MrdFile does on a file of h5wasm (superblock 2, compact links; vlen and fixed-length, scalar, (1,) and empty texts)', async () => {
    const path = join(dir, 'h5wasm.h5');
    await h5wasm.ready;
    const w = new h5wasm.File(path, 'w');
    const g = w.create_group('dataset');
    g.create_dataset({ name: 'xml', data: '<ismrmrdHeader>é</ismrmrdHeader>' });
    g.create_dataset({ name: 'config', data: ['invertcontrast'], shape: [1] });
    g.create_dataset({ name: 'configAdditional', data: ['{"a": 1}'], shape: [1], dtype: 'S20' });
    g.create_dataset({ name: 'config_file', data: [], shape: [0], dtype: 'S4' });
    const im = g.create_group('image_2');
    im.create_dataset({ name: 'header', data: new Uint8Array(4) });
    im.create_dataset({ name: 'data', data: new Uint16Array(4), shape: [1, 1, 1, 2, 2] });
    g.create_group('images_1');
    w.create_group('other');
    w.close();
    await expectSameAsHdf5(path);
    const idx = (await NativeMrdIndex.open(path))!;
    expect(await idx.readText('dataset', 'configAdditional')).toBe('{"a": 1}');
    expect(await idx.readText('dataset', 'xml')).toBe('<ismrmrdHeader>é</ismrmrdHeader>');
    expect(await idx.readText('dataset', 'config_file')).toBe('');
    expect(await idx.imageSeries('dataset')).toEqual(['image_2']);
    idx.close();
  });

  it('answers null (use MrdFile) for a group with a soft link, and for a corrupt object header', async () => {
    const soft = join(dir, 'soft.h5');
    copyFileSync(reference('inputs/phantom_m64_c4_r2.h5'), soft);
    await h5wasm.ready;
    const h = new h5wasm.File(soft, 'a');
    h.create_soft_link('/dataset/data', '/dataset/alias');
    h.close();
    const idx = await NativeMrdIndex.open(soft);
    expect(idx).not.toBeNull();
    expect(idx!.groups()).toEqual(['dataset']);
    expect(await idx!.members('/dataset')).toBeNull();
    expect(await idx!.readText('dataset', 'xml')).toBeNull();
    expect(await idx!.acquisitionWireReader('dataset')).toBeNull();
    idx!.close();
    // ... which MrdFile reads as ever
    const f = await MrdFile.open(soft);
    expect(f.list('/dataset')).toContain('alias');
    expect(await f.acquisitionWireReader('dataset')).not.toBeNull();
    f.close();

    // The root group's object header destroyed: not opened at all.
    const bad = join(dir, 'bad.h5');
    const bytes = readFileSync(reference('inputs/phantom_m64_c4_r2.h5'));
    const rootAddr = Number(bytes.readBigUInt64LE(64));
    bytes.fill(0xee, rootAddr, rootAddr + 64);
    writeFileSync(bad, bytes);
    expect(await NativeMrdIndex.open(bad)).toBeNull();
    expect(await NativeMrdIndex.open(join(dir, 'absent.h5'))).toBeNull();
  });

  it("tells how many records a chunk holds, as HDF5's dataset creation properties say (0 unchunked, null absent)", async () => {
    await h5wasm.ready;
    const writer = join(dir, 'chunks.h5');
    const w = await MrdWriter.create(writer, { group: 'dataset' });
    await w.appendAcquisitions(Array.from({ length: 10 }, () => createAcquisition({ head: { number_of_samples: 64, active_channels: 2 } })));
    await w.writeHeader('<ismrmrdHeader/>');
    await w.close();
    for (const path of [reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'), reference('inputs/phantom_m64_c4_r2.h5'), writer]) {
      const h = new h5wasm.File(path, 'r');
      const chunks = (h.get('dataset/data') as InstanceType<typeof h5wasm.Dataset>).metadata.chunks;
      h.close();
      const idx = (await NativeMrdIndex.open(path))!;
      try {
        expect(await idx.rowsPerChunk('dataset', 'data'), path).toBe(chunks ? chunks[0] : 0);
        expect(await idx.rowsPerChunk('dataset', 'nope')).toBeNull();
        expect(await idx.rowsPerChunk('nope', 'data')).toBeNull();
      } finally {
        idx.close();
      }
    }
    // the C library's files: one record per chunk
    const cpp = (await NativeMrdIndex.open(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5')))!;
    expect(await cpp.rowsPerChunk('dataset', 'data')).toBe(1);
    cpp.close();
    const idx = (await NativeMrdIndex.open(writer))!;
    expect(await idx.rowsPerChunk('dataset', 'data')).toBeGreaterThan(1);
    idx.close();
  });

  it('answers undefined for absent members and null for absent groups', async () => {
    const idx = (await NativeMrdIndex.open(reference('inputs/phantom_m64_c4_r2.h5')))!;
    try {
      expect(await idx.readText('dataset', 'configAdditional')).toBeUndefined();
      expect(await idx.rows('dataset', 'waveforms')).toBeUndefined();
      expect(await idx.members('/nope')).toBeNull();
      expect(await idx.acquisitionWireReader('nope')).toBeNull();
    } finally {
      idx.close();
    }
  });
});
