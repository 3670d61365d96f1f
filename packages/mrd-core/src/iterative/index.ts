// Iterative reconstruction: an abstract linear-operator contract, TV-regularised ADMM (BART pics
// equivalent), and the multi-coil NUFFT SENSE model. Subpath `@mrd-tools/core/iterative` (pulls in
// the FFT's WebAssembly package through the NUFFT).
export * from './linear-operator.js';
export * from './tv-admm.js';
export * from './sense-nufft.js';
export * from './coil-maps.js';
