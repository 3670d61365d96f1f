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
import { existsSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import type * as pngjsTypes from 'pngjs';
import { paletteOf, toRgb, framesLookEqual, type PreviewFrame } from './preview/frame.js';
import type { Palette } from './preview/frame.js';
import { encodeGifFrames, encodeGifStart, GIF_TRAILER, type GifFramePlan, type GifLayout, type GifPalette } from './gif-frames.js';

// pngjs is loaded on first use: a GIF run (the common case) then does not pay for loading it.
let pngClass: typeof pngjsTypes.PNG | null = null;
function pngjsPNG(): typeof pngjsTypes.PNG {
  return (pngClass ??= (createRequire(import.meta.url)('pngjs') as typeof pngjsTypes).PNG);
}

const gifPalettes = new WeakMap<Palette, GifPalette>();

/** gifenc's palette form of a 256-colour palette (cached per palette object). */
function gifPalette(p: Palette): GifPalette {
  let out = gifPalettes.get(p);
  if (!out) {
    out = [];
    for (let i = 0; i < 256; i++) out.push([p[3 * i], p[3 * i + 1], p[3 * i + 2]]);
    gifPalettes.set(p, out);
  }
  return out;
}

/** An exact palette and index image for an RGB frame, or null when it has more than 256 colours. */
function indexRgbFrame(f: PreviewFrame): { index: Uint8Array; palette: GifPalette } | null {
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
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i][0] !== b[i][0] || a[i][1] !== b[i][1] || a[i][2] !== b[i][2]) return false;
  return true;
}

export interface GifOptions {
  /** Delay per frame in milliseconds (animations only). */
  delayMs: number;
  /** Text of a comment extension (the newer reference stores the first image's meta attributes there). */
  comment?: string;
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

/** Index images, palettes (global first, local where they differ) and delays of the frames. */
function planGif(frames: PreviewFrame[], opts: GifOptions): { layout: GifLayout; plans: GifFramePlan[] } {
  if (frames.length === 0) throw new Error('no frames to write');
  const { width, height } = frames[0];
  const animated = frames.length > 1;
  const merged = animated ? mergeRepeatedFrames(frames, opts.delayMs) : [{ frame: frames[0], delayMs: 0 }];
  let globalPalette: GifPalette | null = null;
  const plans = merged.map(({ frame, delayMs }): GifFramePlan => {
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
    if (first) globalPalette = palette;
    return { index, palette: first || !samePalette(palette, globalPalette!) ? palette : undefined, delayMs };
  });
  return { layout: { width, height, animated }, plans };
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0) + 1);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  out[o] = GIF_TRAILER;
  return out;
}

/** Encodes frames (all of one size) as a GIF. Throws if an RGB frame has more than 256 colours. */
export function encodeGif(frames: PreviewFrame[], opts: GifOptions): Uint8Array {
  const { layout, plans } = planGif(frames, opts);
  return encodeGifFrames(plans.slice(1), layout, { start: encodeGifStart(plans[0], layout, opts.comment) });
}

/** The worker script next to this module once built (dist/gif-worker.js), or null. */
export function gifWorkerScript(): URL | null {
  try {
    const url = new URL('./gif-worker.js', import.meta.url);
    return url.protocol === 'file:' && existsSync(fileURLToPath(url)) ? url : null;
  } catch {
    return null;
  }
}

/**
 * Threads worth using for GIF encoding here: the idle cores (available cores minus the
 * 1-minute load average, as `make -l` reasons), at most 4, at least 1. A worker costs a Node
 * start-up and cold JIT (~0.1 s of CPU), which only pays off when a core is free: on a busy
 * machine one thread finishes sooner. `MRD2GIF_THREADS=n` in the environment sets the number.
 */
export function gifThreads(): number {
  const forced = Number(process.env.MRD2GIF_THREADS);
  if (Number.isInteger(forced) && forced >= 1) return Math.min(forced, 8);
  const cores = availableParallelism();
  const idle = Math.floor(cores - loadavg()[0] + 0.5);
  return Math.max(1, Math.min(cores, idle, 4));
}

/**
 * Worker threads that LZW-encode runs of GIF frames. Start it early (a worker's start-up then
 * overlaps the reading and windowing) and close it when done; idle workers do not keep the
 * process alive.
 */
export class GifWorkerPool {
  private readonly workers: Worker[];
  private failed: Error | null = null;

  constructor(script: URL, count: number) {
    this.workers = Array.from({ length: Math.max(0, count) }, () => {
      const w = new Worker(script);
      w.unref();
      w.on('error', (e) => (this.failed = e));
      return w;
    });
  }

