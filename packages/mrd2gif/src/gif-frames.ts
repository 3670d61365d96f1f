/**
 * The GIF frame encoding shared by the main thread and the encoding workers (gif-worker.ts):
 * frames already reduced to an index image and a palette, written with gifenc in manual mode
 * so that separately encoded runs of frames concatenate into one valid file.
 */
import * as gifenc from 'gifenc';

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
export function gifCommentBlock(text: string): Uint8Array {
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

/** Further frames (no header), to follow `encodeGifStart`'s bytes. */
export function encodeGifFrames(frames: GifFramePlan[], layout: GifLayout): Uint8Array {
  // LZW output of noisy 8-bit images is about 1 byte per pixel; reserving that up front avoids
  // gifenc's growth by 1.125x steps (each a full copy) on large animations.
  const gif = GIFEncoder({ auto: false, initialCapacity: 4096 + Math.ceil(1.2 * layout.width * layout.height * frames.length) });
  for (const f of frames) {
    gif.writeFrame(f.index, layout.width, layout.height, { first: false, palette: f.palette, delay: layout.animated ? f.delayMs : 0 });
  }
  return gif.bytesView();
}

/** The GIF trailer byte. */
export const GIF_TRAILER = 0x3b;
