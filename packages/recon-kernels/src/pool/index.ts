// The numerics' worker pool (piscina, shared memory) and the kernels that run on it.
export {
  backgroundNiceIncrement, checkThreads, closeReconPools, defaultThreads, MAX_THREADS, PoolRegistry, ReconPool, reconPool, reconPoolBeside, type ReconPoolOptions, workerScript,
} from './pool.js';
export {
  asShared, claimWork, finishWork, isShared, newWorkClaims, runClaimedWork, sharedFloat32, splitRange, takeClaimedWork, workFinished,
} from './shared-memory.js';
export { PauseGate, pauseCheckpoint, type PauseGateCells } from './pause-gate.js';
export { nufftAdjointParallel, nufftForwardParallel } from './parallel-nufft.js';
export {
  CENTRED_FFT_POOL_MIN_SAMPLES, CENTRED_RSS_POOL_MIN_SAMPLES, centredFft2PlanesParallel, centredFft2UsesPool, centredIfft2RootSumOfSquaresParallel,
  centredIfft2RootSumOfSquaresAtPointsParallel,
  type CentredRssScratch,
} from './parallel-centred-fft.js';
