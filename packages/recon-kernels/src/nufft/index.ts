// Non-uniform FFT (SigPy conventions, Kaiser-Bessel gridding) and density compensation.
export {
  apodization, DEFAULT_KERNEL_WIDTH, DEFAULT_OVERSAMPLING, kaiserBesselBeta, kaiserBesselKernel,
  oversampledLength,
} from './kaiser-bessel.js';
export { applyDensityCompensation, Nufft, type ImageApodizer, type NufftOptions, type NufftTables } from './nufft.js';
export { SharedGrid } from './grid-kernel.js';
