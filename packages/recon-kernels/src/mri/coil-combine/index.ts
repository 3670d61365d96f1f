// Coil combination: root sum of squares, Inati adaptive coil maps (also on the worker pool).
export {
  combineWithCoilWeightsComplex, coilSumWeights, combineWithMaps, combineWithMapsComplex, inatiCoilMaps, type InatiOptions, rootSumOfSquares,
  combineWithMapsRange, rootSumOfSquaresRange,
  InatiScratch, smoothCoilImages, smoothCoilImagesShifted, tukeyWindow,
} from './coil-combine.js';
export { coilMapsPool, inatiCoilMapsOnPool, type InatiMapsTask, runInatiMapsTask, warmInatiOnPool } from './parallel-inati.js';
export {
  cancelPreparedMagnitude, combineMagnitudeOnPool, MAGNITUDE_CHUNK_PIXELS, type MagnitudeCombineTask, prepareMagnitudeOnPool, type PreparedMagnitudeCombine, runMagnitudeCombineTask,
  runPreparedMagnitude, warmMagnitudeCombine, INT16_CHUNK_ROWS, int16Rows, type Int16PassTask, MagnitudeInt16Frame,
} from './parallel-magnitude.js';
