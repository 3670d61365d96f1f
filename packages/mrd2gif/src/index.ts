// Library surface of mrd2gif (used by mrd-client --mrd2gif).
export { mrd2gif, renderSeries, previewFileName, sequenceSuffix, type Mrd2gifOptions, type Mrd2gifOutput, type RenderedSeries, type PreviewFileType } from './mrd2gif.js';
export { type PreviewRoi } from './source-frames.js';
export { encodeGif, encodeGifParallel, GifWorkerPool, gifWorkerScript, encodePng, mergeRepeatedFrames, rgbFitsGif } from './encode.js';
