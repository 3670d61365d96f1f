export * from './reference.js';
export * from './random.js';
