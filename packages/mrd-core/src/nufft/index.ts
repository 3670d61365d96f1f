// Non-uniform FFT (SigPy conventions, Kaiser-Bessel gridding) and density compensation.
export * from './kaiser-bessel.js';
export * from './nufft.js';