  get size(): number {
    return this.workers.length;
  }

  /** Encodes `runs[i]` on worker i. */
  encode(runs: GifFramePlan[][], layout: GifLayout): Promise<Uint8Array[]> {
    if (this.failed) return Promise.reject(this.failed);
    return Promise.all(runs.map((frames, i) => new Promise<Uint8Array>((resolve, reject) => {
      const w = this.workers[i];
      w.ref();
      const onError = (e: Error) => reject(e);
      w.once('error', onError);
      w.once('message', (m: { bytes?: Uint8Array; error?: string }) => {
        w.off('error', onError);
        w.unref();
        if (m.error || !m.bytes) reject(new Error(`GIF encoding worker: ${m.error ?? 'no output'}`));
        else resolve(m.bytes);
      });
      w.postMessage({ frames, layout });
    })));
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
  }
}

export interface ParallelGifOptions extends GifOptions {
  /** Workers to share the frames with (the calling thread takes one run too). */
  pool?: GifWorkerPool | null;
}

/**
 * `encodeGif` with the LZW work of long animations split between this thread and the pool's
 * workers (the bytes are identical: every frame is encoded independently). Without a pool, or
 * for short animations, everything is encoded here.
 */
export async function encodeGifParallel(frames: PreviewFrame[], opts: ParallelGifOptions): Promise<Uint8Array> {
  const pool = opts.pool;
  if (!pool || pool.size === 0 || frames.length < 33) return encodeGif(frames, opts);
  const { layout, plans } = planGif(frames, opts);
  const rest = plans.slice(1);
  if (rest.length < 32) return concat([encodeGifStart(plans[0], layout, opts.comment), ...(rest.length ? [encodeGifFrames(rest, layout)] : [])]);
  const threads = pool.size + 1;
  const per = Math.ceil(rest.length / threads);
  const runs: GifFramePlan[][] = [];
  for (let i = 0; i < rest.length; i += per) runs.push(rest.slice(i, i + per));
  const mineRun = runs.pop()!;
  const pending = pool.encode(runs, layout);
  const start = encodeGifStart(plans[0], layout, opts.comment);
  const mine = encodeGifFrames(mineRun, layout);
  const others = await pending;
  return concat([start, ...others, mine]);
}

/**
 * A PNG text chunk: tEXt when keyword and text are Latin-1, else iTXt (UTF-8), as PIL's
 * PngInfo.add_text chooses.
 */
export function pngTextChunk(keyword: string, text: string): Uint8Array {
  const latin1 = /^[\x00-\xff]*$/.test(text);
  const kw = Buffer.from(keyword, 'latin1');
  const body = latin1
    ? Buffer.concat([kw, Buffer.from([0]), Buffer.from(text, 'latin1')])
    : Buffer.concat([kw, Buffer.from([0, 0, 0, 0, 0]), Buffer.from(text, 'utf8')]);
  const type = Buffer.from(latin1 ? 'tEXt' : 'iTXt', 'latin1');
  const chunk = Buffer.alloc(12 + body.length);
  chunk.writeUInt32BE(body.length, 0);
  type.copy(chunk, 4);
  body.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(Buffer.concat([type, body])) >>> 0, 8 + body.length);
  return chunk;
}

/** Inserts text chunks after IHDR (signature 8 bytes + IHDR chunk 25 bytes). */
function withPngText(png: Buffer, text?: { keyword: string; text: string }): Buffer {
  if (!text) return png;
  const at = 8 + 25;
  return Buffer.concat([png.subarray(0, at), pngTextChunk(text.keyword, text.text), png.subarray(at)]);
}

/** Encodes one frame as an 8-bit PNG: greyscale for grey frames, RGB otherwise; optional text chunk. */
export function encodePng(frame: PreviewFrame, text?: { keyword: string; text: string }): Buffer {
  const PNG = pngjsPNG();
  if (frame.mode === 'indexed' && frame.palette === null) {
    const png = new PNG({ width: frame.width, height: frame.height, colorType: 0, inputColorType: 0, inputHasAlpha: false, bitDepth: 8 });
    png.data = Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength);
    return withPngText(PNG.sync.write(png, { colorType: 0, inputColorType: 0, inputHasAlpha: false }), text);
  }
  const rgb = toRgb(frame);
  const png = new PNG({ width: rgb.width, height: rgb.height, colorType: 2, inputColorType: 2, inputHasAlpha: false, bitDepth: 8 });
  png.data = Buffer.from(rgb.pixels.buffer, rgb.pixels.byteOffset, rgb.pixels.byteLength);
  return withPngText(PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false }), text);
}
