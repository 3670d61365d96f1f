/**
 * mrd-view's page parts for other pages (the `./page` export; mrd-server's live view): the
 * window/level image canvas, the binary envelope decoder and the image types. Bundled into the
 * other page by scripts/build.mjs; the stylesheet is the `./page.css` export.
 */
export { WindowedImage, Zoomable } from './windowed-image.js';
export { decodeEnvelope, type TypedArray } from '../protocol/envelope.js';
export type { ImageMeta, LoadedImage, WindowRange } from './render.js';
