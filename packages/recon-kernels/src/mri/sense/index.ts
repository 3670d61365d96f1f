// The multi-coil non-Cartesian SENSE model (NUFFT per frame, coil maps) as a linear operator.
export {
  distinctPositions, estimateDataScale, SENSE_NUFFT_DEFAULTS, SenseNufftOperator, type SenseShared,
} from './sense-nufft.js';
export { ParallelSenseNufftOperator, solveTvAdmmOnWorker, type WorkerTvAdmmOptions } from './parallel-sense.js';
