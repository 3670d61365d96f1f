// Simulated MR objects and receivers shared by the phantom generators (Cartesian and spiral).
export * from './shepp-logan.js';
export * from './birdcage.js';
export * from './gaussian-noise.js';
