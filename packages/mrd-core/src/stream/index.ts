export * from './errors.js';
export * from './decoder.js';
export * from './encoder.js';
export * from './ndarray.js';
export { decodeCString } from './text.js';
export * from './frame-scanner.js';
