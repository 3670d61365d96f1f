import { describe, expect, it } from 'vitest';
import * as gifenc from 'gifenc';
import { GifReader } from 'omggif';
import { encodeGifFrames, encodeGifStart, GIF_TRAILER, type GifFramePlan, type GifLayout, type GifPalette } from './gif-frames.js';
import { lzwBound } from './gif-lzw.js';

const GIFEncoder: typeof gifenc.GIFEncoder =
  (gifenc as { GIFEncoder?: typeof gifenc.GIFEncoder }).GIFEncoder ??
  (gifenc as unknown as { default: { GIFEncoder: typeof gifenc.GIFEncoder } }).default.GIFEncoder;

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const grey: GifPalette = Array.from({ length: 256 }, (_, i) => [i, i, i]);
const three: GifPalette = [[255, 0, 0], [0, 255, 0], [0, 0, 255]];

/** Index images that exercise the encoder: noise (many table clears), few levels (long strings, 12-bit codes), smooth, constant. */
function frames(width: number, height: number): GifFramePlan[] {
  const rnd = mulberry32(width * 7919 + height);
  const n = width * height;
  const make = (f: (i: number) => number) => Uint8Array.from({ length: n }, (_, i) => f(i));
  return [
    { index: make(() => Math.floor(rnd() * 256)), palette: grey, delayMs: 40 },
    { index: make(() => Math.floor(rnd() * 4)), delayMs: 40 },
    { index: make((i) => ((i % width) + Math.floor(i / width)) & 0xff), delayMs: 130 },
    { index: make(() => 7), delayMs: 40 },
    { index: make(() => Math.floor(rnd() * 3)), palette: three, delayMs: 20 },
    { index: make((i) => Math.min(255, Math.max(0, Math.round(128 + 40 * Math.sin(i / 300) + 12 * (rnd() - 0.5))))), delayMs: 40 },
  ];
}

/** The same GIF written by gifenc alone (its own LZW encoder). */
function gifencGif(plans: GifFramePlan[], layout: GifLayout): Uint8Array {
  const gif = GIFEncoder({ auto: false });
  gif.writeHeader();
  plans.forEach((f, i) =>
    gif.writeFrame(f.index, layout.width, layout.height, { first: i === 0, palette: f.palette, delay: layout.animated ? f.delayMs : 0, repeat: i === 0 ? (layout.animated ? 0 : -1) : undefined }),
  );
  gif.finish();
  return gif.bytesView();
}

function ourGif(plans: GifFramePlan[], layout: GifLayout): Uint8Array {
  const start = encodeGifStart(plans[0], layout);
  const rest = encodeGifFrames(plans.slice(1), layout);
  const out = new Uint8Array(start.length + rest.length + 1);
  out.set(start);
  out.set(rest, start.length);
  out[out.length - 1] = GIF_TRAILER;
  return out;
}

describe('8-bit GIF LZW encoder', () => {
  for (const [w, h] of [[1, 1], [2, 1], [17, 3], [64, 64], [256, 256], [600, 301]] as const) {
    it(`writes gifenc's bytes exactly and decodes to the frames (${w}x${h})`, () => {
      const plans = frames(w, h);
      const layout: GifLayout = { width: w, height: h, animated: true };
      const ours = ourGif(plans, layout);
      expect(Buffer.from(ours).equals(Buffer.from(gifencGif(plans, layout)))).toBe(true);

      const r = new GifReader(Buffer.from(ours));
      expect(r.numFrames()).toBe(plans.length);
      const rgba = new Uint8Array(w * h * 4);
      let palette = plans[0].palette!;
      plans.forEach((p, k) => {
        r.decodeAndBlitFrameRGBA(k, rgba);
        expect(r.frameInfo(k).delay).toBe(Math.round(p.delayMs / 10));
        const pal = p.palette ?? plans[0].palette!;
        if (k === 0) palette = pal;
        for (let i = 0; i < w * h; i++) {
          const c = (p.palette ?? palette)[p.index[i]];
          if (rgba[4 * i] !== c[0] || rgba[4 * i + 1] !== c[1] || rgba[4 * i + 2] !== c[2]) throw new Error(`frame ${k} pixel ${i} differs`);
        }
      });
    });
  }

  it('stays within its size bound on incompressible input', () => {
    const rnd = mulberry32(3);
    const index = Uint8Array.from({ length: 300 * 300 }, () => Math.floor(rnd() * 256));
    const bytes = encodeGifFrames([{ index, delayMs: 40 }], { width: 300, height: 300, animated: true });
    expect(bytes.length - 19).toBeLessThanOrEqual(lzwBound(index.length));
    expect(bytes.length).toBeGreaterThan(index.length);
  });

  it('encodes a frame the same after a frame that filled the table (no entries left over)', () => {
    const [noisy, , smooth] = frames(256, 256);
    const layout: GifLayout = { width: 256, height: 256, animated: true };
    const alone = encodeGifFrames([smooth], layout);
    const after = encodeGifFrames([noisy, smooth], layout);
    expect(Buffer.from(after.subarray(after.length - alone.length)).equals(Buffer.from(alone))).toBe(true);
  });
});
