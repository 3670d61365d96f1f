// Non-uniform FFT (SigPy conventions, Kaiser-Bessel gridding) and density compensation.
// Subpath `@mrd-tools/core/nufft` (it pulls in the FFT's WebAssembly package, so not in the main index).
export * from './kaiser-bessel.js';
export * from './nufft.js';
