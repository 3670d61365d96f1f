// Preview pictures of MR images (mrd2gif, mrd-client --mrd2gif): windowing, colour tables,
// ROI overlays and frame layout. Encoding to GIF/PNG lives in the mrd2gif package.
export * from './window.js';
export * from './colour-table.js';
export * from './roi-drawing.js';
export * from './frame.js';
