/**
 * The page's pixels against mrd2gif's frames: the page renders the frame values the server
 * sends (mrd2gif's source frames) with mrd-core's window and ROI drawing; here the same path
 * is run in Node on the reference outputs (with ROIs, and a float series) and compared with
 * mrd2gif's renderSeries frames. The window drag rule is checked too.
 */
import { describe, expect, it } from 'vitest';
import { createImage, type Image } from '@mrd-tools/core/messages';
import { MrdFile } from '@mrd-tools/core/hdf5/reader';
import { toRgb } from '@mrd-tools/mrd2gif/preview';
import { reference } from '@mrd-tools/core/testing';
import { renderSeries } from '@mrd-tools/mrd2gif';
import { metaWindow, seriesFrameWindows, sourceFramesOf, roiPolylines } from '@mrd-tools/mrd2gif/source-frames';
import { dragWindow, frameWindow, renderGrey } from './render.js';

async function images(path: string): Promise<Image[]> {
  const f = await MrdFile.open(path);
  try {
    const out: Image[] = [];
    for await (const img of f.images('dataset', 'image_0')) out.push(img);
    return out;
  } finally {
    f.close();
  }
}

describe('page rendering equals mrd2gif frames', () => {
  for (const name of ['outputs/invertcontrast_roi.h5', 'outputs/invertcontrast_complex.h5', 'outputs/invertcontrast_m64.h5']) {
    it(name, async () => {
      const imgs = await images(reference(name));
      const want = renderSeries(imgs, { noMosaic: true })!.frames.map(toRgb);
      const sources = sourceFramesOf(imgs, name);
      const windows = seriesFrameWindows(sources, false);
      sources.forEach((s, k) => {
        const rgb = renderGrey(s.values!, s.width, s.height, windows[k]!, null, roiPolylines(s, 1));
        expect(Buffer.from(rgb).equals(Buffer.from(want[k]!.pixels)), `frame ${k}`).toBe(true);
      });
    });
  }
  it('the frame preset is mrd2gif --floating-window (images without meta windows)', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
    const imgs = [1, 3, 10].map((gain, k) => createImage({ matrixSize: [40, 30, 1], data: Float32Array.from({ length: 1200 }, () => gain * rnd() * 100), head: { image_index: k } }));
    const want = renderSeries(imgs, { noMosaic: true, floatingWindow: true })!.frames.map(toRgb);
    const series = renderSeries(imgs, { noMosaic: true })!.frames.map(toRgb);
    sourceFramesOf(imgs, 'x').forEach((s, k) => {
      expect(metaWindow(s.meta)).toBeNull();
      const rgb = renderGrey(s.values!, s.width, s.height, frameWindow(s.values!, 'frame'), null, []);
      expect(Buffer.from(rgb).equals(Buffer.from(want[k]!.pixels)), `frame ${k}`).toBe(true);
      if (k !== 1) expect(Buffer.from(rgb).equals(Buffer.from(series[k]!.pixels))).toBe(false);
    });
  });
});

describe('window/level drag', () => {
  it('right widens, down raises the centre, by width/256 per pixel', () => {
    expect(dragWindow({ min: 0, max: 256 }, 0, 0, 1000)).toEqual({ min: 0, max: 256 });
    expect(dragWindow({ min: 0, max: 256 }, 10, 0, 1000)).toEqual({ min: -5, max: 261 });
    expect(dragWindow({ min: 0, max: 256 }, 0, -20, 1000)).toEqual({ min: -20, max: 236 });
    expect(dragWindow({ min: 0, max: 256 }, -300, 0, 1000)).toEqual({ min: 128, max: 128 });
    // zero width: steps of the value range
    expect(dragWindow({ min: 5, max: 5 }, 256, 0, 512)).toEqual({ min: -251, max: 261 });
  });
});
