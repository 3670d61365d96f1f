// Preview pictures of MR images (mrd2gif, mrd-client --mrd2gif, mrd-view's page): windowing,
// ROI overlays, frames and their layout. No file or Node.js access (mrd-view bundles it for the
// browser); colour table files are read by ./colour-table.ts (subpath ./colour-tables).
export {
  applyWindow, differenceGrey, frameWindowStats, median, percentiles, selectKth, seriesWindows,
  type WindowRange, type WindowStats,
} from './window.js';
export { drawPolyline, type RgbFrameTarget } from './roi-drawing.js';
export {
  framesLookEqual, greyPalette, indexedFrame, mosaic, mosaicGrid, type Palette, paletteOf,
  type PreviewFrame, rgbFrame, sideBySide, tile, toRgb, upscale,
} from './frame.js';
