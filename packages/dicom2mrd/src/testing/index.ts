// Test helpers of dicom2mrd (never in the shipped bundle): synthetic DICOM files, encapsulated
// compressed frames and a lossless JPEG encoder.
export { e, syntheticMr, type SyntheticImage } from './synthetic-dicom.js';
export { encapsulate, encodeLosslessJpeg, fragments } from './compressed-frames.js';
