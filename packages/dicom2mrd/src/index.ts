export * from './dicom2mrd.js';
export * from './convert.js';
export * from './dicom-file.js';
export * from './frames.js';
export * from './find-files.js';
export * from './pixel-decoding.js';
