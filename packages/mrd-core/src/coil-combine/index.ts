// Coil combination: root sum of squares, Inati adaptive coil maps.
export * from './coil-combine.js';
