import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MrdFile } from '../hdf5/reader/index.js';
import { reference } from '../testing/index.js';
import { MrdV2File, openMrdFile } from './mrd-v2-file.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mrd-v2-file-'));

describe('MrdV2File', () => {
  it('shows a v2 stream as the group dataset of its v1 source: header, acquisitions, ranges, batches', async () => {
    const v2 = await MrdV2File.open(reference('mrd-v2/v1_to_v2/phantom_m64_c4_r2.mrd'));
    const v1 = await MrdFile.open(reference('inputs/phantom_m64_c4_r2.h5'));
    try {
      expect(v2.kind).toBe('mrd-v2');
      expect(v2.groups()).toEqual(['dataset']);
      expect(v2.list('/dataset')).toEqual(['data', 'xml']);
      expect(v2.has('/dataset/data') && !v2.has('/dataset/waveforms')).toBe(true);
      expect(v2.acquisitionCount('dataset')).toBe(v1.acquisitionCount('dataset'));
      const a = await v2.acquisition('dataset', 40);
      const b = await v1.acquisition('dataset', 40);
      expect(a.head).toEqual(b.head);
      expect(a.data).toEqual(b.data);
      const heads: number[] = [];
      for await (const batch of v2.acquisitionHeaderBatches('dataset', { start: 10, end: 25, batchSize: 4 })) heads.push(batch.length);
      expect(heads).toEqual([4, 4, 4, 3]);
      expect(v2.imageSeries('dataset')).toEqual([]);
    } finally {
      v1.close();
      v2.close();
    }
  });

  it('opens HDF5 and v2 alike; errors name the file: not MRD v2, too large, truncated, unknown group', async () => {
    expect(await openMrdFile(reference('inputs/phantom_m64_c4_r2.h5'))).toBeInstanceOf(MrdFile);
    const nd = await openMrdFile(reference('mrd-v2/recon_m16.ndjson'));
    expect(nd.imageSeries('dataset')).toEqual(['image_0']);
    expect(() => nd.imageCount('other', 'image_0')).toThrow(/recon_m16\.ndjson: \/other: no such group/);
    await expect(MrdV2File.open(reference('inputs/phantom_m64_c4_r2.h5'))).rejects.toThrow(/phantom_m64_c4_r2\.h5: not an MRD v2 stream/);
    await expect(MrdV2File.open(reference('mrd-v2/recon_m16.mrd'), { maxBytes: 1000 })).rejects.toThrow(/recon_m16\.mrd: 26429 bytes: MRD v2 files are read into memory, at most 1000 bytes/);
    const cut = join(tmp(), 'cut.mrd');
    const bytes = readFileSync(reference('mrd-v2/recon_m16.mrd'));
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    await expect(MrdV2File.open(cut)).rejects.toThrow(new RegExp(`^${cut.replace(/\./g, '\\.')}: `));
  });
});
