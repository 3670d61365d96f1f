/**
 * Header-only reads (acquisitionHeaderBatches, waveformHeaderBatches, imageHeaders) and reads
 * of one record by index, against the full-record reads of the same files: the reference
 * inputs (ismrmrd-python/h5py and the ISMRMRD C++ library: one record per chunk) and files of
 * mrd-core's writer (many records per chunk). Both paths of the header reads are checked: the
 * fixed-part reads straight from the file (fixed-parts.ts) and the HDF5 read they fall back to,
 * also where the C++ library's chunk index (a chunk per record) has more than one B-tree level.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reference } from '../../testing/reference.js';
import { commandRuns } from '../../testing/index.js';
import { createAcquisition, createImage, createWaveform } from '../../messages/create.js';
import { MrdWriter } from '../writer/index.js';
import { FixedParts } from './fixed-parts.js';
import { MrdFile } from './index.js';

async function collect<T>(gen: AsyncGenerator<T[]>): Promise<T[]> {
  const out: T[] = [];
  for await (const b of gen) out.push(...b);
  return out;
}

/** Makes a file's header reads go through HDF5 (as for storage the fixed-part reader rejects). */
function forceHdf5(f: MrdFile): void {
  const fixed = (f as unknown as { fixed: Map<string, Promise<FixedParts | null>> }).fixed;
  for (const p of ['/dataset/data', '/dataset/waveforms']) fixed.set(p, Promise.resolve(null));
}

async function checkFile(path: string, fastExpected: boolean): Promise<void> {
  const f = await MrdFile.open(path);
  try {
    const heads = [];
    for await (const a of f.acquisitions('dataset')) heads.push(a.head);
    const fp = await FixedParts.open(path, '/dataset/data');
    expect(fp !== null, 'fixed-part reader applies').toBe(fastExpected);
    fp?.close();
    expect(await collect(f.acquisitionHeaderBatches('dataset'))).toEqual(heads);
    const some = await collect(f.acquisitionHeaderFieldBatches('dataset', ['flags', 'idx', 'active_channels'], { start: 2 }));
    expect(some).toEqual(heads.slice(2).map((h) => ({ flags: h.flags, idx: h.idx, active_channels: h.active_channels })));
    const part = await collect(f.acquisitionHeaderBatches('dataset', { start: 5, end: 17, batchSize: 4 }));
    expect(part).toEqual(heads.slice(5, 17));
    expect((await f.acquisition('dataset', 7)).head).toEqual(heads[7]);
    const g = await MrdFile.open(path);
    try {
      forceHdf5(g);
      expect(await collect(g.acquisitionHeaderBatches('dataset', { start: 3 }))).toEqual(heads.slice(3));
    } finally {
      g.close();
    }
    if (f.waveformCount('dataset') > 0) {
      const wh = [];
      for await (const w of f.waveforms('dataset')) wh.push(w.head);
      expect(await collect(f.waveformHeaderBatches('dataset'))).toEqual(wh);
      expect(await collect(f.waveformHeaderBatches('dataset', { start: 2, end: 9, batchSize: 3 }))).toEqual(wh.slice(2, 9));
      expect((await f.waveform('dataset', 4)).head).toEqual(wh[4]);
    }
  } finally {
    f.close();
  }
}

