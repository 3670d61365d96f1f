// The numerics' worker pool (piscina, shared memory) and the kernels that run on it.
export {
  backgroundNiceIncrement, checkThreads, closeReconPools, defaultThreads, MAX_THREADS, PoolRegistry, ReconPool, reconPool, reconPoolBeside, type ReconPoolOptions, workerScript,
} from './pool.js';
export {
  asShared, claimHighCoil, claimLowCoil, claimsMeet, claimWork, finishWork, isShared, newTwoEndedClaims, newWorkClaims, runClaimedWork, sharedFloat32, splitRange, takeClaimedWork, waitClaimedWork, workFinished,
} from './shared-memory.js';
export { nufftAdjointParallel, nufftForwardParallel } from './parallel-nufft.js';
export {
  CENTRED_FFT_POOL_MIN_SAMPLES, CENTRED_RSS_POOL_MIN_SAMPLES, centredFft2PlanesParallel, centredFft2UsesPool, centredIfft2RootSumOfSquaresParallel,
  centredIfft2RootSumOfSquaresAtPointsParallel, startCentredIfft2RootSumOfSquaresClaimed,
  type CentredRssScratch, type ClaimedRssJob,
} from './parallel-centred-fft.js';
