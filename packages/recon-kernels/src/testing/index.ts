// Test helpers of the numerics (not shipped in any tool): a synthetic coil object and its error measures, seeded random data, a pool a test can hold busy.
export { normalisedMagnitudes, nrmseInside, syntheticCoilObject } from './synthetic-coil-object.js';
export { randomFloat32, signedRng } from './random.js';
export { heldPool, type HeldPool } from './held-pool.js';
export { goldenAngleRadialFrames } from './radial-frames.js';