describe('header-only reads on the reference inputs', () => {
  it('ismrmrd-python file: fixed parts read from the file, equal to the full records', async () => {
    await checkFile(reference('inputs/phantom_m64_c4_r2.h5'), true);
  });
  it('ismrmrd-python file with waveforms', async () => {
    await checkFile(reference('inputs/phantom_m64_waveforms.h5'), true);
  });
  it('ISMRMRD C++ file (trajectories, noise)', async () => {
    await checkFile(reference('inputs/cpp_phantom_m64_c4_noise_traj.h5'), true);
  });
  // a chunk per record: 256 readouts, indexed by a B-tree root over five leaves
  (commandRuns('ismrmrd_generate_cartesian_shepp_logan') ? it : it.skip)('ISMRMRD C++ file whose chunk index has a root over several leaves (needs ismrmrd-tools)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'header-reads-cpp-'));
    try {
      const path = join(dir, 'cpp.h5');
      const g = spawnSync('ismrmrd_generate_cartesian_shepp_logan', ['-m', '128', '-c', '2', '-r', '2', '-o', path], { encoding: 'utf8' });
      expect(g.status, g.stderr).toBe(0);
      await checkFile(path, true);
      // every row in a chunk of its own, at an address of its own
      const fp = (await FixedParts.open(path, '/dataset/data'))!;
      try {
        const addrs = Array.from({ length: fp.rows }, (_, row) => fp.rowSpan(row, 2));
        expect(fp.rows).toBe(256);
        expect(addrs.every((s) => s.rows === 1)).toBe(true);
        expect(new Set(addrs.map((s) => s.addr)).size).toBe(fp.rows);
      } finally {
        fp.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('image headers and one image by index', async () => {
    const f = await MrdFile.open(reference('outputs/invertcontrast_m64.h5'));
    try {
      const series = f.imageSeries('dataset')[0]!;
      const all = [];
      for await (const img of f.images('dataset', series)) all.push(img);
      expect(await FixedParts.open(reference('outputs/invertcontrast_m64.h5'), `/dataset/${series}/header`)).not.toBeNull();
      expect(await f.imageHeaders('dataset', series)).toEqual(all.map((i) => i.head));
      expect(await f.imageHeaders('dataset', series, { start: 1 })).toEqual(all.slice(1).map((i) => i.head));
      expect(await f.imageHeaderFields('dataset', series, ['slice', 'matrix_size', 'flags'])).toEqual(all.map((i) => ({ slice: i.head.slice, matrix_size: i.head.matrix_size, flags: i.head.flags })));
      const g = await MrdFile.open(reference('outputs/invertcontrast_m64.h5'));
      try {
        (g as unknown as { fixed: Map<string, Promise<null>> }).fixed.set(`/dataset/${series}/header`, Promise.resolve(null));
        expect(await g.imageHeaders('dataset', series, { start: 1 })).toEqual(all.slice(1).map((i) => i.head));
      } finally {
        g.close();
      }
      const one = await f.image('dataset', series, 1);
      expect(one.head).toEqual(all[1]!.head);
      expect(Array.from(one.data)).toEqual(Array.from(all[1]!.data));
      expect(one.attribute).toBe(all[1]!.attribute);
      await expect(f.image('dataset', series, all.length)).rejects.toThrow(new RegExp(`no image ${all.length} \\(the series holds ${all.length}\\)`));
    } finally {
      f.close();
    }
  });
});

describe('header-only reads on files of the writer', () => {
  it('many records per chunk, ranges across chunk edges', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd-headers-'));
    const path = join(dir, 'w.h5');
    const w = await MrdWriter.create(path, { group: 'dataset' });
    const n = 700;
    for (let i = 0; i < n; i++) {
      await w.appendAcquisition(createAcquisition({ head: { scan_counter: i, number_of_samples: 16 + (i % 5), active_channels: 2, available_channels: 2, flags: BigInt(i) << 20n, idx: { kspace_encode_step_1: i % 64, kspace_encode_step_2: 0, average: 0, slice: i % 3, contrast: 0, phase: 0, repetition: 0, set: 0, segment: 0, user: [0, 0, 0, 0, 0, 0, 0, 0] } } }));
      if (i % 10 === 0) await w.appendWaveform(createWaveform({ head: { waveform_id: i % 2, number_of_samples: 8, channels: 3, time_stamp: i } }));
    }
    await w.appendImage(createImage({ matrixSize: [4, 4, 1], data: new Float32Array(16) }), { series: 'image_0' });
    await w.close();
    await checkFile(path, true);
    const f = await MrdFile.open(path);
    try {
      const heads = await collect(f.acquisitionHeaderBatches('dataset', { start: 250, end: 690, batchSize: 100 }));
      expect(heads.map((h) => h.scan_counter)).toEqual(Array.from({ length: 440 }, (_, k) => 250 + k));
      await expect(f.imageHeaders('dataset', 'image_9')).rejects.toThrow(/image_9/);
      expect((await f.imageHeaders('dataset', 'image_0')).length).toBe(1);
      await expect(f.acquisition('dataset', n)).rejects.toThrow(/no acquisition 700 \(it holds 700\)/);
    } finally {
      f.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
