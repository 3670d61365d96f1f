/**
 * The GIF frame encoding shared by the main thread and the encoding workers (gif-worker.ts):
 * frames already reduced to an index image and a palette, written with gifenc in manual mode
 * so that separately encoded runs of frames concatenate into one valid file.
 */
import * as gifenc from 'gifenc';
import { lzwBound, lzwEncode8 } from './gif-lzw.js';

// gifenc ships CommonJS ("main", whose named exports Node cannot detect) and ESM ("module",
// whose default export is GIFEncoder itself): take the named export, else the CommonJS object's.
const GIFEncoder: typeof gifenc.GIFEncoder =
  (gifenc as { GIFEncoder?: typeof gifenc.GIFEncoder }).GIFEncoder ??
  (gifenc as unknown as { default: { GIFEncoder: typeof gifenc.GIFEncoder } }).default.GIFEncoder;

export type GifPalette = number[][];

/** One frame ready for LZW: indices, the palette to write with it (global for the first frame, local otherwise), delay. */
export interface GifFramePlan {
  index: Uint8Array;
  palette?: GifPalette;
  delayMs: number;
}

export interface GifLayout {
  width: number;
  height: number;
  /** Several frames: a looping animation (NETSCAPE extension on the first frame). */
  animated: boolean;
}

/** A GIF comment extension block holding `text` (UTF-8), as PIL writes the `comment` info. */
function gifCommentBlock(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  const out: number[] = [0x21, 0xfe];
  for (let i = 0; i < bytes.length; i += 255) {
    const sub = bytes.subarray(i, i + 255);
    out.push(sub.length, ...sub);
  }
  out.push(0);
  return Uint8Array.from(out);
}

/**
 * Header, logical screen, global palette and the first frame; with `comment`, a comment
 * extension after the global palette and loop extension (where PIL puts it).
 */
export function encodeGifStart(first: GifFramePlan, layout: GifLayout, comment?: string): Uint8Array {
  const gif = GIFEncoder({ auto: false, initialCapacity: 4096 + Math.ceil(1.2 * layout.width * layout.height) });
  gif.writeHeader();
  gif.writeFrame(first.index, layout.width, layout.height, {
    first: true,
    palette: first.palette,
    delay: layout.animated ? first.delayMs : 0,
    repeat: layout.animated ? 0 : -1,
  });
  const bytes = gif.bytesView();
  if (!comment) return bytes;
  // 6-byte signature, 7-byte logical screen descriptor, global colour table, NETSCAPE block
  const gctBytes = 3 * (1 << ((bytes[10] & 7) + 1));
  const at = 13 + gctBytes + (layout.animated ? 19 : 0);
  const block = gifCommentBlock(comment);
  const out = new Uint8Array(bytes.length + block.length);
  out.set(bytes.subarray(0, at));
  out.set(block, at);
  out.set(bytes.subarray(at), at + block.length);
  return out;
}

/** log2 of the entries of a colour table for `length` colours, as gifenc pads it (a power of two, at least 2). */
function colourTableBits(length: number): number {
  return Math.max(Math.ceil(Math.log2(length)), 1);
}

/**
 * Further frames (no header), to follow `encodeGifStart`'s bytes. Written here byte for byte as
 * gifenc's `writeFrame` in manual mode writes them (graphic control extension, image descriptor,
 * local colour table when given, image data), with the image data compressed by gif-lzw.ts.
 * With `whole`, the result is the complete file: `whole.start` (`encodeGifStart`'s bytes), the
 * frames and the trailer, written into one buffer (no copy of the frames afterwards).
 */
export function encodeGifFrames(frames: GifFramePlan[], layout: GifLayout, whole?: { start: Uint8Array }): Uint8Array {
  const { width, height } = layout;
  let size = whole ? whole.start.length + 1 : 0;
  for (const f of frames) size += 19 + (f.palette ? 3 << colourTableBits(f.palette.length) : 0) + lzwBound(f.index.length);
  const out = new Uint8Array(size);
  let o = 0;
  if (whole) {
    out.set(whole.start);
    o = whole.start.length;
  }
  for (const f of frames) {
    const delay = Math.round((layout.animated ? f.delayMs : 0) / 10);
    // graphic control extension: no disposal, no transparency
    out[o++] = 0x21; out[o++] = 0xf9; out[o++] = 4; out[o++] = 0;
    out[o++] = delay & 0xff; out[o++] = (delay >> 8) & 0xff; out[o++] = 0; out[o++] = 0;
    // image descriptor
    out[o++] = 0x2c; out[o++] = 0; out[o++] = 0; out[o++] = 0; out[o++] = 0;
    out[o++] = width & 0xff; out[o++] = (width >> 8) & 0xff; out[o++] = height & 0xff; out[o++] = (height >> 8) & 0xff;
    if (f.palette) {
      const bits = colourTableBits(f.palette.length);
      out[o++] = 0x80 | (bits - 1);
      const entries = 1 << bits;
      for (let i = 0; i < entries; i++) {
        const c = i < f.palette.length ? f.palette[i] : [0, 0, 0];
        out[o++] = c[0]; out[o++] = c[1]; out[o++] = c[2];
      }
    } else {
      out[o++] = 0;
    }
    o = lzwEncode8(f.index, out, o);
  }
  if (whole) out[o++] = GIF_TRAILER;
  return out.subarray(0, o);
}

/** The GIF trailer byte. */
export const GIF_TRAILER = 0x3b;
