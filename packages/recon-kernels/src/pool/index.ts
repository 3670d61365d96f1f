// The numerics' worker pool (piscina, shared memory) and the kernels that run on it.
export { checkThreads, closeReconPools, defaultThreads, MAX_THREADS, PoolRegistry, ReconPool, reconPool, workerScript } from './pool.js';
export { asShared, isShared, sharedFloat32, splitRange } from './shared-memory.js';
export { nufftAdjointParallel, nufftForwardParallel } from './parallel-nufft.js';
export {
  CENTRED_FFT_POOL_MIN_SAMPLES, CENTRED_RSS_POOL_MIN_SAMPLES, centredFft2PlanesParallel, centredFft2UsesPool, centredIfft2RootSumOfSquaresParallel,
  type CentredRssScratch,
} from './parallel-centred-fft.js';
