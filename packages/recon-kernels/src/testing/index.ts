// Test helpers of the numerics (not shipped in any tool): a synthetic coil object and its error measures.
export { normalisedMagnitudes, nrmseInside, syntheticCoilObject } from './synthetic-coil-object.js';
