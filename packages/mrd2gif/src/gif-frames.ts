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

/** Header, logical screen, global palette and the first frame. */
export function encodeGifStart(first: GifFramePlan, layout: GifLayout): Uint8Array {
  const gif = GIFEncoder({ auto: false, initialCapacity: 4096 + Math.ceil(1.2 * layout.width * layout.height) });
  gif.writeHeader();
  gif.writeFrame(first.index, layout.width, layout.height, {
    first: true,
    palette: first.palette,
    delay: layout.animated ? first.delayMs : 0,
    repeat: layout.animated ? 0 : -1,
  });
  return gif.bytesView();
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
