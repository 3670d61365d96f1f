import { describe, expect, it } from 'vitest';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeGif } from './testing/decode-gif.js';
import pngjs from 'pngjs';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { createRoi, MetaAttributes } from '@mrd-tools/core/meta';
import { DataType, ImageType } from '@mrd-tools/core/constants';
import { MrdWriter } from '@mrd-tools/core/hdf5/writer';
import { spawnSync } from 'node:child_process';
import { reference, simulateFullDisk, simulateReadOnlyFolder } from '@mrd-tools/core/testing';
import { mrd2gif, previewFileName, renderSeries, sequenceSuffix } from './mrd2gif.js';
import { encodeGif, encodeGifParallel, encodePng, GifWorkerPool, mergeRepeatedFrames, pngTextChunk } from './encode.js';
import { indexedFrame, rgbFrame, toRgb } from './preview/frame.js';

const { PNG } = pngjs;

function meta(entries: Record<string, string | number | (string | number)[]>): string {
  return new MetaAttributes(entries as Record<string, string | number>).serialize();
}

function floatImage(nx: number, ny: number, values: (x: number, y: number, c: number, z: number) => number, o: { channels?: number; nz?: number; attribute?: string; slice?: number; contrast?: number; index?: number } = {}): Image {
  const nc = o.channels ?? 1;
  const nz = o.nz ?? 1;
  const data = new Float32Array(nc * nz * ny * nx);
  for (let c = 0; c < nc; c++) for (let z = 0; z < nz; z++) for (let y = 0; y < ny; y++) for (let x = 0; x < nx; x++) data[((c * nz + z) * ny + y) * nx + x] = values(x, y, c, z);
  return createImage({ matrixSize: [nx, ny, nz], channels: nc, data, attribute: o.attribute ?? '', head: { slice: o.slice ?? 0, contrast: o.contrast ?? 0, image_index: o.index ?? 0, image_type: ImageType.MAGNITUDE } });
}

const greyOf = (f: { pixels: Uint8Array; mode: string }, i: number) => (f.mode === 'rgb' ? f.pixels[3 * i] : f.pixels[i]);

describe('mrd2gif on the reference outputs', () => {
  // The reference previews were made from copies named <case>.out.h5, so names derive from that.
  for (const name of ['invertcontrast_m64', 'invertcontrast_roi']) {
    it(`${name}: same name, frame count, size, delay and pixels (within one grey level)`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-ref-'));
      const input = join(dir, `${name}.out.h5`);
      copyFileSync(reference(`outputs/${name}.h5`), input);
      const out = await mrd2gif(input);
      const expectedName = `${name}.out_dataset_image_0_FIRE.gif`;
      expect(out.map((o) => o.files.map((f) => f.slice(dir.length + 1)))).toEqual([[expectedName]]);
      const ours = decodeGif(readFileSync(join(dir, expectedName)));
      const theirs = decodeGif(readFileSync(reference(`previews/${expectedName}`)));
      expect([ours.width, ours.height]).toEqual([theirs.width, theirs.height]);
      expect(ours.frames.length).toBe(theirs.frames.length);
      expect(ours.frames.map((f) => f.delay)).toEqual(theirs.frames.map((f) => f.delay));
      expect(ours.loop).toBe(theirs.loop);
      for (let k = 0; k < ours.frames.length; k++) {
        const a = ours.frames[k].rgba;
        const b = theirs.frames[k].rgba;
        let worst = 0;
        for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
        expect(worst, `frame ${k}`).toBeLessThanOrEqual(1);
      }
    });
  }

  it('names outputs after the input base name', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-ref-'));
    const input = join(dir, 'invertcontrast_m64.h5');
    copyFileSync(reference('outputs/invertcontrast_m64.h5'), input);
    const out = await mrd2gif(input, { rescale: 2, fps: 10 });
    expect(out[0].files[0]).toBe(join(dir, 'invertcontrast_m64_dataset_image_0_FIRE.gif'));
    const g = decodeGif(readFileSync(out[0].files[0]));
    expect([g.width, g.height, g.frames.length, g.frames[0].delay]).toEqual([128, 128, 2, 10]);
    await expect(mrd2gif(input, { series: 'image_7' })).rejects.toThrow(/no series image_7/);
    await expect(mrd2gif(input, { inGroup: 'nope' })).rejects.toThrow(/could not find group nope/);
  });
});

