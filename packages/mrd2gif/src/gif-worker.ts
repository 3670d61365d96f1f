/**
 * Worker thread of the GIF encoder: LZW-encodes a run of frames (gifenc) for encode.ts, which
 * splits long animations over the machine's cores. Built to dist/gif-worker.js.
 */
import { parentPort } from 'node:worker_threads';
import { encodeGifFrames, type GifFramePlan, type GifLayout } from './gif-frames.js';

parentPort?.on('message', (msg: { frames: GifFramePlan[]; layout: GifLayout }) => {
  try {
    const bytes = encodeGifFrames(msg.frames, msg.layout);
    const copy = bytes.slice();
    parentPort!.postMessage({ bytes: copy }, [copy.buffer]);
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message });
  }
});
