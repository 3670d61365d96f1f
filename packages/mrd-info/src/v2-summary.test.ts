/**
 * mrd-info on MRD v2 files (the reference files made by upstream's Python tools): the same
 * summary as the v1 file they were converted from (v1_to_v2/ beside its HDF5 source), binary
 * and NDJSON alike, conforming to the README schema `mrd-info/1`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { reference } from '@mrd-tools/core/testing';
import { summarize, type Summary } from './summary.js';
import { formatSummary } from './text.js';

const groups = (s: Summary) => JSON.parse(JSON.stringify(s.groups));

describe('mrd-info on MRD v2 files', () => {
  // upstream's ismrmrd_to_mrd of the v1 reference inputs (the invertcontrast output's v1 meta
  // "1.000..." changes to a float, the summary shows nothing of it)
  for (const [v2, v1] of [
    ['mrd-v2/v1_to_v2/phantom_m64_c4_r2.mrd', 'inputs/phantom_m64_c4_r2.h5'],
    ['mrd-v2/v1_to_v2/cpp_phantom_m64_c4_noise_traj.mrd', 'inputs/cpp_phantom_m64_c4_noise_traj.h5'],
    ['mrd-v2/v1_to_v2/invertcontrast_m64.mrd', 'outputs/invertcontrast_m64.h5'],
  ] as const) {
    it(`${v2} summarises as its v1 source ${v1}`, async () => {
      const a = await summarize(reference(v2));
      const b = await summarize(reference(v1));
      expect(a.schema).toBe('mrd-info/1');
      expect(groups(a)).toEqual(groups(b).map((g: { other_datasets: unknown[] }) => ({ ...g, other_datasets: [] })));
    });
  }

  it('binary and NDJSON encodings of one stream give one summary; the upstream phantom and recon are what they are', async () => {
    const bin = await summarize(reference('mrd-v2/phantom_m16_c2_n0_traj.mrd'));
    const nd = await summarize(reference('mrd-v2/phantom_m16_c2_n0_traj.ndjson'));
    expect(groups(nd)).toEqual(groups(bin));
    const a = bin.groups[0]!.acquisitions!;
    expect([a.count, a.noise, a.channels, a.samples, a.trajectory_dimensions, a.sample_time_us])
      .toEqual([16, 0, { min: 2, max: 2 }, { min: 32, max: 32 }, { min: 2, max: 2 }, { min: 5, max: 5 }]);
    expect(bin.groups[0]!.header!.encodings[0]!.recon_space).toEqual({ matrix: [16, 16, 1], fov_mm: [300, 300, 5] });
    const recon = await summarize(reference('mrd-v2/recon_phantom_m64_c4_r2_n0.mrd'));
    expect(recon.groups[0]!.image_series.map((s) => [s.name, s.count, s.matrix_sizes, s.image_types, s.data_types]))
      .toEqual([['image_0', 2, [[64, 64, 1]], ['MAGNITUDE'], ['FLOAT']]]);
    expect(formatSummary(recon, 'MRD v2 binary stream')).toMatch(/^File: .*recon_phantom_m64_c4_r2_n0\.mrd \(58\.3 kB, MRD v2 binary stream\)\nGroups: dataset\n/);
  });

  it('a stream without header; --group other than dataset is an error; a truncated stream names the file', async () => {
    const s = await summarize(reference('mrd-v2/v1_to_v2/invertcontrast_m64.from_h5_noheader.mrd'), 'dataset');
    expect(s.groups[0]!.header).toBeNull();
    await expect(summarize(reference('mrd-v2/recon_m16.mrd'), 'x')).rejects.toThrow(/no group 'x'/);
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(reference('mrd-v2/recon_m16.mrd'));
    const cut = join(mkdtempSync(join(tmpdir(), 'mrd-info-v2-')), 'cut.mrd');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 100));
    await expect(summarize(cut)).rejects.toThrow(new RegExp(`^${cut.replace(/[.]/g, '\\.')}: `));
  });
});
