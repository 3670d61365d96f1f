/**
 * Test helper: decodes a GIF into full RGBA frames with omggif (a devDependency; gifenc has no
 * decoder). Used by the unit tests and the interop suite.
 */
import { GifReader } from 'omggif';

export interface DecodedGif {
  width: number;
  height: number;
  /** NETSCAPE loop count, null for a still picture without the extension. */
  loop: number | null;
  /** Delays in GIF units (10 ms) and composited RGBA frames. */
  frames: { delay: number; rgba: Uint8Array }[];
}

export function decodeGif(bytes: Uint8Array): DecodedGif {
  const r = new GifReader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const frames: DecodedGif['frames'] = [];
  const canvas = new Uint8Array(r.width * r.height * 4);
  for (let i = 0; i < r.numFrames(); i++) {
    r.decodeAndBlitFrameRGBA(i, canvas);
    frames.push({ delay: r.frameInfo(i).delay, rgba: canvas.slice() });
  }
  let loop: number | null;
  try {
    loop = r.loopCount();
  } catch {
    loop = null;
  }
  return { width: r.width, height: r.height, loop, frames };
}
