/**
 * mrd2gif on MRD v2 files: the previews of a v2 stream equal, byte for byte, those of its v1
 * conversion (HDF5 written by mrd-core from the same images), binary and NDJSON alike; and the
 * PNG frames of upstream's stream_recon output against upstream's own PNG export
 * (`export_png_images`: pixels x 255 / max, truncated), which windows differently, so only
 * their agreement as pictures is measured (correlation).
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { logger, LogLevel } from '@mrd-tools/core/logging';
import { decodeMrdV2, MrdV2ToV1 } from '@mrd-tools/core/mrd-v2';
import { reference } from '@mrd-tools/core/testing';
import { mrd2gif } from './mrd2gif.js';

logger.level = LogLevel.WARNING;

async function v1Conversion(v2Path: string, h5: string): Promise<void> {
  const { header, items } = decodeMrdV2(new Uint8Array(readFileSync(v2Path)));
  const toV1 = new MrdV2ToV1();
  const w = await MrdWriter.create(h5, { group: 'dataset' });
  for (const m of toV1.header(header)) if (m.type === 'header') await w.writeHeader(m.xml);
  for (const item of items) for (const m of toV1.item(item)) if (m.type === 'image') await w.appendImage(m.image);
  await w.close();
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  const n = a.length;
  for (let i = 0; i < n; i++) {
    sa += a[i]!; sb += b[i]!; saa += a[i]! * a[i]!; sbb += b[i]! * b[i]!; sab += a[i]! * b[i]!;
  }
  return (sab - (sa * sb) / n) / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
}

const grey = (png: Buffer) => {
  const p = PNG.sync.read(png);
  return { width: p.width, height: p.height, g: Uint8Array.from({ length: p.width * p.height }, (_, i) => p.data[4 * i]!) };
};

describe('mrd2gif on MRD v2 files', () => {
  for (const filetype of ['gif', 'png'] as const) {
    it(`${filetype}: upstream's stream_recon output (.mrd and .ndjson) previews byte for byte as its v1 conversion`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-v2-'));
      const out: Record<string, Record<string, Buffer>> = {};
      for (const [sub, src] of [['v2', 'recon_m16.mrd'], ['nd', 'recon_m16.ndjson'], ['v1', null]] as const) {
        mkdirSync(join(dir, sub));
        const input = join(dir, sub, sub === 'v1' ? 'recon.h5' : sub === 'nd' ? 'recon.ndjson' : 'recon.mrd');
        if (src) copyFileSync(reference(`mrd-v2/${src}`), input);
        else await v1Conversion(reference('mrd-v2/recon_m16.mrd'), input);
        const r = await mrd2gif(input, { filetype });
        out[sub] = {};
        for (const o of r) for (const f of o.files) out[sub]![f.slice(join(dir, sub).length + 1).replace(/^recon/, '')] = readFileSync(f);
      }
      expect(Object.keys(out.v2!).length).toBeGreaterThan(0);
      expect(Object.keys(out.v2!)[0]).toMatch(/^_dataset_image_0/);
      expect(out.v2).toEqual(out.v1);
      expect(out.nd).toEqual(out.v1);
    });
  }

  it('PNG frames of recon_phantom_m64_c4_r2_n0.mrd against upstream export_png_images: same size and orientation, correlation > 0.99 where our window does not clip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-v2-'));
    const input = join(dir, 'recon.mrd');
    copyFileSync(reference('mrd-v2/recon_phantom_m64_c4_r2_n0.mrd'), input);
    const [o] = await mrd2gif(input, { filetype: 'png' });
    expect(o!.files.length).toBe(2);
    const rs: number[] = [];
    const all: number[] = [];
    o!.files.forEach((f, i) => {
      const ours = grey(readFileSync(f));
      const theirs = grey(readFileSync(reference(`mrd-v2/png/recon_m64_n0${String(i).padStart(5, '0')}.png`)));
      expect([ours.width, ours.height]).toEqual([theirs.width, theirs.height]);
      // Ours is windowed (5th..95th percentile, clipped), theirs scaled to its maximum: compare
      // where ours is not clipped.
      const keep = [...ours.g.keys()].filter((k) => ours.g[k]! > 0 && ours.g[k]! < 255);
      expect(keep.length).toBeGreaterThan(ours.g.length / 4);
      rs.push(pearson(keep.map((k) => ours.g[k]!), keep.map((k) => theirs.g[k]!)));
      all.push(pearson(ours.g, theirs.g));
    });
    for (const r of rs) expect(r).toBeGreaterThan(0.99);
    console.log(`correlation with upstream PNG export: unclipped ${rs.map((r) => r.toFixed(4)).join(', ')}, all pixels ${all.map((r) => r.toFixed(4)).join(', ')}`);
  });
});
