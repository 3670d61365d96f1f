// GIRF (gradient impulse response) trajectory correction. Subpath `@mrd-tools/core/girf` (uses the FFT engine).
export * from './girf.js';
export * from './girf-file.js';
