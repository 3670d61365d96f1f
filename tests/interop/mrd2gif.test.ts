/**
 * mrd2gif against numpy + PIL (python3-numpy, python3-pil, python3-h5py):
 * - ROI polylines drawn exactly as PIL's ImageDraw.line (thin and wide lines, clipped);
 * - whole series through the reference mrd2gif.py code path (tests/interop/mrd2gif-reference.py:
 *   the reference's windowing, magnitude, RGB pass-through and ROI drawing, with -r as integer
 *   nearest-neighbour upscaling and ROI coordinates scaled once, which is what mrd2gif does on
 *   purpose): same frame count, size, delay and every pixel within one grey level.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeGif } from '@mrd-tools/mrd2gif/testing';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { createRoi, MetaAttributes } from '@mrd-tools/core/meta';
import { DataType } from '@mrd-tools/core/constants';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { drawPolyline } from '@mrd-tools/mrd2gif/preview';
import { findPython, reference } from '@mrd-tools/core/testing';
import { mrd2gif } from '@mrd-tools/mrd2gif';

const here = dirname(fileURLToPath(import.meta.url));
const SCRIPT = join(here, 'mrd2gif-reference.py');
const python = findPython(['h5py', 'numpy', 'PIL']);
const tmp = () => mkdtempSync(join(tmpdir(), 'mrd2gif-interop-'));

function decode(bytes: Uint8Array): { width: number; height: number; delays: number[]; frames: Uint8Array[] } {
  const g = decodeGif(bytes);
  return { width: g.width, height: g.height, delays: g.frames.map((f) => f.delay), frames: g.frames.map((f) => f.rgba) };
}

function expectSameGif(ours: string, theirs: string): void {
  const a = decode(readFileSync(ours));
  const b = decode(readFileSync(theirs));
  expect([a.width, a.height, a.frames.length]).toEqual([b.width, b.height, b.frames.length]);
  expect(a.delays).toEqual(b.delays);
  a.frames.forEach((f, k) => {
    let worst = 0;
    for (let i = 0; i < f.length; i++) worst = Math.max(worst, Math.abs(f[i] - b.frames[k][i]));
    expect(worst, `frame ${k}`).toBeLessThanOrEqual(1);
  });
}

describe.skipIf(!python)('mrd2gif vs numpy + PIL', () => {
  it('ROI polylines are PIL ImageDraw.line pixel for pixel', () => {
    let seed = 99;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const cases = Array.from({ length: 400 }, () => {
      const W = 4 + Math.floor(rnd() * 60);
      const H = 4 + Math.floor(rnd() * 60);
      const n = 1 + Math.floor(rnd() * 9);
      return {
        W, H, n,
        xs: Array.from({ length: n }, () => rnd() * (W + 10) - 5),
        ys: Array.from({ length: n }, () => rnd() * (H + 10) - 5),
        w: [0, 1, 1, 2, 3, 4, 5, 6, 9, 1.7][Math.floor(rnd() * 10)],
        rgb: [Math.floor(rnd() * 256), Math.floor(rnd() * 256), Math.floor(rnd() * 256)],
      };
    });
    const dir = tmp();
    writeFileSync(join(dir, 'cases.json'), JSON.stringify(cases));
    const r = spawnSync(python!, [SCRIPT, '--lines', join(dir, 'cases.json'), join(dir, 'out.json')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const want: number[][] = JSON.parse(readFileSync(join(dir, 'out.json'), 'utf8'));
    cases.forEach((c, i) => {
      const rgb = new Uint8Array(3 * c.W * c.H);
      for (let p = 0; p < c.W * c.H; p++) rgb.set([10, 20, 30], 3 * p);
      drawPolyline({ width: c.W, height: c.H, rgb }, c.xs, c.ys, c.rgb as [number, number, number], c.w);
      expect(Array.from(rgb), `case ${i} (width ${c.w}, ${c.n} points)`).toEqual(want[i]);
    });
  });

  async function series(path: string, imgs: Image[]): Promise<void> {
    const w = await MrdWriter.create(path, { group: 'dataset' });
    await w.appendImages(imgs, { series: 'image_0' });
    await w.close();
  }

  it('a float series windowed by percentiles (several channels and slices)', async () => {
    const dir = tmp();
    const file = join(dir, 'f.h5');
    let seed = 5;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const imgs = Array.from({ length: 6 }, (_, t) => {
      const data = Float32Array.from({ length: 2 * 2 * 40 * 48 }, (_, i) => 100 * Math.sin(i / 50 + t) + 30 * rnd() + t * 5);
      return createImage({ matrixSize: [48, 40, 2], channels: 2, data, head: { image_index: t, image_type: 1 } });
    });
    await series(file, imgs);
    const out = await mrd2gif(file);
    const theirs = join(dir, 'theirs.gif');
    const r = spawnSync(python!, [SCRIPT, file, 'dataset', 'image_0', theirs], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expectSameGif(out[0].files[0], theirs);
  });

  it('complex images as magnitude, with a ROI of width 3, rescaled by 2', async () => {
    const dir = tmp();
    const file = join(dir, 'c.h5');
    const roi = createRoi([5.5, 30.2, 25.7, 8.1, 5.5], [4.2, 6.9, 28.3, 25.0, 4.2], { rgb: [1, 0.5, 0], thickness: 3 });
    const attribute = new MetaAttributes({ ROI_box: roi }).serialize();
    const imgs = Array.from({ length: 3 }, (_, t) => {
      const data = new Float32Array(2 * 32 * 36);
      for (let i = 0; i < 32 * 36; i++) {
        data[2 * i] = (i % 37) * (t + 1);
        data[2 * i + 1] = (i % 11) * 3;
      }
      return createImage({ matrixSize: [36, 32, 1], data, dataType: DataType.CXFLOAT, attribute, head: { image_index: t, image_type: 1 } });
    });
    await series(file, imgs);
    const out = await mrd2gif(file, { rescale: 2 });
    const theirs = join(dir, 'theirs.gif');
    const r = spawnSync(python!, [SCRIPT, file, 'dataset', 'image_0', theirs, '2'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expectSameGif(out[0].files[0], theirs);
  });

  it('the reference server\'s RGB output', async () => {
    const dir = tmp();
    const file = join(dir, 'rgb.h5');
    copyFileSync(reference('outputs/invertcontrast_rgb.h5'), file);
    const out = await mrd2gif(file);
    expect(out[0].files[0]).toBe(join(dir, 'rgb_dataset_image_0_FIRE_RGB.gif'));
    const theirs = join(dir, 'theirs.gif');
    const r = spawnSync(python!, [SCRIPT, file, 'dataset', 'image_0', theirs], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expectSameGif(out[0].files[0], theirs);
  });

  it('PIL reads the meta attributes we store (GIF comment, PNG text), as the newer reference writes them', async () => {
    const dir = tmp();
    const file = join(dir, 'm.h5');
    const attribute = new MetaAttributes({ SequenceDescriptionAdditional: 'META', WindowCenter: 5, WindowWidth: 10 }).serialize();
    await series(file, [0, 1].map((t) => createImage({ matrixSize: [4, 4, 1], data: new Float32Array(16).fill(t), attribute, head: { image_index: t } })));
    const gif = (await mrd2gif(file))[0].files[0];
    const png = (await mrd2gif(file, { filetype: 'png' }))[0].files[0];
    const r = spawnSync(python!, ['-c', `
import sys
from PIL import Image
print(Image.open(sys.argv[1]).info['comment'].decode())
print(Image.open(sys.argv[2]).text['MetaAttributes'])
`, gif, png], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe(`${attribute}\n${attribute}\n`);
  });
});
