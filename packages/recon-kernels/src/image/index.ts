// Image kernels of the recon modules: oversampling crops, scipy's median filter, normalisation
// to the stored bits.
export { centredCropRange, cropCentre, pythonSlice } from './crop.js';
export { medianFilter, reflectIndex } from './median-filter.js';
export {
  DEFAULT_BITS_STORED, invertInt16, maxValueForBitsStored, normaliseToInt16, roundHalfEven, roundHalfEvenFast,
} from './normalise.js';
