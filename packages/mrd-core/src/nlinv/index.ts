// Native nlinv (BART 0.8 `nlinv` equivalent): joint image and coil-sensitivity estimation.
// Subpath `@mrd-tools/core/nlinv`.
export * from './nlinv.js';
export * from './noncartesian.js';
