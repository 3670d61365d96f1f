export * from './reference.js';
export * from './random.js';
export * from './peers.js';
