// Coil combination: root sum of squares, Inati adaptive coil maps. Subpath `@mrd-tools/core/coil-combine`.
export * from './coil-combine.js';