describe('file naming', () => {
  it('keeps letters, digits, space, dot and underscore; spaces become underscores', () => {
    expect(previewFileName('/a/b/scan.v2.h5', 'dataset', 'image_0', '_FIRE', 'gif')).toBe('scan.v2_dataset_image_0_FIRE.gif');
    expect(previewFileName('x.h5', '2024-01-02 03:04:05.123456', 'image_1', '_T1 map/é', 'gif')).toBe('x_20240102_030405.123456_image_1_T1_mapé.gif');
    expect(previewFileName('x.h5', 'g', 's', ' trailing ', 'png')).toBe('x_g_s_trailing_.png');
  });

  it('takes the suffix from SequenceDescriptionAdditional, else the Gadgetron key', () => {
    expect(sequenceSuffix(new MetaAttributes({ SequenceDescriptionAdditional: 'FIRE' }))).toBe('_FIRE');
    expect(sequenceSuffix(new MetaAttributes({ GADGETRON_SeqDescription: ['_GT', '_X'] }))).toBe('_GT_X');
    expect(sequenceSuffix(new MetaAttributes({}))).toBe('');
  });
});

describe('renderSeries', () => {
  const ramp = (n: number, scale = 1) => floatImage(n, n, (x, y) => (x + n * y) * scale);

  it('windows a series with the median of per-frame 5th/95th percentiles', () => {
    const r = renderSeries([ramp(10), ramp(10, 2), ramp(10, 3)])!;
    expect(r.frames).toHaveLength(3);
    expect(r.filetype).toBe('gif');
    // series window = [4.95*2, 94.05*2] (median frame); first frame values x+10y
    const f0 = r.frames[0];
    expect(f0.mode).toBe('indexed');
    const lo = 9.9;
    const hi = 188.1;
    for (const i of [0, 15, 55, 99]) expect(f0.pixels[i]).toBe(Math.max(0, Math.min(255, Math.trunc(Math.fround((i - lo) * (255 / (hi - lo)))))));
  });

  it('--floating-window windows each frame by itself', () => {
    const r = renderSeries([ramp(10), ramp(10, 3)], { floatingWindow: true })!;
    expect(Array.from(r.frames[0].pixels)).toEqual(Array.from(r.frames[1].pixels));
    const s = renderSeries([ramp(10), ramp(10, 3)])!;
    expect(Array.from(s.frames[0].pixels)).not.toEqual(Array.from(s.frames[1].pixels));
  });

  it('WindowCenter/WindowWidth meta override the percentiles (complex text read as its real part)', () => {
    const img = floatImage(4, 4, (x) => x * 100, { attribute: meta({ WindowCenter: '(100+0j)', WindowWidth: '200' }) });
    const r = renderSeries([img])!;
    expect(Array.from(r.frames[0].pixels.subarray(0, 4))).toEqual([0, 127, 255, 255]);
    const gt = floatImage(4, 4, (x) => x * 100, { attribute: meta({ GADGETRON_WindowCenter: 150, GADGETRON_WindowWidth: 100 }) });
    expect(Array.from(renderSeries([gt])!.frames[0].pixels.subarray(0, 4))).toEqual([0, 0, 255, 255]);
  });

  it('a constant image gives a mid-grey frame', () => {
    const r = renderSeries([floatImage(8, 8, () => 42)])!;
    expect(new Set(r.frames[0].pixels)).toEqual(new Set([128]));
    const zero = renderSeries([floatImage(8, 8, () => 0), floatImage(8, 8, () => 0)])!;
    expect(new Set(zero.frames[1].pixels)).toEqual(new Set([128]));
  });

  it('complex images are shown as magnitude', () => {
    const n = 6;
    const data = new Float32Array(2 * n * n);
    for (let i = 0; i < n * n; i++) {
      const mag = i;
      data[2 * i] = mag * Math.cos(i);
      data[2 * i + 1] = mag * Math.sin(i);
    }
    const cx = createImage({ matrixSize: [n, n, 1], data, dataType: DataType.CXFLOAT });
    const real = floatImage(n, n, (x, y) => x + n * y);
    const a = renderSeries([cx])!.frames[0].pixels;
    const b = renderSeries([real])!.frames[0].pixels;
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('RGB images pass through without windowing', () => {
    const n = 4;
    const data = new Uint16Array(3 * n * n);
    for (let i = 0; i < n * n; i++) {
      data[i] = 10; // R
      data[n * n + i] = 20 + i; // G
      data[2 * n * n + i] = 300; // B, out of range: clipped
    }
    const img = createImage({ matrixSize: [n, n, 1], channels: 3, data, head: { image_type: ImageType.RGB } });
    const r = renderSeries([img])!;
    expect(r.frames).toHaveLength(1);
    expect(r.frames[0].mode).toBe('rgb');
    expect(Array.from(r.frames[0].pixels.subarray(0, 6))).toEqual([10, 20, 255, 10, 21, 255]);
  });

  it('orders frames by image, then channel, then slice', () => {
    const imgs = [0, 1].map((k) => floatImage(2, 2, (x, y, c, z) => 1000 * k + 100 * c + 10 * z + x, { channels: 2, nz: 2, attribute: meta({ WindowCenter: 1000, WindowWidth: 2000 }) }));
    const r = renderSeries(imgs)!;
    expect(r.frames).toHaveLength(8);
    const firstPixel = r.frames.map((f) => f.pixels[0]);
    const expected = [0, 10, 100, 110, 1000, 1010, 1100, 1110].map((v) => Math.trunc(Math.fround(v * (255 / 2000))));
    expect(firstPixel).toEqual(expected);
  });

  it('-m builds a mosaic of slices with equal frame counts, --mosaic-less-than of small series', () => {
    const imgs = [];
    for (let t = 0; t < 3; t++) for (let s = 0; s < 2; s++) imgs.push(floatImage(4, 4, () => t * 10 + s, { slice: s }));
    const plain = renderSeries(imgs)!;
    expect(plain.frames).toHaveLength(6);
    const m = renderSeries(imgs, { mosaicSlices: true })!;
    expect(m.frames).toHaveLength(3);
    expect([m.frames[0].width, m.frames[0].height]).toEqual([8, 4]);
    const off = renderSeries(imgs, { mosaicSlices: true, noMosaic: true })!;
    expect(off.frames).toHaveLength(6);
    // unequal counts: no mosaic
    const uneven = renderSeries([...imgs, floatImage(4, 4, () => 0, { slice: 0 })], { mosaicSlices: true })!;
    expect(uneven.frames).toHaveLength(7);
    // 3-D images: the z slices of each image are the mosaic tiles
    const vol = renderSeries([floatImage(4, 4, (x, y, c, z) => z, { nz: 4 }), floatImage(4, 4, (x, y, c, z) => z + 1, { nz: 4 })], { mosaicSlices: true })!;
    expect(vol.frames).toHaveLength(2);
    const small = renderSeries([ramp(4), ramp(4, 2)], { mosaicLessThan: 6 })!;
    expect(small.frames).toHaveLength(1);
    expect([small.frames[0].width, small.frames[0].height]).toEqual([8, 4]);
  });

  it('-r upscales every frame and ROIs scale once, on every channel frame of an image', () => {
    const roi = createRoi([1, 3, 3, 1, 1], [1, 1, 3, 3, 1], { rgb: [0, 1, 0], thickness: 1 });
    const img = floatImage(5, 5, () => 0, { channels: 3, attribute: new MetaAttributes({ ROI_box: roi }).serialize() });
    const r = renderSeries([img], { rescale: 3 })!;
    expect(r.frames).toHaveLength(3);
    for (const f of r.frames) {
      expect([f.width, f.height, f.mode]).toEqual([15, 15, 'rgb']);
      const green = (x: number, y: number) => f.pixels[3 * (y * 15 + x) + 1] === 255;
      // corners of the box at 3*(1,1) and 3*(3,3): same place on every frame (the reference drifts)
      expect(green(3, 3)).toBe(true);
      expect(green(9, 9)).toBe(true);
      expect(green(9, 3)).toBe(true);
      expect(green(12, 12)).toBe(false);
      expect(green(0, 0)).toBe(false);
    }
    // without ROIs, upscaling is pixel replication of the grey frame
    const plain = renderSeries([ramp(4)], { rescale: 2 })!.frames[0];
    expect([plain.width, plain.height]).toEqual([8, 8]);
    expect(plain.pixels[0]).toBe(plain.pixels[9]);
  });

  it('invisible and malformed ROIs are not drawn', () => {
    const hidden = createRoi([0, 3], [0, 3], { visibility: 0 });
    const img = floatImage(4, 4, () => 5, { attribute: new MetaAttributes({ ROI_hidden: hidden, ROI_bad: ['1', '0', '0'] }).serialize() });
    const r = renderSeries([img])!;
    expect(r.frames[0].mode).toBe('indexed');
  });

  it('applies a colour table found as the reference looks for it; a missing one keeps frames grey', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-lut-'));
    mkdirSync(join(dir, 'colormaps'));
    const header = "{'descr': '|u1', 'fortran_order': False, 'shape': (256, 3), }".padEnd(117, ' ') + '\n';
    const head = new Uint8Array(10 + header.length);
    head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
    new DataView(head.buffer).setUint16(8, header.length, true);
    head.set(new TextEncoder().encode(header), 10);
    const body = new Uint8Array(768);
    for (let i = 0; i < 256; i++) body.set([i, 0, 255 - i], 3 * i);
    writeFileSync(join(dir, 'colormaps', 'Hot.npy'), Buffer.concat([head, body]));
    const img = floatImage(4, 4, (x) => x, { attribute: meta({ LUTFileName: 'Hot.pal', WindowCenter: 1.5, WindowWidth: 3 }) });
    const r = renderSeries([img], { cwd: dir })!;
    const rgb = toRgb(r.frames[0]).pixels;
    expect(Array.from(rgb.subarray(0, 3))).toEqual([0, 0, 255]);
    expect(Array.from(rgb.subarray(9, 12))).toEqual([255, 0, 0]);
    const missing = floatImage(4, 4, (x) => x, { attribute: meta({ LUTFileName: 'Nope.pal' }) });
    const g = renderSeries([missing], { cwd: dir })!.frames[0];
    expect(g.mode).toBe('indexed');
    expect(g.palette).toBeNull();
  });

  it('compares with a reference series: image | reference | difference', () => {
    const a = [ramp(4)];
    const b = [floatImage(4, 4, (x, y) => x + 4 * y + (x === 0 && y === 0 ? 5 : 0))];
    const r = renderSeries(a, { refDiffScale: 2, filetype: 'gif' }, b)!;
    expect(r.suffix).toBe('_diff');
    const f = r.frames[0];
    expect([f.width, f.height]).toEqual([12, 4]);
    // the difference panel: non-zero only at (0,0)
    const diffAt = (x: number, y: number) => greyOf(f, y * 12 + 8 + x);
    expect(diffAt(0, 0)).toBeGreaterThan(0);
    expect(diffAt(1, 0)).toBe(0);
    expect(renderSeries(a, {}, [...b, ...b])).toBeNull();
  });

  it('switches to PNG for RGB frames of more than 256 colours', () => {
    const n = 32;
    const data = new Uint16Array(3 * n * n);
    for (let i = 0; i < n * n; i++) {
      data[i] = i & 255;
      data[n * n + i] = i >> 8;
      data[2 * n * n + i] = 0;
    }
    const img = createImage({ matrixSize: [n, n, 1], channels: 3, data, head: { image_type: ImageType.RGB } });
    expect(renderSeries([img])!.filetype).toBe('png');
  });
});

describe('encoding', () => {
  it('GIF: delay from fps, looping animations, identical consecutive frames merged as PIL does', () => {
    const a = indexedFrame(2, 2, Uint8Array.from([0, 50, 100, 255]));
    const b = indexedFrame(2, 2, Uint8Array.from([1, 2, 3, 4]));
    const g = decodeGif(encodeGif([a, a, b], { delayMs: 40 }));
    expect(g.frames.map((f) => f.delay)).toEqual([8, 4]);
    expect(g.loop).toBe(0);
    expect(Array.from(g.frames[0].rgba.subarray(0, 8))).toEqual([0, 0, 0, 255, 50, 50, 50, 255]);
    expect(mergeRepeatedFrames([a, b, b, b], 10).map((m) => m.delayMs)).toEqual([10, 30]);
    const still = decodeGif(encodeGif([a], { delayMs: 40 }));
    expect(still.frames).toHaveLength(1);
    expect(still.loop).toBeNull();
  });

  it('GIF: RGB frames with their exact colours, local palettes when they change', () => {
    const c = rgbFrame(2, 1, Uint8Array.from([255, 0, 0, 0, 0, 255]));
    const d = indexedFrame(2, 1, Uint8Array.from([7, 9]));
    const g = decodeGif(encodeGif([c, d], { delayMs: 100 }));
    expect(Array.from(g.frames[0].rgba)).toEqual([255, 0, 0, 255, 0, 0, 255, 255]);
    expect(Array.from(g.frames[1].rgba)).toEqual([7, 7, 7, 255, 9, 9, 9, 255]);
  });

  it('stores meta attributes as a GIF comment and a PNG text chunk, as the newer reference', () => {
    const a = indexedFrame(2, 2, Uint8Array.from([0, 50, 100, 255]));
    const b = indexedFrame(2, 2, Uint8Array.from([1, 2, 3, 4]));
    const text = '<ismrmrdMeta>' + 'x'.repeat(300) + 'é</ismrmrdMeta>';
    for (const frames of [[a], [a, b]]) {
      const gif = Buffer.from(encodeGif(frames, { delayMs: 40, comment: text }));
      const at = gif.indexOf(Buffer.from([0x21, 0xfe]));
      expect(at).toBe(13 + 768 + (frames.length > 1 ? 19 : 0));
      const parts: Buffer[] = [];
      for (let p = at + 2; gif[p] !== 0; p += gif[p] + 1) parts.push(gif.subarray(p + 1, p + 1 + gif[p]));
      expect(Buffer.concat(parts).toString('utf8')).toBe(text);
      expect(decodeGif(gif).frames).toHaveLength(frames.length);
    }
    const png = encodePng(a, { keyword: 'MetaAttributes', text: '<m>1</m>' });
    expect(png.subarray(37, 41).toString('latin1')).toBe('tEXt');
    expect(png.includes(Buffer.from('MetaAttributes\0<m>1</m>', 'latin1'))).toBe(true);
    expect(PNG.sync.read(png).width).toBe(2);
    expect(Buffer.from(pngTextChunk('k', 'é€')).subarray(4, 8).toString('latin1')).toBe('iTXt');
  });

  it('PNG: grey and RGB', () => {
    const grey = PNG.sync.read(encodePng(indexedFrame(2, 1, Uint8Array.from([3, 200]))));
    expect([grey.width, grey.height, grey.data[0], grey.data[4]]).toEqual([2, 1, 3, 200]);
    const rgb = PNG.sync.read(encodePng(rgbFrame(1, 1, Uint8Array.from([1, 2, 3]))));
    expect(Array.from(rgb.data)).toEqual([1, 2, 3, 255]);
  });

  const builtWorker = new URL('../dist/gif-worker.js', import.meta.url);
  it.skipIf(!existsSync(fileURLToPath(builtWorker)))('GIF: splitting the frames over worker threads gives the same bytes', async () => {
    const frames = Array.from({ length: 70 }, (_, t) => indexedFrame(40, 30, Uint8Array.from({ length: 1200 }, (_, i) => (i * 7 + t * 13) & 255)));
    frames[10] = frames[9];
    const serial = encodeGif(frames, { delayMs: 40 });
    const pool = new GifWorkerPool(builtWorker, 2);
    try {
      const parallel = await encodeGifParallel(frames, { delayMs: 40, pool });
      expect(Buffer.from(parallel).equals(Buffer.from(serial))).toBe(true);
      expect(decodeGif(parallel).frames).toHaveLength(69);
    } finally {
      await pool.close();
    }
  });
});

describe('mrd2gif on files', () => {
  async function writeFile(path: string, groups: Record<string, Record<string, Image[]>>): Promise<void> {
    const names = Object.keys(groups);
    for (const [gi, g] of names.entries()) {
      const w = gi === 0 ? await MrdWriter.create(path, { group: g }) : await MrdWriter.open(path, { group: g });
      for (const [series, imgs] of Object.entries(groups[g])) await w.appendImages(imgs, { series });
      await w.close();
    }
  }
  const seq = (s: string) => meta({ SequenceDescriptionAdditional: s });
  const frames = (k: number, attribute = '') => Array.from({ length: k }, (_, t) => floatImage(8, 6, (x, y) => x + y + t, { attribute, index: t }));

  it('takes the last group by name, every series, files next to the input', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-f-'));
    const file = join(dir, 'scan.h5');
    await writeFile(file, {
      'b_second': { image_0: frames(3, seq('T1')), image_1: frames(1, seq('T2 map')) },
      'a_first': { image_0: frames(2) },
    });
    const out = await mrd2gif(file);
    expect(out.map((o) => [o.group, o.series, o.frames, o.width, o.height])).toEqual([['b_second', 'image_0', 3, 8, 6], ['b_second', 'image_1', 1, 8, 6]]);
    expect(out.map((o) => o.files[0])).toEqual([join(dir, 'scan_b_second_image_0_T1.gif'), join(dir, 'scan_b_second_image_1_T2_map.gif')]);
    expect(decodeGif(readFileSync(out[0].files[0])).frames).toHaveLength(3);
    expect(decodeGif(readFileSync(out[1].files[0])).loop).toBeNull();

    const one = await mrd2gif(file, { inGroup: 'a_first', series: 'image_0', outputDir: dir });
    expect(one.map((o) => o.files[0])).toEqual([join(dir, 'scan_a_first_image_0.gif')]);
  });

  it('--filetype png writes one file per frame, or one strip', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-png-'));
    const file = join(dir, 'p.h5');
    await writeFile(file, { dataset: { image_0: frames(3, seq('X')) } });
    const per = await mrd2gif(file, { filetype: 'png' });
    expect(per[0].files).toEqual([0, 1, 2].map((i) => join(dir, `p_dataset_image_0_X_${i}.png`)));
    const png = PNG.sync.read(readFileSync(per[0].files[2]));
    expect([png.width, png.height]).toEqual([8, 6]);
    const strip = await mrd2gif(file, { filetype: 'png', pngStrip: true });
    expect(strip[0].files).toEqual([join(dir, 'p_dataset_image_0_X.png')]);
    expect(PNG.sync.read(readFileSync(strip[0].files[0])).width).toBe(24);
  });

  it('--ref-filename compares with the same series of another file (_diff)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-ref-'));
    const a = join(dir, 'a.h5');
    const b = join(dir, 'b.h5');
    await writeFile(a, { dataset: { image_0: frames(2, seq('S')) } });
    await writeFile(b, { other: { image_0: frames(2, seq('S')) } });
    const out = await mrd2gif(a, { refFilename: b });
    expect(out[0].files[0]).toBe(join(dir, 'a_dataset_image_0_S_diff.gif'));
    const g = decodeGif(readFileSync(out[0].files[0]));
    expect([g.width, g.height, g.frames.length]).toEqual([24, 6, 2]);
    // identical files: the difference panel is black
    const px = (f: number, x: number, y: number) => g.frames[f].rgba[4 * (y * 24 + x)];
    expect(px(0, 20, 3)).toBe(0);
    expect(px(0, 4, 3)).toBe(px(0, 12, 3));
    // an explicit reference group, and a missing one
    const w = await MrdWriter.open(b, { group: 'zz_last' });
    await w.appendImages(frames(3, seq('S')), { series: 'image_0' });
    await w.close();
    const named = await mrd2gif(a, { refFilename: b, refInGroup: 'other' });
    expect(named).toHaveLength(1);
    expect(await mrd2gif(a, { refFilename: b })).toEqual([]); // last group zz_last has 3 images: series skipped
    await expect(mrd2gif(a, { refFilename: b, refInGroup: 'nope' })).rejects.toThrow(/could not find group nope/);
  });

  it('names the series when a reference series has another image size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-sz-'));
    const a = join(dir, 'a.h5');
    const b = join(dir, 'b.h5');
    await writeFile(a, { dataset: { image_3: frames(2) } });
    await writeFile(b, { dataset: { image_3: [floatImage(4, 4, (x) => x), floatImage(4, 4, (x) => x, { index: 1 })] } });
    await expect(mrd2gif(a, { refFilename: b })).rejects.toThrow(/a\.h5: \/dataset\/image_3: reference frame 0 is 4x4, the image is 8x6/);
  });

  it('fails clearly on a file without images', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-raw-'));
    const file = join(dir, 'raw.h5');
    const w = await MrdWriter.create(file, { group: 'dataset' });
    await w.writeHeader('<ismrmrdHeader/>');
    await w.close();
    await expect(mrd2gif(file)).rejects.toThrow(/raw\.h5: group dataset holds no image series/);
    await expect(mrd2gif(join(dir, 'missing.h5'))).rejects.toThrow(/missing\.h5/);
  });

  it('on a full disk: the error names the preview, an earlier preview is kept whole, no partial file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-full-'));
    const file = join(dir, 'f.h5');
    const imgs = Array.from({ length: 30 }, (_, t) => floatImage(64, 64, (x, y) => (x * y + 37 * t) % 101));
    await writeFile(file, { dataset: { image_0: imgs } });
    const gif = join(dir, 'f_dataset_image_0.gif');
    writeFileSync(gif, 'earlier preview');
    const disk = simulateFullDisk(dir, 2000);
    try {
      await expect(mrd2gif(file)).rejects.toThrow(`cannot write ${gif}: no space left on device`);
    } finally {
      disk.uninstall();
    }
    expect(readFileSync(gif, 'utf8')).toBe('earlier preview');
    expect(readdirSync(dir).sort()).toEqual(['f.h5', 'f_dataset_image_0.gif']);
  });

  it('a read-only folder is reported as read-only before anything is rendered', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-ro-'));
    const file = join(dir, 'r.h5');
    await writeFile(file, { dataset: { image_0: [floatImage(4, 4, (x) => x)] } });
    const disk = simulateReadOnlyFolder(dir);
    try {
      await expect(mrd2gif(file)).rejects.toThrow(`cannot write ${dir}: folder ${dir} is read-only`);
    } finally {
      disk.uninstall();
    }
  });

  const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
  it.skipIf(!existsSync(cli))('CLI: -q prints nothing, --no-mosaic-slices and -m parse, errors are one line with exit 1', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mrd2gif-cli-'));
    const file = join(dir, 'c.h5');
    const imgs = [];
    for (let t = 0; t < 2; t++) for (let s = 0; s < 2; s++) imgs.push(floatImage(4, 4, (x) => 10 * t + s + x, { slice: s, attribute: meta({ WindowCenter: 8, WindowWidth: 16 }) }));
    await writeFile(file, { dataset: { image_0: imgs } });
    const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
    const q = run(file, '-q', '--no-mosaic-slices');
    expect([q.status, q.stdout, q.stderr]).toEqual([0, '', '']);
    expect(decodeGif(readFileSync(join(dir, 'c_dataset_image_0.gif'))).frames).toHaveLength(4);
    const m = run(file, '-m', '-r', '2', '--fps', '10');
    expect(m.status, m.stderr).toBe(0);
    expect(m.stdout).toContain('Creating a mosaic of 2 images with 2 slices in each');
    const g = decodeGif(readFileSync(join(dir, 'c_dataset_image_0.gif')));
    expect([g.width, g.height, g.frames.length, g.frames[0].delay]).toEqual([16, 8, 2, 10]);
    const bad = run(join(dir, 'nope.h5'));
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^mrd2gif: .*nope\.h5/);
  });
});
