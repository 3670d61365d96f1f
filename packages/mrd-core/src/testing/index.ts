export * from './reference.js';
export * from './random.js';
export * from './peers.js';
export * from './mrd-files.js';
export * from './image-symmetry.js';
export * from './simulated-disk.js';
