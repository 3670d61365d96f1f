export * from './mrd2dicom.js';
export * from './image-to-dicom.js';
export * from './pixel-encoding.js';
export * from './dicom-writer.js';
