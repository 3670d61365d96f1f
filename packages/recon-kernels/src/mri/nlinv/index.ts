// Native nlinv (BART 0.8 nlinv equivalent): joint image and coil-sensitivity estimation,
// Cartesian and non-Cartesian.
export { nlinv, type NlinvOptions, type NlinvResult, nlinvSteps, sobolevWeight } from './nlinv.js';
export {
  BART_NUFFT, estimateImageShape, nlinvNonCartesian, nlinvNonCartesianAsync, type NonCartesianNlinvResult,
} from './noncartesian.js';
