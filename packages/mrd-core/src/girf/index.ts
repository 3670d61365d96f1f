// GIRF (gradient impulse response) trajectory correction.
export * from './girf.js';
export * from './girf-file.js';
