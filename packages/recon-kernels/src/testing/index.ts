// Test helpers of the numerics (not shipped in any tool): a synthetic coil object and its error measures, seeded random data.
export { normalisedMagnitudes, nrmseInside, syntheticCoilObject } from './synthetic-coil-object.js';
export { randomFloat32, signedRng } from './random.js';
