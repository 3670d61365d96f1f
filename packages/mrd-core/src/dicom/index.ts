export * from './time-ticks.js';
export * from './uid.js';
export * from './decimal-string.js';
export * from './dicom-json.js';
export * from './mapping.js';
export * from './mrd-private.js';
