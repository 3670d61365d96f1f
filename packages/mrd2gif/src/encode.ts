/**
 * Writing preview frames as animated GIF (gifenc) and PNG (pngjs).
 *
 * GIF as the reference (PIL) writes it: looping forever with a per-frame delay when there are
 * several frames, a still picture otherwise; consecutive identical frames are merged into one
 * whose delay is the sum (PIL does this, so frame counts match the reference's). Indexed frames
 * keep their palette (the first one is the global colour table, others are local tables when
 * they differ); RGB frames of at most 256 colours get an exact palette. RGB frames with more
 * colours cannot be written to GIF without dithering; `rgbFitsGif` lets the caller switch to PNG
 * first, as the newer reference does.
 */
import * as gifenc from 'gifenc';
import pngjs from 'pngjs';
import { paletteOf, toRgb, framesLookEqual, type PreviewFrame, type Palette } from '@mrd-tools/core';

type GifPalette = number[][];

// gifenc ships CommonJS ("main", whose named exports Node cannot detect) and ESM ("module",
// whose default export is GIFEncoder itself): take the named export, else the CommonJS object's.
const GIFEncoder: typeof gifenc.GIFEncoder =
  (gifenc as { GIFEncoder?: typeof gifenc.GIFEncoder }).GIFEncoder ??
  (gifenc as unknown as { default: { GIFEncoder: typeof gifenc.GIFEncoder } }).default.GIFEncoder;
const { PNG } = pngjs;

function gifPalette(p: Palette, colours = 256): GifPalette {
  const out: GifPalette = [];
  for (let i = 0; i < colours; i++) out.push([p[3 * i], p[3 * i + 1], p[3 * i + 2]]);
  return out;
}

/** An exact palette and index image for an RGB frame, or null when it has more than 256 colours. */
export function indexRgbFrame(f: PreviewFrame): { index: Uint8Array; palette: GifPalette } | null {
  const rgb = f.pixels;
  const n = f.width * f.height;
  const lut = new Map<number, number>();
  const palette: GifPalette = [];
  const index = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const key = (rgb[3 * i] << 16) | (rgb[3 * i + 1] << 8) | rgb[3 * i + 2];
    let k = lut.get(key);
    if (k === undefined) {
      if (palette.length === 256) return null;
      k = palette.length;
      lut.set(key, k);
      palette.push([rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2]]);
    }
    index[i] = k;
  }
  return { index, palette };
}

/** True when every RGB frame has at most 256 colours (indexed frames always fit). */
export function rgbFitsGif(frames: PreviewFrame[]): boolean {
  return frames.every((f) => f.mode !== 'rgb' || indexRgbFrame(f) !== null);
}

function samePalette(a: GifPalette, b: GifPalette): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1] || a[i][2] !== b[i][2]) return false;
  return true;
}

export interface GifOptions {
  /** Delay per frame in milliseconds (animations only). */
  delayMs: number;
}

/** The frames after merging consecutive identical ones, each with its display time. */
export function mergeRepeatedFrames(frames: PreviewFrame[], delayMs: number): { frame: PreviewFrame; delayMs: number }[] {
  const out: { frame: PreviewFrame; delayMs: number }[] = [];
  for (const f of frames) {
    const prev = out[out.length - 1];
    if (prev && framesLookEqual(prev.frame, f)) prev.delayMs += delayMs;
    else out.push({ frame: f, delayMs });
  }
  return out;
}

/** Encodes frames (all of one size) as a GIF. Throws if an RGB frame has more than 256 colours. */
export function encodeGif(frames: PreviewFrame[], opts: GifOptions): Uint8Array {
  if (frames.length === 0) throw new Error('no frames to write');
  const { width, height } = frames[0];
  const merged = frames.length > 1 ? mergeRepeatedFrames(frames, opts.delayMs) : [{ frame: frames[0], delayMs: 0 }];
  const animated = frames.length > 1;
  const gif = GIFEncoder({ initialCapacity: Math.max(4096, (width * height * merged.length) >> 1) });
  let globalPalette: GifPalette | null = null;
  for (const { frame, delayMs } of merged) {
    if (frame.width !== width || frame.height !== height) throw new Error(`frames differ in size (${width}x${height} and ${frame.width}x${frame.height})`);
    let index: Uint8Array;
    let palette: GifPalette;
    if (frame.mode === 'indexed') {
      index = frame.pixels;
      palette = gifPalette(paletteOf(frame));
    } else {
      const ix = indexRgbFrame(frame);
      if (!ix) throw new Error('an RGB frame has more than 256 colours and cannot be written to GIF without dithering');
      ({ index, palette } = ix);
    }
    const first = globalPalette === null;
    const local = !first && !samePalette(palette, globalPalette!);
    gif.writeFrame(index, width, height, {
      palette: first || local ? palette : undefined,
      delay: animated ? delayMs : 0,
      repeat: animated ? 0 : -1,
    });
    if (first) globalPalette = palette;
  }
  gif.finish();
  return gif.bytesView();
}

/** Encodes one frame as an 8-bit PNG: greyscale for grey frames, RGB otherwise. */
export function encodePng(frame: PreviewFrame): Buffer {
  if (frame.mode === 'indexed' && frame.palette === null) {
    const png = new PNG({ width: frame.width, height: frame.height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
    png.data = Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength);
    return PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false });
  }
  const rgb = toRgb(frame);
  const png = new PNG({ width: rgb.width, height: rgb.height, colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(rgb.pixels.buffer, rgb.pixels.byteOffset, rgb.pixels.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false });
}
