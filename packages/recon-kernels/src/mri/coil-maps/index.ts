// Coil maps of the iterative spiral recons from all arms (Sobolev-weighted or Inati), on this
// thread or with the per-coil work on the worker pool.
export { type ArmSamples, type CoilMapOptions, coilMapsFromArms, sobolevLowpass } from './coil-maps.js';
export { coilMapsFromArmsAsync, sobolevLowpassParallel } from './parallel-coil-maps.js';
