// Shared numeric kernels of the recon modules (mrd-server built-ins, spiral recons, user modules).
// Exposed as the subpath `@mrd-tools/core/recon` (it pulls in the FFT's WebAssembly package).
export * from './centred-fft.js';
export * from './crop.js';
export * from './normalise.js';
export * from './jet-colormap.js';
export * from './median-filter.js';
export * from './image-header.js';
export * from './kspace-buffer.js';
export * from './npy.js';
export * from './debug-dump.js';
export * from './testing/replay.js';
